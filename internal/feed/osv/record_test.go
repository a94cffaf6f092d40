package osv

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func readRecord(t *testing.T, id string) advisory.Advisory {
	t.Helper()
	data, err := os.ReadFile("testdata/records/" + id + ".json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseRecord(data)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return a
}

func since0(fixed string) []advisory.Range {
	return []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: fixed}}}}
}

func TestParseRecordFields(t *testing.T) {
	tests := []struct {
		id   string
		want advisory.Advisory
		// refs, when set, only checks the count and the first reference
		refs  int
		first string
	}{
		{
			id: "GHSA-jfh8-c2jp-5v3q",
			want: advisory.Advisory{
				ID: "GHSA-jfh8-c2jp-5v3q", Source: "osv", Aliases: []string{"CVE-2021-44228"},
				Summary:   "Remote code injection in Log4j",
				Published: date("2021-12-10T00:40:56Z"), Modified: date("2022-03-25T20:56:18Z"),
				Severity: []advisory.Score{
					{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Base: 10, Source: "ghsa"},
					{Type: "distro", Vector: "CRITICAL", Source: "ghsa"},
				},
				Affected: []advisory.Affected{
					{Ecosystem: "Maven", Package: "org.apache.logging.log4j:log4j-core", Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "2.13.0"}, {Fixed: "2.15.0"}}}}},
					{Ecosystem: "Maven", Package: "org.apache.logging.log4j:log4j-core", Ranges: since0("2.3.1")},
					{Ecosystem: "Maven", Package: "org.apache.logging.log4j:log4j-core", Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "2.4"}, {Fixed: "2.12.2"}}}}},
				},
			},
			refs: 62, first: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
		},
		{
			id: "GO-2022-0617",
			want: advisory.Advisory{
				ID: "GO-2022-0617", Source: "osv", Aliases: []string{"CVE-2020-8562", "GHSA-qh36-44jv-c8xj"},
				Summary:   "WITHDRAWN: Potential proxy IP restriction bypass in Kubernetes in k8s.io/kubernetes",
				Details:   "(This report has been withdrawn from the Go vulnerability database with reason: \"Low severity issue with no fix available or planned. Likely to cause false positives.\").",
				Withdrawn: date("2024-08-21T16:25:56Z"),
				Affected: []advisory.Affected{{Ecosystem: "Go", Package: "k8s.io/kubernetes",
					Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0"}}}}}},
			},
			refs: 5, first: "https://github.com/advisories/GHSA-qh36-44jv-c8xj",
		},
		{
			id: "PYSEC-2022-15",
			want: advisory.Advisory{
				ID: "PYSEC-2022-15", Source: "osv", Aliases: []string{"CVE-2022-0329", "GHSA-cvp7-c586-cmf4"},
				Details:   "This CVE has been rejected as it was incorrectly assigned.",
				Published: date("2022-01-21T11:15:00Z"), Modified: date("2022-01-29T16:47:14.527876Z"), Withdrawn: date("2022-02-22T16:15:07Z"),
				References: []string{"https://huntr.dev/bounties/1-pypi-loguru", "https://github.com/advisories/GHSA-cvp7-c586-cmf4"},
				Affected:   []advisory.Affected{{Ecosystem: "PyPI", Package: "loguru", PURL: "pkg:pypi/loguru"}},
			},
		},
		{
			id: "RUSTSEC-2026-0090",
			want: advisory.Advisory{
				ID: "RUSTSEC-2026-0090", Source: "osv", Aliases: []string{"CVE-2026-34983", "GHSA-hfr4-7c6c-48w2"},
				Summary:   "Use-after-free bug after cloning `wasmtime::Linker`",
				Details:   "This is an entry in the RustSec database for the Wasmtime security advisory\nlocated at\nhttps://github.com/bytecodealliance/wasmtime/security/advisories/GHSA-hfr4-7c6c-48w2\nFor more information see the GitHub-hosted security advisory.",
				Published: date("2026-04-09T12:00:00Z"), Modified: date("2026-04-09T19:59:38Z"),
				References: []string{"https://crates.io/crates/wasmtime", "https://rustsec.org/advisories/RUSTSEC-2026-0090.html",
					"https://github.com/bytecodealliance/wasmtime/security/advisories/GHSA-hfr4-7c6c-48w2"},
				Severity: []advisory.Score{{Type: "CVSS_V4", Vector: "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", Base: 1.0, Source: "rustsec"}},
				Affected: []advisory.Affected{{Ecosystem: "crates.io", Package: "wasmtime", PURL: "pkg:cargo/wasmtime",
					Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "43.0.0"}, {Fixed: "43.0.1"}}}}}},
			},
		},
		{
			id: "RUSTSEC-2021-0006",
			want: advisory.Advisory{
				ID: "RUSTSEC-2021-0006", Source: "osv", Aliases: []string{"CVE-2021-25903", "GHSA-gh87-6jr3-8q47"},
				Summary:   "Exposes internally used raw pointer",
				Details:   "Affected versions of this crate dereference a raw pointer that can be modified\nwithout using `unsafe` code.",
				Published: date("2021-01-01T12:00:00Z"), Modified: date("2023-06-13T13:10:24Z"),
				Severity: []advisory.Score{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Base: 7.5, Source: "rustsec"}},
				Affected: []advisory.Affected{{Ecosystem: "crates.io", Package: "cache", PURL: "pkg:cargo/cache",
					Ranges: []advisory.Range{{Type: "SEMVER", Events: []advisory.Event{{Introduced: "0.0.0-0"}}}},
					Note:   "informational: unsound"}},
			},
			refs: 3, first: "https://crates.io/crates/cache",
		},
		{
			id: "DEBIAN-CVE-2006-4334",
			want: advisory.Advisory{
				ID: "DEBIAN-CVE-2006-4334", Source: "osv", Aliases: []string{"CVE-2006-4334"},
				Published: date("2006-09-19T12:35:26Z"), Modified: date("2006-09-19T12:35:26Z"),
				Affected: []advisory.Affected{{Ecosystem: "Debian:12", Package: "gzip", PURL: "pkg:deb/debian/gzip?arch=source",
					Ranges: since0("1.3.5-15"), Severity: "high"}},
			},
		},
	}
	for _, tt := range tests {
		got := readRecord(t, tt.id)
		if tt.refs > 0 {
			if len(got.References) != tt.refs || got.References[0] != tt.first {
				t.Errorf("%s: %d references starting %q, want %d starting %q", tt.id, len(got.References), got.References[0], tt.refs, tt.first)
			}
			got.References = nil
		}
		if tt.want.Details == "" && tt.id == "GHSA-jfh8-c2jp-5v3q" {
			got.Details = ""
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.id, diff)
		}
	}
}

