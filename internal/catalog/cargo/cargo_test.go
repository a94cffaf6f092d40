package cargo

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with the JSON in testdata/name, rewriting it with
// -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	path := filepath.Join("testdata", name)
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
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

// row is a package without the fields every test sets alike.
type row struct {
	Name, Version, PURL, Location string
}

func rows(pkgs []sbom.Package) []row {
	out := make([]row, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, row{p.Name, p.Version, p.PURL, strings.Join(p.Locations, ",")})
	}
	return out
}

// catalogFS runs c over fsys as the core does, paths sorted.
func catalogFS(t *testing.T, c *Cataloger, fsys fstest.MapFS) ([]sbom.Package, []string) {
	t.Helper()
	return catalogtest.Run(t, c, fsys)
}

func TestLockfiles(t *testing.T) {
	for _, tc := range []struct {
		dir   string
		count int
		want  []row // a few entries that must be there
	}{
		{"v1-root", 26, []row{
			{"cargo-benchcmp", "0.1.3", "pkg:cargo/cargo-benchcmp@0.1.3", "/app/Cargo.lock"},
			{"regex", "0.1.73", "pkg:cargo/regex@0.1.73", "/app/Cargo.lock"},
		}},
		{"v3", 6, []row{
			{"aho-corasick", "1.1.2", "pkg:cargo/aho-corasick@1.1.2", "/app/Cargo.lock"},
			{"rust-regex", "0.0.1", "pkg:cargo/rust-regex@0.0.1", "/app/Cargo.lock"},
		}},
		{"v4", 63, []row{
			{"syn", "2.0.119", "pkg:cargo/syn@2.0.119", "/app/Cargo.lock"},
			{"syn", "3.0.3", "pkg:cargo/syn@3.0.3", "/app/Cargo.lock"},
			{"tikv-jemalloc-sys", "0.7.1+5.3.1-0-g81034ce1f1373e37dc865038e1bc8eeecf559ce8", "pkg:cargo/tikv-jemalloc-sys@0.7.1%2B5.3.1-0-g81034ce1f1373e37dc865038e1bc8eeecf559ce8", "/app/Cargo.lock"},
		}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "lock", tc.dir, "Cargo.lock"))
			if err != nil {
				t.Fatal(err)
			}
			pkgs, warns := catalogFS(t, New(), fstest.MapFS{"app/Cargo.lock": {Data: data}})
			if len(warns) > 0 {
				t.Errorf("warnings: %q", warns)
			}
			if len(pkgs) != tc.count {
				t.Errorf("got %d packages, want %d", len(pkgs), tc.count)
			}
			got := rows(pkgs)
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					found = found || g == w
				}
				if !found {
					t.Errorf("missing %+v", w)
				}
			}
			for _, p := range pkgs {
				if p.Ecosystem != sbom.Cargo || p.FoundBy != "cargo-lock" {
					t.Errorf("%s: ecosystem %q, foundBy %q", p.Name, p.Ecosystem, p.FoundBy)
				}
			}
			golden(t, filepath.Join("lock", tc.dir, "golden.json"), got)
		})
	}
}

func TestWants(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		path string
		mode fs.FileMode
		size int64
		want bool
	}{
		{"Cargo.lock", 0o644, 100, true},
		{"src/app/Cargo.lock", 0o644, 100, true},
		{"src/app/Cargo.lock", 0o644, 17 << 20, false},
		{"src/app/Cargo.lock", 0o644, 0, false},
		{"src/app/Cargo.lock", fs.ModeSymlink | 0o777, 10, false},
		{"src/app/XCargo.lock", 0o644, 100, false},
		{"src/app/Cargo.toml", 0o644, 100, false},
		{"root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/regex-1.10.2/Cargo.lock", 0o644, 100, false},
		{"root/.cargo/git/checkouts/x-123/abc/Cargo.lock", 0o644, 100, false},
	} {
		if got := c.Wants(tc.path, tc.mode, tc.size); got != tc.want {
			t.Errorf("Wants(%q, %v, %d) = %v, want %v", tc.path, tc.mode, tc.size, got, tc.want)
		}
	}
}

func TestBadLockfiles(t *testing.T) {
	good, err := os.ReadFile("testdata/lock/v3/Cargo.lock")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"a/Cargo.lock": {Data: []byte("[[package]]\nname = \"x\"\nversion = \n")},
		"b/Cargo.lock": {Data: []byte("[[package]]\nname = 5\nversion = \"1\"\n")},
		"c/Cargo.lock": {Data: good},
		// Entries without a name or version are skipped, not fatal.
		"d/Cargo.lock": {Data: []byte("version = 3\n[[package]]\nname = \"noversion\"\n[[package]]\nname = \"ok\"\nversion = \"1.0.0\"\n")},
	}
	pkgs, warns := catalogFS(t, New(), fsys)
	if len(pkgs) != 7 {
		t.Errorf("got %d packages, want 7 (6 from c, 1 from d)", len(pkgs))
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "/a/Cargo.lock: invalid TOML") || !strings.Contains(warns[1], "/b/Cargo.lock: invalid TOML") {
		t.Errorf("warnings = %q", warns)
	}
}

