package report

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/vigilproject/vigil/internal/sbom"
)

// fixedNow is the creation time of every golden document.
var fixedNow = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func testOptions() Options {
	return Options{ToolVersion: "0.4.0-test", Now: func() time.Time { return fixedNow }}
}

// dig makes a well-formed sha256 digest from a label, so fixtures read as
// real digests without pasting random hex.
func dig(label string) sbom.Digest {
	sum := sha256.Sum256([]byte(label))
	return sbom.Digest("sha256:" + hex.EncodeToString(sum[:]))
}

func intp(n int) *int { return &n }

// testInventory is a hand-built but realistic inventory: an application
// image on debian:12-slim (base image from its annotations) with deb
// packages that have source packages and licences, one of them declared
// only as free text, an apk and an rpm (with an epoch) copied in by a
// multi-stage build, and two warnings. Every field of the sbom types is
// set somewhere, so the schema tests see all of them.
func testInventory() *sbom.Inventory {
	l0 := sbom.LayerRef{Index: 0, DiffID: dig("diff-0")}
	l1 := sbom.LayerRef{Index: 1, DiffID: dig("diff-1")}
	l2 := sbom.LayerRef{Index: 2, DiffID: dig("diff-2")}
	status := "/var/lib/dpkg/status"
	return &sbom.Inventory{
		SchemaVersion: sbom.SchemaVersion,
		Source: sbom.Source{
			Kind:           "registry",
			Reference:      "registry.example.com/shop/web:1.4.2",
			ManifestDigest: dig("manifest"),
			ConfigDigest:   dig("config"),
			RepoDigests:    []string{"registry.example.com/shop/web@" + string(dig("manifest"))},
			Labels:         map[string]string{"org.opencontainers.image.source": "https://git.example.com/shop/web"},
			Annotations: map[string]string{
				"org.opencontainers.image.base.name":   "docker.io/library/debian:12-slim",
				"org.opencontainers.image.base.digest": string(dig("debian-12-slim")),
			},
			Created:      time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC),
			OS:           "linux",
			Architecture: "amd64",
			Variant:      "v3",
		},
		Distro: &sbom.Distro{
			ID:         "debian",
			VersionID:  "12",
			Codename:   "bookworm",
			PrettyName: "Debian GNU/Linux 12 (bookworm)",
			IDLike:     []string{"debian"},
			Source:     "/etc/os-release",
		},
		BaseImage: sbom.BaseImage{
			Source: sbom.BaseFromAnnotation,
			Name:   "docker.io/library/debian:12-slim",
			Digest: dig("debian-12-slim"),
			Layers: 1,
		},
		Layers: []sbom.Layer{
			{Index: 0, Digest: dig("blob-0"), DiffID: l0.DiffID, Size: 29126484, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", CreatedBy: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1740355200'", Base: true},
			{Index: 1, Digest: dig("blob-1"), DiffID: l1.DiffID, Size: 3145728, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", CreatedBy: "RUN apt-get install -y --no-install-recommends libcurl4"},
			{Index: 2, Digest: dig("blob-2"), DiffID: l2.DiffID, Size: 1048576, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", CreatedBy: "COPY --from=build / /"},
		},
		Packages: []sbom.Package{
			{
				Ecosystem: sbom.Deb, Name: "libc6", Version: "2.36-9+deb12u9", Arch: "amd64",
				SourceName: "glibc", SourceVersion: "2.36-9+deb12u9",
				PURL: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12&upstream=glibc",
				Licenses: []sbom.License{
					{SPDX: "LGPL-2.1-or-later", Value: "LGPL-2.1+"},
					{SPDX: "GPL-2.0-or-later", Value: "GPL-2+"},
					{SPDX: "LGPL-2.1-or-later", Value: "LGPL-2.1+"},
				},
				Locations: []string{status},
				Files:     []string{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/share/doc/libc6/copyright"},
				FoundBy:   "dpkg", Layer: l0, InBase: true,
				Dpkg: &sbom.DpkgMetadata{
					Maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>", InstalledSize: 12986,
					Status: "install ok installed", Section: "libs", Priority: "optional",
					Depends: "libgcc-s1", PreDepends: "", Provides: "libc6-x32-compat",
				},
			},
			{
				Ecosystem: sbom.Deb, Name: "bash", Version: "5.2.15-2+b7", Arch: "amd64",
				SourceName: "bash", SourceVersion: "5.2.15-2",
				PURL:      "pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2",
				Licenses:  []sbom.License{{SPDX: "GPL-3.0-or-later", Value: "GPL-3+"}},
				Locations: []string{status}, FoundBy: "dpkg", Layer: l0, InBase: true,
				Dpkg: &sbom.DpkgMetadata{Maintainer: "Matthias Klose <doko@debian.org>", InstalledSize: 7164, Status: "install ok installed", Section: "shells", Priority: "required", PreDepends: "libc6 (>= 2.36), libtinfo6 (>= 6)"},
			},
			{
				Ecosystem: sbom.Deb, Name: "libssl3", Version: "3.0.15-1~deb12u1", Arch: "amd64",
				SourceName: "openssl",
				PURL:       "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl",
				Licenses:   []sbom.License{{SPDX: "Apache-2.0", Value: "Apache-2.0"}},
				Locations:  []string{status}, FoundBy: "dpkg", Layer: l1,
			},
			{
				Ecosystem: sbom.Deb, Name: "libcurl4", Version: "7.88.1-10+deb12u8", Arch: "amd64",
				SourceName: "curl",
				PURL:       "pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u8?arch=amd64&distro=debian-12&upstream=curl",
				Licenses: []sbom.License{
					{SPDX: "curl", Value: "curl"},
					{Value: "BSD-4-Clause-UC-like (lib/krb5.c, see copyright)"},
				},
				Locations: []string{status}, FoundBy: "dpkg", Layer: l1,
			},
			{
				Ecosystem: sbom.Deb, Name: "adduser", Version: "3.134", Arch: "all",
				PURL:      "pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12",
				Locations: []string{status}, FoundBy: "dpkg", Layer: l0, InBase: true,
			},
			{
				Ecosystem: sbom.APK, Name: "musl", Version: "1.2.5-r0", Arch: "x86_64",
				SourceName: "musl",
				PURL:       "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20",
				Licenses:   []sbom.License{{SPDX: "MIT", Value: "MIT"}},
				Locations:  []string{"/lib/apk/db/installed"},
				Files:      []string{"/lib/ld-musl-x86_64.so.1"},
				FoundBy:    "apk", Layer: l2,
				APK: &sbom.APKMetadata{
					Origin: "musl", Commit: "8b6a2d8a36e5d5f1c8e1d4d6a1d2c3b4a5f60718", Maintainer: "Timo Teräs <timo.teras@iki.fi>",
					URL: "https://musl.libc.org/", Description: "the musl c library (libc) implementation",
					InstalledSize: 798720, Checksum: "Q1h0S8o5N3v2yJ8T1gXhTqz5nH0p4=",
					Depends: []string{}, Provides: []string{"so:libc.musl-x86_64.so.1=1"},
				},
			},
			{
				Ecosystem: sbom.RPM, Name: "openssl-libs", Version: "1:3.0.7-27.el9", Arch: "x86_64",
				SourceName: "openssl", SourceVersion: "1:3.0.7-27.el9",
				PURL:      "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm&distro=rhel-9.4",
				Licenses:  []sbom.License{{SPDX: "Apache-2.0", Value: "ASL 2.0"}},
				Locations: []string{"/var/lib/rpm/rpmdb.sqlite"},
				FoundBy:   "rpm", Layer: l2,
				RPM: &sbom.RPMMetadata{
					Epoch: intp(1), Version: "3.0.7", Release: "27.el9", SourceRPM: "openssl-3.0.7-27.el9.src.rpm",
					Vendor: "Red Hat, Inc.", Modularity: "", Size: 6025214,
				},
			},
		},
		Warnings: []string{
			"dpkg: /var/lib/dpkg/status stanza 212: missing Version field, skipped",
			"layerfs: /usr/lib/os-release: symlink escapes the root, refused",
		},
	}
}

// emptyInventory is what a scratch image gives: no distro, no packages,
// no layers, no base image.
func emptyInventory() *sbom.Inventory {
	return &sbom.Inventory{
		SchemaVersion: sbom.SchemaVersion,
		Source:        sbom.Source{Kind: "dir", Reference: "./rootfs"},
		BaseImage:     sbom.BaseImage{Source: sbom.BaseUnknown},
	}
}