func TestParseRecordUbuntu(t *testing.T) {
	a := readRecord(t, "UBUNTU-CVE-2023-38545")
	if diff := cmp.Diff([]string{"CVE-2023-38545", "USN-6429-1", "USN-6429-3"}, a.Related); diff != "" {
		t.Errorf("related (-want +got):\n%s", diff)
	}
	if a.Aliases != nil {
		t.Errorf("aliases %v, want none (the record's list is empty)", a.Aliases)
	}
	want := []advisory.Score{{Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Base: 9.8, Source: "ubuntu"}}
	if diff := cmp.Diff(want, a.Severity); diff != "" {
		t.Errorf("severity (-want +got):\n%s", diff)
	}
	var ecos []string
	for _, af := range a.Affected {
		ecos = append(ecos, af.Ecosystem)
		if af.Severity != "high" || af.Note != "Upstream curl developer has rated this issue as high" {
			t.Errorf("%s: severity %q, note %q", af.Ecosystem, af.Severity, af.Note)
		}
	}
	if diff := cmp.Diff([]string{"Ubuntu:20.04:LTS", "Ubuntu:22.04:LTS", "Ubuntu:24.04:LTS"}, ecos); diff != "" {
		t.Errorf("ecosystems (-want +got):\n%s", diff)
	}
	if got := a.Affected[0]; len(got.Versions) != 20 || got.Versions[0] != "7.65.3-1ubuntu3" || cmp.Diff(since0("7.68.0-1ubuntu2.19"), got.Ranges) != "" {
		t.Errorf("first affected: %+v", got)
	}
}

func TestParseRecordErrors(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"invalid JSON", `{"id": "GO-1",`},
		{"not an object", `["GO-1"]`},
		{"no id", `{"modified": "2024-01-01T00:00:00Z"}`},
		{"blank id", `{"id": "  "}`},
		{"bad modified", `{"id": "GO-1", "modified": "yesterday"}`},
		{"bad withdrawn", `{"id": "GO-1", "withdrawn": "2024-13-45T00:00:00Z"}`},
		{"aliases not a list", `{"id": "GO-1", "aliases": "CVE-2024-1"}`},
		{"events of the wrong type", `{"id": "GO-1", "affected": [{"ranges": [{"type": "SEMVER", "events": [{"introduced": 0}]}]}]}`},
	} {
		if _, err := ParseRecord([]byte(tt.in)); err == nil || !errors.Is(err, ErrRecord) {
			t.Errorf("%s: error %v, want one wrapping ErrRecord", tt.name, err)
		}
	}
}

// Odd but readable records are kept: the matcher decides what they mean.
func TestParseRecordKeepsOddities(t *testing.T) {
	a, err := ParseRecord([]byte(`{"id": "X-1", "modified": "2024-01-01T00:00:00Z",
		"severity": [{"type": "CVSS_V3", "score": "not a vector"}, {"type": "FANCY", "score": "9"}],
		"affected": [{"package": {"ecosystem": "NoSuchEcosystem", "name": "p"},
		              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "garbage!!"}, {"fixed": "~~~"}]}],
		              "ecosystem_specific": {"severity": {"nested": true}}, "database_specific": []}],
		"database_specific": {"severity": 7}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := advisory.Advisory{
		ID: "X-1", Source: "osv", Modified: date("2024-01-01T00:00:00Z"),
		Severity: []advisory.Score{{Type: "CVSS_V3", Vector: "not a vector", Source: "x"}, {Type: "FANCY", Vector: "9", Source: "x"}},
		Affected: []advisory.Affected{{Ecosystem: "NoSuchEcosystem", Package: "p",
			Ranges: []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "garbage!!"}, {Fixed: "~~~"}}}}}},
	}
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
