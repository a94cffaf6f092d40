package images_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// advisoryDB builds a vulnerability database with the Debian tracker's
// verdicts for two CVEs of Debian 12, shaped as the tracker states them.
func advisoryDB(t *testing.T) *vulndb.DB {
	t.Helper()
	ctx := context.Background()
	db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "vuln.db"), vulndb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	advs := []advisory.Advisory{
		{ID: "CVE-2024-5535", Source: "debian", Summary: "SSL_select_next_proto buffer overread",
			Severity: []advisory.Score{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H", Base: 9.1, Source: "nvd"}, {Type: "distro", Vector: "high", Source: "debian"}},
			Affected: []advisory.Affected{{Ecosystem: "Debian:12", Package: "openssl", Status: advisory.StatusAffected,
				Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "3.0.14-1~deb12u1"}}}}}}},
		{ID: "CVE-2023-38545", Source: "debian", Aliases: []string{"DSA-5587-1"}, Summary: "SOCKS5 heap buffer overflow",
			Affected: []advisory.Affected{{Ecosystem: "Debian:12", Package: "curl", Status: advisory.StatusAffected,
				Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "7.88.1-10+deb12u4"}}}}}}},
	}
	seq := func(yield func(advisory.Advisory, error) bool) {
		for _, a := range advs {
			if !yield(a, nil) {
				return
			}
		}
	}
	if _, err := db.Apply(ctx, feed.Batch{Source: "debian", Full: true, Advisories: seq}, feed.SourceState{Source: "debian"}); err != nil {
		t.Fatal(err)
	}
	return db
}

