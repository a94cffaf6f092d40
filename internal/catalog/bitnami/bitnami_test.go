package bitnami

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

// bpkg is a package as the cataloger should report it.
func bpkg(name, version, arch, purl, location string, lic ...sbom.License) sbom.Package {
	return sbom.Package{
		Ecosystem: "bitnami",
		Name:      name,
		Version:   version,
		Arch:      arch,
		PURL:      purl,
		Licenses:  lic,
		Locations: []string{location},
		FoundBy:   "bitnami",
	}
}

func spdx(id string) sbom.License { return sbom.License{SPDX: id, Value: id} }

// TestImages catalogs the root filesystems under testdata/images (see
// testdata/README.md), once directly and once through the whole pipeline
// on a dir: target, which must find the same packages and warn about
// nothing.
func TestImages(t *testing.T) {
	const (
		pg17    = "/opt/bitnami/postgresql/.spdx-postgresql.spdx"
		redis   = "/opt/bitnami/redis/.spdx-redis.spdx"
		wfp     = "/opt/bitnami/common/.spdx-wait-for-port.spdx"
		legacy  = "/opt/bitnami/.bitnami_components.json"
		deb12   = "?arch=arm64&distro=debian-12"
		photon5 = "?arch=amd64&distro=photon-5"
	)
	rsal := sbom.License{Value: "RSALv2"}
	tests := []struct {
		image string
		want  []sbom.Package
	}{
		{
			// The bundled components are reported with the main one; the
			// jars Bitnami's scan found (pkg:maven) and the entry without a
			// PURL are not. gdal's licenseConcluded is NOASSERTION: its
			// licenseDeclared stands in.
			image: "postgresql",
			want: []sbom.Package{
				bpkg("gdal", "3.10.1", "arm64", "pkg:bitnami/gdal@3.10.1"+deb12, pg17, spdx("MIT")),
				bpkg("geos", "3.13.0", "arm64", "pkg:bitnami/geos@3.13.0"+deb12, pg17, spdx("LGPL-2.1-only")),
				bpkg("pgaudit", "17.0.0", "arm64", "pkg:bitnami/pgaudit@17.0.0"+deb12, pg17, spdx("PostgreSQL")),
				bpkg("pljava", "1.6.8", "arm64", "pkg:bitnami/pljava@1.6.8"+deb12, pg17, spdx("BSD-3-Clause")),
				bpkg("postgis", "3.5.1", "arm64", "pkg:bitnami/postgis@3.5.1"+deb12, pg17, spdx("GPL-2.0-or-later")),
				bpkg("postgresql", "17.2.0-8", "arm64", "pkg:bitnami/postgresql@17.2.0-8"+deb12, pg17, spdx("PostgreSQL")),
				bpkg("proj", "6.3.2", "arm64", "pkg:bitnami/proj@6.3.2"+deb12, pg17, spdx("MIT")),
			},
		},
		{
			// Redis' licence is not an SPDX one: kept as written. The
			// wait-for-port document lives in common/, the directory its
			// binary is unpacked into; its Go modules are not reported.
			image: "redis",
			want: []sbom.Package{
				bpkg("redis", "7.4.2-1", "amd64", "pkg:bitnami/redis@7.4.2-1"+photon5, redis, rsal),
				bpkg("wait-for-port", "1.0.8-12", "amd64", "pkg:bitnami/wait-for-port@1.0.8-12"+photon5, wfp, spdx("Apache-2.0")),
			},
		},
		{
			image: "postgresql-2023",
			want: []sbom.Package{
				bpkg("gdal", "3.4.3", "", "pkg:bitnami/gdal@3.4.3", pg17, spdx("MIT")),
				bpkg("geos", "3.8.3", "", "pkg:bitnami/geos@3.8.3", pg17, spdx("LGPL-2.1-only")),
				bpkg("postgresql", "15.3.0", "", "pkg:bitnami/postgresql@15.3.0", pg17, spdx("PostgreSQL")),
				bpkg("proj", "6.3.2", "", "pkg:bitnami/proj@6.3.2", pg17, spdx("MIT")),
			},
		},
		{
			image: "redis-legacy",
			want: []sbom.Package{
				bpkg("gosu", "1.14.0-7", "amd64", "pkg:bitnami/gosu@1.14.0-7?arch=amd64&distro=debian-10", legacy),
				bpkg("redis", "5.0.14-36", "amd64", "pkg:bitnami/redis@5.0.14-36?arch=amd64&distro=debian-10", legacy),
				bpkg("wait-for-port", "1.0.1-10", "amd64", "pkg:bitnami/wait-for-port@1.0.1-10?arch=amd64&distro=debian-10", legacy),
			},
		},
		{
			// The components file of the build context says redis 7.4.2-0
			// and wait-for-port 1.0.8-8 for amd64; the documents of the
			// arm64 packages actually installed win, once each.
			image: "redis-both",
			want: []sbom.Package{
				bpkg("redis", "7.4.2-1", "arm64", "pkg:bitnami/redis@7.4.2-1"+deb12, redis, rsal),
				bpkg("wait-for-port", "1.0.8-12", "arm64", "pkg:bitnami/wait-for-port@1.0.8-12"+deb12, wfp, spdx("Apache-2.0")),
			},
		},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			dir := filepath.Join("testdata", "images", tt.image)
			pkgs, warns := catalogtest.Run(t, New(), catalogtest.LoadDir(t, dir))
			if len(warns) > 0 {
				t.Errorf("warnings: %q", warns)
			}
			if diff := cmp.Diff(tt.want, pkgs); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}

			im, err := image.Open(ctx, "dir:"+dir, image.Options{})
			if err != nil {
				t.Fatal(err)
			}
			inv, err := catalog.Inventory(ctx, im, catalog.Options{Catalogers: []catalog.Cataloger{New()}})
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Warnings) > 0 {
				t.Errorf("inventory warnings: %q", inv.Warnings)
			}
			var want, got []string
			for _, p := range tt.want {
				want = append(want, p.PURL+" "+p.Locations[0])
			}
			for _, p := range inv.Packages {
				got = append(got, p.PURL+" "+p.Locations[0])
			}
			slices.Sort(want)
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("inventory packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWants(t *testing.T) {
	const (
		reg  = fs.FileMode(0o644)
		link = fs.ModeSymlink | 0o777
	)
	tests := []struct {
		path string
		mode fs.FileMode
		size int64
		want bool
	}{
		{"opt/bitnami/postgresql/.spdx-postgresql.spdx", reg, 22 << 10, true},
		{"opt/bitnami/common/.spdx-wait-for-port.spdx", reg, 6 << 10, true},
		{"opt/bitnami/node/.spdx-node.json", reg, 9 << 10, true},
		{"opt/bitnami/node/.spdx-node.spdx", link, 0, true},
		{"opt/bitnami/postgresql/.spdx-postgresql.spdx", reg, maxDocSize, true},
		{"opt/bitnami/postgresql/.spdx-postgresql.spdx", reg, maxDocSize + 1, false},
		{"opt/bitnami/postgresql/.spdx-postgresql.spdx", reg, 50 << 20, false},
		{"opt/bitnami/postgresql/.spdx-postgresql.spdx", fs.ModeDir | 0o755, 0, false},
		{"opt/bitnami/postgresql/.spdx-postgresql.spdx", fs.ModeNamedPipe | 0o644, 0, false},
		{"opt/bitnami/postgresql/.spdx-postgresql.spdx", reg, -1, false},
		{"opt/bitnami/.bitnami_components.json", reg, 664, true},
		{"opt/bitnami/.bitnami_components.json", link, 0, true},
		{"opt/bitnami/.bitnami_components.json", reg, 50 << 20, false},
		{"opt/bitnami/redis/.bitnami_components.json", reg, 664, false},
		{"opt/bitnami/.bitnami_components.json.bak", reg, 664, false},
		{"opt/bitnami/.spdx-postgresql.spdx", reg, 1000, false},
		{"opt/bitnami/postgresql/share/.spdx-postgis.spdx", reg, 1000, false},
		{"opt/bitnami/postgresql/.spdx-.spdx", reg, 1000, false},
		{"opt/bitnami/postgresql/.spdx-postgresql.spdx.bak", reg, 1000, false},
		{"opt/bitnami/postgresql/.spdx-postgresql.txt", reg, 1000, false},
		{"opt/bitnami/postgresql/spdx-postgresql.spdx", reg, 1000, false},
		{"opt/bitnami/postgresql/postgresql.spdx.json", reg, 1000, false},
		{"bitnami/postgresql/.spdx-postgresql.spdx", reg, 1000, false},
		{"srv/opt/bitnami/postgresql/.spdx-postgresql.spdx", reg, 1000, false},
		{"opt/bitnami", reg, 1000, false},
		{"opt/bitnami/postgresql/bin/postgres", 0o755, 10 << 20, false},
		{"usr/share/doc/redis/copyright", reg, 1000, false},
	}
	c := New()
	for _, tt := range tests {
		if got := c.Wants(tt.path, tt.mode, tt.size); got != tt.want {
			t.Errorf("Wants(%q, %v, %d) = %v, want %v", tt.path, tt.mode, tt.size, got, tt.want)
		}
	}
	catalogtest.WantsAllocs(t, c,
		"opt/bitnami/postgresql/.spdx-postgresql.spdx", "opt/bitnami/.bitnami_components.json",
		"opt/bitnami/postgresql/share/.spdx-postgis.spdx", "usr/lib/x86_64-linux-gnu/libssl.so.3")
}
