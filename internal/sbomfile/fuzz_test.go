package sbomfile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilproject/vigil/internal/report"
)

// FuzzRead checks that no input makes Read panic, and that what it accepts
// is an inventory of the kind "sbom" or Vigil's own.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"alpine.cdx.xml", "rocky.spdx"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, format := range []string{report.FormatJSON, report.FormatCycloneDX, report.FormatSPDX} {
		var buf bytes.Buffer
		if err := report.WriteInventory(&buf, fixtureInventory(), format, report.Options{}); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte(`{"schemaVersion":1,"packages":[]}`))
	f.Add([]byte(`{"bomFormat":"CycloneDX","components":[{"type":"library","purl":"pkg:deb/debian/a@1?upstream=b%401"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Read(context.Background(), "fuzz", bytes.NewReader(data))
		if err != nil {
			return
		}
		if inv == nil {
			t.Fatal("nil inventory without error")
		}
	})
}