func service(t *testing.T, dsn string, adv *vulndb.DB) *images.Service {
	t.Helper()
	st := storetest.Open(t, dsn, store.Options{})
	svc, err := images.New(images.Config{Store: st, Advisories: func() images.Advisories { return adv }})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func vigilSBOM(t *testing.T, digest string, inv *sbom.Inventory) string {
	t.Helper()
	inv.Source = sbom.Source{Kind: "registry", Reference: "registry.example/team/app:1", ManifestDigest: sbom.Digest(digest)}
	b, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestSBOMImpactAndPackages(t *testing.T) {
	adv := advisoryDB(t)
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			svc := service(t, b.DSN(t), adv)
			// A: old openssl in the base layer, fixed curl; B: fixed openssl,
			// old curl in its own layer.
			invA := storetest.Inventory(2, [3]string{"libssl3", "openssl", "3.0.11-1~deb12u2"}, [3]string{"openssl", "openssl", "3.0.11-1~deb12u2"}, [3]string{"curl", "curl", "7.88.1-10+deb12u5"})
			invB := storetest.Inventory(1, [3]string{"libssl3", "openssl", "3.0.15-1~deb12u1"}, [3]string{"libcurl4", "curl", "7.88.1-10+deb12u3"})
			imA, err := svc.AddSBOM(ctx, images.SBOMUpload{Body: strings.NewReader(vigilSBOM(t, digestA, invA)), Wait: true})
			if err != nil {
				t.Fatal(err)
			}
			if imA.Digest != digestA || imA.Repository != "registry.example/team/app" || imA.Tag != "1" {
				t.Errorf("image A = %+v", imA)
			}
			if imA.Summary.High != 2 || imA.Summary.Fixable != 2 || imA.Assessed.IsZero() || imA.DBVersion == 0 {
				t.Errorf("image A summary %+v assessed %v db %d: want two fixable highs (CVE-2024-5535 in libssl3 and openssl)", imA.Summary, imA.Assessed, imA.DBVersion)
			}
			if _, err := svc.AddSBOM(ctx, images.SBOMUpload{Name: "registry.example/other:2", Body: strings.NewReader(vigilSBOM(t, digestB, invB))}); err != nil {
				t.Fatal(err)
			}
			// B is queued for assessment, not assessed yet.
			if im, err := svc.Assess(ctx, digestB); err != nil || im.Summary.Total() != 1 || im.Assessed.IsZero() {
				t.Fatalf("Assess(B) = %+v, %v", im, err)
			}
			if a, err := svc.Findings(ctx, digestB); err != nil || len(a.Findings) != 1 || a.Findings[0].ID != "CVE-2023-38545" || a.Findings[0].LayerIndex != 1 {
				t.Fatalf("Findings(B) = %+v, %v", a, err)
			}

			for _, id := range []string{"CVE-2024-5535", "cve-2024-5535", " CVE-2024-5535 "} {
				imp, err := svc.Impact(ctx, id)
				if err != nil {
					t.Fatalf("Impact(%s): %v", id, err)
				}
				want := []images.ImpactImage{{
					Digest: digestA, Repository: "registry.example/team/app", Tag: "1", Base: invA.BaseImage,
					Packages: []images.ImpactPackage{
						{Ecosystem: sbom.Deb, Name: "libssl3", Version: "3.0.11-1~deb12u2", SourceName: "openssl", SourceVersion: "3.0.11-1~deb12u2",
							PURL: invA.Packages[0].PURL, Status: advisory.StatusFixed, Fixed: []string{"3.0.14-1~deb12u1"}, FixWhere: "base-image",
							Severity: advisory.SeverityHigh, LayerIndex: 0, InBase: true, Advisory: "debian/CVE-2024-5535"},
						{Ecosystem: sbom.Deb, Name: "openssl", Version: "3.0.11-1~deb12u2", SourceName: "openssl", SourceVersion: "3.0.11-1~deb12u2",
							PURL: invA.Packages[1].PURL, Status: advisory.StatusFixed, Fixed: []string{"3.0.14-1~deb12u1"}, FixWhere: "base-image",
							Severity: advisory.SeverityHigh, LayerIndex: 0, InBase: true, Advisory: "debian/CVE-2024-5535"},
					},
				}}
				if diff := cmp.Diff(want, imp.Images); diff != "" {
					t.Errorf("Impact(%s) images (-want +got):\n%s", id, diff)
				}
			}
			// By alias, the curl CVE hits B only, in its application layer.
			imp, err := svc.Impact(ctx, "DSA-5587-1")
			if err != nil {
				t.Fatal(err)
			}
			if len(imp.Images) != 1 || imp.Images[0].Digest != digestB || imp.ID != "CVE-2023-38545" || imp.Images[0].Packages[0].FixWhere != "application" {
				t.Errorf("Impact(DSA-5587-1) = %+v", imp)
			}
			if _, err := svc.Impact(ctx, "CVE-1999-0001"); !errors.Is(err, images.ErrUnknownVuln) {
				t.Errorf("Impact(unknown) = %v, want ErrUnknownVuln", err)
			}

			for _, tc := range []struct {
				q    images.PackageQuery
				want []string // digests per matching package version
			}{
				{images.PackageQuery{PURL: "pkg:deb/debian/libssl3"}, []string{digestA, digestB}},
				{images.PackageQuery{PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"}, []string{digestA}},
				{images.PackageQuery{PURL: "pkg:deb/debian/libssl3@3.0.11-1%7Edeb12u2"}, []string{digestA}},
				{images.PackageQuery{PURL: "pkg:deb/debian/libssl3", Range: "< 3.0.14-1~deb12u1"}, []string{digestA}},
				{images.PackageQuery{PURL: "pkg:deb/debian/libssl3", Range: ">= 3.0.14"}, []string{digestB}},
				{images.PackageQuery{PURL: "pkg:deb/debian/nothing"}, nil},
			} {
				got, err := svc.Packages(ctx, tc.q)
				if err != nil {
					t.Fatalf("Packages(%+v): %v", tc.q, err)
				}
				var ds []string
				for _, p := range got {
					for _, u := range p.Images {
						ds = append(ds, string(u.Digest))
					}
				}
				if diff := cmp.Diff(tc.want, ds); diff != "" {
					t.Errorf("Packages(%+v) (-want +got):\n%s", tc.q, diff)
				}
			}
			for _, q := range []images.PackageQuery{{PURL: "openssl"}, {PURL: "pkg:deb/debian/libssl3", Range: ">= 1 <="}} {
				if _, err := svc.Packages(ctx, q); !errors.Is(err, images.ErrBadQuery) {
					t.Errorf("Packages(%+v) = %v, want ErrBadQuery", q, err)
				}
			}
		})
	}
}

func TestAddSBOMRefusesBadInput(t *testing.T) {
	adv := advisoryDB(t)
	svc := service(t, storetest.SQLiteDSN(t), adv)
	ctx := context.Background()
	many := storetest.Inventory(0)
	for range 200_001 {
		many.Packages = append(many.Packages, sbom.Package{Ecosystem: sbom.NPM, Name: "x", Version: "1", PURL: "pkg:npm/x@1"})
	}
	for name, tc := range map[string]struct {
		up   images.SBOMUpload
		want error
	}{
		"garbage":   {images.SBOMUpload{Body: strings.NewReader("{not json")}, images.ErrBadSBOM},
		"empty":     {images.SBOMUpload{Body: strings.NewReader("")}, images.ErrBadSBOM},
		"unknown":   {images.SBOMUpload{Body: strings.NewReader(`{"hello":"world"}`)}, images.ErrBadSBOM},
		"bad name":  {images.SBOMUpload{Name: "UPPER CASE:tag!", Body: strings.NewReader(vigilSBOM(t, digestA, storetest.Inventory(0)))}, images.ErrBadReference},
		"too many":  {images.SBOMUpload{Body: strings.NewReader(vigilSBOM(t, digestA, many))}, images.ErrTooManyPkgs},
		"truncated": {images.SBOMUpload{Body: strings.NewReader(vigilSBOM(t, digestA, storetest.Inventory(0))[:40])}, images.ErrBadSBOM},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := svc.AddSBOM(ctx, tc.up); !errors.Is(err, tc.want) {
				t.Errorf("AddSBOM = %v, want %v", err, tc.want)
			}
		})
	}
	// An SBOM naming no digest is keyed by the document's own hash.
	doc := vigilSBOM(t, "", storetest.Inventory(0, [3]string{"zlib1g", "zlib", "1:1.2.13.dfsg-1"}))
	im, err := svc.AddSBOM(ctx, images.SBOMUpload{Body: strings.NewReader(doc)})
	if err != nil || !images.ValidDigest(string(im.Digest)) {
		t.Fatalf("AddSBOM without digest = %+v, %v", im, err)
	}
	again, _ := svc.AddSBOM(ctx, images.SBOMUpload{Body: strings.NewReader(doc)})
	if again.Digest != im.Digest {
		t.Errorf("same document stored under %s and %s", im.Digest, again.Digest)
	}
}

