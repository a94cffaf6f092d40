package match

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// memSource is an in-process Source: entries keyed like the store keys them
// (vulndb.NormalizeName), recording what was asked.
type memSource struct {
	data  map[[2]string][]vulndb.Match
	asked []string
	err   error
}

func newMem(ms ...vulndb.Match) *memSource {
	s := &memSource{data: map[[2]string][]vulndb.Match{}}
	for _, m := range ms {
		k := [2]string{m.Affected.Ecosystem, vulndb.NormalizeName(m.Affected.Ecosystem, m.Affected.Package)}
		s.data[k] = append(s.data[k], m)
	}
	return s
}

func (s *memSource) Affecting(_ context.Context, eco, pkg string) ([]vulndb.Match, error) {
	s.asked = append(s.asked, eco+" "+pkg)
	if s.err != nil {
		return nil, s.err
	}
	return s.data[[2]string{eco, vulndb.NormalizeName(eco, pkg)}], nil
}

func fixedRange(fixed string) []advisory.Range {
	evs := []advisory.Event{{Introduced: "0"}}
	if fixed != "" {
		evs = append(evs, advisory.Event{Fixed: fixed})
	}
	return []advisory.Range{{Type: "ECOSYSTEM", Events: evs}}
}

// tracker is a Debian tracker entry as feed/debian stores it.
func tracker(cve, src string, status advisory.Status, fixed, urgency string) vulndb.Match {
	m := vulndb.Match{ID: cve, Source: "debian", Affected: advisory.Affected{Ecosystem: "Debian:12", Package: src, Status: status, Severity: urgency}}
	if status == advisory.StatusFixed {
		m.Affected.Ranges = fixedRange(fixed)
	}
	return m
}

func osvEntry(id, eco, pkg string, aliases []string, ranges []advisory.Range, sev ...advisory.Score) vulndb.Match {
	src := "osv/" + strings.Split(eco, ":")[0]
	return vulndb.Match{ID: id, Source: src, Aliases: aliases, Severity: sev, Affected: advisory.Affected{Ecosystem: eco, Package: pkg, Ranges: ranges}}
}

func cvss3(base float64) advisory.Score {
	return advisory.Score{Type: "CVSS_V3", Vector: fmt.Sprintf("CVSS:3.1/x%g", base), Base: base, Source: "nvd"}
}

var bookworm = &sbom.Distro{ID: "debian", VersionID: "12", Codename: "bookworm"}

func deb(name, ver, src, srcVer string) sbom.Package {
	return sbom.Package{Ecosystem: sbom.Deb, Name: name, Version: ver, SourceName: src, SourceVersion: srcVer, PURL: "pkg:deb/debian/" + name + "@" + ver}
}

func lang(eco sbom.Ecosystem, name, ver string) sbom.Package {
	return sbom.Package{Ecosystem: eco, Name: name, Version: ver, PURL: "pkg:" + string(eco) + "/" + name + "@" + ver}
}

// brief prints a finding as "ID package status fixes severity".
func brief(f advisory.Finding) string {
	s := fmt.Sprintf("%s %s %s [%s] %s", f.ID, f.PackageName, f.Status, strings.Join(f.Fix.Versions, ","), f.Severity)
	if len(f.Aliases) > 0 {
		s += " aka " + strings.Join(f.Aliases, ",")
	}
	return s
}

