package runtime

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// openFixture opens a test file, decompressing the gzip-compressed
// binaries of testdata/bin.
func openFixture(t testing.TB, path string) (io.Reader, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(path) == ".gz" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return bytes.NewReader(b), int64(len(b))
}

// extractAll runs Extract over files keyed by image path, as the core
// would, streaming each once.
func extractAll(t testing.TB, files map[string]string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for p, src := range files {
		r, size := openFixture(t, src)
		data, err := New().Extract(context.Background(), p, r, size)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[p] = data
	}
	return out
}

func golden(t *testing.T, name string, got any) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// TestFixtures catalogs the committed real files, laid out as an image
// would hold them, and checks the versions against their Debian packages
// (testdata/README.md).
func TestFixtures(t *testing.T) {
	files := map[string]string{
		"bin/busybox":                               "testdata/bin/busybox.gz",
		"usr/sbin/apache2":                          "testdata/bin/apache2.gz",
		"usr/sbin/nginx":                            "testdata/bin/nginx.gz",
		"usr/bin/openssl":                           "testdata/bin/openssl.gz",
		"usr/bin/ruby3.1":                           "testdata/bin/ruby3.1.gz", // a launcher: the version is in libruby
		"usr/local/go/VERSION":                      "testdata/versionfiles/go1.26.8/VERSION",
		"usr/lib/go-1.19/VERSION":                   "testdata/versionfiles/debian-golang-1.19/VERSION",
		"usr/lib/jvm/java-17-openjdk-amd64/release": "testdata/versionfiles/debian-openjdk-17/release",
	}
	pkgs, warns := catalogtest.CatalogExtracts(t, New(), extractAll(t, files))
	if len(warns) > 0 {
		t.Errorf("warnings: %q", warns)
	}
	type row struct{ Name, Version, PURL, Location string }
	var got []row
	for _, p := range pkgs {
		got = append(got, row{p.Name, p.Version, p.PURL, p.Locations[0]})
		if p.Ecosystem != sbom.Generic || p.FoundBy != "runtime-binary" || len(p.Locations) != 1 || p.Binary == nil {
			t.Errorf("%s: %+v", p.Name, p)
		}
	}
	want := []row{
		{"busybox", "1.35.0", "pkg:generic/busybox@1.35.0", "/bin/busybox"},
		{"go", "1.19.8", "pkg:generic/go@1.19.8", "/usr/lib/go-1.19/VERSION"},
		{"go", "1.26.8", "pkg:generic/go@1.26.8", "/usr/local/go/VERSION"},
		{"httpd", "2.4.71", "pkg:generic/httpd@2.4.71", "/usr/sbin/apache2"},
		{"nginx", "1.22.1", "pkg:generic/nginx@1.22.1", "/usr/sbin/nginx"},
		{"openjdk", "17.0.21.1", "pkg:generic/openjdk@17.0.21.1", "/usr/lib/jvm/java-17-openjdk-amd64/release"},
		{"openssl", "3.0.22", "pkg:generic/openssl@3.0.22", "/usr/bin/openssl"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	golden(t, "fixtures.json", pkgs)
}

func TestWants(t *testing.T) {
	const exe, lib = 0o755, 0o644
	for _, tc := range []struct {
		path string
		mode fs.FileMode
		size int64
		want bool
	}{
		{"usr/local/bin/node", exe, 100 << 20, true},
		{"usr/bin/nodejs", exe, 1 << 20, true},
		{"usr/local/bin/node", lib, 100 << 20, false}, // no execute bit
		{"usr/local/bin/node", exe, 100, false},       // too small to be Node.js
		{"usr/local/bin/node", exe | fs.ModeSymlink, 0, false},
		{"usr/lib/x86_64-linux-gnu/libnode.so.108", lib, 80 << 20, true},
		{"usr/local/bin/python3.11", exe, 17 << 10, true},
		{"usr/local/bin/python3.7m", exe, 17 << 10, true},
		{"usr/local/bin/python2.7", exe, 17 << 10, true},
		{"usr/local/bin/python3", exe, 17 << 10, false}, // no minor version in the name
		{"usr/local/bin/python3.11-config", exe, 4 << 10, false},
		{"usr/local/lib/libpython3.11.so.1.0", lib, 20 << 20, true},
		{"usr/local/lib/libpython3.7m.so.1.0", lib, 20 << 20, true},
		{"usr/local/lib/libpython3.so", lib, 20 << 10, false}, // the stable-ABI stub
		{"usr/local/lib/libpython3.11.a", lib, 20 << 20, false},
		{"opt/java/openjdk/release", lib, 1500, true},
		{"opt/java/openjdk/release", lib, 1 << 20, false},
		{"opt/java/openjdk/bin/java", exe, 14 << 10, false},
		{"usr/local/go/VERSION", lib, 40, true},
		{"usr/local/go/VERSION", lib, 0, false},
		{"usr/local/bin/php", exe, 20 << 20, true},
		{"usr/local/sbin/php-fpm", exe, 20 << 20, true},
		{"usr/sbin/php-fpm8.2", exe, 5 << 20, true},
		{"usr/bin/php81", exe, 5 << 20, true},
		{"usr/local/bin/php-config", exe, 5 << 10, false},
		{"usr/local/bin/phpize", exe, 5 << 10, false},
		{"usr/lib/apache2/modules/libphp.so", lib, 5 << 20, true},
		{"usr/lib/libphp8.2.so", lib, 5 << 20, true},
		{"usr/local/bin/ruby", exe, 20 << 10, true},
		{"usr/local/lib/libruby.so.3.2.2", lib, 4 << 20, true},
		{"usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1.2", lib, 4 << 20, true},
		{"usr/lib/ruby/3.1.0/rubygems.rb", lib, 40 << 10, false},
		{"usr/sbin/nginx", exe, 1 << 20, true},
		{"usr/local/apache2/bin/httpd", exe, 1 << 20, true},
		{"usr/sbin/apache2", exe, 1 << 20, true},
		{"usr/local/bin/redis-server", exe, 10 << 20, true},
		{"usr/local/bin/redis-cli", exe, 10 << 20, false},
		{"usr/lib/postgresql/16/bin/postgres", exe, 10 << 20, true},
		{"bin/busybox", exe, 1 << 20, true},
		{"usr/bin/openssl", exe, 1 << 20, true},
		{"usr/lib/x86_64-linux-gnu/libcrypto.so.3", lib, 4 << 20, true},
		{"usr/lib/libssl.so.1.1", lib, 600 << 10, true},
		{"usr/lib/python3/site-packages/cryptography.libs/libcrypto-d3570994.so.3", lib, 4 << 20, true},
		{"usr/lib/x86_64-linux-gnu/libssl3.so", lib, 400 << 10, false}, // NSS
		{"usr/lib/x86_64-linux-gnu/libcrypto.a", lib, 4 << 20, false},
		{"etc/os-release", lib, 300, false},
		{"", lib, 300, false},
	} {
		if got := New().Wants(tc.path, tc.mode, tc.size); got != tc.want {
			t.Errorf("Wants(%q, %v, %d) = %v, want %v", tc.path, tc.mode, tc.size, got, tc.want)
		}
	}
}

// TestWantsAllocs keeps Wants free of allocations: it runs for every file
// of every layer.
func TestWantsAllocs(t *testing.T) {
	c := New()
	paths := []string{"usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", "usr/share/doc/x/copyright", "usr/bin/php-fpm8.2", "opt/java/openjdk/release"}
	n := testing.AllocsPerRun(100, func() {
		for _, p := range paths {
			c.Wants(p, 0o755, 1<<20)
		}
	})
	if n != 0 {
		t.Errorf("Wants allocates %v times", n)
	}
}

func TestCatalogWarnings(t *testing.T) {
	pkgs, warns := catalogtest.CatalogExtracts(t, New(), map[string][]byte{
		"usr/local/bin/python3.11": []byte(`{"name":"python","conflict":["3.11.0","3.11.7"]}`),
		"usr/local/bin/node":       []byte(`not json`),
		"usr/local/bin/nginx":      []byte(`{"name":"node","version":"1.0.0"}`),
		"opt/jdk/release":          []byte("JAVA_VERSION=\"22-ea\"\n"),
		"usr/local/go/VERSION":     []byte("go1.22.5 garbage\n"),
		"usr/local/bin/busybox":    nil, // nothing was kept
		"usr/local/bin/redis-cli":  []byte(`{"name":"redis","version":"7.0.0"}`),
		"usr/local/bin/postgres":   []byte(`{"name":"postgresql","version":"16.1","evidence":"PostgreSQL 16.1 on x86_64"}`),
	})
	want := []string{
		`runtime-binary: /opt/jdk/release: JAVA_VERSION "22-ea" is not a release version`,
		`runtime-binary: /usr/local/bin/nginx: summary for "nginx" names "node"`,
		`runtime-binary: /usr/local/bin/node: unreadable summary: invalid character 'o' in literal null (expecting 'u')`,
		`runtime-binary: /usr/local/bin/python3.11: python: the binary holds several version strings (3.11.0, 3.11.7): none is reported`,
		`runtime-binary: /usr/local/go/VERSION: first line "go1.22.5 garbage" is not a Go release`,
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	wantPkgs := []sbom.Package{{
		Ecosystem: sbom.Generic, Name: "postgresql", Version: "16.1", PURL: "pkg:generic/postgresql@16.1",
		Locations: []string{"/usr/local/bin/postgres"}, FoundBy: "runtime-binary",
		Binary: &sbom.BinaryMetadata{Evidence: "/usr/local/bin/postgres: PostgreSQL 16.1 on x86_64"},
	}}
	if diff := cmp.Diff(wantPkgs, pkgs); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

func TestCatalogCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := catalog.Input{Paths: []string{"usr/local/bin/node"}, Warn: func(string) {}, Extracted: func(string) ([]byte, bool) { return nil, false }}
	if _, err := New().Catalog(ctx, in); err == nil {
		t.Error("no error from a canceled context")
	}
}
