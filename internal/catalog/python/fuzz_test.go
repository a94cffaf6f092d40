package python

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

func FuzzParseMetadata(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "METADATA", "PKG-INFO", ".egg-info")
	f.Add([]byte("Metadata-Version: 1.0\nName: a\n\n\n \nLicense: x\n\tmore\nClassifier: License :: \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := parseMetadata(data)
		if len(m.LicenseClassifiers) > maxClassifiers {
			t.Fatalf("%d classifiers kept", len(m.LicenseClassifiers))
		}
		for _, l := range licenses(m) {
			if l.Value == "" {
				t.Fatalf("licence without a value: %+v", l)
			}
			if utf8.Valid(data) && !utf8.ValidString(l.Value) {
				t.Fatalf("clipping broke UTF-8: %q", l.Value)
			}
		}
		if validName(m.Name) {
			if n := normalize(m.Name); strings.ContainsAny(n, "_.") || strings.ToLower(n) != n || strings.Contains(n, "--") {
				t.Fatalf("normalize(%q) = %q", m.Name, n)
			}
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "RECORD", "installed-files.txt", "SOURCES.txt")
	f.Add([]byte("../../../../x,,\n\"a\"\"b\",,\n/abs,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		files, _ := parseRecord(data, "usr/lib/python3/dist-packages")
		files = append(files, parseInstalledFiles(data, "site/x.egg-info")...)
		files = append(files, parseSources(data, data, "site")...)
		for _, p := range files {
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") {
				t.Fatalf("file %q escapes or is not absolute", p)
			}
		}
	})
}

func FuzzReadEgg(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", ".egg")
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := readEgg(data); err == nil && len(b) > maxMetadataSize {
			t.Fatalf("%d bytes of metadata", len(b))
		}
	})
}

func FuzzParseRequirements(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", ".txt")
	f.Add([]byte("a[b]==1 ; c \\\n --hash=x\n-r y\n#z\n\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parseRequirements(data)
		checkDeps(t, deps)
	})
}

func FuzzParsePoetry(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "poetry.lock", "pyproject.toml")
	f.Add([]byte("[[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"dev\"]\n[package.dependencies]\nb = [{version = \"1\"}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _ := parsePyproject(data)
		deps, _ := parsePoetry(data, &r)
		checkDeps(t, deps)
	})
}

func FuzzParsePipfile(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "Pipfile.lock")
	f.Add([]byte(`{"default": {"a": {"version": "==1"}}, "develop": {"a": {"version": "==1"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parsePipfile(data)
		checkDeps(t, deps)
	})
}

func FuzzParseUV(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "uv.lock")
	f.Add([]byte("[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { virtual = \".\" }\n[package.dev-dependencies]\ndev = [{ name = \"b\" }]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, _ := parseUV(data)
		checkDeps(t, deps)
	})
}

// checkDeps holds what every lockfile parser promises.
func checkDeps(t *testing.T, deps []dep) {
	t.Helper()
	for _, d := range deps {
		if d.name == "" || d.name != normalize(d.name) || !validVersion(d.version) {
			t.Fatalf("bad dependency %+v", d)
		}
	}
}
