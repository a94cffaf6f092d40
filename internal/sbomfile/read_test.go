package sbomfile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/report"
	"github.com/vigilproject/vigil/internal/sbom"
)

func fixtureInventory() *sbom.Inventory {
	return &sbom.Inventory{
		SchemaVersion: sbom.SchemaVersion,
		Source:        sbom.Source{Kind: "registry", Reference: "example.com/app:1"},
		Distro:        &sbom.Distro{ID: "debian", VersionID: "12", Codename: "bookworm"},
		BaseImage:     sbom.BaseImage{Source: sbom.BaseUnknown},
		Layers:        []sbom.Layer{{Index: 0, DiffID: "sha256:aa"}},
		Packages: []sbom.Package{
			{Ecosystem: sbom.Deb, Name: "libssl3", Version: "3.0.13-1~deb12u1", Arch: "amd64", SourceName: "openssl", SourceVersion: "3.0.13-1~deb12u1",
				PURL: "pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl", FoundBy: "dpkg", Locations: []string{"/var/lib/dpkg/status"}},
			{Ecosystem: sbom.Deb, Name: "bash", Version: "5.2.15-2+b2", Arch: "amd64", SourceName: "bash", SourceVersion: "5.2.15-2",
				PURL: "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2", FoundBy: "dpkg", Locations: []string{"/var/lib/dpkg/status"}},
			{Ecosystem: sbom.Golang, Name: "golang.org/x/net", Version: "v0.23.0", PURL: "pkg:golang/golang.org/x/net@v0.23.0", FoundBy: "gobinary", Locations: []string{"/app"}},
			{Ecosystem: sbom.NPM, Name: "@babel/core", Version: "7.24.0", PURL: "pkg:npm/%40babel/core@7.24.0", FoundBy: "npm", Locations: []string{"/app/package-lock.json"}},
			{Ecosystem: sbom.Maven, Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", FoundBy: "java", Locations: []string{"/app/app.jar"}},
			{Ecosystem: sbom.PyPI, Name: "requests", Version: "2.31.0", PURL: "pkg:pypi/requests@2.31.0", FoundBy: "python", Locations: []string{"/usr/lib/python3/dist-packages"}},
			{Ecosystem: sbom.Composer, Name: "monolog/monolog", Version: "3.5.0", PURL: "pkg:composer/monolog/monolog@3.5.0", FoundBy: "composer", Locations: []string{"/app/composer.lock"}},
			{Ecosystem: sbom.Generic, Name: "node", Version: "20.11.1", PURL: "pkg:generic/node@20.11.1", FoundBy: "runtime", Locations: []string{"/usr/local/bin/node"}},
		},
	}
}

// essentials keeps the fields every SBOM format carries, in a stable order.
type essential struct {
	Ecosystem                 sbom.Ecosystem
	Name, Version, Arch       string
	SourceName, SourceVersion string
	PURL                      string
}

func essentials(inv *sbom.Inventory) map[string]essential {
	out := map[string]essential{}
	for _, p := range inv.Packages {
		out[p.Key()] = essential{p.Ecosystem, p.Name, p.Version, p.Arch, p.SourceName, p.SourceVersion, p.PURL}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	now := func() time.Time { return time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC) }
	for _, format := range []string{report.FormatJSON, report.FormatCycloneDX, report.FormatSPDX} {
		t.Run(format, func(t *testing.T) {
			want := fixtureInventory()
			var buf bytes.Buffer
			if err := report.WriteInventory(&buf, want, format, report.Options{Now: now}); err != nil {
				t.Fatal(err)
			}
			got, err := Read(context.Background(), "sbom."+format, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(essentials(want), essentials(got)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if got.Distro == nil || got.Distro.ID != "debian" || got.Distro.VersionID != "12" {
				t.Errorf("distro = %+v, want debian 12", got.Distro)
			}
			if format != report.FormatJSON && got.Source.Kind != "sbom" {
				t.Errorf("source kind = %q, want sbom", got.Source.Kind)
			}
		})
	}
}

func TestRoundTripCycloneDXProperties(t *testing.T) {
	want := fixtureInventory()
	want.Packages[0].Layer = sbom.LayerRef{Index: 2, DiffID: "sha256:bb"}
	var buf bytes.Buffer
	if err := report.WriteInventory(&buf, want, report.FormatCycloneDX, report.Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), "x.cdx.json", &buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got.Packages {
		if p.Name != "libssl3" {
			continue
		}
		if diff := cmp.Diff(want.Packages[0].Layer, p.Layer); diff != "" {
			t.Errorf("layer (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"/var/lib/dpkg/status"}, p.Locations); diff != "" {
			t.Errorf("locations (-want +got):\n%s", diff)
		}
		if p.FoundBy != "sbom" {
			t.Errorf("foundBy = %q", p.FoundBy)
		}
		return
	}
	t.Fatal("libssl3 not read back")
}

func TestFixtures(t *testing.T) {
	tests := []struct {
		file   string
		distro *sbom.Distro
		want   []essential
		lic    map[string][]sbom.License
	}{
		{
			file:   "alpine.cdx.xml",
			distro: &sbom.Distro{ID: "alpine", VersionID: "3.20.3", Source: "CycloneDX operating-system component"},
			want: []essential{
				{sbom.APK, "libcrypto3", "3.3.2-r0", "x86_64", "openssl", "3.3.2-r0", "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3&upstream=openssl"},
				{sbom.NPM, "@scope/pkg", "1.0.0", "", "", "", "pkg:npm/%40scope/pkg@1.0.0"},
			},
			lic: map[string][]sbom.License{"libcrypto3": {{SPDX: "Apache-2.0", Value: "Apache-2.0"}}, "@scope/pkg": {{Value: "Custom"}}},
		},
		{
			file:   "rocky.spdx",
			distro: &sbom.Distro{ID: "rocky", VersionID: "9.3", Source: "purl distro qualifier"},
			want: []essential{
				{sbom.RPM, "openssl-libs", "1:3.0.7-25.el9_3", "x86_64", "openssl", "1:3.0.7-25.el9_3", "pkg:rpm/rocky/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=rocky-9.3&epoch=1&upstream=openssl-3.0.7-25.el9_3.src.rpm"},
				{sbom.Cargo, "serde", "1.0.200", "", "", "", "pkg:cargo/serde@1.0.200"},
			},
			lic: map[string][]sbom.License{"openssl-libs": {{SPDX: "Apache-2.0", Value: "Apache-2.0"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			inv, err := Read(context.Background(), tt.file, f)
			if err != nil {
				t.Fatal(err)
			}
			var got []essential
			lic := map[string][]sbom.License{}
			for _, p := range inv.Packages {
				got = append(got, essential{p.Ecosystem, p.Name, p.Version, p.Arch, p.SourceName, p.SourceVersion, p.PURL})
				if p.Licenses != nil {
					lic[p.Name] = p.Licenses
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.lic, lic); diff != "" {
				t.Errorf("licences (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.distro, inv.Distro); diff != "" {
				t.Errorf("distro (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVigilNewerSchema(t *testing.T) {
	_, err := Read(context.Background(), "future.json", strings.NewReader(`{"schemaVersion": 99, "packages": []}`))
	if err == nil || !strings.Contains(err.Error(), "future.json") || !strings.Contains(err.Error(), "99") {
		t.Fatalf("err = %v, want a refusal naming the file and version", err)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name, input string
		is          error
	}{
		{"empty.json", "", ErrUnknownFormat},
		{"text.txt", "hello world", ErrUnknownFormat},
		{"other.json", `{"hello": "world"}`, ErrUnknownFormat},
		{"truncated.json", `{"bomFormat": "CycloneDX", "components": [`, nil},
		{"deep.json", strings.Repeat("[", 200000), nil},
		{"deep.xml", strings.Repeat("<a>", 200000), nil},
		{"array.json", `[1,2]`, ErrUnknownFormat},
		{"html.xml", `<html><body/></html>`, nil},
		{"trailing.json", `{"schemaVersion": 1, "packages": []} {}`, nil},
		{"badversion.json", `{"schemaVersion": "one", "packages": []}`, nil},
		{"badpackages.json", `{"schemaVersion": 1, "packages": {"name": 1}}`, nil},
		{"unclosed.json", `{"schemaVersion": 1, "packages": [`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(context.Background(), tt.name, strings.NewReader(tt.input))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("error %q does not name the file", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

// endless yields spaces for ever: Read must stop at MaxSize.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestTooLarge(t *testing.T) {
	_, err := Read(context.Background(), "huge.json", io.MultiReader(strings.NewReader("{"), endless{}))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "huge.json") {
		t.Fatalf("err = %v, want ErrTooLarge naming the file", err)
	}
}

// TestVigilJSONExact reads Vigil's own JSON back field for field, with
// everything an inventory can hold, as encoding/json would have.
func TestVigilJSONExact(t *testing.T) {
	want := fixtureInventory()
	want.Source.ManifestDigest = sbom.Digest("sha256:" + strings.Repeat("ab", 32))
	want.BaseImage = sbom.BaseImage{Source: sbom.BaseFromAnnotation, Name: "debian:12", Digest: sbom.Digest("sha256:" + strings.Repeat("cd", 32)), Layers: 1}
	want.Layers = append(want.Layers, sbom.Layer{Index: 1, DiffID: "sha256:bb", Base: true})
	want.Packages[0].Layer = sbom.LayerRef{Index: 1, DiffID: "sha256:bb"}
	want.Packages[0].InBase = true
	want.Packages[0].Licenses = []sbom.License{{SPDX: "Apache-2.0", Value: "Apache 2"}, {Value: "\u00e9t\u00e9 \u2603"}}
	var buf bytes.Buffer
	if err := report.WriteInventory(&buf, want, report.FormatJSON, report.Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), "inv.json", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

// TestVigilJSONLenient keeps what encoding/json accepted: member names in
// any case, the last of duplicate names, invalid UTF-8 replaced, and a
// null package list.
func TestVigilJSONLenient(t *testing.T) {
	tests := []struct {
		name, input string
		want        []string // name@version of the packages
	}{
		{"case.json", `{"SchemaVersion": 1, "PACKAGES": [{"Name": "zlib", "VERSION": "1.3"}]}`, []string{"zlib@1.3"}},
		{"dup.json", `{"schemaVersion": 1, "packages": [{"name": "a", "name": "zlib", "version": "1"}]}`, []string{"zlib@1"}},
		{"utf8.json", "{\"schemaVersion\": 1, \"packages\": [{\"name\": \"z\xfflib\", \"version\": \"1\"}]}", []string{"z\ufffdlib@1"}},
		{"null.json", `{"schemaVersion": 1, "packages": null}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Read(context.Background(), tt.name, strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range inv.Packages {
				got = append(got, p.Name+"@"+p.Version)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}
