package composer

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seeds adds every fixture file under testdata/rootfs whose path ends with
// suffix to the fuzz corpus.
func seeds(f *testing.F, suffix string) {
	f.Helper()
	err := filepath.WalkDir(filepath.Join("testdata", "rootfs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, suffix) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f.Add(b)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// checkDeps holds what both parsers promise.
func checkDeps(t *testing.T, deps []dep) {
	t.Helper()
	for _, d := range deps {
		if !validName(d.name) || d.name != strings.ToLower(d.name) || !validVersion(d.version) || len(d.licenses) > maxLicenses {
			t.Fatalf("bad package %+v", d)
		}
		if purl := newPackage(d, "/x", "test").PURL; !strings.HasPrefix(purl, "pkg:composer/") {
			t.Fatalf("PURL %q", purl)
		}
	}
}

func FuzzParseInstalled(f *testing.F) {
	seeds(f, "installed.json")
	f.Add([]byte(`{"packages": [{"name": "A/B", "version": "v1", "license": "MIT"}], "dev-package-names": ["a/b"]}`))
	f.Add([]byte(`[{"name": "a/b", "version": "1", "license": [1, 2]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parseInstalled(data)
		checkDeps(t, deps)
	})
}

func FuzzParseLock(f *testing.F) {
	seeds(f, "composer.lock")
	f.Add([]byte(`{"packages": [{"name": "a/b", "version": "1"}], "packages-dev": [{"name": "c/d", "version": "dev-main"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parseLock(data)
		checkDeps(t, deps)
	})
}
