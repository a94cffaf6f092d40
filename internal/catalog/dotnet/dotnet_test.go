package dotnet

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
	Locations           []string
	FoundBy             string
}

func rows(pkgs []sbom.Package) []row {
	out := []row{}
	for _, p := range pkgs {
		out = append(out, row{Name: p.Name, Version: p.Version, PURL: p.PURL, Locations: p.Locations, FoundBy: p.FoundBy})
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

// TestRootfs catalogs testdata/rootfs (real deps.json and packages.lock.json files,
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
	for _, c := range []catalog.Cataloger{NewDeps(), NewLock()} {
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
