package runtime

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/bitnami"
	"github.com/vigilproject/vigil/internal/catalog/dpkg"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

// TestInventory runs the cataloger through the core on a root filesystem
// where dpkg owns one copy of nginx, Bitnami installed another and a third
// was copied in by hand: only the third is news. A link to a binary is not
// read twice.
func TestInventory(t *testing.T) {
	root := t.TempDir()
	write := func(p string, data []byte, mode os.FileMode) {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	fixture := func(p string) []byte {
		r, _ := openFixture(t, p)
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	nginx := fixture("testdata/bin/nginx.gz")
	write("var/lib/dpkg/status", []byte("Package: nginx\nStatus: install ok installed\nVersion: 1.22.1-9+deb12u11\nArchitecture: amd64\n\n"), 0o644)
	write("var/lib/dpkg/info/nginx.list", []byte("/.\n/usr\n/usr/sbin\n/usr/sbin/nginx\n"), 0o644)
	write("usr/sbin/nginx", nginx, 0o755)
	write("opt/nginx/sbin/nginx", nginx, 0o755)
	write("opt/bitnami/nginx/sbin/nginx", nginx, 0o755)
	write("opt/bitnami/nginx/.spdx-nginx.spdx", []byte(`{"spdxVersion": "SPDX-2.3", "packages": [{"name": "nginx", "versionInfo": "1.22.1-3",
		"externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:bitnami/nginx@1.22.1-3?arch=amd64&distro=debian-12"}]}]}`), 0o644)
	write("usr/local/bin/busybox", fixture("testdata/bin/busybox.gz"), 0o755)
	write("usr/local/go/VERSION", fixture("testdata/versionfiles/go1.26.8/VERSION"), 0o644)
	if err := os.Symlink("/usr/local/bin/busybox", filepath.Join(root, "usr/local/bin/busybox-link")); err != nil {
		t.Fatal(err)
	}

	im, err := image.Open(context.Background(), "dir:"+root, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := catalog.Inventory(context.Background(), im, catalog.Options{Catalogers: []catalog.Cataloger{dpkg.New(), bitnami.New(), New()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) > 0 {
		t.Errorf("warnings: %q", inv.Warnings)
	}
	type row struct{ Name, Version, PURL, Locations, FoundBy string }
	var got []row
	for _, p := range inv.Packages {
		got = append(got, row{p.Name, p.Version, p.PURL, strings.Join(p.Locations, " "), p.FoundBy})
	}
	want := []row{
		{"busybox", "1.35.0", "pkg:generic/busybox@1.35.0", "/usr/local/bin/busybox", "runtime-binary"},
		{"go", "1.26.8", "pkg:generic/go@1.26.8", "/usr/local/go/VERSION", "runtime-binary"},
		{"nginx", "1.22.1-3", "pkg:bitnami/nginx@1.22.1-3?arch=amd64&distro=debian-12", "/opt/bitnami/nginx/.spdx-nginx.spdx", "bitnami"},
		{"nginx", "1.22.1-9+deb12u11", "pkg:deb/debian/nginx@1.22.1-9%2Bdeb12u11?arch=amd64", "/var/lib/dpkg/status", "dpkg"},
		{"nginx", "1.22.1", "pkg:generic/nginx@1.22.1", "/opt/nginx/sbin/nginx", "runtime-binary"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

// sharedDir locates the project's shared test data: $VIGIL_SHARED, or
// shared/ beside the repository.
func sharedDir(t *testing.T) string {
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "images", "debian-app", "index.json")); err != nil {
		t.Skipf("shared test images not found under %s (set VIGIL_SHARED): %v", dir, err)
	}
	return dir
}

// TestDebianApp checks the shared debian-app image: its Python and
// OpenSSL are found in the binaries dpkg installed, with dpkg's upstream
// versions (truth/debian-app.dpkg.tsv), and the inventory drops them, as
// dpkg owns them.
func TestDebianApp(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses the shared image")
	}
	shared := sharedDir(t)
	layout := filepath.Join(shared, "images", "debian-app")
	truth := map[string]string{}
	b, err := os.ReadFile(filepath.Join(shared, "images", "truth", "debian-app.dpkg.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		truth[strings.Split(f[0], ":")[0]] = upstreamVersion(f[1])
	}

	// What the cataloger finds in the layer that installed them, the
	// second.
	pkgs, warns := catalogtest.CatalogExtracts(t, New(), catalogtest.ExtractLayer(t, New(), catalogtest.LayerBlobs(t, layout)[1]))
	if len(warns) > 0 {
		t.Errorf("warnings: %q", warns)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Name+"@"+p.Version+" "+p.Locations[0])
	}
	want := []string{
		"openssl@" + truth["openssl"] + " /usr/bin/openssl",
		"openssl@" + truth["libssl3"] + " /usr/lib/x86_64-linux-gnu/libcrypto.so.3",
		"python@" + truth["python3.11-minimal"] + " /usr/bin/python3.11",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}

	// What the inventory keeps of them: nothing.
	im, err := image.Open(context.Background(), "oci-dir:"+layout, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := catalog.Inventory(context.Background(), im, catalog.Options{Catalogers: []catalog.Cataloger{dpkg.New(), New()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range inv.Packages {
		if p.Ecosystem == sbom.Generic {
			t.Errorf("%s@%s at %v kept, though dpkg owns it", p.Name, p.Version, p.Locations)
		}
	}
	for _, w := range inv.Warnings {
		if strings.Contains(w, "runtime-binary") {
			t.Errorf("warning: %s", w)
		}
	}
}
