package suppress

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
)

// TestCycloneDXXMLMeansWhatJSONMeans applies the same findings to
// cyclonedx-vex.json and to its CycloneDX 1.5 XML form, whose first five
// vulnerabilities are the JSON document's: every suppression must agree.
func TestCycloneDXXMLMeansWhatJSONMeans(t *testing.T) {
	js := loadVEX(t, "testdata/cyclonedx-vex.json")
	x := loadVEX(t, "testdata/cyclonedx-vex-1.5.xml")
	if x.Format != "cyclonedx" || x.Len() != 7 {
		t.Fatalf("xml: format %s, %d statements; want cyclonedx, 7", x.Format, x.Len())
	}
	findings := []advisory.Finding{
		finding("GHSA-1111-2222-3333", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"),
		finding("CVE-2024-1001", "pkg:maven/com.fasterxml.jackson.core/Jackson-Databind@2.15.2"),
		finding("CVE-2024-1002", "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64"),
		finding("CVE-2024-1003", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"),
		finding("CVE-2024-1004", "pkg:npm/left-pad@1"),
		finding("CVE-2024-1005", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"),
		finding("CVE-2024-1001", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.1"),
	}
	suppressed := 0
	for _, f := range findings {
		a, b := []advisory.Finding{f}, []advisory.Finding{f}
		Apply(a, testNow, nil, []*VEX{js})
		Apply(b, testNow, nil, []*VEX{x})
		if a[0].Suppressed != nil {
			suppressed++
			a[0].Suppressed.Statement = strings.TrimPrefix(a[0].Suppressed.Statement, js.Name+" ")
		}
		if b[0].Suppressed != nil {
			b[0].Suppressed.Statement = strings.TrimPrefix(b[0].Suppressed.Statement, x.Name+" ")
		}
		if diff := cmp.Diff(a[0].Suppressed, b[0].Suppressed); diff != "" {
			t.Errorf("%s on %s: JSON and XML disagree (-json +xml):\n%s", f.ID, f.PackagePURL, diff)
		}
	}
	if suppressed != 3 {
		t.Errorf("%d findings suppressed by the JSON document, want 3: the comparison is not exercised", suppressed)
	}
}

func TestApplyCycloneDXXML(t *testing.T) {
	x := loadVEX(t, "testdata/cyclonedx-vex-1.5.xml")
	real := loadVEX(t, "testdata/cyclonedx-go-valid-vulnerability-1.6.xml")
	const c, r = "testdata/cyclonedx-vex-1.5.xml ", "testdata/cyclonedx-go-valid-vulnerability-1.6.xml "
	tests := []struct {
		name string
		doc  *VEX
		f    advisory.Finding
		want *advisory.Suppression
	}{
		{"component ref and reference alias", x, finding("GHSA-1111-2222-3333", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"),
			&advisory.Suppression{Kind: "vex", Status: "not_affected", Justification: "code_not_reachable", Statement: c + "vulnerabilities[0] (vuln-1)"}},
		{"purl ref, resolved, detail as justification", x, finding("CVE-2024-1002", "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64"),
			&advisory.Suppression{Kind: "vex", Status: "fixed", Justification: "backported fix", Statement: c + "vulnerabilities[1] (vuln-2)"}},
		{"false_positive on the image covers its packages", x, finding("CVE-2024-1004", "pkg:npm/left-pad@1"),
			&advisory.Suppression{Kind: "vex", Status: "not_affected", Statement: c + "vulnerabilities[3] (vuln-4)"}},
		{"exploitable does not suppress", x, finding("CVE-2024-1003", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"), nil},
		{"in_triage does not suppress", x, finding("CVE-2024-1005", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"), nil},
		// vuln-6 (not_affected, published without a time zone) is older
		// than vuln-7 (exploitable, updated 2024-06-01): the newer decides.
		{"later exploitable lifts earlier not_affected, nested component", x, finding("GO-2024-2687", "pkg:golang/golang.org/x/net@v0.20.0", "CVE-2023-45288"), nil},
		{"earlier not_affected alone, by the GO id", x, finding("GO-2024-2687", "pkg:golang/golang.org/x/net@v0.20.0"),
			&advisory.Suppression{Kind: "vex", Status: "not_affected", Justification: "requires_configuration", Statement: c + "vulnerabilities[5] (vuln-6)"}},
		{"other package", x, finding("CVE-2024-1001", "pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2"), nil},
		{"cyclonedx-go's 1.6 example: reference id, component purl as ref", real,
			finding("CVE-2018-7489", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4"),
			&advisory.Suppression{Kind: "vex", Status: "not_affected", Justification: "code_not_reachable", Statement: r + "vulnerabilities[0] (6eee14da-8f42-4cc4-bb65-203235f02415)"}},
		{"cyclonedx-go's 1.6 example: other version", real,
			finding("CVE-2018-7489", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.5"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []advisory.Finding{tt.f}
			Apply(fs, testNow, nil, []*VEX{tt.doc})
			if diff := cmp.Diff(tt.want, fs[0].Suppressed); diff != "" {
				t.Errorf("suppression (-want +got):\n%s", diff)
			}
		})
	}
}

// An xs:dateTime without a time zone is read as UTC, and a lone
// not_affected statement like vuln-6 above does suppress: the "later lifts
// earlier" case is decided by vuln-7, not by a statement that never worked.
func TestCycloneDXXMLTimes(t *testing.T) {
	doc := `<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library" bom-ref="n"><name>x</name><purl>pkg:golang/golang.org/x/net@v0.20.0</purl></component></components>
<vulnerabilities><vulnerability><id>CVE-2023-45288</id><published>2024-04-04T21:03:44</published><analysis><state>not_affected</state><justification>requires_configuration</justification></analysis><affects><target><ref>n</ref></target></affects></vulnerability></vulnerabilities></bom>`
	v, err := ParseVEX("one.xml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.statements[0].timestamp.Format("2006-01-02T15:04:05Z07:00"); got != "2024-04-04T21:03:44Z" {
		t.Errorf("timestamp = %s, want the zone-less time read as UTC", got)
	}
	fs := []advisory.Finding{finding("CVE-2023-45288", "pkg:golang/golang.org/x/net@v0.20.0")}
	Apply(fs, testNow, nil, []*VEX{v})
	if fs[0].Suppressed == nil || fs[0].Suppressed.Justification != "requires_configuration" {
		t.Errorf("Suppressed = %+v, want requires_configuration", fs[0].Suppressed)
	}
}

func TestParseCycloneDXXMLErrors(t *testing.T) {
	const ns = `xmlns="http://cyclonedx.org/schema/bom/1.6"`
	tests := []struct {
		name, data, want string
	}{
		{"not well-formed", `<bom ` + ns + `><vulnerabilities>`, "cyclonedx xml"},
		{"other root", `<?xml version="1.0"?><spdx ` + ns + `/>`, "want a CycloneDX bom"},
		{"no namespace", `<bom><vulnerabilities/></bom>`, "want a CycloneDX bom"},
		{"other namespace", `<bom xmlns="http://example.com/bom"/>`, "want a CycloneDX bom"},
		{"missing id", `<bom ` + ns + `><vulnerabilities><vulnerability><analysis><state>not_affected</state></analysis></vulnerability></vulnerabilities></bom>`, "missing id"},
		{"bad state", `<bom ` + ns + `><vulnerabilities><vulnerability><id>CVE-1</id><analysis><state>fine</state></analysis></vulnerability></vulnerabilities></bom>`, "unknown analysis state"},
		{"bad updated", `<bom ` + ns + `><vulnerabilities><vulnerability><id>CVE-1</id><updated>yesterday</updated></vulnerability></vulnerabilities></bom>`, "updated"},
		{"bad metadata timestamp", `<bom ` + ns + `><metadata><timestamp>2024-13-01T00:00:00Z</timestamp></metadata></bom>`, "metadata timestamp"},
		{"undefined entity", `<bom ` + ns + `><vulnerabilities><vulnerability><id>&xxe;</id></vulnerability></vulnerabilities></bom>`, "cyclonedx xml"},
		{"external entity is not read", `<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><bom ` + ns + `><vulnerabilities><vulnerability><id>&xxe;</id></vulnerability></vulnerabilities></bom>`, "cyclonedx xml"},
		{"nested too deeply", `<bom ` + ns + `><components>` + strings.Repeat(`<component type="library"><components>`, 70) +
			strings.Repeat(`</components></component>`, 70) + `</components></bom>`, "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVEX("bad.xml", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "bad.xml") {
				t.Errorf("error = %v, want one containing %q and the file name", err, tt.want)
			}
		})
	}
}

func TestIsXML(t *testing.T) {
	for in, want := range map[string]bool{
		`<bom/>`:              true,
		"\uFEFF\n  <?xml?>":   true,
		`{"bomFormat":"x"}`:   false,
		"  \n{":               false,
		"":                    false,
		"\uFEFF{\"a\":\"<\"}": false,
	} {
		if got := isXML([]byte(in)); got != want {
			t.Errorf("isXML(%q) = %v, want %v", in, got, want)
		}
	}
}
