package all

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/layerfs"
	"github.com/vigilproject/vigil/internal/sbom"
)

// sharedImages returns ../shared/images, or skips.
func sharedImages(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = "../../../../shared"
	}
	dir = filepath.Join(dir, "images")
	if _, err := os.Stat(filepath.Join(dir, "debian-app", "index.json")); err != nil {
		t.Skipf("shared test images not found at %s (set VIGIL_SHARED): %v", dir, err)
	}
	return dir
}

// dpkgTruth reads truth/<image>.dpkg.tsv: name, version, source, source
// version, arch.
func dpkgTruth(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		// dpkg-query prints Multi-Arch: same packages as name:arch; the
		// package's name is the part before the colon.
		if name, rest, ok := strings.Cut(line, "\t"); ok {
			name, _, _ = strings.Cut(name, ":")
			line = name + "\t" + rest
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

func dpkgRows(inv *sbom.Inventory) []string {
	var out []string
	for _, p := range inv.Packages {
		if p.Ecosystem == sbom.Deb {
			out = append(out, strings.Join([]string{p.Name, p.Version, p.SourceName, p.SourceVersion, p.Arch}, "\t"))
		}
	}
	sort.Strings(out)
	return out
}

func inventory(t *testing.T, target string, cache *catalog.Cache) *sbom.Inventory {
	t.Helper()
	im, err := image.Open(context.Background(), target, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	inv, err := catalog.Inventory(context.Background(), im, catalog.Options{Catalogers: Catalogers(), Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestSharedImages checks the inventory of the real Debian images against
// the ground truth that came with them, through every target kind.
func TestSharedImages(t *testing.T) {
	dir := sharedImages(t)
	cache, err := catalog.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	minbase := inventory(t, "oci-dir:"+filepath.Join(dir, "debian-minbase"), cache)
	app := inventory(t, "oci-dir:"+filepath.Join(dir, "debian-app"), cache)

	for _, tc := range []struct {
		name string
		inv  *sbom.Inventory
	}{{"debian-minbase", minbase}, {"debian-app", app}} {
		t.Run(tc.name, func(t *testing.T) {
			want := dpkgTruth(t, filepath.Join(dir, "truth", tc.name+".dpkg.tsv"))
			if diff := cmp.Diff(want, dpkgRows(tc.inv)); diff != "" {
				t.Errorf("dpkg packages (-truth +vigil):\n%s", diff)
			}
			d := tc.inv.Distro
			if d == nil || d.ID != "debian" || d.VersionID != "12" || d.Codename != "bookworm" {
				t.Errorf("distro = %+v", d)
			}
			for _, p := range tc.inv.Packages {
				if p.PURL == "" || len(p.Locations) == 0 || p.FoundBy == "" {
					t.Errorf("%s: incomplete package %+v", p.Name, p)
				}
			}
		})
	}

	t.Run("layers and base image", func(t *testing.T) {
		if app.BaseImage.Source != sbom.BaseFromAnnotation || app.BaseImage.Layers != 1 {
			t.Fatalf("base image = %+v, want 1 layer from the annotations", app.BaseImage)
		}
		if app.Source.ManifestDigest != "sha256:8a14c6fa52ef26ba14173eebd68b05ae60d6368b7c6796bb9941293a9f518cfd" {
			t.Errorf("manifest digest = %s", app.Source.ManifestDigest)
		}
		if app.Source.Labels["org.opencontainers.image.title"] != "testbed-debian-app" || len(app.Layers) != 3 {
			t.Errorf("metadata: %+v", app.Source)
		}
		inMinbase := map[string]bool{}
		for _, p := range minbase.Packages {
			inMinbase[p.Key()] = true
		}
		for _, p := range app.Packages {
			if p.Ecosystem != sbom.Deb {
				continue
			}
			wantLayer := 1
			if inMinbase[p.Key()] {
				wantLayer = 0
			}
			if p.Layer.Index != wantLayer || p.InBase != (wantLayer == 0) || p.Layer.DiffID != app.Layers[wantLayer].DiffID {
				t.Errorf("%s %s: layer %d (base %v), want %d", p.Name, p.Version, p.Layer.Index, p.InBase, wantLayer)
			}
		}
		if minbase.BaseImage.Known() {
			t.Errorf("minbase has no base annotations, got %+v", minbase.BaseImage)
		}
	})

	t.Run("python owned by dpkg", func(t *testing.T) {
		for _, row := range tsv(t, filepath.Join(dir, "truth", "debian-app.python.tsv")) {
			// python  name  version  location  dpkg:owner
			name, ver, loc, owner := row[1], row[2], row[3], strings.TrimPrefix(row[4], "dpkg:")
			var found *sbom.Package
			for i, p := range app.Packages {
				if p.Ecosystem == sbom.PyPI && p.Name == name && p.Version == ver {
					found = &app.Packages[i]
				}
			}
			if found == nil {
				t.Errorf("python %s %s not found", name, ver)
				continue
			}
			if !strings.HasPrefix(found.OwnedBy, "pkg:deb/debian/"+owner+"@") {
				t.Errorf("python %s: owned by %q, want dpkg package %s", name, found.OwnedBy, owner)
			}
			if len(found.Locations) == 0 || !strings.HasPrefix(found.Locations[0], loc) {
				t.Errorf("python %s: locations %v, want under %s", name, found.Locations, loc)
			}
		}
	})

	t.Run("application packages", func(t *testing.T) {
		eco := map[string]sbom.Ecosystem{"golang": sbom.Golang, "npm": sbom.NPM}
		find := func(e sbom.Ecosystem, name, version, path string) bool {
			for _, p := range app.Packages {
				if p.Ecosystem != e || p.Name != name || p.Version != version {
					continue
				}
				for _, l := range p.Locations {
					if l == path || strings.HasPrefix(l, path+"/") {
						return true
					}
				}
			}
			return false
		}
		for _, row := range tsv(t, filepath.Join(dir, "truth", "debian-app.lang.tsv")) {
			if !find(eco[row[0]], row[1], row[2], row[3]) {
				t.Errorf("%s %s %s at %s: not found", row[0], row[1], row[2], row[3])
			}
		}
		// Packages that a whiteout deleted must be gone.
		for _, row := range tsv(t, filepath.Join(dir, "truth", "debian-app.absent.tsv")) {
			if find(eco[row[0]], row[1], row[2], row[3]) {
				t.Errorf("%s %s %s at %s: reported, but %s", row[0], row[1], row[2], row[3], row[4])
			}
		}
	})

	t.Run("docker-archive", func(t *testing.T) {
		tarPath := filepath.Join(tmp, "app.tar")
		writeDockerArchive(t, filepath.Join(dir, "debian-app"), tarPath)
		inv := inventory(t, "docker-archive:"+tarPath, nil)
		if diff := cmp.Diff(packageRows(app), packageRows(inv)); diff != "" {
			t.Errorf("docker-archive differs from oci-dir (-oci +docker):\n%s", diff)
		}
	})

	t.Run("registry", func(t *testing.T) {
		srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
		defer srv.Close()
		host := strings.TrimPrefix(srv.URL, "http://")
		ref, err := name.ParseReference(host + "/shared/debian-app:1")
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, layoutImage(t, filepath.Join(dir, "debian-app"))); err != nil {
			t.Fatal(err)
		}
		inv := inventory(t, "registry:"+ref.String(), nil)
		if diff := cmp.Diff(packageRows(app), packageRows(inv)); diff != "" {
			t.Errorf("registry differs from oci-dir (-oci +registry):\n%s", diff)
		}
		if inv.Source.ManifestDigest != app.Source.ManifestDigest || len(inv.Source.RepoDigests) != 1 {
			t.Errorf("source = %+v", inv.Source)
		}
	})

	t.Run("dir", func(t *testing.T) {
		root := filepath.Join(tmp, "rootfs")
		unpack(t, filepath.Join(dir, "debian-app"), root)
		inv := inventory(t, "dir:"+root, nil)
		if diff := cmp.Diff(packageRows(app), packageRows(inv)); diff != "" {
			t.Errorf("rootfs differs from the image (-image +dir):\n%s", diff)
		}
	})
}

// tsv reads a ground-truth file, skipping a header line naming columns.
func tsv(t *testing.T, file string) [][]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 && f[0] == "ecosystem" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// packageRows is what must not depend on the kind of target.
func packageRows(inv *sbom.Inventory) []string {
	var out []string
	for _, p := range inv.Packages {
		var lic []string
		for _, l := range p.Licenses {
			lic = append(lic, l.SPDX+"|"+l.Value)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s %s files=%d lic=%v", p.Ecosystem, p.Name, p.Version, p.Arch, p.PURL, strings.Join(p.Locations, ","), len(p.Files), lic))
	}
	return out
}

func writeDockerArchive(t *testing.T, layoutDir, dst string) {
	t.Helper()
	img := layoutImage(t, layoutDir)
	tag, _ := name.NewTag("example.com/debian-app:1")
	if err := tarball.WriteToFile(dst, tag, img); err != nil {
		t.Fatal(err)
	}
}

func layoutImage(t *testing.T, layoutDir string) v1.Image {
	t.Helper()
	lp, err := layout.FromPath(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// unpack extracts an image's layers into root the way a container runtime
// would: whiteouts delete, opaque directories are emptied.
func unpack(t *testing.T, layoutDir, root string) {
	t.Helper()
	im, err := image.Open(context.Background(), "oci-dir:"+layoutDir, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range im.Layers {
		rc, err := l.Open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r, err := layerfs.Decompress(rc)
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			p := path.Clean("/" + h.Name)
			dst := filepath.Join(root, filepath.FromSlash(p))
			base := path.Base(p)
			switch {
			case base == ".wh..wh..opq":
				entries, _ := os.ReadDir(filepath.Dir(dst))
				for _, e := range entries {
					os.RemoveAll(filepath.Join(filepath.Dir(dst), e.Name()))
				}
				continue
			case strings.HasPrefix(base, ".wh."):
				os.RemoveAll(filepath.Join(filepath.Dir(dst), strings.TrimPrefix(base, ".wh.")))
				continue
			}
			os.MkdirAll(filepath.Dir(dst), 0o755)
			switch h.Typeflag {
			case tar.TypeDir:
				if fi, err := os.Lstat(dst); err == nil && !fi.IsDir() {
					os.Remove(dst)
				}
				os.MkdirAll(dst, 0o755)
			case tar.TypeSymlink:
				os.RemoveAll(dst)
				if err := os.Symlink(h.Linkname, dst); err != nil {
					t.Fatal(err)
				}
			case tar.TypeLink:
				os.RemoveAll(dst)
				if err := os.Link(filepath.Join(root, filepath.FromSlash(path.Clean("/"+h.Linkname))), dst); err != nil {
					t.Fatal(err)
				}
			case tar.TypeReg:
				os.RemoveAll(dst)
				f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, h.FileInfo().Mode().Perm())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(f, tr); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
		}
		r.Close()
	}
}
