package suppress

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CycloneDX VEX is a BOM whose vulnerabilities carry an analysis. The JSON
// and XML forms (CycloneDX 1.4 to 1.6) are decoded into cdxDoc, which holds
// only what a suppression needs, and turned into statements by one
// function, so both forms mean the same.

type cdxDoc struct {
	timestamp       *time.Time
	component       *cdxComponent
	components      []cdxComponent
	vulnerabilities []cdxVulnerability
}

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref" xml:"bom-ref,attr"`
	PURL       string         `json:"purl" xml:"purl"`
	Components []cdxComponent `json:"components" xml:"components>component"`
}

type cdxVulnerability struct {
	bomRef     string
	id         string
	references []string
	analysis   *cdxAnalysis
	affects    []string
	updated    *time.Time
	published  *time.Time
}

type cdxAnalysis struct {
	State         string `json:"state" xml:"state"`
	Justification string `json:"justification" xml:"justification"`
	Detail        string `json:"detail" xml:"detail"`
}

func parseCycloneDXJSON(data []byte) (*VEX, error) {
	var doc struct {
		Metadata struct {
			Timestamp *time.Time    `json:"timestamp"`
			Component *cdxComponent `json:"component"`
		} `json:"metadata"`
		Components      []cdxComponent `json:"components"`
		Vulnerabilities []struct {
			BOMRef     string `json:"bom-ref"`
			ID         string `json:"id"`
			References []struct {
				ID string `json:"id"`
			} `json:"references"`
			Analysis *cdxAnalysis `json:"analysis"`
			Affects  []struct {
				Ref string `json:"ref"`
			} `json:"affects"`
			Updated   *time.Time `json:"updated"`
			Published *time.Time `json:"published"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("cyclonedx: %w", err)
	}
	d := cdxDoc{timestamp: doc.Metadata.Timestamp, component: doc.Metadata.Component, components: doc.Components}
	for _, vu := range doc.Vulnerabilities {
		v := cdxVulnerability{bomRef: vu.BOMRef, id: vu.ID, analysis: vu.Analysis, updated: vu.Updated, published: vu.Published}
		for _, r := range vu.References {
			v.references = append(v.references, r.ID)
		}
		for _, a := range vu.Affects {
			v.affects = append(v.affects, a.Ref)
		}
		d.vulnerabilities = append(d.vulnerabilities, v)
	}
	return d.vex()
}

// cdxNamespace starts the XML namespace of every CycloneDX BOM version
// ("http://cyclonedx.org/schema/bom/1.6").
const cdxNamespace = "http://cyclonedx.org/schema/bom/"

// isXML reports whether data starts, after an optional byte order mark and
// white space, with markup rather than a JSON value.
func isXML(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("<"))
}

func parseCycloneDXXML(data []byte) (*VEX, error) {
	var doc struct {
		XMLName  xml.Name
		Metadata struct {
			Timestamp string        `xml:"timestamp"`
			Component *cdxComponent `xml:"component"`
		} `xml:"metadata"`
		Components      []cdxComponent `xml:"components>component"`
		Vulnerabilities []struct {
			BOMRef     string       `xml:"bom-ref,attr"`
			ID         string       `xml:"id"`
			References []string     `xml:"references>reference>id"`
			Analysis   *cdxAnalysis `xml:"analysis"`
			Affects    []string     `xml:"affects>target>ref"`
			Updated    string       `xml:"updated"`
			Published  string       `xml:"published"`
		} `xml:"vulnerabilities>vulnerability"`
	}
	// encoding/xml neither reads DTDs nor expands entities other than
	// XML's own five, so a document cannot pull in files or blow up.
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("cyclonedx xml: %w", err)
	}
	if doc.XMLName.Local != "bom" || !strings.HasPrefix(doc.XMLName.Space, cdxNamespace) {
		return nil, fmt.Errorf("cyclonedx xml: root element is {%s}%s, want a CycloneDX bom (namespace %s…)",
			doc.XMLName.Space, doc.XMLName.Local, cdxNamespace)
	}
	var err error
	d := cdxDoc{component: doc.Metadata.Component, components: doc.Components}
	if d.timestamp, err = xmlTime(doc.Metadata.Timestamp); err != nil {
		return nil, fmt.Errorf("cyclonedx xml: metadata timestamp: %w", err)
	}
	for i, vu := range doc.Vulnerabilities {
		v := cdxVulnerability{bomRef: vu.BOMRef, id: strings.TrimSpace(vu.ID), analysis: vu.Analysis, references: vu.References}
		for _, a := range vu.Affects {
			v.affects = append(v.affects, strings.TrimSpace(a))
		}
		if v.analysis != nil {
			a := *v.analysis
			a.State, a.Justification = strings.TrimSpace(a.State), strings.TrimSpace(a.Justification)
			v.analysis = &a
		}
		if v.updated, err = xmlTime(vu.Updated); err != nil {
			return nil, fmt.Errorf("cyclonedx xml: vulnerability %d updated: %w", i, err)
		}
		if v.published, err = xmlTime(vu.Published); err != nil {
			return nil, fmt.Errorf("cyclonedx xml: vulnerability %d published: %w", i, err)
		}
		d.vulnerabilities = append(d.vulnerabilities, v)
	}
	return d.vex()
}

// xmlTime parses an xs:dateTime. The schema lets the time zone be left
// out; such a time is taken as UTC.
func xmlTime(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("%q is not an xs:dateTime", s)
}

// vex turns the vulnerabilities into statements: the analysis state maps
// to OpenVEX's vocabulary, and each affects ref is resolved through the
// components' bom-refs to a PURL (a ref may also be a PURL itself).
func (doc *cdxDoc) vex() (*VEX, error) {
	refs := map[string]string{}
	var walk func([]cdxComponent, int) error
	walk = func(cs []cdxComponent, depth int) error {
		if depth > 64 {
			return errors.New("cyclonedx: components nested too deeply")
		}
		for _, c := range cs {
			if c.BOMRef != "" && c.PURL != "" {
				refs[c.BOMRef] = strings.TrimSpace(c.PURL)
			}
			if err := walk(c.Components, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if mc := doc.component; mc != nil {
		if err := walk([]cdxComponent{*mc}, 0); err != nil {
			return nil, err
		}
	}
	if err := walk(doc.components, 0); err != nil {
		return nil, err
	}
	v := &VEX{Format: "cyclonedx"}
	for i, vu := range doc.vulnerabilities {
		ref := fmt.Sprintf("vulnerabilities[%d]", i)
		if vu.bomRef != "" {
			ref += " (" + vu.bomRef + ")"
		}
		if vu.id == "" {
			return nil, fmt.Errorf("cyclonedx %s: missing id", ref)
		}
		st := statement{ref: ref, ids: []string{vu.id}}
		for _, r := range vu.references {
			if r = strings.TrimSpace(r); r != "" {
				st.ids = append(st.ids, r)
			}
		}
		if vu.analysis != nil {
			switch vu.analysis.State {
			case "not_affected", "false_positive":
				st.status = "not_affected"
			case "resolved", "resolved_with_pedigree":
				st.status = "fixed"
			case "exploitable":
				st.status = "affected"
			case "in_triage", "":
				st.status = "under_investigation"
			default:
				return nil, fmt.Errorf("cyclonedx %s: unknown analysis state %q", ref, vu.analysis.State)
			}
			st.justification = vu.analysis.Justification
			if st.justification == "" {
				st.justification = strings.TrimSpace(vu.analysis.Detail)
			}
		} else {
			st.status = "under_investigation"
		}
		switch {
		case vu.updated != nil:
			st.timestamp = *vu.updated
		case vu.published != nil:
			st.timestamp = *vu.published
		case doc.timestamp != nil:
			st.timestamp = *doc.timestamp
		}
		for _, a := range vu.affects {
			p := a
			if resolved, ok := refs[a]; ok {
				p = resolved
			}
			st.products = append(st.products, product{purl: parsePURL(p)})
		}
		v.statements = append(v.statements, st)
	}
	return v, nil
}