func TestMatch(t *testing.T) {
	kev := advisory.KEV{CVE: "CVE-2024-0003", Vendor: "x"}
	tests := []struct {
		name     string
		distro   *sbom.Distro
		pkgs     []sbom.Package
		data     []vulndb.Match
		opts     Options
		want     []string
		warnings []string
	}{{
		name:   "binNMU binary matched by source name and source version",
		distro: bookworm,
		pkgs:   []sbom.Package{deb("bash", "5.2.15-2+b13", "bash", "5.2.15-2")},
		data: []vulndb.Match{
			// 5.2.15-2 < 5.2.15-2+b1 < 5.2.15-2+b13: compared on the binary
			// version this would wrongly be fixed.
			tracker("CVE-2024-0001", "bash", advisory.StatusFixed, "5.2.15-2+b1", "medium"),
			tracker("CVE-2024-0002", "bash", advisory.StatusFixed, "5.2.15-2", "high"),
			tracker("CVE-2024-0003", "bash", advisory.StatusFixed, "5.2.15-1", "high"),
		},
		want: []string{"CVE-2024-0001 bash fixed [5.2.15-2+b1] medium"},
	}, {
		name:   "source package differs from binary",
		distro: bookworm,
		pkgs:   []sbom.Package{deb("libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2")},
		data: []vulndb.Match{
			tracker("CVE-2024-0001", "openssl", advisory.StatusFixed, "3.0.15-1~deb12u1", "low"),
			tracker("CVE-2024-0002", "libssl3", advisory.StatusFixed, "9", "high"),
		},
		want: []string{"CVE-2024-0001 libssl3 fixed [3.0.15-1~deb12u1] low"},
	}, {
		name:   "tracker statuses",
		distro: bookworm,
		pkgs:   []sbom.Package{deb("tar", "1.34+dfsg-1.2", "", "")},
		data: []vulndb.Match{
			tracker("CVE-2024-0001", "tar", advisory.StatusNotAffected, "", ""),
			tracker("CVE-2024-0002", "tar", advisory.StatusNotFixed, "", "low"),
			tracker("CVE-2024-0003", "tar", advisory.StatusWontFix, "", "not yet assigned"),
			tracker("CVE-2024-0004", "tar", advisory.StatusPostponed, "", "medium"),
			tracker("CVE-2024-0005", "tar", advisory.StatusUnimportant, "", "unimportant"),
			{ID: "CVE-2024-0006", Source: "debian", Affected: advisory.Affected{Ecosystem: "Debian:12", Package: "tar", Status: advisory.StatusAffected, Note: "undetermined"}},
			// Other releases never apply.
			{ID: "CVE-2024-0007", Source: "debian", Affected: advisory.Affected{Ecosystem: "Debian:11", Package: "tar", Status: advisory.StatusNotFixed}},
		},
		want: []string{
			"CVE-2024-0004 tar postponed [] medium",
			"CVE-2024-0002 tar not-fixed [] low",
			"CVE-2024-0005 tar unimportant [] negligible",
			"CVE-2024-0003 tar wont-fix [] unknown",
			"CVE-2024-0006 tar affected [] unknown",
		},
	}, {
		name:   "ignore unfixed keeps only findings with a fix",
		distro: bookworm,
		pkgs:   []sbom.Package{deb("tar", "1.34+dfsg-1.2", "", "")},
		data: []vulndb.Match{
			tracker("CVE-2024-0002", "tar", advisory.StatusNotFixed, "", "low"),
			tracker("CVE-2024-0003", "tar", advisory.StatusWontFix, "", ""),
			tracker("CVE-2024-0008", "tar", advisory.StatusFixed, "1.34+dfsg-1.2+deb12u1", ""),
		},
		opts: Options{IgnoreUnfixed: true},
		want: []string{"CVE-2024-0008 tar fixed [1.34+dfsg-1.2+deb12u1] unknown"},
	}, {
		name:   "tracker and OSV on one CVE make one finding, the tracker deciding",
		distro: bookworm,
		pkgs:   []sbom.Package{deb("curl", "7.88.1-10+deb12u5", "", "")},
		data: []vulndb.Match{
			tracker("CVE-2024-0001", "curl", advisory.StatusFixed, "7.88.1-10+deb12u8", "medium"),
			osvEntry("DEBIAN-CVE-2024-0001", "Debian:12", "curl", []string{"CVE-2024-0001"}, fixedRange("7.88.1-10+deb12u8"), cvss3(9.8)),
			// OSV links by "upstream" only: still the same vulnerability.
			tracker("CVE-2024-0002", "curl", advisory.StatusNotAffected, "", ""),
			osvEntry("DEBIAN-CVE-2024-0002", "Debian:12", "curl", nil, fixedRange("7.88.1-10+deb12u9")),
			// Only OSV knows it.
			osvEntry("DEBIAN-CVE-2024-0003", "Debian:12", "curl", nil, fixedRange("7.88.1-10+deb12u9")),
		},
		want: []string{
			"CVE-2024-0001 curl fixed [7.88.1-10+deb12u8] medium aka DEBIAN-CVE-2024-0001",
			"CVE-2024-0003 curl fixed [7.88.1-10+deb12u9] unknown aka DEBIAN-CVE-2024-0003",
		},
	}, {
		name:   "distro packages never see upstream advisories, language packages never see distro data",
		distro: bookworm,
		pkgs: []sbom.Package{
			deb("python3-requests", "2.28.1+dfsg-1", "requests", "2.28.1+dfsg-1"),
			lang(sbom.PyPI, "requests", "2.28.1"),
		},
		data: []vulndb.Match{
			osvEntry("GHSA-aaaa", "PyPI", "requests", []string{"CVE-2024-0001"}, []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "2.32.0"}}}}),
			tracker("CVE-2024-0002", "requests", advisory.StatusFixed, "2.28.1+dfsg-1+deb12u1", "low"),
		},
		want: []string{
			"CVE-2024-0002 python3-requests fixed [2.28.1+dfsg-1+deb12u1] low",
			"CVE-2024-0001 requests fixed [2.32.0] unknown aka GHSA-aaaa",
		},
	}, {
		name:   "owned language packages are covered by their OS package",
		distro: bookworm,
		pkgs: func() []sbom.Package {
			p := lang(sbom.PyPI, "requests", "2.28.1")
			p.OwnedBy = "pkg:deb/debian/python3-requests@2.28.1+dfsg-1"
			return []sbom.Package{p}
		}(),
		data: []vulndb.Match{osvEntry("GHSA-aaaa", "PyPI", "requests", nil, fixedRange("2.32.0"))},
		want: nil,
	}, {
		name:   "owned packages matched on request",
		distro: bookworm,
		pkgs: func() []sbom.Package {
			p := lang(sbom.PyPI, "requests", "2.28.1")
			p.OwnedBy = "pkg:deb/debian/python3-requests@2.28.1+dfsg-1"
			p.Dev = true
			return []sbom.Package{p}
		}(),
		data: []vulndb.Match{osvEntry("GHSA-aaaa", "PyPI", "requests", nil, fixedRange("2.32.0"))},
		opts: Options{IncludeOwned: true},
		want: []string{"GHSA-aaaa requests fixed [2.32.0] unknown"},
	}, {
		name: "alias groups across GHSA and GO ids, primary the CVE",
		pkgs: []sbom.Package{lang(sbom.Golang, "golang.org/x/net", "v0.0.0-20210226172049-e18ecbb05110")},
		data: []vulndb.Match{
			osvEntry("GO-2022-0001", "Go", "golang.org/x/net", []string{"CVE-2022-1111", "GHSA-bbbb"}, []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "0.7.0"}}}}, cvss3(7.5)),
			osvEntry("GHSA-bbbb", "Go", "golang.org/x/net", []string{"CVE-2022-1111"}, fixedRange("0.7.0")),
			osvEntry("GO-2022-0002", "Go", "golang.org/x/net", nil, fixedRange("0.1.0")),
			// Fixed before the installed pseudo-version.
			osvEntry("GO-2020-0003", "Go", "golang.org/x/net", nil, fixedRange("0.0.0-20200101000000-aaaaaaaaaaaa")),
		},
		want: []string{
			"CVE-2022-1111 golang.org/x/net fixed [0.7.0] high aka GHSA-bbbb,GO-2022-0001",
			"GO-2022-0002 golang.org/x/net fixed [0.1.0] unknown",
		},
	}, {
		name: "stdlib and (devel)",
		pkgs: []sbom.Package{
			lang(sbom.Golang, "stdlib", "1.22.5"),
			lang(sbom.Golang, "example.com/app", "(devel)"),
		},
		data: []vulndb.Match{
			osvEntry("GO-2024-0001", "Go", "stdlib", nil, []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "1.21.12"}, {Introduced: "1.22.0"}, {Fixed: "1.22.6"}}}}),
			osvEntry("GO-2024-0002", "Go", "stdlib", nil, fixedRange("1.22.5")),
			osvEntry("GO-2024-0003", "Go", "example.com/app", nil, fixedRange("1.0.0")),
		},
		want: []string{"GO-2024-0001 stdlib fixed [1.22.6] unknown"},
	}, {
		name: "PEP 503 names and Composer v-prefixes",
		pkgs: []sbom.Package{
			lang(sbom.PyPI, "Jinja2", "3.1.2"),
			lang(sbom.PyPI, "zope.interface", "5.0"),
			lang(sbom.Composer, "Guzzlehttp/Guzzle", "v7.4.4"),
		},
		data: []vulndb.Match{
			osvEntry("PYSEC-1", "PyPI", "jinja2", nil, fixedRange("3.1.3")),
			osvEntry("PYSEC-2", "PyPI", "zope-interface", nil, fixedRange("5.1")),
			osvEntry("GHSA-cccc", "Packagist", "guzzlehttp/guzzle", nil, []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "7.0.0"}, {Fixed: "7.4.5"}}}}),
			osvEntry("GHSA-dddd", "Packagist", "guzzlehttp/guzzle", nil, fixedRange("7.4.4")),
		},
		want: []string{
			"GHSA-cccc Guzzlehttp/Guzzle fixed [7.4.5] unknown",
			"PYSEC-1 Jinja2 fixed [3.1.3] unknown",
			"PYSEC-2 zope.interface fixed [5.1] unknown",
		},
	}, {
		name:   "SUSE: advisories under a module, naming a binary package or the source's namesake",
		distro: &sbom.Distro{ID: "sles", VersionID: "15.6"},
		pkgs: []sbom.Package{
			{Ecosystem: sbom.RPM, Name: "libxml2-2", Version: "2.10.3-150500.5.17.1", SourceName: "libxml2", SourceVersion: "2.10.3-150500.5.17.1", PURL: "pkg:rpm/suse/libxml2-2@2.10.3-150500.5.17.1"},
			{Ecosystem: sbom.RPM, Name: "libopenssl3", Version: "3.1.4-150600.5.7.1", SourceName: "openssl-3", SourceVersion: "3.1.4-150600.5.7.1", PURL: "pkg:rpm/suse/libopenssl3@3.1.4-150600.5.7.1"},
		},
		data: []vulndb.Match{
			// No binary of libxml2 is called libxml2: the advisory names
			// the binary.
			osvEntry("SUSE-SU-2024:0001-1", "SUSE:Linux Enterprise Module for Basesystem 15 SP6", "libxml2-2", []string{"CVE-2024-0001"}, fixedRange("2.10.3-150500.5.20.1")),
			// The same advisory under the product: one finding.
			osvEntry("SUSE-SU-2024:0001-1", "SUSE:Linux Enterprise Server 15 SP6", "libxml2-2", []string{"CVE-2024-0001"}, fixedRange("2.10.3-150500.5.20.1")),
			// Named by the source's namesake binary.
			osvEntry("SUSE-SU-2024:0002-1", "SUSE:Linux Enterprise Module for Basesystem 15 SP6", "openssl-3", []string{"CVE-2024-0002"}, fixedRange("3.1.4-150600.5.10.1")),
			// Fixed already, and another release's.
			osvEntry("SUSE-SU-2024:0003-1", "SUSE:Linux Enterprise Module for Basesystem 15 SP6", "libopenssl3", nil, fixedRange("3.1.4-150600.5.7.1")),
			osvEntry("SUSE-SU-2024:0004-1", "SUSE:Linux Enterprise Module for Basesystem 15 SP5", "libopenssl3", nil, fixedRange("9")),
		},
		want: []string{
			"CVE-2024-0001 libxml2-2 fixed [2.10.3-150500.5.20.1] unknown aka SUSE-SU-2024:0001-1",
			"CVE-2024-0002 libopenssl3 fixed [3.1.4-150600.5.10.1] unknown aka SUSE-SU-2024:0002-1",
		},
	}, {
		name: "Bitnami revisions come after their upstream release",
		pkgs: []sbom.Package{lang(sbom.Bitnami, "postgresql", "17.2.0-8"), lang(sbom.Bitnami, "geos", "3.13.0")},
		data: []vulndb.Match{
			osvEntry("BIT-postgresql-2025-1", "Bitnami", "postgresql", nil, []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "17.2.0"}}}}),
			osvEntry("BIT-postgresql-2025-2", "Bitnami", "postgresql", nil, []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "17.0.0"}, {Fixed: "17.3.0"}}}}),
			osvEntry("BIT-geos-2025-1", "Bitnami", "geos", nil, []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "3.13.1"}}}}),
		},
		want: []string{
			"BIT-geos-2025-1 geos fixed [3.13.1] unknown",
			"BIT-postgresql-2025-2 postgresql fixed [17.3.0] unknown",
		},
	}, {
		name: "Hex and Pub, and a private pub repository's package of a pub.dev name",
		pkgs: []sbom.Package{
			lang(sbom.Hex, "plug", "1.14.0"),
			{Ecosystem: sbom.Hex, Name: "plug", Version: "1.0.0", PURL: "pkg:hex/acme/plug@1.0.0"},
			lang(sbom.Pub, "http", "0.13.0"),
			{Ecosystem: sbom.Pub, Name: "path", Version: "1.0.0", PURL: "pkg:pub/path@1.0.0?repository_url=https://pub.example.com"},
			{Ecosystem: sbom.Pub, Name: "meta", Version: "1.0.0", PURL: "pkg:pub/meta@1.0.0?repository_url=https://pub.dartlang.org"},
		},
		data: []vulndb.Match{
			osvEntry("GHSA-hhhh", "Hex", "plug", nil, fixedRange("1.14.2")),
			// Pub orders build metadata: 0.13.0+1 is after 0.13.0.
			osvEntry("GHSA-pppp", "Pub", "http", nil, fixedRange("0.13.0+1")),
			osvEntry("GHSA-qqqq", "Pub", "path", nil, fixedRange("9")),
			osvEntry("GHSA-rrrr", "Pub", "meta", nil, fixedRange("9")),
		},
		want: []string{
			"GHSA-hhhh plug fixed [1.14.2] unknown",
			"GHSA-pppp http fixed [0.13.0+1] unknown",
			"GHSA-rrrr meta fixed [9] unknown",
		},
	}, {
		name: "versions lists and last_affected",
		pkgs: []sbom.Package{lang(sbom.NPM, "@scope/pkg", "1.2.3"), lang(sbom.Maven, "org.example:lib", "2.0")},
		data: []vulndb.Match{
			{ID: "GHSA-eeee", Source: "osv/npm", Affected: advisory.Affected{Ecosystem: "npm", Package: "@scope/pkg", Versions: []string{"1.2.3"}}},
			osvEntry("GHSA-ffff", "Maven", "org.example:lib", nil, []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {LastAffected: "2.0"}}}}),
		},
		want: []string{
			"GHSA-eeee @scope/pkg not-fixed [] unknown",
			"GHSA-ffff org.example:lib not-fixed [] unknown",
		},
	}, {
		name:   "severity: distro urgency over CVSS for OS packages, CVSS then vendor word for others",
		distro: bookworm,
		pkgs:   []sbom.Package{deb("zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1"), lang(sbom.NPM, "lodash", "4.17.15"), lang(sbom.NPM, "minimist", "1.2.0")},
		data: []vulndb.Match{
			func() vulndb.Match {
				m := tracker("CVE-2022-0001", "zlib", advisory.StatusNotFixed, "", "low")
				m.Severity = []advisory.Score{cvss3(9.8)}
				return m
			}(),
			func() vulndb.Match {
				m := tracker("CVE-2022-0002", "zlib", advisory.StatusNotFixed, "", "not yet assigned")
				m.Severity = []advisory.Score{cvss3(5.5), {Type: "CVSS_V4", Vector: "CVSS:4.0/x", Base: 7.1}}
				return m
			}(),
			osvEntry("GHSA-gggg", "npm", "lodash", nil, fixedRange("4.17.21"), advisory.Score{Type: "distro", Vector: "MODERATE", Source: "ghsa"}),
			osvEntry("GHSA-hhhh", "npm", "minimist", nil, fixedRange("1.2.6"), advisory.Score{Type: "distro", Vector: "LOW", Source: "ghsa"}, cvss3(9.8)),
		},
		want: []string{
			"GHSA-hhhh minimist fixed [1.2.6] critical",
			"CVE-2022-0002 zlib1g not-fixed [] high",
			"GHSA-gggg lodash fixed [4.17.21] medium",
			"CVE-2022-0001 zlib1g not-fixed [] low",
		},
	}, {
		name: "min severity, KEV and EPSS filters",
		pkgs: []sbom.Package{lang(sbom.NPM, "axios", "0.21.0")},
		data: []vulndb.Match{
			func() vulndb.Match {
				m := osvEntry("GHSA-1", "npm", "axios", []string{"CVE-2024-0003"}, fixedRange("0.21.1"), cvss3(9.1))
				m.KEV = []advisory.KEV{kev}
				m.EPSS = []advisory.EPSS{{CVE: "CVE-2024-0003", Score: 0.4}}
				return m
			}(),
			func() vulndb.Match {
				m := osvEntry("GHSA-2", "npm", "axios", []string{"CVE-2024-0004", "CVE-2024-0005"}, fixedRange("0.21.2"), cvss3(5))
				m.EPSS = []advisory.EPSS{{CVE: "CVE-2024-0004", Score: 0.01}, {CVE: "CVE-2024-0005", Score: 0.2}}
				return m
			}(),
			osvEntry("GHSA-3", "npm", "axios", nil, fixedRange("0.21.2"), cvss3(2)),
		},
		opts: Options{MinSeverity: advisory.SeverityMedium, EPSSMin: 0.1},
		want: []string{
			"CVE-2024-0003 axios fixed [0.21.1] critical aka GHSA-1",
			"CVE-2024-0004 axios fixed [0.21.2] medium aka CVE-2024-0005,GHSA-2",
		},
	}, {
		name: "KEV only",
		pkgs: []sbom.Package{lang(sbom.NPM, "axios", "0.21.0")},
		data: []vulndb.Match{
			func() vulndb.Match {
				m := osvEntry("GHSA-1", "npm", "axios", []string{"CVE-2024-0003"}, fixedRange("0.21.1"))
				m.KEV = []advisory.KEV{kev}
				return m
			}(),
			osvEntry("GHSA-2", "npm", "axios", nil, fixedRange("0.21.2")),
		},
		opts: Options{KEVOnly: true},
		want: []string{"CVE-2024-0003 axios fixed [0.21.1] unknown aka GHSA-1"},
	}, {
		name:     "unknown distribution",
		distro:   &sbom.Distro{ID: "gentoo", PrettyName: "Gentoo Linux"},
		pkgs:     []sbom.Package{deb("bash", "5.2", "", "")},
		warnings: []string{`distribution "gentoo" (Gentoo Linux) is not supported: 1 OS packages were not matched`},
	}, {
		name:     "no distribution",
		pkgs:     []sbom.Package{deb("bash", "5.2", "", "")},
		warnings: []string{"no distribution detected (no os-release): 1 OS packages were not matched"},
	}, {
		name:     "release without data",
		distro:   &sbom.Distro{ID: "debian", VersionID: "9", Codename: "stretch"},
		pkgs:     []sbom.Package{deb("bash", "4.4-5", "", "")},
		data:     []vulndb.Match{tracker("CVE-2024-0001", "bash", advisory.StatusNotFixed, "", "")},
		warnings: []string{"no advisories for Debian 9 (Debian:9) in the database: the release may be end of life or its feed not imported; 1 OS packages were not matched"},
	}, {
		name:     "unparsable version is a warning",
		pkgs:     []sbom.Package{lang(sbom.NPM, "x", "not a version!")},
		data:     []vulndb.Match{osvEntry("GHSA-1", "npm", "x", nil, fixedRange("1.0.0"))},
		warnings: []string{"npm x not a version!: "},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &sbom.Inventory{Distro: tt.distro, Packages: tt.pkgs}
			res, err := Match(context.Background(), inv, newMem(tt.data...), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				got = append(got, brief(f))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if len(res.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %q", res.Warnings, tt.warnings)
			}
			for i, w := range tt.warnings {
				if !strings.HasPrefix(res.Warnings[i], w) {
					t.Errorf("warning %q, want prefix %q", res.Warnings[i], w)
				}
			}
		})
	}
}

