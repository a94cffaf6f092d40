package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Formats accepted by WriteScan besides FormatTable, FormatJSON and
// FormatCycloneDX, which it shares with WriteInventory.
const (
	FormatSARIF    = "sarif"
	FormatMarkdown = "markdown"
	FormatOpenVEX  = "openvex"
	FormatTemplate = "template"
)

// ScanSchemaVersion is the version of the "json" scan format
// (schema/vigil-scan.schema.json). It is bumped when a field changes meaning
// or is removed; adding fields does not bump it.
const ScanSchemaVersion = 1

// ScanResult is what one vulnerability scan found: the inventory that was
// matched, the findings (suppressed ones included, marked), and which
// vulnerability database answered.
type ScanResult struct {
	Inventory *sbom.Inventory
	Findings  []advisory.Finding
	// DBVersion and DBBuilt identify the vulnerability database; zero when
	// unknown.
	DBVersion int64
	DBBuilt   time.Time
	// Warnings are problems met while matching that did not stop the scan.
	Warnings []string
}

// ScanFormats returns the formats WriteScan accepts, in the order they
// should be offered to users.
func ScanFormats() []string {
	return []string{FormatTable, FormatJSON, FormatSARIF, FormatCycloneDX, FormatMarkdown, FormatOpenVEX, FormatTemplate}
}

