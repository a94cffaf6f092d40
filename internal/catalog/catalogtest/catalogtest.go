// Package catalogtest holds what the catalogers' tests share: running a
// cataloger the way the core does, golden files, and the check that a
// fixture tree gives the same packages directly and through the whole
// pipeline.
package catalogtest

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path"
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

// Golden compares got, as indented JSON, with the file, rewriting the file
// first when update is set.
func Golden(t testing.TB, file string, got any, update bool) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if update {
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

// LoadDir reads a directory tree into a MapFS, regular files only.
func LoadDir(t testing.TB, root string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
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

// Run runs c over fsys the way the core does: Wants over every file, then
// Catalog over the wanted ones. It returns the packages and the warnings.
func Run(t testing.TB, c catalog.Cataloger, fsys fstest.MapFS) ([]sbom.Package, []string) {
	t.Helper()
	var paths []string
	kept := fstest.MapFS{}
	for p, f := range fsys {
		if f.Mode&fs.ModeDir == 0 && c.Wants(p, f.Mode, int64(len(f.Data))) {
			paths = append(paths, p)
			kept[p] = f
		}
	}
	slices.Sort(paths)
	var warns []string
	pkgs, err := c.Catalog(context.Background(), catalog.Input{FS: kept, Paths: paths, Warn: func(s string) { warns = append(warns, s) }})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs, warns
}

// CheckRootfs catalogs the tree at dir with each cataloger, once directly,
// compared with testdata/<name>.golden.json through rows, and once through
// the whole pipeline on a dir: target, which must find the same PURLs and
// warn about nothing.
func CheckRootfs[R any](t *testing.T, dir string, cs []catalog.Cataloger, rows func([]sbom.Package) R, update bool) {
	t.Helper()
	ctx := context.Background()
	fsys := LoadDir(t, dir)
	im, err := image.Open(ctx, "dir:"+dir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		t.Run(c.Name(), func(t *testing.T) {
			pkgs, warns := Run(t, c, fsys)
			if len(warns) > 0 {
				t.Errorf("warnings: %q", warns)
			}
			Golden(t, filepath.Join("testdata", c.Name()+".golden.json"), rows(pkgs), update)

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

// Extracting is a cataloger that streams its files through Extract.
type Extracting interface {
	catalog.Cataloger
	catalog.Extractor
}

// LayerBlobs returns the paths of the layer blobs of the first image of an
// OCI layout directory, in order.
func LayerBlobs(t testing.TB, layout string) []string {
	t.Helper()
	readJSON := func(path string, v any) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	blob := func(digest string) string {
		return filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
	}
	var index struct{ Manifests []struct{ Digest string } }
	readJSON(filepath.Join(layout, "index.json"), &index)
	if len(index.Manifests) == 0 {
		t.Fatalf("%s: no image in index.json", layout)
	}
	var manifest struct{ Layers []struct{ Digest string } }
	readJSON(blob(index.Manifests[0].Digest), &manifest)
	var out []string
	for _, l := range manifest.Layers {
		out = append(out, blob(l.Digest))
	}
	return out
}

// ExtractLayer streams a gzip layer blob and runs c.Extract on every
// regular file c wants, straight from the tar stream as the core does. It
// returns what Extract kept, by path; Extract errors fail the test.
func ExtractLayer(t testing.TB, c Extracting, blob string) map[string][]byte {
	t.Helper()
	f, err := os.Open(blob)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if h.Typeflag != tar.TypeReg || !c.Wants(p, h.FileInfo().Mode(), h.Size) {
			continue
		}
		data, err := c.Extract(context.Background(), p, tr, h.Size)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if data != nil {
			out[p] = data
		}
	}
	return out
}

// CatalogExtracts runs c.Catalog over what its Extract kept, keyed by
// image path, the way the core hands extracts over.
func CatalogExtracts(t testing.TB, c catalog.Cataloger, extracts map[string][]byte) ([]sbom.Package, []string) {
	t.Helper()
	fsys := fstest.MapFS{}
	var paths []string
	for p := range extracts {
		fsys[p] = &fstest.MapFile{Mode: 0o755}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var warns []string
	in := catalog.Input{
		FS:    fsys,
		Paths: paths,
		Warn:  func(s string) { warns = append(warns, s) },
		Extracted: func(p string) ([]byte, bool) {
			b, ok := extracts[p]
			return b, ok && b != nil
		},
	}
	pkgs, err := c.Catalog(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return pkgs, warns
}

// WantsAllocs fails the test when c.Wants allocates on the given paths:
// it is called for every file of every layer.
func WantsAllocs(t testing.TB, c catalog.Cataloger, paths ...string) {
	t.Helper()
	allocs := testing.AllocsPerRun(100, func() {
		for _, p := range paths {
			c.Wants(p, 0o644, 1000)
		}
	})
	if allocs != 0 {
		t.Errorf("%s: Wants allocates %v times per run", c.Name(), allocs)
	}
}

// Seeds adds to f's corpus every regular file under dir whose path ends
// with one of suffixes: the fixtures of a parser are its fuzz seeds.
func Seeds(f *testing.F, dir string, suffixes ...string) {
	f.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		for _, s := range suffixes {
			if strings.HasSuffix(p, s) {
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				f.Add(b)
				break
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// Row is a package as the simplest golden files show it.
type Row struct {
	Name, Version, PURL string
	Locations           []string
	FoundBy             string
}

// Rows projects packages on Row, for CheckRootfs.
func Rows(pkgs []sbom.Package) []Row {
	out := []Row{}
	for _, p := range pkgs {
		out = append(out, Row{Name: p.Name, Version: p.Version, PURL: p.PURL, Locations: p.Locations, FoundBy: p.FoundBy})
	}
	return out
}

// ErrString is err's message, "" for nil: for tables of wanted errors.
func ErrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
