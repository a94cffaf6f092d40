package gem

import (
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// row is a package as the golden files show it.
type row struct {
	Name, Version, PURL string
	Arch                string         `json:",omitempty"`
	Licenses            []sbom.License `json:",omitempty"`
	Locations           []string
	FoundBy             string
}

func rows(pkgs []sbom.Package) []row {
	out := []row{}
	for _, p := range pkgs {
		out = append(out, row{Name: p.Name, Version: p.Version, PURL: p.PURL, Arch: p.Arch, Licenses: p.Licenses, Locations: p.Locations, FoundBy: p.FoundBy})
	}
	return out
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	file := filepath.Join("testdata", name)
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", file, diff)
	}
}

// loadDir reads a directory tree into a MapFS, files only.
func loadDir(t *testing.T, root string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fsys[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data, Mode: 0o644}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// runCataloger runs c on fsys the way the core does: Wants over every file,
// then Catalog over the wanted ones. It returns the packages and warnings.
func runCataloger(t *testing.T, c catalog.Cataloger, fsys fstest.MapFS) ([]sbom.Package, []string) {
	t.Helper()
	var paths []string
	for p, f := range fsys {
		if f.Mode&fs.ModeDir == 0 && c.Wants(p, f.Mode, int64(len(f.Data))) {
			paths = append(paths, p)
		}
	}
	kept := fstest.MapFS{}
	for _, p := range paths {
		kept[p] = fsys[p]
	}
	var warns []string
	slices.Sort(paths)
	pkgs, err := c.Catalog(context.Background(), catalog.Input{FS: kept, Paths: paths, Warn: func(s string) { warns = append(warns, s) }})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs, warns
}

// TestRootfs catalogs testdata/rootfs (real specifications and lockfiles,
// see testdata/README.md), once directly, compared with the golden files,
// and once through the whole pipeline on a dir: target, which must find the
// same packages.
func TestRootfs(t *testing.T) {
	ctx := context.Background()
	fsys := loadDir(t, filepath.Join("testdata", "rootfs"))
	im, err := image.Open(ctx, "dir:testdata/rootfs", image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []catalog.Cataloger{NewInstalled(), NewLock()} {
		t.Run(c.Name(), func(t *testing.T) {
			pkgs, warns := runCataloger(t, c, fsys)
			if len(warns) > 0 {
				t.Errorf("warnings: %q", warns)
			}
			golden(t, c.Name()+".golden.json", rows(pkgs))

			inv, err := catalog.Inventory(ctx, im, catalog.Options{Catalogers: []catalog.Cataloger{c}})
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Warnings) > 0 {
				t.Errorf("inventory warnings: %q", inv.Warnings)
			}
			// The core merges a package found in several places.
			var want, got []string
			for _, p := range pkgs {
				want = append(want, p.PURL)
			}
			for _, p := range inv.Packages {
				got = append(got, p.PURL)
			}
			slices.Sort(want)
			slices.Sort(got)
			want = slices.Compact(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("inventory packages (-direct +inventory):\n%s", diff)
			}
		})
	}
}

// TestBadInput checks that unreadable input becomes a warning naming the
// file and that the other files are still cataloged.
func TestBadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "rootfs", "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"usr/local/bundle/specifications/rake-13.0.6.gemspec":   {Data: good},
		"usr/local/bundle/specifications/garbage-1.0.gemspec":   {Data: []byte("\x00\xff not ruby at all {{{ \"")},
		"usr/local/bundle/specifications/computed-1.0.gemspec":  {Data: []byte("Gem::Specification.new do |s|\n  s.name = NAME\n  s.version = VERSION\nend\n")},
		"usr/local/bundle/specifications/badname-1.0.gemspec":   {Data: []byte("Gem::Specification.new do |s|\n  s.name = \"bad name\"\n  s.version = \"1.0\"\nend\n")},
		"usr/local/bundle/specifications/weirdplat-1.0.gemspec": {Data: []byte("Gem::Specification.new do |s|\n  s.name = \"weird\"\n  s.version = \"1.0\"\n  s.platform = \"x86 linux\"\nend\n")},
		"srv/app/Gemfile.lock":                                  {Data: []byte("{\"not\": \"a lockfile\"}\n")},
		"srv/other/Gemfile.lock":                                {Data: []byte("GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.4)\n    broken\n    bad name (1.0)\n    json (not-a-version)\n")},
	}
	pkgs, warns := runCataloger(t, NewInstalled(), fsys)
	want := []string{
		"gem-installed: /usr/local/bundle/specifications/badname-1.0.gemspec: no valid name and version (\"bad name\", \"1.0\")",
		"gem-installed: /usr/local/bundle/specifications/computed-1.0.gemspec: no literal name and version",
		"gem-installed: /usr/local/bundle/specifications/garbage-1.0.gemspec: no literal name and version",
		"gem-installed: /usr/local/bundle/specifications/weirdplat-1.0.gemspec: platform \"x86 linux\" ignored",
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("installed warnings (-want +got):\n%s", diff)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.PURL)
	}
	if diff := cmp.Diff([]string{"pkg:gem/rake@13.0.6", "pkg:gem/weird@1.0"}, got); diff != "" {
		t.Errorf("installed packages (-want +got):\n%s", diff)
	}

	pkgs, warns = runCataloger(t, NewLock(), fsys)
	want = []string{
		"gem-lock: /srv/app/Gemfile.lock: not a Gemfile.lock: no GEM, GIT or PATH section",
		"gem-lock: /srv/other/Gemfile.lock: 3 gem entries skipped, the first \"broken\"",
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("lock warnings (-want +got):\n%s", diff)
	}
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:gem/rack@2.2.4" {
		t.Errorf("lock packages = %v, want rack alone", rows(pkgs))
	}
}
