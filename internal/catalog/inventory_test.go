package catalog_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/dpkg"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

func stanza(name, version string) string {
	return "Package: " + name + "\nStatus: install ok installed\nVersion: " + version + "\nArchitecture: amd64\n\n"
}

func layer(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	tw.Close()
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testImage: layer 0 installs a=1 and b=1; layer 1 upgrades b and adds c;
// layer 2 only touches an unrelated file.
func testImage(t *testing.T, ann map[string]string) (string, []sbom.Digest) {
	t.Helper()
	osRelease := "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"
	l0 := layer(t, map[string]string{"etc/os-release": osRelease, "var/lib/dpkg/status": stanza("a", "1") + stanza("b", "1")})
	l1 := layer(t, map[string]string{"var/lib/dpkg/status": stanza("a", "1") + stanza("b", "2") + stanza("c", "1")})
	l2 := layer(t, map[string]string{"app/main": "binary"})
	img, err := mutate.AppendLayers(empty.Image, l0, l1, l2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(ann)); err != nil {
		t.Fatal(err)
	}
	var ids []sbom.Digest
	for _, l := range []v1.Layer{l0, l1, l2} {
		d, _ := l.DiffID()
		ids = append(ids, sbom.Digest(d.String()))
	}
	return dir, ids
}

type row struct {
	Name, Version string
	Layer         int
	InBase        bool
}

func rows(inv *sbom.Inventory) []row {
	var out []row
	for _, p := range inv.Packages {
		out = append(out, row{p.Name, p.Version, p.Layer.Index, p.InBase})
	}
	return out
}

func run(t *testing.T, target string, opt catalog.Options) *sbom.Inventory {
	t.Helper()
	im, err := image.Open(context.Background(), target, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	opt.Catalogers = []catalog.Cataloger{dpkg.New()}
	inv, err := catalog.Inventory(context.Background(), im, opt)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestLayerAttributionAndBase(t *testing.T) {
	dir, ids := testImage(t, nil)
	t.Run("no base", func(t *testing.T) {
		inv := run(t, "oci-dir:"+dir, catalog.Options{})
		want := []row{{"a", "1", 0, false}, {"b", "2", 1, false}, {"c", "1", 1, false}}
		if diff := cmp.Diff(want, rows(inv)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if inv.BaseImage.Source != sbom.BaseUnknown {
			t.Errorf("base = %+v", inv.BaseImage)
		}
	})
	t.Run("base from flag", func(t *testing.T) {
		inv := run(t, "oci-dir:"+dir, catalog.Options{Base: &catalog.UserBase{Name: "base", DiffIDs: ids[:1]}})
		want := []row{{"a", "1", 0, true}, {"b", "2", 1, false}, {"c", "1", 1, false}}
		if diff := cmp.Diff(want, rows(inv)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !inv.Layers[0].Base || inv.Layers[1].Base || inv.BaseImage.Source != sbom.BaseFromFlag {
			t.Errorf("layers %+v base %+v", inv.Layers, inv.BaseImage)
		}
	})
	t.Run("base flag that does not match", func(t *testing.T) {
		inv := run(t, "oci-dir:"+dir, catalog.Options{Base: &catalog.UserBase{Name: "other", DiffIDs: []sbom.Digest{"sha256:00"}}})
		if inv.BaseImage.Layers != 0 || len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "other") {
			t.Errorf("base %+v warnings %q", inv.BaseImage, inv.Warnings)
		}
	})
	t.Run("annotation that cannot be resolved", func(t *testing.T) {
		adir, _ := testImage(t, map[string]string{image.AnnotationBaseName: "example.com/base:1", image.AnnotationBaseDigest: "sha256:" + strings.Repeat("b", 64)})
		inv := run(t, "oci-dir:"+adir, catalog.Options{})
		if inv.BaseImage.Known() || inv.BaseImage.Name != "example.com/base:1" {
			t.Errorf("base = %+v", inv.BaseImage)
		}
		if len(inv.Warnings) != 1 || !strings.Contains(inv.Warnings[0], "--base-image") {
			t.Errorf("warnings = %q", inv.Warnings)
		}
	})
}

func TestCache(t *testing.T) {
	dir, _ := testImage(t, nil)
	cacheDir := t.TempDir()
	cache, err := catalog.OpenCache(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var cached int
	progress := func(p catalog.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Cached {
			cached++
		}
	}
	cold := run(t, "oci-dir:"+dir, catalog.Options{Cache: cache, Progress: progress})
	if cached != 0 {
		t.Fatalf("%d cache hits on a cold cache", cached)
	}
	warm := run(t, "oci-dir:"+dir, catalog.Options{Cache: cache, Progress: progress})
	if cached != 3 {
		t.Errorf("%d cache hits, want 3", cached)
	}
	if diff := cmp.Diff(cold, warm); diff != "" {
		t.Errorf("cached inventory differs (-cold +warm):\n%s", diff)
	}

	// Damaged entries are misses, never errors.
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "layers", "*"))
	if len(entries) != 3 {
		t.Fatalf("%d cache entries, want 3", len(entries))
	}
	os.WriteFile(entries[0], []byte("garbage"), 0o644)
	os.Truncate(entries[1], 10)
	cached = 0
	damaged := run(t, "oci-dir:"+dir, catalog.Options{Cache: cache, Progress: progress})
	if cached != 1 {
		t.Errorf("%d cache hits with two damaged entries, want 1", cached)
	}
	if diff := cmp.Diff(cold, damaged); diff != "" {
		t.Errorf("inventory with a damaged cache differs:\n%s", diff)
	}
}

func TestDistroless(t *testing.T) {
	l := layer(t, map[string]string{
		"etc/os-release":                "ID=debian\nVERSION_ID=\"12\"\n",
		"var/lib/dpkg/status.d/libssl3": "Package: libssl3\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\nSource: openssl\n",
		"var/lib/dpkg/status.d/base":    "Package: base-files\nVersion: 12.4+deb12u7\nArchitecture: amd64\n",
	})
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lp, _ := layout.Write(dir, empty.Index)
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	inv := run(t, "oci-dir:"+dir, catalog.Options{})
	if inv.Distro == nil || !inv.Distro.Distroless || len(inv.Packages) != 2 {
		t.Fatalf("distro %+v, %d packages", inv.Distro, len(inv.Packages))
	}
	dir2, _ := testImage(t, nil)
	if inv := run(t, "oci-dir:"+dir2, catalog.Options{}); inv.Distro.Distroless {
		t.Error("an image with /var/lib/dpkg/status is not distroless")
	}
}
