package suppress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/advisory"
)

// MaxVEXSize bounds a VEX document. Distribution VEX files run to a few
// hundred KiB; this leaves ample room while refusing runaway input.
const MaxVEXSize = 64 << 20

// VEX is a parsed VEX document, OpenVEX or CycloneDX.
type VEX struct {
	// Name is the file the statements came from.
	Name string
	// Format is "openvex" or "cyclonedx".
	Format string

	statements []statement
}

// Len returns the number of statements in the document.
func (v *VEX) Len() int { return len(v.statements) }

// statement is the format-neutral form of one VEX statement.
type statement struct {
	ref           string // "statements[3] (@id)" — names it in suppressions
	ids           []string
	products      []product
	status        string // OpenVEX vocabulary: not_affected, fixed, affected, under_investigation
	justification string
	timestamp     time.Time
}

// product is what a statement is about; a nil purl matches nothing (an
// IRI or CPE we cannot compare with a package).
type product struct {
	purl *packageurl.PackageURL
	subs []packageurl.PackageURL
}

func (s *statement) idMatches(f *advisory.Finding) bool {
	for _, id := range s.ids {
		if idMatches(f, id) {
			return true
		}
	}
	return false
}

// productMatches accepts when the product or one of its subcomponents is
// the package, or when the product is a whole image with no
// subcomponents listed: the statement then covers everything in it.
func (s *statement) productMatches(p packageurl.PackageURL, f *advisory.Finding) bool {
	for _, pr := range s.products {
		if pr.purl != nil {
			if purlMatches(*pr.purl, p) || sourceMatches(*pr.purl, p, f) {
				return true
			}
			if isImage(*pr.purl) && len(pr.subs) == 0 {
				return true
			}
		}
		for _, sub := range pr.subs {
			if purlMatches(sub, p) || sourceMatches(sub, p, f) {
				return true
			}
		}
	}
	return false
}

func parsePURL(s string) *packageurl.PackageURL {
	if !strings.HasPrefix(s, "pkg:") {
		return nil
	}
	p, err := packageurl.FromString(s)
	if err != nil {
		return nil
	}
	return &p
}

// LoadVEX reads and parses the VEX document at path.
func LoadVEX(path string) (*VEX, error) {
	data, err := readBounded(path, MaxVEXSize)
	if err != nil {
		return nil, err
	}
	return ParseVEX(path, data)
}

// ParseVEX parses an OpenVEX document (JSON), or a CycloneDX VEX document
// in JSON or XML form. XML is told by its first character; JSON documents
// apart by OpenVEX's @context and CycloneDX's bomFormat.
func ParseVEX(name string, data []byte) (*VEX, error) {
	if len(data) > MaxVEXSize {
		return nil, fmt.Errorf("%s: %w (limit %d bytes)", name, ErrTooLarge, MaxVEXSize)
	}
	if isXML(data) {
		v, err := parseCycloneDXXML(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		v.Name = name
		return v, nil
	}
	var probe struct {
		Context         json.RawMessage `json:"@context"`
		BOMFormat       string          `json:"bomFormat"`
		Vulnerabilities json.RawMessage `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a JSON VEX document: %w", name, err)
	}
	var ctx string
	_ = json.Unmarshal(probe.Context, &ctx)
	var (
		v   *VEX
		err error
	)
	switch {
	case strings.HasPrefix(ctx, "https://openvex.dev/ns"):
		v, err = parseOpenVEX(data)
	case probe.BOMFormat == "CycloneDX" || (probe.BOMFormat == "" && len(probe.Vulnerabilities) > 0):
		v, err = parseCycloneDXJSON(data)
	default:
		return nil, fmt.Errorf("%s: neither OpenVEX (@context https://openvex.dev/ns…) nor CycloneDX", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	v.Name = name
	return v, nil
}

// ovComponent accepts both the current object form and OpenVEX 0.0.1's
// bare strings.
type ovComponent struct {
	ID          string `json:"@id"`
	Identifiers struct {
		PURL string `json:"purl"`
	} `json:"identifiers"`
	Subcomponents []ovComponent `json:"subcomponents"`
}

func (c *ovComponent) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
		return json.Unmarshal(b, &c.ID)
	}
	type plain ovComponent
	return json.Unmarshal(b, (*plain)(c))
}

func (c *ovComponent) purl() *packageurl.PackageURL {
	if p := parsePURL(c.Identifiers.PURL); p != nil {
		return p
	}
	return parsePURL(c.ID)
}

type ovVuln struct {
	ID      string   `json:"@id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
}

func (v *ovVuln) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
		return json.Unmarshal(b, &v.Name)
	}
	type plain ovVuln
	return json.Unmarshal(b, (*plain)(v))
}

func parseOpenVEX(data []byte) (*VEX, error) {
	var doc struct {
		Timestamp  *time.Time `json:"timestamp"`
		Statements []struct {
			ID              string        `json:"@id"`
			Vulnerability   ovVuln        `json:"vulnerability"`
			Products        []ovComponent `json:"products"`
			Subcomponents   []ovComponent `json:"subcomponents"` // OpenVEX 0.0.1
			Status          string        `json:"status"`
			Justification   string        `json:"justification"`
			ImpactStatement string        `json:"impact_statement"`
			Timestamp       *time.Time    `json:"timestamp"`
		} `json:"statements"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("openvex: %w", err)
	}
	v := &VEX{Format: "openvex"}
	for i, s := range doc.Statements {
		ref := fmt.Sprintf("statements[%d]", i)
		if s.ID != "" {
			ref += " (" + s.ID + ")"
		}
		switch s.Status {
		case "not_affected", "affected", "fixed", "under_investigation":
		default:
			return nil, fmt.Errorf("openvex %s: unknown status %q", ref, s.Status)
		}
		if s.Vulnerability.Name == "" && s.Vulnerability.ID == "" {
			return nil, fmt.Errorf("openvex %s: vulnerability has no name", ref)
		}
		st := statement{ref: ref, status: s.Status, justification: s.Justification}
		if st.justification == "" {
			st.justification = s.ImpactStatement
		}
		for _, id := range append([]string{s.Vulnerability.Name, s.Vulnerability.ID}, s.Vulnerability.Aliases...) {
			if id != "" {
				st.ids = append(st.ids, id)
			}
		}
		switch {
		case s.Timestamp != nil:
			st.timestamp = *s.Timestamp
		case doc.Timestamp != nil:
			st.timestamp = *doc.Timestamp
		}
		var docSubs []packageurl.PackageURL
		for _, c := range s.Subcomponents {
			if p := c.purl(); p != nil {
				docSubs = append(docSubs, *p)
			}
		}
		for _, c := range s.Products {
			pr := product{purl: c.purl(), subs: docSubs}
			for _, sc := range c.Subcomponents {
				if p := sc.purl(); p != nil {
					pr.subs = append(pr.subs, *p)
				}
			}
			st.products = append(st.products, pr)
		}
		v.statements = append(v.statements, st)
	}
	return v, nil
}
