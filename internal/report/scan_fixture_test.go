package report

import (
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

// testScanResult is a hand-built but realistic scan of testInventory plus
// a Go binary: Debian findings in the base image (fixed, won't fix) and in
// the image's own layers (fixed, not yet fixed), a Go module finding that
// is in KEV with a high EPSS score, a finding suppressed by a VEX
// statement and one by an ignore rule, and aliases throughout.
func testScanResult() *ScanResult {
	inv := testInventory()
	inv.Packages = append(inv.Packages, sbom.Package{
		Ecosystem: sbom.Golang, Name: "golang.org/x/net", Version: "v0.20.0",
		PURL:      "pkg:golang/golang.org/x/net@v0.20.0",
		Locations: []string{"/app/server"}, FoundBy: "gobinary",
		Layer: sbom.LayerRef{Index: 2, DiffID: dig("diff-2")},
		Go:    &sbom.GoMetadata{GoVersion: "go1.21.6"},
	})
	pkg := func(i int) advisory.Finding {
		p := inv.Packages[i]
		return advisory.Finding{
			PackagePURL: p.PURL, PackageName: p.Name, PackageEcosystem: string(p.Ecosystem),
			InstalledVersion: p.Version, SourcePackage: p.SourceName, SourceVersion: p.SourceVersion,
			Locations: p.Locations, LayerIndex: p.Layer.Index, LayerDiffID: string(p.Layer.DiffID), InBase: p.InBase,
		}
	}
	debian := func(f advisory.Finding, id string, sev advisory.Severity, status advisory.Status, fixed ...string) advisory.Finding {
		f.ID = id
		f.Source = "debian"
		f.AdvisoryID = id
		f.Ecosystem = "Debian:12"
		f.Severity = sev
		f.Status = status
		f.Fix.Versions = fixed
		switch {
		case f.InBase:
			f.Fix.Where = "base-image"
		default:
			f.Fix.Where = "os-package"
		}
		f.Published = time.Date(2025, 1, 14, 0, 0, 0, 0, time.UTC)
		f.Modified = time.Date(2025, 2, 20, 12, 0, 0, 0, time.UTC)
		return f
	}

	glibc := debian(pkg(0), "CVE-2025-4802", advisory.SeverityHigh, advisory.StatusAffected, "2.36-9+deb12u10")
	glibc.Aliases = []string{"DLA-4186-1"}
	glibc.Summary = "glibc: static setuid binary dlopen may incorrectly search LD_LIBRARY_PATH"
	glibc.CVSS = 7.8
	glibc.Scores = []advisory.Score{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Base: 7.8, Source: "nvd"}}
	glibc.Ranges = []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "2.36-9+deb12u10"}}}}

	bash := debian(pkg(1), "CVE-2022-3715", advisory.SeverityLow, advisory.StatusWontFix)
	bash.Summary = "bash: a heap-buffer-overflow in valid_parameter_transform"
	bash.CVSS = 7.8
	bash.Scores = []advisory.Score{
		{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", Base: 7.8, Source: "nvd"},
		{Type: "distro", Vector: "unimportant", Source: "debian"},
	}

	openssl := debian(pkg(2), "CVE-2024-13176", advisory.SeverityMedium, advisory.StatusAffected, "3.0.16-1~deb12u1")
	openssl.Aliases = []string{"DSA-5844-1", "GHSA-mrq9-vj8v-6w8p"}
	openssl.Summary = "openssl: timing side-channel in ECDSA signature computation"
	openssl.CVSS = 4.1
	openssl.Scores = []advisory.Score{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:L/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N", Base: 4.1, Source: "nvd"}}

	curl := debian(pkg(3), "CVE-2025-0725", advisory.SeverityMedium, advisory.StatusNotFixed)
	curl.Summary = "curl: gzip integer overflow"

	vex := debian(pkg(2), "CVE-2024-5535", advisory.SeverityCritical, advisory.StatusAffected, "3.0.16-1~deb12u1")
	vex.CVSS = 9.1
	vex.Scores = []advisory.Score{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H", Base: 9.1, Source: "nvd"}}
	vex.Summary = "openssl: SSL_select_next_proto buffer overread"
	vex.Suppressed = &advisory.Suppression{
		Kind: "vex", Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path",
		Statement: "vex/shop-web.openvex.json#1",
	}

	ignored := debian(pkg(3), "CVE-2024-2398", advisory.SeverityMedium, advisory.StatusAffected, "7.88.1-10+deb12u6")
	ignored.Aliases = []string{"GHSA-r5hq-2fhq-4xvq"}
	ignored.Suppressed = &advisory.Suppression{
		Kind: "ignore", Justification: "HTTP/2 push is disabled in our build",
		Statement: ".vigilignore.yaml rule 3", Expires: time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC),
	}

	gonet := pkg(len(inv.Packages) - 1)
	gonet.ID = "CVE-2023-45288"
	gonet.Aliases = []string{"GHSA-4v7x-pqxf-cx7m", "GO-2024-2687"}
	gonet.Summary = "HTTP/2 CONTINUATION flood in net/http"
	gonet.Source = "osv/Go"
	gonet.AdvisoryID = "GO-2024-2687"
	gonet.Ecosystem = "Go"
	gonet.Ranges = []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "0.23.0"}}}}
	gonet.Status = advisory.StatusAffected
	gonet.Fix = advisory.Fix{Versions: []string{"v0.23.0"}, Where: "application"}
	gonet.Severity = advisory.SeverityHigh
	gonet.CVSS = 7.5
	gonet.Scores = []advisory.Score{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Base: 7.5, Source: "ghsa"}}
	gonet.KEV = &advisory.KEV{
		CVE: "CVE-2023-45288", DateAdded: time.Date(2025, 1, 7, 0, 0, 0, 0, time.UTC),
		DueDate: time.Date(2025, 1, 28, 0, 0, 0, 0, time.UTC), Ransomware: true,
		Vendor: "Go", Product: "net/http", RequiredAction: "Apply mitigations per vendor instructions.",
	}
	gonet.EPSS = &advisory.EPSS{CVE: "CVE-2023-45288", Score: 0.65432, Percentile: 0.98321, Date: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	gonet.Published = time.Date(2024, 4, 4, 21, 3, 44, 0, time.UTC)

	return &ScanResult{
		Inventory: inv,
		Findings:  []advisory.Finding{curl, vex, gonet, bash, ignored, openssl, glibc},
		DBVersion: 20250301,
		DBBuilt:   time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC),
		Warnings:  []string{"match: pkg:apk/alpine/musl@1.2.5-r0: no advisories for alpine-3.20 in the database"},
	}
}

// emptyScanResult is a clean scan of a scratch image.
func emptyScanResult() *ScanResult {
	return &ScanResult{Inventory: emptyInventory(), DBVersion: 20250301, DBBuilt: time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)}
}
