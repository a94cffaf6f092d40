package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func encodeScan(t testing.TB, res *ScanResult, format string, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteScan(&buf, res, format, opts); err != nil {
		t.Fatalf("WriteScan(%s): %v", format, err)
	}
	return buf.Bytes()
}

// scanTestOptions are testOptions with the example template of
// testdata/scan/README.md, so the documented example is kept honest.
func scanTestOptions(t testing.TB) Options {
	t.Helper()
	opts := testOptions()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "scan", "example.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	opts.Template = string(tmpl)
	return opts
}

func TestScanGolden(t *testing.T) {
	plain := scanTestOptions(t)
	colour := plain
	colour.Color = true
	tests := []struct {
		file   string
		res    func() *ScanResult
		format string
		opts   Options
	}{
		{"scan.table.txt", testScanResult, FormatTable, plain},
		{"scan.color.table.txt", testScanResult, FormatTable, colour},
		{"scan.json", testScanResult, FormatJSON, plain},
		{"scan.sarif.json", testScanResult, FormatSARIF, plain},
		{"scan.cdx.json", testScanResult, FormatCycloneDX, plain},
		{"scan.md", testScanResult, FormatMarkdown, plain},
		{"scan.openvex.json", testScanResult, FormatOpenVEX, plain},
		{"scan.template.txt", testScanResult, FormatTemplate, plain},
		{"empty.table.txt", emptyScanResult, FormatTable, plain},
		{"empty.json", emptyScanResult, FormatJSON, plain},
		{"empty.sarif.json", emptyScanResult, FormatSARIF, plain},
		{"empty.cdx.json", emptyScanResult, FormatCycloneDX, plain},
		{"empty.md", emptyScanResult, FormatMarkdown, plain},
		{"empty.template.txt", emptyScanResult, FormatTemplate, plain},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := encodeScan(t, tt.res(), tt.format, tt.opts)
			path := filepath.Join("testdata", "scan", tt.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs from golden (-want +got; go test -update rewrites it):\n%s", tt.file, diff)
			}
		})
	}
}

// A clean scan has nothing an OpenVEX statement could say: WriteScan
// refuses with ErrNoStatements and writes nothing, whatever the rest of
// the result holds.
func TestScanOpenVEXWithoutFindings(t *testing.T) {
	withWarnings := emptyScanResult()
	withWarnings.Warnings = []string{"match: no advisories for alpine-3.20 in the database"}
	noInventory := emptyScanResult()
	noInventory.Inventory = nil
	for name, res := range map[string]*ScanResult{"clean": emptyScanResult(), "warnings": withWarnings, "no inventory": noInventory} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteScan(&buf, res, FormatOpenVEX, testOptions())
			if !errors.Is(err, ErrNoStatements) {
				t.Errorf("err = %v, want ErrNoStatements", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes:\n%s", buf.Len(), buf.Bytes())
			}
		})
	}
	// One finding is enough for a document, suppressed or not.
	res := emptyScanResult()
	one := testScanResult().Findings[1]
	if one.Suppressed == nil {
		t.Fatal("fixture changed: Findings[1] should be suppressed by VEX")
	}
	res.Findings = append(res.Findings, one)
	validate(t, openVEXSchema(t), encodeScan(t, res, FormatOpenVEX, testOptions()))
}

func TestScanFormats(t *testing.T) {
	want := []string{"table", "json", "sarif", "cyclonedx-json", "markdown", "openvex", "template"}
	if diff := cmp.Diff(want, ScanFormats()); diff != "" {
		t.Errorf("ScanFormats() (-want +got):\n%s", diff)
	}
}

func TestScanUnknownFormat(t *testing.T) {
	for _, f := range []string{"", "spdx-json", "SARIF", "xml"} {
		err := WriteScan(&bytes.Buffer{}, testScanResult(), f, testOptions())
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("format %q: got %v, want ErrUnknownFormat", f, err)
			continue
		}
		for _, valid := range ScanFormats() {
			if !strings.Contains(err.Error(), valid) {
				t.Errorf("format %q: error %q does not list %q", f, err, valid)
			}
		}
	}
}

func TestScanNilResult(t *testing.T) {
	for _, f := range ScanFormats() {
		if err := WriteScan(&bytes.Buffer{}, nil, f, scanTestOptions(t)); err == nil {
			t.Errorf("format %q: nil result accepted", f)
		}
		// A result without an inventory (a scan of a bare package list)
		// still encodes.
		res := testScanResult()
		res.Inventory = nil
		if err := WriteScan(&bytes.Buffer{}, res, f, scanTestOptions(t)); err != nil {
			t.Errorf("format %q without inventory: %v", f, err)
		}
	}
}

func TestScanWriteErrorIsReturned(t *testing.T) {
	for _, f := range ScanFormats() {
		err := WriteScan(failWriter{}, testScanResult(), f, scanTestOptions(t))
		if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), f) {
			t.Errorf("format %q: got %v, want the writer's error naming the format", f, err)
		}
	}
}

func TestScanDoesNotModifyResult(t *testing.T) {
	for _, f := range ScanFormats() {
		res := testScanResult()
		encodeScan(t, res, f, scanTestOptions(t))
		if diff := cmp.Diff(testScanResult(), res); diff != "" {
			t.Errorf("%s modified the result (-before +after):\n%s", f, diff)
		}
	}
}

func TestScanTableColorKeepsAlignment(t *testing.T) {
	opts := testOptions()
	plain := encodeScan(t, testScanResult(), FormatTable, opts)
	opts.Color = true
	coloured := encodeScan(t, testScanResult(), FormatTable, opts)
	if diff := cmp.Diff(string(plain), ansi.ReplaceAllString(string(coloured), "")); diff != "" {
		t.Errorf("colour changes the layout (-plain +coloured without escapes):\n%s", diff)
	}
}

func TestScanSummary(t *testing.T) {
	got := summarize(testScanResult().Findings)
	want := ScanSummary{
		BySeverity: map[string]int{"critical": 0, "high": 2, "medium": 2, "low": 1, "negligible": 0, "unknown": 0},
		Total:      5, Fixable: 3, Suppressed: 2, Packages: 5,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summarize (-want +got):\n%s", diff)
	}
	if got, want := summaryText(got), "5 vulnerabilities (2 high, 2 medium, 1 low) in 5 packages, 3 fixable; 2 suppressed by VEX/ignores"; got != want {
		t.Errorf("summaryText = %q, want %q", got, want)
	}
}
