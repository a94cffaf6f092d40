package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
)

// SARIF 2.1.0, as GitHub code scanning reads it: one rule per
// vulnerability, one result per finding. Only the parts Vigil fills are
// modelled.

const sarifSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// GitHub cuts descriptions and messages; keep them below its limits so
// what is cut is cut with a visible "…".
const (
	maxSARIFShort   = 1000
	maxSARIFMessage = 4000
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool      `json:"tool"`
	Results    []sarifResult  `json:"results"`
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	HelpURI              string         `json:"helpUri,omitempty"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

// sarifRegion points at the first line: a package database or binary has
// no better line to point at, and GitHub wants a region to place an alert.
type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

func writeScanSARIF(w io.Writer, res *ScanResult, opts Options) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "vigil",
			Version:        opts.ToolVersion,
			InformationURI: "https://github.com/vigilproject/vigil",
			Rules:          []sarifRule{},
		}},
		Results: []sarifResult{},
	}
	props := map[string]any{}
	if ref := res.Inventory.Source.Reference; ref != "" {
		props["imageReference"] = ref
	}
	if d := res.Inventory.Source.ManifestDigest; d != "" {
		props["imageDigest"] = string(d)
	}
	if res.DBVersion != 0 {
		props["databaseVersion"] = res.DBVersion
	}
	if len(props) > 0 {
		run.Properties = props
	}

	ruleIndex := map[string]int{}
	// Findings are sorted worst first, so a rule takes its severity from
	// the worst finding of its vulnerability.
	for _, f := range sortedFindings(res.Findings) {
		i, ok := ruleIndex[f.ID]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			ruleIndex[f.ID] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleFor(f))
		}
		run.Results = append(run.Results, sarifResultFor(res, f, i))
	}
	log := sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(&log)
}

func sarifRuleFor(f *advisory.Finding) sarifRule {
	short := f.Summary
	if strings.TrimSpace(short) == "" {
		short = f.ID
	}
	var full strings.Builder
	full.WriteString(short)
	if len(f.Aliases) > 0 {
		fmt.Fprintf(&full, " (also known as %s)", strings.Join(f.Aliases, ", "))
	}
	help := fmt.Sprintf("Vulnerability %s, severity %s.", f.ID, f.Severity)
	helpMD := fmt.Sprintf("**%s** (%s)", markdownText(f.ID), f.Severity)
	if f.CVSS > 0 {
		help += fmt.Sprintf(" CVSS %.1f.", f.CVSS)
		helpMD += fmt.Sprintf(", CVSS %.1f", f.CVSS)
	}
	if s := strings.TrimSpace(f.Summary); s != "" {
		help += " " + s
		helpMD += ": " + markdownText(s)
	}
	tags := []string{"security", "vulnerability", f.Severity.String()}
	if f.PackageEcosystem != "" {
		tags = append(tags, f.PackageEcosystem)
	}
	if f.KEV != nil {
		tags = append(tags, "known-exploited")
	}
	return sarifRule{
		ID:                   f.ID,
		Name:                 sarifRuleName(f.ID),
		ShortDescription:     sarifText{Text: truncate(short, maxSARIFShort)},
		FullDescription:      sarifText{Text: truncate(full.String(), maxSARIFMessage)},
		HelpURI:              advisoryURL(f.ID),
		Help:                 sarifText{Text: truncate(help, maxSARIFMessage), Markdown: truncate(helpMD, maxSARIFMessage)},
		DefaultConfiguration: sarifConfig{Level: sarifLevel(f.Severity)},
		Properties: map[string]any{
			"security-severity": securitySeverity(f),
			"tags":              tags,
			"precision":         "very-high",
		},
	}
}

func sarifResultFor(res *ScanResult, f *advisory.Finding, rule int) sarifResult {
	msg := fmt.Sprintf("Package %s %s is affected by %s (%s).", f.PackageName, f.InstalledVersion, f.ID, f.Severity)
	if f.Fixable() {
		msg += " Fixed in " + strings.Join(f.Fix.Versions, ", ") + "."
	} else {
		msg += " " + strings.Trim(fixedIn(f), "()") + "."
	}
	if inBase(f) {
		msg += " It comes with the base image."
	}
	loc := ""
	if len(f.Locations) > 0 {
		loc = f.Locations[0]
	}
	r := sarifResult{
		RuleID:    f.ID,
		RuleIndex: rule,
		Level:     sarifLevel(f.Severity),
		Message:   sarifText{Text: truncate(msg, maxSARIFMessage)},
		Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: sarifURI(loc, res.Inventory.Source.Reference)},
			Region:           sarifRegion{StartLine: 1, StartColumn: 1, EndLine: 1, EndColumn: 1},
		}}},
		PartialFingerprints: map[string]string{"vigilFinding/v1": findingFingerprint(f)},
		Properties: map[string]any{
			"packageName":      f.PackageName,
			"installedVersion": f.InstalledVersion,
			"fixedVersions":    nonNil(f.Fix.Versions),
		},
	}
	if f.PackagePURL != "" {
		r.Properties["purl"] = f.PackagePURL
	}
	if s := f.Suppressed; s != nil {
		just := s.Kind
		if s.Status != "" {
			just += " " + s.Status
		}
		if s.Justification != "" {
			just += ": " + s.Justification
		}
		if s.Statement != "" {
			just += " (" + s.Statement + ")"
		}
		r.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: truncate(just, maxSARIFMessage)}}
	}
	return r
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// sarifLevel maps a severity onto SARIF's levels as GitHub shows them.
func sarifLevel(s advisory.Severity) string {
	switch s {
	case advisory.SeverityCritical, advisory.SeverityHigh:
		return "error"
	case advisory.SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub's "security-severity" property: a score from
// 0.0 to 10.0 as a string. The CVSS score when there is one; otherwise a
// score in the middle of the severity's CVSS band, so GitHub shows the
// same severity Vigil does.
func securitySeverity(f *advisory.Finding) string {
	score := f.CVSS
	if score <= 0 || score > 10 || advisory.FromCVSS(score) != f.Severity && f.Severity != advisory.SeverityUnknown {
		switch f.Severity {
		case advisory.SeverityCritical:
			score = 9.5
		case advisory.SeverityHigh:
			score = 8.0
		case advisory.SeverityMedium:
			score = 5.5
		case advisory.SeverityLow:
			score = 2.0
		default:
			score = max(0, min(score, 10))
		}
	}
	return strconv.FormatFloat(score, 'f', 1, 64)
}

// sarifRuleName is an identifier-like name for a rule, as SARIF suggests
// ("CVE_2024_1234").
func sarifRuleName(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 200 {
			break
		}
	}
	if b.Len() == 0 {
		return "Vulnerability"
	}
	return b.String()
}

// advisoryURL links an id to OSV, which resolves CVE, GHSA, GO, DSA and
// most other ids.
func advisoryURL(id string) string {
	return "https://osv.dev/vulnerability/" + url.PathEscape(strings.ToValidUTF8(id, "\uFFFD"))
}

// sarifURI makes an image path a relative URI reference, as GitHub wants
// artifact locations relative to the repository: the leading slash goes,
// everything else is percent-encoded as needed. With no path, it falls
// back to the image reference, then to "image".
func sarifURI(path, image string) string {
	p := strings.TrimLeft(strings.ToValidUTF8(path, "\uFFFD"), "/")
	if p == "" {
		p = strings.TrimLeft(strings.ToValidUTF8(image, "\uFFFD"), "/")
	}
	if p == "" {
		p = "image"
	}
	// url.URL prefixes "./" when the first segment holds a colon, so a
	// path never reads as a scheme.
	return (&url.URL{Path: p}).String()
}

// findingFingerprint identifies a finding across runs from chosen fields:
// the vulnerability, the package and where it was found, not its
// severity or fix, which change as advisories are updated.
func findingFingerprint(f *advisory.Finding) string {
	h := sha256.New()
	for _, s := range []string{f.ID, f.PackageEcosystem, f.PackageName, f.InstalledVersion, f.PackagePURL} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	for _, l := range f.Locations {
		io.WriteString(h, l)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
