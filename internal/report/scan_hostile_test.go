package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/vigilproject/vigil/internal/advisory"
)

// hostileScanResult scans hostileInventory: every finding's free text —
// ids, aliases, summaries, versions, locations, suppression reasons —
// is hostile, and each finding appears twice, as its package does.
func hostileScanResult() *ScanResult {
	res := testScanResult()
	res.Inventory = hostileInventory()
	res.Warnings = append(res.Warnings, hostileStrings...)
	n := len(hostileStrings)
	for i, p := range res.Inventory.Packages {
		s := hostileStrings[i%n]
		f := advisory.Finding{
			ID:          hostileStrings[(i+1)%n],
			Aliases:     []string{s, hostileStrings[(i+2)%n], s},
			Summary:     hostileStrings[(i+3)%n],
			PackagePURL: p.PURL, PackageName: p.Name, PackageEcosystem: string(p.Ecosystem),
			InstalledVersion: p.Version, Locations: p.Locations, InBase: p.InBase,
			Source: s, AdvisoryID: s, Ecosystem: s,
			Status:   advisory.Status(hostileStrings[(i+4)%n]),
			Fix:      advisory.Fix{Versions: []string{hostileStrings[(i+5)%n]}, Where: s},
			Severity: advisory.Severity(i%8 - 1),
			CVSS:     float64(i%12) - 0.5,
			Scores:   []advisory.Score{{Type: s, Vector: hostileStrings[(i+6)%n], Base: float64(i % 11), Source: s}},
		}
		switch i % 4 {
		case 1:
			f.Suppressed = &advisory.Suppression{Kind: "vex", Status: "not_affected", Justification: s, Statement: s}
		case 2:
			f.Suppressed = &advisory.Suppression{Kind: "ignore", Justification: s, Statement: s}
		case 3:
			f.Fix.Versions = nil
		}
		res.Findings = append(res.Findings, f)
	}
	return res
}

func TestScanHostileDataGivesValidOutput(t *testing.T) {
	res := hostileScanResult()
	opts := scanTestOptions(t)
	for _, f := range ScanFormats() {
		t.Run(f, func(t *testing.T) {
			out := encodeScan(t, res, f, opts)
			if !utf8.Valid(out) && f != FormatTemplate {
				t.Error("output is not valid UTF-8")
			}
			switch f {
			case FormatTable:
				checkTableIsInert(t, out, false)
			case FormatMarkdown:
				checkMarkdownIsInert(t, out)
			case FormatTemplate:
				// The example template sanitises what it prints (but does
				// not cut it).
				for i, r := range string(out) {
					if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d') {
						t.Fatalf("control or format character %U at byte %d", r, i)
					}
				}
			default:
				if !json.Valid(out) {
					t.Fatal("output is not valid JSON")
				}
			}
		})
	}
	t.Run("colour table", func(t *testing.T) {
		o := opts
		o.Color = true
		checkTableIsInert(t, encodeScan(t, res, FormatTable, o), true)
	})
}

// checkMarkdownIsInert checks that no hostile text turns into markup: every
// table row stays one line, no raw HTML but our own, no mentions, and the
// comment fits GitHub's limit.
func checkMarkdownIsInert(t testing.TB, out []byte) {
	t.Helper()
	if len(out) > maxMarkdown {
		t.Errorf("comment is %d bytes, over GitHub's limit", len(out))
	}
	text := string(out)
	for _, bad := range []string{"\x1b", "\x00", " @", "\u202e"} {
		if strings.Contains(text, bad) {
			t.Errorf("markdown contains %q", bad)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "|") && !strings.HasSuffix(line, "|") {
			t.Errorf("table row broken: %.80q", line)
		}
		if rawTag.MatchString(line) {
			switch line {
			case "<details>", "</details>":
			default:
				if !strings.HasPrefix(line, "<summary>") && !strings.HasPrefix(line, "<sub>") {
					t.Errorf("raw HTML in %.80q", line)
				}
			}
		}
	}
}

// A scan with thousands of findings must still fit one GitHub comment,
// and say that it was cut.
func TestScanMarkdownIsBounded(t *testing.T) {
	res := testScanResult()
	base := res.Findings[2]
	for i := range 5000 {
		f := base
		f.ID = fmt.Sprintf("CVE-2024-%05d", i)
		f.Suppressed = nil
		if i%3 == 0 {
			f.Fix.Versions = nil
		}
		res.Findings = append(res.Findings, f)
	}
	out := encodeScan(t, res, FormatMarkdown, testOptions())
	if len(out) > maxMarkdown {
		t.Fatalf("comment is %d bytes, over %d", len(out), maxMarkdown)
	}
	if !bytes.Contains(out, []byte("more rows not shown")) {
		t.Error("no truncation note")
	}
	if !bytes.HasSuffix(out, []byte("</sub>\n")) || bytes.Count(out, []byte("<details>")) != bytes.Count(out, []byte("</details>")) {
		t.Error("truncated comment is not well formed")
	}
}

func TestScanTemplateErrors(t *testing.T) {
	for name, tmpl := range map[string]string{
		"none":      "",
		"syntax":    "{{ .Summary.Total ",
		"bad field": "{{ .NoSuchField }}",
		"bad func":  "{{ nosuchfunc 1 }}",
	} {
		t.Run(name, func(t *testing.T) {
			opts := testOptions()
			opts.Template = tmpl
			var buf bytes.Buffer
			if err := WriteScan(&buf, testScanResult(), FormatTemplate, opts); err == nil {
				t.Error("no error")
			}
			if buf.Len() != 0 {
				t.Errorf("failed template wrote %q", buf.String())
			}
		})
	}
}

// rawTag finds a '<' that Markdown would read as the start of HTML: one
// not escaped with a backslash.
var rawTag = regexp.MustCompile(`(^|[^\\])<[a-zA-Z/!?]`)
