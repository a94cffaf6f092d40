package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilproject/vigil/internal/sbomfile"
)

func TestCountComponents(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want int
	}{
		{"empty", "", 0},
		{"cyclonedx", `{"bomFormat":"CycloneDX","components":[{"purl":"a"},{"purl":"b"}]}`, 2},
		{"nested", `{"components":[{"purl":"a","components":[{"purl":"b"},{"purl":"c","components":[{}]}]}]}`, 4},
		{"metadata component", `{"metadata":{"component":{"name":"x","components":[{}]}},"components":[{}]}`, 2},
		{"strings are not structure", `{"components":[{"name":"[{\"}{"},{"name":"\\"}]"}]}`, 2},
		{"key in a value", `{"x":"components","y":[{},{}]}`, 0},
		{"other arrays", `{"dependencies":[{},{}],"components":[{"hashes":[{},{}],"properties":[{}]}]}`, 1},
		{"spdx and vigil", `{"spdxVersion":"SPDX-2.3","packages":[{},{},{}]}`, 3},
		{"case folded", `{"Components":[{}],"PACKAGES":[{}],"componentſ":[{}]}`, 3},
		{"escaped key", `{"comp\u006fnents":[{},{}]}`, 2},
		{"space before bracket", "{\"components\" :\n [ {} , {} ]}", 2},
		{"array of arrays", `{"components":[[{}],{}]}`, 1},
		{"byte order mark", "\xef\xbb\xbf {\"components\":[{}]}", 1},
		{"unterminated", `{"components":[{},{`, 2},
		{"xml", `<bom><components><component type="library"/><component><components><component>x</component></components></component></components></bom>`, 3},
		{"xml namespaced", `<c:bom xmlns:c="x"><c:components><c:component>a</c:component></c:components></c:bom>`, 1},
		{"xml not elements", `<bom><name>component</name><componentx/></bom>`, 0},
		{"tag-value", "SPDXVersion: SPDX-2.3\nPackageName: a\n  PackageName : b\nPackageVersion: 1\n# PackageName: c\n", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := countComponents([]byte(tc.doc)); got != tc.want {
				t.Errorf("countComponents(%q) = %d, want %d", tc.doc, got, tc.want)
			}
		})
	}
	// Every component counts, with a PURL or not, the operating system
	// and the image's own too.
	for f, want := range map[string]int{"app.cdx.json": 5, "alpine.cdx.xml": 5, "rocky.spdx": 3} {
		doc := readTestdata(t, f)
		inv, err := sbomfile.Read(context.Background(), f, bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if n := countComponents(doc); n != want || n < len(inv.Packages) {
			t.Errorf("%s: %d components counted, want %d (%d packages decoded)", f, n, want, len(inv.Packages))
		}
	}
}

// FuzzCountComponents holds the count to its promise: never fewer than
// the packages the document decodes to, so no SBOM slips past the limit.
func FuzzCountComponents(f *testing.F) {
	for _, name := range []string{"app.cdx.json", "alpine.cdx.xml", "rocky.spdx"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		n := countComponents(doc)
		inv, err := sbomfile.Read(context.Background(), "fuzz", bytes.NewReader(doc))
		if err != nil {
			return
		}
		if n < len(inv.Packages) {
			t.Errorf("%d components counted, %d packages decoded from %q", n, len(inv.Packages), doc)
		}
	})
}