func TestAddReference(t *testing.T) {
	st := storetest.Open(t, storetest.SQLiteDSN(t), store.Options{})
	svc, err := images.New(images.Config{Store: st, Registries: &images.Guard{Allow: []string{"registry.example", "*.corp.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for ref, want := range map[string]error{
		"registry.example/app:1": nil,
		"registry.example/app":   nil, // :latest
		"eu.corp.example/team/app@sha256:" + strings.Repeat("a", 64): nil,
		"docker.io/library/alpine:3.20":                              images.ErrNotAllowed,
		"corp.example/app:1":                                         images.ErrNotAllowed,
		"127.0.0.1:5000/app:1":                                       images.ErrNotAllowed,
		"":                                                           images.ErrBadReference,
		"registry.example/App:1":                                     images.ErrBadReference,
		"registry.example/app:bad tag":                               images.ErrBadReference,
		"registry.example/app@sha256:1234":                           images.ErrBadReference,
	} {
		_, err := svc.AddReference(ctx, ref)
		if !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("AddReference(%q) = %v, want %v", ref, err, want)
		}
	}
	j1, _ := svc.AddReference(ctx, "registry.example/app:1")
	j2, _ := svc.AddReference(ctx, "registry.example/app:1")
	if j1.ID != j2.ID || j1.Kind != images.KindIndex {
		t.Errorf("registering twice queued jobs %d and %d", j1.ID, j2.ID)
	}
	due, _ := st.TagsCheckedBefore(ctx, j1.Created.Add(1), 10)
	if len(due) != 2 {
		t.Errorf("tracked tags = %+v, want app:1 and app:latest", due)
	}
}

func TestImpactPages(t *testing.T) {
	adv := advisoryDB(t)
	svc := service(t, storetest.SQLiteDSN(t), adv)
	ctx := context.Background()
	var want []sbom.Digest
	for i := range 5 {
		d := fmt.Sprintf("sha256:%064x", i+1)
		want = append(want, sbom.Digest(d))
		inv := storetest.Inventory(1, [3]string{"libssl3", "openssl", "3.0.11-1~deb12u2"}, [3]string{"openssl", "openssl", "3.0.11-1~deb12u2"})
		if _, err := svc.AddSBOM(ctx, images.SBOMUpload{Body: strings.NewReader(vigilSBOM(t, d, inv))}); err != nil {
			t.Fatal(err)
		}
	}
	var got []sbom.Digest
	var sizes []int
	opt := images.ImpactOptions{Limit: 2}
	for {
		imp, err := svc.ImpactPage(ctx, "CVE-2024-5535", opt)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Total != 5 || imp.Severity != advisory.SeverityHigh {
			t.Errorf("Total %d severity %v, want 5 and high on every page", imp.Total, imp.Severity)
		}
		sizes = append(sizes, len(imp.Images))
		for _, im := range imp.Images {
			got = append(got, im.Digest)
			if len(im.Packages) != 2 {
				t.Errorf("%s: %d packages, want libssl3 and openssl", im.Digest, len(im.Packages))
			}
		}
		if imp.Next == "" {
			break
		}
		opt.After = imp.Next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged images (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 2, 1}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"x", "-1", "0"} {
		if _, err := svc.ImpactPage(ctx, "CVE-2024-5535", images.ImpactOptions{After: bad}); !errors.Is(err, images.ErrBadQuery) {
			t.Errorf("ImpactPage(after %q) = %v, want ErrBadQuery", bad, err)
		}
	}
}
