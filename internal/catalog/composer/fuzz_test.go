package composer

import (
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

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
	catalogtest.Seeds(f, "testdata/rootfs", "installed.json")
	f.Add([]byte(`{"packages": [{"name": "A/B", "version": "v1", "license": "MIT"}], "dev-package-names": ["a/b"]}`))
	f.Add([]byte(`[{"name": "a/b", "version": "1", "license": [1, 2]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parseInstalled(data)
		checkDeps(t, deps)
	})
}

func FuzzParseLock(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "composer.lock")
	f.Add([]byte(`{"packages": [{"name": "a/b", "version": "1"}], "packages-dev": [{"name": "c/d", "version": "dev-main"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parseLock(data)
		checkDeps(t, deps)
	})
}
