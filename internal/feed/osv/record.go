package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed/cvss"
)

// record is the part of the OSV schema (https://ossf.github.io/osv-schema/)
// Vigil keeps. Free-form objects stay raw so a surprising type in them
// cannot reject the record.
type record struct {
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Related          []string        `json:"related"`
	Upstream         []string        `json:"upstream"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []severity      `json:"severity"`
	Affected         []affected      `json:"affected"`
	References       []reference     `json:"references"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type affected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		PURL      string `json:"purl"`
	} `json:"package"`
	Severity          []severity      `json:"severity"`
	Ranges            []osvRange      `json:"ranges"`
	Versions          []string        `json:"versions"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

type osvRange struct {
	Type   string           `json:"type"`
	Events []advisory.Event `json:"events"`
}

// specific holds the ecosystem_specific / database_specific fields Vigil
// reads; each stays raw because sources put different types there.
type specific struct {
	Severity       json.RawMessage `json:"severity"`
	Urgency        json.RawMessage `json:"urgency"`
	UbuntuPriority json.RawMessage `json:"ubuntu_priority"`
	PriorityReason json.RawMessage `json:"priority_reason"`
	Informational  json.RawMessage `json:"informational"`
}

// ErrRecord is wrapped by every error about one record that cannot be
// imported.
var ErrRecord = errors.New("bad OSV record")

// ParseRecord converts one OSV JSON record into an Advisory with Source
// "osv". It fails on invalid JSON, a missing id and unreadable timestamps;
// anything else odd (unknown ecosystems, versions the ecosystem cannot
// parse, unknown severity types) is kept for the matcher to judge.
func ParseRecord(data []byte) (advisory.Advisory, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return advisory.Advisory{}, fmt.Errorf("%w: %w", ErrRecord, err)
	}
	return r.advisory()
}

func (r *record) advisory() (advisory.Advisory, error) {
	if strings.TrimSpace(r.ID) == "" {
		return advisory.Advisory{}, fmt.Errorf("%w: no id", ErrRecord)
	}
	a := advisory.Advisory{
		ID:      r.ID,
		Source:  "osv",
		Aliases: cleanIDs(r.Aliases, r.ID, nil),
		Summary: r.Summary,
		Details: r.Details,
	}
	a.Related = cleanIDs(append(slices.Clip(r.Related), r.Upstream...), r.ID, a.Aliases)
	var err error
	for _, ts := range []struct {
		name string
		in   string
		out  *time.Time
	}{
		{"modified", r.Modified, &a.Modified},
		{"published", r.Published, &a.Published},
		{"withdrawn", r.Withdrawn, &a.Withdrawn},
	} {
		if *ts.out, err = parseTime(ts.in); err != nil {
			return advisory.Advisory{}, fmt.Errorf("%w: %s: %s: %w", ErrRecord, r.ID, ts.name, err)
		}
	}
	for _, ref := range r.References {
		if ref.URL != "" && !slices.Contains(a.References, ref.URL) {
			a.References = append(a.References, ref.URL)
		}
	}
	source := publisher(r.ID)
	for _, s := range r.Severity {
		a.Severity = addScore(a.Severity, score(s, source))
	}
	if w := stringField(decodeSpecific(r.DatabaseSpecific).Severity); w != "" {
		a.Severity = addScore(a.Severity, advisory.Score{Type: "distro", Vector: w, Source: source})
	}
	a.Affected = make([]advisory.Affected, 0, len(r.Affected))
	for _, af := range r.Affected {
		out := advisory.Affected{
			Ecosystem: af.Package.Ecosystem,
			Package:   af.Package.Name,
			PURL:      af.Package.PURL,
			Versions:  slices.Clip(nonEmpty(af.Versions)),
		}
		for _, rg := range af.Ranges {
			out.Ranges = append(out.Ranges, advisory.Range{Type: rg.Type, Events: rg.Events})
		}
		for _, s := range af.Severity {
			a.Severity = addScore(a.Severity, score(s, source))
		}
		es := decodeSpecific(af.EcosystemSpecific)
		for _, raw := range []json.RawMessage{es.Urgency, es.UbuntuPriority, es.Severity} {
			if w := stringField(raw); w != "" {
				out.Severity = w
				break
			}
		}
		out.Note = stringField(es.PriorityReason)
		if info := stringField(decodeSpecific(af.DatabaseSpecific).Informational); info != "" {
			// RustSec marks unmaintained or unsound crates this way.
			out.Note = joinNote(out.Note, "informational: "+info)
		}
		a.Affected = append(a.Affected, out)
	}
	return a, nil
}

// score turns an OSV severity entry into a Score, computing CVSS base
// scores; a vector that cannot be scored keeps Base 0.
func score(s severity, source string) advisory.Score {
	out := advisory.Score{Type: s.Type, Vector: s.Score, Source: source}
	if strings.HasPrefix(s.Type, "CVSS_V") {
		if base, _, err := cvss.Base(s.Score); err == nil {
			out.Base = base
		}
	}
	return out
}

func addScore(list []advisory.Score, s advisory.Score) []advisory.Score {
	if s.Vector == "" {
		return list
	}
	for _, have := range list {
		if have.Type == s.Type && have.Vector == s.Vector {
			return list
		}
	}
	return append(list, s)
}

// publisher names who published a record, from its id prefix, for
// Score.Source.
func publisher(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "PYSEC":
		return "pypa"
	case "UBUNTU", "USN", "LSN":
		return "ubuntu"
	case "DSA", "DLA", "DTSA", "DEBIAN":
		return "debian"
	case "CVE":
		return "nvd"
	}
	return strings.ToLower(prefix)
}

func decodeSpecific(raw json.RawMessage) specific {
	var s specific
	// Most of these objects hold none of the fields (Go's list imported
	// symbols): skip decoding them a second time.
	if len(raw) > 0 && raw[0] == '{' && (bytes.Contains(raw, []byte(`"severity"`)) || bytes.Contains(raw, []byte(`"urgency"`)) ||
		bytes.Contains(raw, []byte(`"ubuntu_priority"`)) || bytes.Contains(raw, []byte(`"priority_reason"`)) || bytes.Contains(raw, []byte(`"informational"`))) {
		// A type surprise inside leaves the fields it could not fill empty.
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// stringField returns a raw JSON value's text when it is a string.
func stringField(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// cleanIDs drops empty ids, the record's own id, ids already in skip, and
// duplicates, keeping the order.
func cleanIDs(ids []string, self string, skip []string) []string {
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || id == self || slices.Contains(skip, id) || slices.Contains(out, id) {
			continue
		}
		out = append(out, id)
	}
	return out
}

// parseTime reads an OSV timestamp: RFC 3339, with or without fractional
// seconds. Empty is the zero time, as is OSV's placeholder
// 0001-01-01T00:00:00Z.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// A few sources drop the "T" or the zone (YAML-converted records).
		for _, layout := range []string{"2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
			if t2, err2 := time.Parse(layout, s); err2 == nil {
				return t2.UTC(), nil
			}
		}
		return time.Time{}, err
	}
	return t.UTC(), nil
}

func nonEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
