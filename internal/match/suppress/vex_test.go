package suppress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
)

func loadVEX(t *testing.T, path string) *VEX {
	t.Helper()
	v, err := LoadVEX(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestApplyVEX(t *testing.T) {
	ov := loadVEX(t, "testdata/openvex.json")
	cdx := loadVEX(t, "testdata/cyclonedx-vex.json")
	if ov.Format != "openvex" || cdx.Format != "cyclonedx" {
		t.Fatalf("formats = %s, %s", ov.Format, cdx.Format)
	}
	const o, c = "testdata/openvex.json ", "testdata/cyclonedx-vex.json "
	tests := []struct {
		name string
		f    advisory.Finding
		want *advisory.Suppression
	}{
		{"openvex subcomponent", finding("CVE-2024-0001", "pkg:golang/github.com/example/lib@v1.2.3"),
			&advisory.Suppression{Kind: "vex", Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", Statement: o + "statements[0] (https://example.com/vex/image-2024-001#s1)"}},
		{"openvex alias", finding("GO-2024-1", "pkg:golang/github.com/example/lib@v1.2.3", "GHSA-xxxx-yyyy-zzzz"),
			&advisory.Suppression{Kind: "vex", Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", Statement: o + "statements[0] (https://example.com/vex/image-2024-001#s1)"}},
		{"openvex subcomponent other version", finding("CVE-2024-0001", "pkg:golang/github.com/example/lib@v1.2.4"), nil},
		{"openvex image without subcomponents covers all", finding("CVE-2024-0002", "pkg:apk/alpine/busybox@1.36"),
			&advisory.Suppression{Kind: "vex", Status: "not_affected", Justification: "component_not_present", Statement: o + "statements[1]"}},
		{"openvex fixed via identifiers.purl", finding("CVE-2024-0003", "pkg:deb/debian/libxml2@2.9.14+dfsg-1.3~deb12u1?arch=arm64"),
			&advisory.Suppression{Kind: "vex", Status: "fixed", Statement: o + "statements[2]"}},
		{"openvex later affected overrides", finding("CVE-2024-0004", "pkg:npm/minimist@1.2.5"), nil},
		{"openvex under_investigation does not suppress", finding("CVE-2024-0005", "pkg:pypi/requests@2"), nil},
		{"cyclonedx component ref and reference alias", finding("GHSA-1111-2222-3333", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"),
			&advisory.Suppression{Kind: "vex", Status: "not_affected", Justification: "code_not_reachable", Statement: c + "vulnerabilities[0] (vuln-1)"}},
		{"cyclonedx maven name is case-sensitive", finding("CVE-2024-1001", "pkg:maven/com.fasterxml.jackson.core/Jackson-Databind@2.15.2"), nil},
		{"cyclonedx purl ref, resolved", finding("CVE-2024-1002", "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64"),
			&advisory.Suppression{Kind: "vex", Status: "fixed", Justification: "backported fix", Statement: c + "vulnerabilities[1] (vuln-2)"}},
		{"cyclonedx exploitable", finding("CVE-2024-1003", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"), nil},
		{"cyclonedx false_positive on image", finding("CVE-2024-1004", "pkg:npm/left-pad@1"),
			&advisory.Suppression{Kind: "vex", Status: "not_affected", Statement: c + "vulnerabilities[3] (vuln-4)"}},
		{"cyclonedx in_triage", finding("CVE-2024-1005", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"), nil},
		{"no purl on finding", finding("CVE-2024-0002", ""), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []advisory.Finding{tt.f}
			Apply(fs, testNow, nil, []*VEX{ov, cdx})
			if diff := cmp.Diff(tt.want, fs[0].Suppressed); diff != "" {
				t.Errorf("suppression (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIgnoreBeatsVEX(t *testing.T) {
	ig, err := ParseIgnore("i.yaml", []byte("ignore:\n  - id: CVE-2024-0002\n    reason: r\n"))
	if err != nil {
		t.Fatal(err)
	}
	fs := []advisory.Finding{finding("CVE-2024-0002", "pkg:npm/a@1")}
	Apply(fs, testNow, []*Ignore{ig}, []*VEX{loadVEX(t, "testdata/openvex.json")})
	if fs[0].Suppressed == nil || fs[0].Suppressed.Kind != "ignore" {
		t.Errorf("Suppressed = %+v, want the ignore rule", fs[0].Suppressed)
	}
}

func sharedDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("VIGIL_SHARED"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "..", "shared")
}

// TestUbuntuOpenVEX runs real Canonical OpenVEX documents: their products
// are source packages (arch=source) at exact versions.
func TestUbuntuOpenVEX(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedDir(t), "vulnfeeds", "distro", "ubuntu", "vex", "*.json"))
	if len(files) == 0 {
		t.Skip("no Ubuntu OpenVEX files under VIGIL_SHARED or ../../../../shared/vulnfeeds/distro/ubuntu/vex")
	}
	var docs []*VEX
	for _, f := range files {
		v := loadVEX(t, f)
		if v.Format != "openvex" || v.Len() == 0 {
			t.Errorf("%s: format %s, %d statements", f, v.Format, v.Len())
		}
		docs = append(docs, v)
	}
	byName := map[string]*VEX{}
	for _, d := range docs {
		byName[filepath.Base(d.Name)] = d
	}
	tests := []struct {
		name, file string
		f          advisory.Finding
		wantStatus string
	}{
		{"fixed version of curl", "CVE-2023-38545.json",
			finding("CVE-2023-38545", "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24?arch=amd64&distro=jammy"), "fixed"},
		{"binary from source package", "CVE-2023-38545.json",
			advisory.Finding{ID: "CVE-2023-38545", PackagePURL: "pkg:deb/ubuntu/libcurl4@7.81.0-1ubuntu1.24?arch=amd64", SourcePackage: "curl", SourceVersion: "7.81.0-1ubuntu1.24"}, "fixed"},
		{"not affected (trusty esm)", "CVE-2023-38545.json",
			finding("CVE-2023-38545", "pkg:deb/ubuntu/curl@7.35.0-1ubuntu2.20+esm19?arch=amd64"), "not_affected"},
		{"affected xenial", "CVE-2023-38545.json",
			finding("CVE-2023-38545", "pkg:deb/ubuntu/curl@7.47.0-1ubuntu2.19?arch=amd64"), ""},
		{"other version", "CVE-2023-38545.json",
			finding("CVE-2023-38545", "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.13"), ""},
		{"not present", "CVE-2016-20013.json",
			finding("CVE-2016-20013", "pkg:deb/ubuntu/zabbix@1:6.0.25+dfsg-1?arch=source&distro=noble"), "not_affected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := byName[tt.file]
			if d == nil {
				t.Skipf("%s not in shared data", tt.file)
			}
			fs := []advisory.Finding{tt.f}
			Apply(fs, testNow, nil, []*VEX{d})
			got := ""
			if fs[0].Suppressed != nil {
				got = fs[0].Suppressed.Status
			}
			if got != tt.wantStatus {
				t.Errorf("status = %q, want %q (%+v)", got, tt.wantStatus, fs[0].Suppressed)
			}
		})
	}
}

func TestParseVEXErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"invalid json", "{", "not a JSON"},
		{"not vex", `{"foo": 1}`, "neither"},
		{"openvex statements wrong type", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":{}}`, "openvex"},
		{"openvex bad status", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"maybe"}]}`, "unknown status"},
		{"openvex no vulnerability", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"status":"fixed"}]}`, "no name"},
		{"openvex bad timestamp", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"fixed","timestamp":"yesterday"}]}`, "openvex"},
		{"cyclonedx wrong type", `{"bomFormat":"CycloneDX","vulnerabilities":[{"id":3}]}`, "cyclonedx"},
		{"cyclonedx missing id", `{"bomFormat":"CycloneDX","vulnerabilities":[{"analysis":{"state":"not_affected"}}]}`, "missing id"},
		{"cyclonedx bad state", `{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"fine"}}]}`, "unknown analysis state"},
		{"huge", strings.Repeat(" ", MaxVEXSize+1), "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVEX("bad.json", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "bad.json") {
				t.Errorf("error = %v, want one containing %q and the file name", err, tt.want)
			}
		})
	}
}

func TestOpenVEXLegacyStrings(t *testing.T) {
	doc := `{"@context":"https://openvex.dev/ns","statements":[{"vulnerability":"CVE-1","products":["pkg:npm/a@1"],"status":"not_affected","justification":"inline_mitigations_already_exist"}]}`
	v, err := ParseVEX("old.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	fs := []advisory.Finding{finding("CVE-1", "pkg:npm/a@1")}
	Apply(fs, testNow, nil, []*VEX{v})
	if fs[0].Suppressed == nil {
		t.Error("OpenVEX 0.0.1 string forms not understood")
	}
}