// TestFindingExplains checks every field of one finding: where the package
// is, which source said what.
func TestFindingExplains(t *testing.T) {
	p := deb("libexpat1", "2.5.0-1", "expat", "2.5.0-1")
	p.Layer = sbom.LayerRef{Index: 0, DiffID: "sha256:base"}
	p.InBase = true
	p.Locations = []string{"/var/lib/dpkg/status"}
	q := lang(sbom.Golang, "golang.org/x/text", "v0.3.5")
	q.Layer = sbom.LayerRef{Index: 2, DiffID: "sha256:app"}
	inv := &sbom.Inventory{Distro: bookworm, BaseImage: sbom.BaseImage{Source: sbom.BaseFromAnnotation, Layers: 1}, Packages: []sbom.Package{p, q}}
	trk := tracker("CVE-2024-45491", "expat", advisory.StatusFixed, "2.5.0-1+deb12u1", "high")
	trk.KEV = []advisory.KEV{{CVE: "CVE-2024-45491"}}
	src := newMem(trk, osvEntry("GO-2021-0113", "Go", "golang.org/x/text", []string{"CVE-2021-38561"}, fixedRange("0.3.7")))
	res, err := Match(context.Background(), inv, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []advisory.Finding{{
		ID: "CVE-2024-45491", PackagePURL: p.PURL, PackageName: "libexpat1", PackageEcosystem: "deb", InstalledVersion: "2.5.0-1",
		SourcePackage: "expat", SourceVersion: "2.5.0-1", Locations: p.Locations, LayerIndex: 0, LayerDiffID: "sha256:base", InBase: true,
		Source: "debian", AdvisoryID: "CVE-2024-45491", Ecosystem: "Debian:12", Ranges: fixedRange("2.5.0-1+deb12u1"),
		Status: advisory.StatusFixed, Fix: advisory.Fix{Versions: []string{"2.5.0-1+deb12u1"}, Where: "base-image"},
		Severity: advisory.SeverityHigh, Scores: []advisory.Score{{Type: "distro", Vector: "high", Source: "debian"}},
		KEV: &advisory.KEV{CVE: "CVE-2024-45491"},
	}, {
		ID: "CVE-2021-38561", Aliases: []string{"GO-2021-0113"}, PackagePURL: q.PURL, PackageName: "golang.org/x/text", PackageEcosystem: "golang",
		InstalledVersion: "v0.3.5", LayerIndex: 2, LayerDiffID: "sha256:app",
		Source: "osv/Go", AdvisoryID: "GO-2021-0113", Ecosystem: "Go", Ranges: fixedRange("0.3.7"),
		Status: advisory.StatusFixed, Fix: advisory.Fix{Versions: []string{"0.3.7"}, Where: "application"},
	}}
	if diff := cmp.Diff(want, res.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// One lookup per (ecosystem, package), none of upstream data for the
	// distro package.
	if diff := cmp.Diff([]string{"Debian:12 expat", "Go golang.org/x/text"}, src.asked); diff != "" {
		t.Errorf("lookups (-want +got):\n%s", diff)
	}
}

func TestSourceError(t *testing.T) {
	boom := errors.New("boom")
	src := newMem()
	src.err = boom
	inv := &sbom.Inventory{Packages: []sbom.Package{lang(sbom.NPM, "x", "1.0.0")}}
	if _, err := Match(context.Background(), inv, src, Options{}); !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
}

func TestDistroEcosystems(t *testing.T) {
	tests := []struct {
		d    sbom.Distro
		want []string
	}{
		{sbom.Distro{ID: "debian", VersionID: "12"}, []string{"Debian:12"}},
		{sbom.Distro{ID: "debian", Codename: "trixie"}, []string{"Debian:13"}},
		{sbom.Distro{ID: "ubuntu", VersionID: "22.04"}, []string{"Ubuntu:22.04", "Ubuntu:22.04:LTS"}},
		{sbom.Distro{ID: "alpine", VersionID: "3.20.3"}, []string{"Alpine:v3.20"}},
		{sbom.Distro{ID: "rhel", VersionID: "9.4"}, []string{"Red Hat:enterprise_linux:9::baseos", "Red Hat:enterprise_linux:9::appstream", "Red Hat:enterprise_linux:9::crb"}},
		{sbom.Distro{ID: "rhel", VersionID: "7.9"}, []string{"Red Hat:enterprise_linux:7::server"}},
		{sbom.Distro{ID: "centos", VersionID: "7"}, []string{"Red Hat:enterprise_linux:7::server"}},
		{sbom.Distro{ID: "centos", VersionID: "9"}, []string{"Red Hat:enterprise_linux:9::baseos", "Red Hat:enterprise_linux:9::appstream", "Red Hat:enterprise_linux:9::crb"}},
		{sbom.Distro{ID: "rocky", VersionID: "9.3"}, []string{"Rocky Linux:9"}},
		{sbom.Distro{ID: "almalinux", VersionID: "8.10"}, []string{"AlmaLinux:8"}},
		{sbom.Distro{ID: "wolfi", VersionID: "20230201"}, []string{"Wolfi"}},
		{sbom.Distro{ID: "sles", VersionID: "15.6"}, []string{"SUSE:Linux Enterprise Server 15 SP6",
			"SUSE:Linux Enterprise Module for Basesystem 15 SP6", "SUSE:Linux Enterprise Module for Server Applications 15 SP6",
			"SUSE:Linux Enterprise Module for Desktop Applications 15 SP6", "SUSE:Linux Enterprise Module for Development Tools 15 SP6",
			"SUSE:Linux Enterprise Module for Containers 15 SP6", "SUSE:Linux Enterprise Module for Web and Scripting 15 SP6",
			"SUSE:Linux Enterprise Module for Python 3 15 SP6", "SUSE:Linux Enterprise Module for Legacy 15 SP6",
			"SUSE:Linux Enterprise Module for Public Cloud 15 SP6"}},
		{sbom.Distro{ID: "sles", VersionID: "12.5"}, []string{"SUSE:Linux Enterprise Server 12 SP5"}},
		{sbom.Distro{ID: "sles_sap", VersionID: "15"}, []string{"SUSE:Linux Enterprise Server for SAP Applications 15",
			"SUSE:Linux Enterprise Module for Basesystem 15", "SUSE:Linux Enterprise Module for Server Applications 15",
			"SUSE:Linux Enterprise Module for Desktop Applications 15", "SUSE:Linux Enterprise Module for Development Tools 15",
			"SUSE:Linux Enterprise Module for Containers 15", "SUSE:Linux Enterprise Module for Web and Scripting 15",
			"SUSE:Linux Enterprise Module for Python 3 15", "SUSE:Linux Enterprise Module for Legacy 15",
			"SUSE:Linux Enterprise Module for Public Cloud 15"}},
		{sbom.Distro{ID: "opensuse-leap", VersionID: "15.6"}, []string{"openSUSE:Leap 15.6"}},
		{sbom.Distro{ID: "opensuse-tumbleweed", VersionID: "20241120"}, []string{"openSUSE:Tumbleweed"}},
		{sbom.Distro{ID: "sles"}, nil},
		{sbom.Distro{ID: "azurelinux", VersionID: "3.0"}, []string{"Azure Linux:3"}},
		{sbom.Distro{ID: "mariner", VersionID: "2.0"}, []string{"Azure Linux:2"}},
		{sbom.Distro{ID: "chainguard"}, []string{"Chainguard"}},
		{sbom.Distro{ID: "debian", Codename: "sid"}, nil},
		{sbom.Distro{ID: "alpine", VersionID: "edge"}, nil},
	}
	for _, tt := range tests {
		d, warn := distroOf(&tt.d)
		var got []string
		if d != nil {
			got = d.ecosystems
		} else if warn == "" {
			t.Errorf("%+v: no distro and no warning", tt.d)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tt.d, diff)
		}
	}
}