// WriteScan encodes res to w in the named format (see ScanFormats). It does
// not modify res. As with WriteInventory, hostile text in the inventory or
// the advisories yields a valid document. FormatTemplate executes
// opts.Template (see TemplateData for what the template sees).
func WriteScan(w io.Writer, res *ScanResult, format string, opts Options) error {
	if res == nil {
		return errors.New("report: nil scan result")
	}
	if res.Inventory == nil {
		// Findings can come from a scan of an SBOM or a list of PURLs that
		// carries no image description; report them against an unnamed one.
		r := *res
		r.Inventory = &sbom.Inventory{SchemaVersion: sbom.SchemaVersion, BaseImage: sbom.BaseImage{Source: sbom.BaseUnknown}}
		res = &r
	}
	var err error
	switch format {
	case FormatTable:
		err = writeScanTable(w, res, opts)
	case FormatJSON:
		err = writeScanJSON(w, res, opts)
	case FormatSARIF:
		err = writeScanSARIF(w, res, opts)
	case FormatCycloneDX:
		err = writeScanCycloneDX(w, res, opts)
	case FormatMarkdown:
		err = writeScanMarkdown(w, res, opts)
	case FormatOpenVEX:
		err = writeScanOpenVEX(w, res, opts)
	case FormatTemplate:
		err = writeScanTemplate(w, res, opts)
	default:
		return fmt.Errorf("report: %w %q (valid: %s)", ErrUnknownFormat, format, strings.Join(ScanFormats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("report: %s: %w", format, err)
	}
	return nil
}

// severities lists the severities from worst to least, as reports show them.
var severities = []advisory.Severity{
	advisory.SeverityCritical, advisory.SeverityHigh, advisory.SeverityMedium,
	advisory.SeverityLow, advisory.SeverityNegligible, advisory.SeverityUnknown,
}

// ScanSummary counts the findings of a result. Suppressed findings are
// counted only in Suppressed.
type ScanSummary struct {
	// BySeverity maps a severity name ("critical" … "unknown") to the
	// number of unsuppressed findings of that severity; every name is
	// present.
	BySeverity map[string]int
	Total      int
	// Fixable counts unsuppressed findings with a fixed version.
	Fixable    int
	Suppressed int
	// Packages counts distinct packages with an unsuppressed finding.
	Packages int
}

func summarize(findings []advisory.Finding) ScanSummary {
	s := ScanSummary{BySeverity: map[string]int{}}
	for _, sev := range severities {
		s.BySeverity[sev.String()] = 0
	}
	pkgs := map[string]bool{}
	for i := range findings {
		f := &findings[i]
		if f.Suppressed != nil {
			s.Suppressed++
			continue
		}
		s.Total++
		s.BySeverity[f.Severity.String()]++
		if f.Fixable() {
			s.Fixable++
		}
		pkgs[findingPackageKey(f)] = true
	}
	s.Packages = len(pkgs)
	return s
}

// findingPackageKey identifies the package a finding is about.
func findingPackageKey(f *advisory.Finding) string {
	return f.PackageEcosystem + "\x00" + f.PackageName + "\x00" + f.InstalledVersion + "\x00" + f.PackagePURL
}

// sortedFindings returns pointers to the findings, worst first, then by
// package and id, so every format lists them in one stable order.
func sortedFindings(findings []advisory.Finding) []*advisory.Finding {
	out := make([]*advisory.Finding, len(findings))
	for i := range findings {
		out[i] = &findings[i]
	}
	slices.SortStableFunc(out, compareFindings)
	return out
}

func compareFindings(a, b *advisory.Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(b.CVSS, a.CVSS),
		strings.Compare(a.PackageName, b.PackageName),
		strings.Compare(a.InstalledVersion, b.InstalledVersion),
		strings.Compare(a.PackagePURL, b.PackagePURL),
		strings.Compare(a.ID, b.ID),
		strings.Compare(a.Source, b.Source),
		strings.Compare(strings.Join(a.Locations, "\x00"), strings.Join(b.Locations, "\x00")),
	)
}

// findingGroup is the findings of one package.
type findingGroup struct {
	Name, Version, Ecosystem, PURL string
	Findings                       []*advisory.Finding
}

// groupByPackage groups findings by package; groups come worst first (by
// their worst finding), then by name.
func groupByPackage(findings []*advisory.Finding) []*findingGroup {
	var groups []*findingGroup
	byKey := map[string]*findingGroup{}
	for _, f := range findings {
		k := findingPackageKey(f)
		g := byKey[k]
		if g == nil {
			g = &findingGroup{Name: f.PackageName, Version: f.InstalledVersion, Ecosystem: f.PackageEcosystem, PURL: f.PackagePURL}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.Findings = append(g.Findings, f)
	}
	slices.SortStableFunc(groups, func(a, b *findingGroup) int {
		return cmp.Or(
			cmp.Compare(worst(b).Severity, worst(a).Severity),
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version),
			strings.Compare(a.PURL, b.PURL),
		)
	})
	return groups
}

// worst returns the group's worst finding; findings are sorted, so it is
// the first.
func worst(g *findingGroup) *advisory.Finding { return g.Findings[0] }

// inBase reports whether fixing f is the base image's business.
func inBase(f *advisory.Finding) bool {
	return f.InBase || f.Fix.Where == "base-image"
}

// activeFindings returns the unsuppressed findings, sorted.
func activeFindings(res *ScanResult) []*advisory.Finding {
	var out []*advisory.Finding
	for _, f := range sortedFindings(res.Findings) {
		if f.Suppressed == nil {
			out = append(out, f)
		}
	}
	return out
}

// suppressedFindings returns the suppressed findings, sorted.
func suppressedFindings(res *ScanResult) []*advisory.Finding {
	var out []*advisory.Finding
	for _, f := range sortedFindings(res.Findings) {
		if f.Suppressed != nil {
			out = append(out, f)
		}
	}
	return out
}

// fixedIn describes the fix of f for people: the fixed versions, or why
// there is none.
func fixedIn(f *advisory.Finding) string {
	if f.Fixable() {
		return strings.Join(f.Fix.Versions, ", ")
	}
	switch f.Status {
	case advisory.StatusWontFix:
		return "(won't fix)"
	case advisory.StatusPostponed:
		return "(postponed)"
	}
	return "(no fix)"
}

// exploitNotes returns the KEV and EPSS marks of f: "KEV", "ransomware",
// "EPSS 94.3%".
func exploitNotes(f *advisory.Finding) []string {
	var notes []string
	if f.KEV != nil {
		notes = append(notes, "KEV")
		if f.KEV.Ransomware {
			notes = append(notes, "ransomware")
		}
	}
	if f.EPSS != nil {
		notes = append(notes, fmt.Sprintf("EPSS %.1f%%", f.EPSS.Score*100))
	}
	return notes
}

// summaryText is the one-line count shared by the table and markdown.
func summaryText(s ScanSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", s.Total, plural(s.Total, "vulnerability", "vulnerabilities"))
	var parts []string
	for _, sev := range severities {
		if n := s.BySeverity[sev.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	if s.Total > 0 {
		fmt.Fprintf(&b, " in %d %s, %d fixable", s.Packages, plural(s.Packages, "package", "packages"), s.Fixable)
	}
	if s.Suppressed > 0 {
		fmt.Fprintf(&b, "; %d suppressed by VEX/ignores", s.Suppressed)
	}
	return b.String()
}

// dbLine describes the vulnerability database for people.
func dbLine(res *ScanResult) string {
	if res.DBVersion == 0 && res.DBBuilt.IsZero() {
		return "unknown"
	}
	s := fmt.Sprintf("version %d", res.DBVersion)
	if !res.DBBuilt.IsZero() {
		s += ", built " + res.DBBuilt.UTC().Format("2006-01-02 15:04 UTC")
	}
	return s
}
