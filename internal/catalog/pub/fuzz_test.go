package pub

import (
	"strings"
	"testing"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

// checkDep holds what every parser promises of a package it returns,
// down to a PURL that reads back as the package.
func checkDep(t *testing.T, d dep) {
	t.Helper()
	if !validName(d.name) || !validVersion(d.version) {
		t.Fatalf("bad package %+v", d)
	}
	if d.repo != "" {
		if again, err := hostedRepository(d.repo); err != nil || again != d.repo {
			t.Fatalf("repository %q is not normalised: %q, %v", d.repo, again, err)
		}
	}
	u, err := packageurl.FromString(purl(d))
	if err != nil {
		t.Fatalf("PURL %q: %v", purl(d), err)
	}
	if u.Type != packageurl.TypePub || u.Name != strings.ToLower(d.name) || u.Version != d.version || u.Qualifiers.Map()[repoQualifier] != d.repo {
		t.Fatalf("PURL %q does not read back as %+v", purl(d), d)
	}
}

func FuzzParseLock(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "pubspec.lock")
	f.Add([]byte("packages:\n  a:\n    description: a\n    source: hosted\n    version: \"1.0.0\"\n"))
	f.Add([]byte("packages:\n  a:\n    description: {name: a, url: \"https://x.example/./a/../b\"}\n    source: hosted\n    version: \"1.0.0-a.1+b\"\n"))
	f.Add([]byte("v: &v \"1.0.0\"\npackages: {a: {source: hosted, description: a, version: *v}}\n"))
	f.Add([]byte("packages:\n  a: {source: sdk}\n  b: {source: git}\n  c: {source: path}\n  d: {source: 7}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parseLock(data)
		seen := map[dep]bool{}
		for _, d := range deps {
			checkDep(t, d)
			if seen[d] {
				t.Fatalf("%+v twice", d)
			}
			seen[d] = true
		}
	})
}

func FuzzParsePubspec(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "pubspec.yaml")
	f.Add([]byte("name: a\nversion: 1.0.0\n"))
	f.Add([]byte("name: !!str a\nversion: !!str 1.0.0+1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if d, err := parsePubspec(data); err == nil {
			checkDep(t, d)
		}
	})
}

func FuzzCacheRepository(f *testing.F) {
	for _, s := range []string{"pub.dev", "pub.dartlang.org", "dart.cloudsmith.io%47acme%47flutter-private%47", "localhost%5881", "http%58%47%47h", "a%124b", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dir string) {
		repo, err := cacheRepository(dir)
		if err != nil {
			return
		}
		checkDep(t, dep{name: "a", version: "1.0.0", repo: repo})
		if repo != "" && !strings.HasPrefix(repo, "http://") && !strings.HasPrefix(repo, "https://") {
			t.Fatalf("cacheRepository(%q) = %q", dir, repo)
		}
	})
}
