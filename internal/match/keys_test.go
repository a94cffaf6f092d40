package match

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// recorder is a Source that remembers what it was asked.
type recorder struct{ asked map[vulndb.Key]bool }

func (r *recorder) Affecting(_ context.Context, eco, pkg string) ([]vulndb.Match, error) {
	r.asked[vulndb.Key{Ecosystem: eco, Package: vulndb.NormalizeName(eco, pkg)}] = true
	return nil, nil
}

// TestKeysAreWhatMatchAsks checks Keys against the lookups Match really
// makes: an index built from Keys must find every package Match would
// evaluate, and nothing Match never asks for.
func TestKeysAreWhatMatchAsks(t *testing.T) {
	lang := []sbom.Package{
		{Ecosystem: sbom.PyPI, Name: "Django_Rest.Framework", Version: "3.14.0"},
		{Ecosystem: sbom.Composer, Name: "Symfony/HTTP-Kernel", Version: "v6.4.1"},
		{Ecosystem: sbom.Golang, Name: "golang.org/x/net", Version: "v0.17.0"},
		{Ecosystem: sbom.Golang, Name: "example.com/app", Version: "(devel)"},
		{Ecosystem: sbom.NuGet, Name: "Newtonsoft.Json", Version: "13.0.1"},
		{Ecosystem: sbom.NPM, Name: "@babel/core", Version: "7.0.0"},
		{Ecosystem: sbom.Generic, Name: "busybox", Version: "1.36.1"},
	}
	tests := []struct {
		name   string
		distro *sbom.Distro
		pkgs   []sbom.Package
	}{
		{"debian", &sbom.Distro{ID: "debian", VersionID: "12"}, []sbom.Package{
			{Ecosystem: sbom.Deb, Name: "libssl3", Version: "3.0.11-1~deb12u2", SourceName: "openssl", SourceVersion: "3.0.11-1~deb12u2"},
			{Ecosystem: sbom.Deb, Name: "bash", Version: "5.2.15-2+b2"},
		}},
		{"debian-codename", &sbom.Distro{ID: "debian", Codename: "bookworm"}, []sbom.Package{{Ecosystem: sbom.Deb, Name: "zlib1g", Version: "1", SourceName: "zlib"}}},
		{"ubuntu", &sbom.Distro{ID: "ubuntu", VersionID: "22.04"}, []sbom.Package{{Ecosystem: sbom.Deb, Name: "libc6", Version: "2.35-0ubuntu3", SourceName: "glibc"}}},
		{"alpine", &sbom.Distro{ID: "alpine", VersionID: "3.20.3"}, []sbom.Package{{Ecosystem: sbom.APK, Name: "libcrypto3", Version: "3.3.2-r0", SourceName: "openssl"}}},
		{"rhel", &sbom.Distro{ID: "rhel", VersionID: "9.4"}, []sbom.Package{{Ecosystem: sbom.RPM, Name: "openssl-libs", Version: "3.0.7-27.el9", SourceName: "openssl"}}},
		{"sles", &sbom.Distro{ID: "sles", VersionID: "15.6"}, []sbom.Package{
			{Ecosystem: sbom.RPM, Name: "libxml2-2", Version: "2.10.3-150500.5.20.1", SourceName: "libxml2", SourceVersion: "2.10.3-150500.5.20.1"},
			{Ecosystem: sbom.RPM, Name: "bash", Version: "4.4-150400.27.3.2", SourceName: "bash"},
		}},
		{"wolfi", &sbom.Distro{ID: "wolfi"}, []sbom.Package{{Ecosystem: sbom.APK, Name: "libcrypto3", Version: "3.4.0-r1", SourceName: "openssl"}}},
		{"unsupported", &sbom.Distro{ID: "gentoo"}, []sbom.Package{{Ecosystem: sbom.Deb, Name: "x", Version: "1"}}},
		{"no-distro", nil, []sbom.Package{{Ecosystem: sbom.Deb, Name: "x", Version: "1"}}},
		{"wrong-manager", &sbom.Distro{ID: "debian", VersionID: "12"}, []sbom.Package{{Ecosystem: sbom.APK, Name: "musl", Version: "1.2"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := &sbom.Inventory{Distro: tc.distro, Packages: append(slices.Clone(tc.pkgs), lang...)}
			rec := &recorder{asked: map[vulndb.Key]bool{}}
			if _, err := Match(context.Background(), inv, rec, Options{}); err != nil {
				t.Fatal(err)
			}
			keyed := map[vulndb.Key]bool{}
			for i := range inv.Packages {
				for _, k := range Keys(inv, &inv.Packages[i]) {
					keyed[k] = true
				}
			}
			if diff := cmp.Diff(rec.asked, keyed); diff != "" {
				t.Errorf("Match asked (-) vs Keys gave (+):\n%s", diff)
			}
		})
	}
}
