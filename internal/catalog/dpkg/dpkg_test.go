package dpkg

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRootfs inventories a root filesystem made of this machine's own dpkg
// database entries (see testdata/README.md) through the whole pipeline.
func TestRootfs(t *testing.T) {
	im, err := image.Open(context.Background(), "dir:testdata/rootfs", image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := catalog.Inventory(context.Background(), im, catalog.Options{Catalogers: []catalog.Cataloger{New()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) > 0 {
		t.Errorf("warnings: %q", inv.Warnings)
	}
	if inv.Distro == nil || inv.Distro.ID != "debian" {
		t.Errorf("distro = %+v", inv.Distro)
	}
	// Keep the golden file readable: the file lists are checked apart.
	type row struct {
		Name, Version, Arch, Source, SourceVersion, PURL string
		Licenses                                         []sbom.License
		Files                                            int
		FirstFile                                        string
	}
	var got []row
	for _, p := range inv.Packages {
		r := row{p.Name, p.Version, p.Arch, p.SourceName, p.SourceVersion, p.PURL, p.Licenses, len(p.Files), ""}
		if len(p.Files) > 0 {
			r.FirstFile = p.Files[0]
		}
		for _, f := range p.Files {
			if f == "/usr" || f == "/usr/share" || f == "/." {
				t.Errorf("%s: directory %s listed as a file", p.Name, f)
			}
		}
		got = append(got, r)
	}
	golden := filepath.Join("testdata", "rootfs.golden.json")
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		os.WriteFile(golden, append(b, '\n'), 0o644)
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	var want []row
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

func TestParseStatusBadInput(t *testing.T) {
	const status = `Package: good
Status: install ok installed
Version: 1.0-1
Source: src (1.0-0)
Architecture: amd64

Package: noversion
Status: install ok installed
Architecture: amd64

this line is garbage
Package: second
Status: install ok installed
Version: 2:3.4
 continuation of something
Architecture: all

Package: removed
Status: deinstall ok config-files
Version: 1

Version: 5
Architecture: amd64
`
	var warns []string
	entries := parseStatus([]byte(status), "/var/lib/dpkg/status", func(s string) { warns = append(warns, s) })
	var names []string
	for _, e := range entries {
		if e.installed() {
			names = append(names, e.Package+"="+e.Version+"/"+e.Source+"="+e.SourceVersion)
		}
	}
	want := []string{"good=1.0-1/src=1.0-0", "second=2:3.4/="}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("installed (-want +got):\n%s", diff)
	}
	wantWarns := []string{
		"line 7: package \"noversion\" has no Version",
		"line 11: not a field",
		"line 22: stanza without Package",
	}
	if len(warns) != len(wantWarns) {
		t.Fatalf("warnings = %q", warns)
	}
	for i, w := range wantWarns {
		if !strings.Contains(warns[i], w) || !strings.Contains(warns[i], "/var/lib/dpkg/status") {
			t.Errorf("warning %d = %q, want it to contain %q and the file", i, warns[i], w)
		}
	}
}

func TestDistroless(t *testing.T) {
	fsys := fstest.MapFS{
		"var/lib/dpkg/status.d/libssl3":         {Data: []byte("Package: libssl3\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\nSource: openssl\n")},
		"var/lib/dpkg/status.d/libssl3.md5sums": {Data: []byte("0123  usr/lib/x86_64-linux-gnu/libssl.so.3\n")},
	}
	c := New()
	var paths []string
	for p := range fsys {
		if c.Wants(p, 0o644, 1) {
			paths = append(paths, p)
		}
	}
	pkgs, err := c.Catalog(context.Background(), catalog.Input{FS: fsys, Paths: paths, Distro: &sbom.Distro{ID: "debian", VersionID: "12"}, Warn: func(s string) { t.Error(s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 {
		t.Fatalf("got %d packages", len(pkgs))
	}
	p := pkgs[0]
	if want := "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl"; p.PURL != want {
		t.Errorf("purl = %s, want %s", p.PURL, want)
	}
	if diff := cmp.Diff([]string{"/usr/lib/x86_64-linux-gnu/libssl.so.3"}, p.Files); diff != "" {
		t.Errorf("files: %s", diff)
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, name := range []string{"testdata/rootfs/var/lib/dpkg/status"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Package: a\nVersion: 1\n\n\n \n:\nSource: b (\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range parseStatus(data, "fuzz", func(string) {}) {
			if e.Package == "" || e.Version == "" {
				t.Fatalf("entry without name or version: %+v", e)
			}
		}
		parseList(data)
		parseMD5Sums(data)
	})
}