func zlibBytes(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestAuditableFromELF(t *testing.T) {
	open := func(name string) *os.File {
		f, err := os.Open(filepath.Join("testdata", "auditable", name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	deps, err := AuditableFromELF(open("rust-auditable"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Dep{
		{Name: "aho-corasick", Version: "1.1.2", Source: "crates.io"},
		{Name: "cc", Version: "1.0.83", Source: "crates.io", Kind: "build"},
		{Name: "libc", Version: "0.2.150", Source: "crates.io", Kind: "build"},
		{Name: "memchr", Version: "2.6.4", Source: "crates.io"},
		{Name: "regex", Version: "1.10.2", Source: "crates.io"},
		{Name: "regex-automata", Version: "0.4.3", Source: "crates.io"},
		{Name: "regex-syntax", Version: "0.8.2", Source: "crates.io"},
		{Name: "rust-regex", Version: "0.0.1", Source: "local", Root: true},
	}
	if diff := cmp.Diff(want, deps); diff != "" {
		t.Errorf("deps (-want +got):\n%s", diff)
	}
	golden(t, "auditable/golden.json", rows(AuditablePackages(deps, "/usr/bin/rust-regex")))

	if deps, err := AuditableFromELF(open("hello")); deps != nil || err != nil {
		t.Errorf("plain ELF: %v, %v", deps, err)
	}
	if _, err := AuditableFromELF(open("rust-corrupt")); err == nil || errors.Is(err, ErrNotELF) {
		t.Errorf("corrupt section: err = %v", err)
	}
	if _, err := AuditableFromELF(bytes.NewReader([]byte("#!/bin/sh\necho hi\n"))); !errors.Is(err, ErrNotELF) {
		t.Errorf("script: err = %v, want ErrNotELF", err)
	}
}

func TestParseAuditable(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       []Dep
		err        bool
	}{
		{"source forms", `{"packages":[{"name":"a","version":"1.0.0","source":"git"},{"name":"b","version":"2.0.0","source":{"Other":"mercurial"}},{"name":"c","version":"3.0.0"}]}`,
			[]Dep{{Name: "a", Version: "1.0.0", Source: "git"}, {Name: "b", Version: "2.0.0", Source: "mercurial"}, {Name: "c", Version: "3.0.0"}}, false},
		{"runtime kind is the default", `{"packages":[{"name":"a","version":"1","source":"crates.io","kind":"runtime"}]}`,
			[]Dep{{Name: "a", Version: "1", Source: "crates.io"}}, false},
		{"incomplete entries dropped", `{"packages":[{"name":"a"},{"version":"1"},{"name":"b","version":"1"}]}`,
			[]Dep{{Name: "b", Version: "1"}}, false},
		{"not JSON", `{"packages":[`, nil, true},
		{"wrong types", `{"packages":{"name":"a"}}`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAuditable(zlibBytes(t, tc.json))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); !tc.err && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := ParseAuditable([]byte("plain")); err == nil {
		t.Error("uncompressed data accepted")
	}
	// A zip bomb stops at the limit.
	bomb := zlibBytes(t, `{"packages":[`+strings.Repeat(" ", maxAuditJSON)+`]}`)
	if _, err := ParseAuditable(bomb); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("bomb: err = %v", err)
	}
}

func TestAuditablePackagesDropsBuildAndDuplicates(t *testing.T) {
	got := rows(AuditablePackages([]Dep{
		{Name: "b", Version: "1"}, {Name: "a", Version: "2", Kind: "build"}, {Name: "b", Version: "1"}, {Name: "a", Version: "1"},
	}, "/bin/x"))
	want := []row{{"a", "1", "pkg:cargo/a@1", "/bin/x"}, {"b", "1", "pkg:cargo/b@1", "/bin/x"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestDirTarget runs the cataloger through the whole pipeline on a
// directory holding the fixture lockfiles.
func TestDirTarget(t *testing.T) {
	ctx := context.Background()
	im, err := image.Open(ctx, "dir:testdata/lock", image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := catalog.Inventory(ctx, im, catalog.Options{Catalogers: []catalog.Cataloger{New()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) > 0 {
		t.Errorf("warnings: %q", inv.Warnings)
	}
	locs := map[string]int{}
	for _, p := range inv.Packages {
		for _, l := range p.Locations {
			locs[l]++
		}
	}
	want := map[string]int{"/v1-root/Cargo.lock": 26, "/v3/Cargo.lock": 6, "/v4/Cargo.lock": 63}
	if diff := cmp.Diff(want, locs); diff != "" {
		t.Errorf("packages per lockfile (-want +got):\n%s", diff)
	}
}

func FuzzParseLock(f *testing.F) {
	for _, v := range []string{"v1-root", "v3", "v4"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "lock", v, "Cargo.lock")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("[root]\nname=\"a\"\nversion=\"1\"\n[[package]]\nname=\"a\"\nversion=\"1\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		crates, err := parseLock(data)
		if err != nil {
			return
		}
		for _, c := range crates {
			if c.Name == "" || c.Version == "" {
				t.Fatalf("crate without name or version: %+v", c)
			}
		}
	})
}

func FuzzParseAuditable(f *testing.F) {
	if b, err := os.ReadFile("testdata/auditable/deps.zlib"); err == nil {
		f.Add(b)
	}
	f.Add(zlibBytes(f, `{"packages":[{"name":"a","version":"1","source":{"Other":"x"},"kind":"build","root":true}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, err := ParseAuditable(data)
		if err != nil {
			return
		}
		for _, p := range AuditablePackages(deps, "/x") {
			if p.Name == "" || p.Version == "" || p.PURL == "" {
				t.Fatalf("bad package %+v", p)
			}
		}
	})
}

func FuzzAuditableFromELF(f *testing.F) {
	for _, n := range []string{"rust-auditable", "rust-corrupt"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "auditable", n)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		AuditableFromELF(bytes.NewReader(data))
	})
}
