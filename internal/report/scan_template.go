package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

// TemplateData is what a template given to the "template" scan format
// (Options.Template, Go text/template syntax) is executed with. The model
// is documented for users in testdata/scan/README.md; keep the two in step.
//
// Fields:
//
//   - .Inventory: the *sbom.Inventory scanned (.Inventory.Source.Reference,
//     .Inventory.Distro, .Inventory.Packages …; never nil).
//   - .Findings: every finding as advisory.Finding, worst first,
//     suppressed ones included (test .Suppressed).
//   - .Active / .Suppressed: the unsuppressed and suppressed findings.
//   - .Summary: ScanSummary counts (.Summary.Total, .Summary.Fixable,
//     .Summary.Suppressed, .Summary.Packages, .Summary.BySeverity).
//   - .DBVersion, .DBBuilt, .Warnings: as in ScanResult.
//   - .GeneratedAt (time.Time) and .ToolVersion.
//
// Functions, besides text/template's built-ins:
//
//   - join LIST SEP, upper S, lower S, truncate S N
//   - sanitize S: S made inert for a terminal (control characters escaped)
//   - severityCount NAME: unsuppressed findings of that severity
//   - fixedIn FINDING: "1.2.3, 1.3.1", "(no fix)" or "(won't fix)"
//   - notes FINDING: KEV / ransomware / EPSS marks, as a list
//   - date TIME: "2006-01-02", empty for the zero time
//
// Templates print text as it is: data from an image can hold anything, so
// a template writing to a terminal or to HTML should use sanitize or an
// escaping of its own.
type TemplateData struct {
	Inventory   *sbom.Inventory
	Findings    []*advisory.Finding
	Active      []*advisory.Finding
	Suppressed  []*advisory.Finding
	Summary     ScanSummary
	DBVersion   int64
	DBBuilt     time.Time
	Warnings    []string
	GeneratedAt time.Time
	ToolVersion string
}

// ErrNoTemplate is returned (wrapped) when the template format is asked
// for without Options.Template.
var ErrNoTemplate = errors.New("no template given")

func templateFuncs(sum ScanSummary) template.FuncMap {
	return template.FuncMap{
		"join":          strings.Join,
		"upper":         strings.ToUpper,
		"lower":         strings.ToLower,
		"truncate":      func(s string, n int) string { return truncate(s, n) },
		"sanitize":      func(s string) string { return cell(s, 1<<30) },
		"severityCount": func(name string) int { return sum.BySeverity[name] },
		"fixedIn":       fixedIn,
		"notes":         exploitNotes,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02")
		},
	}
}

func writeScanTemplate(w io.Writer, res *ScanResult, opts Options) error {
	if opts.Template == "" {
		return ErrNoTemplate
	}
	sum := summarize(res.Findings)
	tmpl, err := template.New("scan").Funcs(templateFuncs(sum)).Parse(opts.Template)
	if err != nil {
		return fmt.Errorf("parse template: %w", err)
	}
	data := TemplateData{
		Inventory:   res.Inventory,
		Findings:    sortedFindings(res.Findings),
		Active:      activeFindings(res),
		Suppressed:  suppressedFindings(res),
		Summary:     sum,
		DBVersion:   res.DBVersion,
		DBBuilt:     res.DBBuilt,
		Warnings:    res.Warnings,
		GeneratedAt: opts.now(),
		ToolVersion: opts.ToolVersion,
	}
	// Executed into a buffer so that a failing template writes nothing
	// rather than half a report.
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("execute template: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
