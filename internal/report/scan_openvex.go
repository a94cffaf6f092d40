package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

// OpenVEX v0.2.0: one statement per finding about the image as the
// product and the package as its subcomponent. Findings say "affected";
// findings suppressed by VEX keep the VEX status; findings suppressed by
// an ignore rule are still affected, with the accepted risk as the action.

const openVEXContext = "https://openvex.dev/ns/v0.2.0"

// ErrNoStatements is returned, and nothing is written, when an OpenVEX
// document is asked of a scan without findings. An OpenVEX document groups
// "one or more" statements (its schema requires at least one), and every
// statement names a vulnerability: a clean scan has none to name. A
// document with an empty list would be invalid, and a made-up statement
// would not be honest, so there is no document to write.
var ErrNoStatements = errors.New("the scan has no findings, and an OpenVEX document needs at least one statement")

// openVEXJustifications are the justifications OpenVEX v0.2.0 defines;
// other text goes in impact_statement.
var openVEXJustifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

type vexDoc struct {
	Context    string         `json:"@context"`
	ID         string         `json:"@id"`
	Author     string         `json:"author"`
	Role       string         `json:"role,omitempty"`
	Timestamp  string         `json:"timestamp"`
	Version    int            `json:"version"`
	Tooling    string         `json:"tooling,omitempty"`
	Statements []vexStatement `json:"statements"`
}

type vexStatement struct {
	Vulnerability   vexVulnerability `json:"vulnerability"`
	Products        []vexComponent   `json:"products"`
	Status          string           `json:"status"`
	StatusNotes     string           `json:"status_notes,omitempty"`
	Justification   string           `json:"justification,omitempty"`
	ImpactStatement string           `json:"impact_statement,omitempty"`
	ActionStatement string           `json:"action_statement,omitempty"`
}

type vexVulnerability struct {
	ID          string   `json:"@id,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
}

type vexComponent struct {
	ID            string          `json:"@id,omitempty"`
	Identifiers   *vexIdentifiers `json:"identifiers,omitempty"`
	Subcomponents []vexComponent  `json:"subcomponents,omitempty"`
}

type vexIdentifiers struct {
	PURL string `json:"purl,omitempty"`
}

func writeScanOpenVEX(w io.Writer, res *ScanResult, opts Options) error {
	if len(res.Findings) == 0 {
		return ErrNoStatements
	}
	doc := vexDoc{
		Context:    openVEXContext,
		Author:     "Vigil",
		Role:       "automated scanner",
		Timestamp:  timestamp(opts.now()),
		Version:    1,
		Tooling:    strings.TrimSpace("vigil " + opts.ToolVersion),
		Statements: []vexStatement{},
	}
	image := imagePURL(res.Inventory.Source)
	// OpenVEX requires statements to be unique; one package found twice
	// in the same place gives the same statement twice.
	seen := map[string]bool{}
	for _, f := range sortedFindings(res.Findings) {
		st := vexStatementFor(f, image)
		key, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		doc.Statements = append(doc.Statements, st)
	}
	// The document's @id names its content: derive it from the rest of
	// the document, as the CycloneDX serial number is.
	var first bytes.Buffer
	if err := encodeVEX(&first, &doc); err != nil {
		return err
	}
	doc.ID = "urn:uuid:" + contentUUID("openvex", first.Bytes())
	return encodeVEX(w, &doc)
}

func encodeVEX(w io.Writer, doc *vexDoc) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func vexStatementFor(f *advisory.Finding, image string) vexStatement {
	sub := vexComponent{}
	if f.PackagePURL != "" {
		sub.Identifiers = &vexIdentifiers{PURL: f.PackagePURL}
	}
	product := vexComponent{ID: image, Identifiers: &vexIdentifiers{PURL: image}}
	if sub.Identifiers != nil {
		product.Subcomponents = []vexComponent{sub}
	}
	var aliases []string
	for _, a := range f.Aliases {
		if a != f.ID && !slices.Contains(aliases, a) {
			aliases = append(aliases, a)
		}
	}
	st := vexStatement{
		Vulnerability: vexVulnerability{ID: advisoryURL(f.ID), Name: f.ID, Description: f.Summary, Aliases: aliases},
		Products:      []vexComponent{product},
	}
	s := f.Suppressed
	switch {
	case s != nil && s.Kind == "vex" && s.Status == "not_affected":
		st.Status = "not_affected"
		if slices.Contains(openVEXJustifications, s.Justification) {
			st.Justification = s.Justification
		} else {
			st.ImpactStatement = cmpOr(s.Justification, "Not affected, by VEX statement "+cmpOr(s.Statement, "(unnamed)"))
		}
		st.StatusNotes = vexSource(s)
	case s != nil && s.Kind == "vex" && s.Status == "fixed":
		st.Status = "fixed"
		st.StatusNotes = vexSource(s)
	default:
		st.Status = "affected"
		st.ActionStatement = actionStatement(f)
		if s != nil {
			st.StatusNotes = "Risk accepted by ignore rule"
			if s.Statement != "" {
				st.StatusNotes += " " + s.Statement
			}
			if s.Justification != "" {
				st.StatusNotes += ": " + s.Justification
			}
		}
	}
	return st
}

func vexSource(s *advisory.Suppression) string {
	if s.Statement == "" {
		return "From a VEX statement."
	}
	return "From VEX statement " + s.Statement + "."
}

func actionStatement(f *advisory.Finding) string {
	switch {
	case f.Fixable() && inBase(f):
		return fmt.Sprintf("Update the base image, or upgrade %s to %s.", f.PackageName, strings.Join(f.Fix.Versions, " or "))
	case f.Fixable():
		return fmt.Sprintf("Upgrade %s to %s.", f.PackageName, strings.Join(f.Fix.Versions, " or "))
	case f.Status == advisory.StatusWontFix:
		return "The distribution will not fix this; remove the package or mitigate."
	}
	return "No fix is available yet; watch for one or mitigate."
}

// imagePURL names the image as an OCI package URL, by digest when known:
// OpenVEX products are matched by identifier, and a tag can move.
func imagePURL(src sbom.Source) string {
	path := strings.ToValidUTF8(src.Reference, "\uFFFD")
	if i := strings.LastIndex(path, "@"); i >= 0 {
		path = path[:i]
	}
	tag := ""
	if i := strings.LastIndex(path, ":"); i > strings.LastIndex(path, "/") {
		path, tag = path[:i], path[i+1:]
	}
	name := path[strings.LastIndex(path, "/")+1:]
	if name == "" {
		name = "image"
	}
	var q packageurl.Qualifiers
	if path != name {
		q = append(q, packageurl.Qualifier{Key: "repository_url", Value: path})
	}
	if tag != "" {
		q = append(q, packageurl.Qualifier{Key: "tag", Value: tag})
	}
	return packageurl.NewPackageURL("oci", "", strings.ToLower(name), string(src.ManifestDigest), q, "").ToString()
}
