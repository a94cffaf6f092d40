package suppress

import (
	"os"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
)

func addFile(f *testing.F, path string) {
	if b, err := os.ReadFile(path); err == nil {
		f.Add(b)
	}
}

func FuzzParseIgnore(f *testing.F) {
	addFile(f, "testdata/vigilignore.yaml")
	f.Add([]byte("ignore:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-31\n    package: pkg:deb/debian/a@1\n"))
	f.Add([]byte("ignore: [{id: x, reason: y, expires: 2024-01-01T00:00:00Z}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ig, err := ParseIgnore("fuzz.yaml", data)
		if err != nil {
			return
		}
		fs := []advisory.Finding{{ID: "CVE-1", Aliases: []string{"x"}, PackagePURL: "pkg:deb/debian/a@1", PackageName: "a"}}
		Apply(fs, time.Unix(0, 0), []*Ignore{ig}, nil)
	})
}

func FuzzParseVEX(f *testing.F) {
	addFile(f, "testdata/openvex.json")
	addFile(f, "testdata/cyclonedx-vex.json")
	addFile(f, "testdata/cyclonedx-vex-1.5.xml")
	addFile(f, "testdata/cyclonedx-go-valid-vulnerability-1.6.xml")
	f.Add([]byte(`{"@context":"https://openvex.dev/ns","statements":[{"vulnerability":"CVE-1","products":["pkg:npm/a@1"],"status":"fixed"}]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","components":[{"bom-ref":"a","purl":"pkg:npm/a@1"}],"vulnerabilities":[{"id":"CVE-1","analysis":{"state":"resolved"},"affects":[{"ref":"a"}]}]}`))
	f.Add([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component bom-ref="a"><purl>pkg:npm/a@1</purl></component></components><vulnerabilities><vulnerability><id>CVE-1</id><analysis><state>resolved</state></analysis><affects><target><ref>a</ref></target></affects></vulnerability></vulnerabilities></bom>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseVEX("fuzz.json", data)
		if err != nil {
			return
		}
		fs := []advisory.Finding{{ID: "CVE-1", PackagePURL: "pkg:npm/a@1", SourcePackage: "a"}}
		Apply(fs, time.Unix(0, 0), nil, []*VEX{v})
	})
}
