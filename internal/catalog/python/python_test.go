package python

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// row is a package as the golden files show it: the file lists are
// summarised to keep them readable.
type row struct {
	Name, Version, PURL string
	Licenses            []sbom.License `json:",omitempty"`
	Locations           []string
	Dev                 bool     `json:",omitempty"`
	FoundBy             string   `json:",omitempty"`
	Files               int      `json:",omitempty"`
	SomeFiles           []string `json:",omitempty"`
}

func rows(pkgs []sbom.Package) []row {
	out := []row{}
	for _, p := range pkgs {
		r := row{Name: p.Name, Version: p.Version, PURL: p.PURL, Licenses: p.Licenses, Locations: p.Locations, Dev: p.Dev, FoundBy: p.FoundBy, Files: len(p.Files)}
		// The first files and the last, where RECORD's "../../../bin"
		// entries and the dist-info itself sort.
		if len(p.Files) <= 4 {
			r.SomeFiles = p.Files
		} else {
			r.SomeFiles = append(append([]string{}, p.Files[:2]...), p.Files[len(p.Files)-2:]...)
		}
		out = append(out, r)
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

// TestRootfs catalogs testdata/rootfs (real distributions and lockfiles,
// see testdata/README.md), once directly, compared with the golden files,
// and once through the whole pipeline, which must find the same packages.
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
			want = slices.Compact(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("inventory packages (-direct +inventory):\n%s", diff)
			}
		})
	}
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

// TestSharedImage checks the installed cataloger against the ground truth
// of the shared debian-app image: the distributions dpkg installed in
// /usr/lib/python3/dist-packages.
func TestSharedImage(t *testing.T) {
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = "../../../../shared"
	}
	truth := filepath.Join(dir, "images", "truth", "debian-app.python.tsv")
	f, err := os.Open(truth)
	if err != nil {
		t.Skipf("shared test images not found at %s (set VIGIL_SHARED): %v", dir, err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// python, name, version, metadata directory, owner
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) >= 4 && fields[0] == "python" {
			want = append(want, fields[1]+"="+fields[2]+" "+fields[3])
		}
	}
	ctx := context.Background()
	im, err := image.Open(ctx, "oci-dir:"+filepath.Join(dir, "images", "debian-app"), image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := catalog.Inventory(ctx, im, catalog.Options{Catalogers: []catalog.Cataloger{NewInstalled(), NewLock()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range inv.Warnings {
		if strings.HasPrefix(w, "python") {
			t.Errorf("warning: %s", w)
		}
	}
	var got []string
	for _, p := range inv.Packages {
		if p.Ecosystem != sbom.PyPI {
			continue
		}
		// The truth names the metadata directory; Vigil names the file in
		// it that dpkg lists, or the file-form egg-info itself.
		loc := p.Locations[0]
		if base := filepath.Base(loc); base == "METADATA" || base == "PKG-INFO" {
			loc = filepath.Dir(loc)
		}
		got = append(got, p.Name+"="+p.Version+" "+loc)
		if p.Layer.Index != 1 {
			t.Errorf("%s: layer %d, want 1", p.Name, p.Layer.Index)
		}
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("python packages (-want +got):\n%s", diff)
	}
}
