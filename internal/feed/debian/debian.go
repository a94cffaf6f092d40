// Package debian imports the Debian security tracker's JSON dump
// (security-tracker.debian.org/tracker/data/json): the status of every CVE
// in every Debian release, by source package.
package debian

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// Updater imports the tracker as one Full batch, one Advisory per CVE (or
// TEMP- id) holding every source package and release.
type Updater struct {
	client *feed.Client
	url    string
}

// New returns the tracker updater; url "" is the production URL.
func New(client *feed.Client, url string) *Updater {
	if url == "" {
		url = feed.DefaultDebianTrackerURL
	}
	return &Updater{client: client, url: url}
}

// Name is "debian".
func (u *Updater) Name() string { return "debian" }

// URLs returns the tracker URL.
func (u *Updater) URLs() []string { return []string{u.url} }

// Fetch downloads the tracker dump, conditionally on prev.
func (u *Updater) Fetch(ctx context.Context, prev feed.Fingerprint, dst io.Writer) (feed.Fingerprint, error) {
	return feed.FetchSingle(ctx, u.client, u.url, prev, dst)
}

// Parse reads the tracker dump. The whole input is read here, entry by
// entry with the JSON token stream (the production file is ~70 MB; it is
// never held as one map), because grouping by CVE needs every package; a
// file that is not a complete JSON object is an error, so a cut download
// cannot pass for a tracker that withdrew its tail. Entries of the wrong
// shape are yielded as errors naming the package and CVE.
func (u *Updater) Parse(ctx context.Context, src io.Reader) (feed.Batch, error) {
	advs, bad, err := parseTracker(ctx, src)
	if err != nil {
		return feed.Batch{}, fmt.Errorf("debian: %w", err)
	}
	return feed.Batch{Source: u.Name(), Full: true, Advisories: func(yield func(advisory.Advisory, error) bool) {
		for _, err := range bad {
			if !yield(advisory.Advisory{}, err) {
				return
			}
		}
		for _, a := range advs {
			if !yield(*a, nil) {
				return
			}
		}
	}}, nil
}

// entry is one (source package, CVE) of the tracker.
type entry struct {
	Description string          `json:"description"`
	Scope       string          `json:"scope"`
	DebianBug   json.RawMessage `json:"debianbug"`
	Releases    json.RawMessage `json:"releases"`
}

// release is one release's verdict on an entry.
type release struct {
	Status       string `json:"status"`
	FixedVersion string `json:"fixed_version"`
	Urgency      string `json:"urgency"`
	NoDSA        string `json:"nodsa"`
	NoDSAReason  string `json:"nodsa_reason"`
}

// ErrEntry is wrapped by the error for a tracker entry that is skipped.
var ErrEntry = errors.New("bad tracker entry")

// parseTracker returns the advisories sorted by id and the per-entry
// errors.
func parseTracker(ctx context.Context, src io.Reader) ([]*advisory.Advisory, []error, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(src, 256<<10))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, nil, err
	}
	byID := map[string]*advisory.Advisory{}
	var bad []error
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		pkg, _ := tok.(string)
		tok, err = dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("package %q: %w", pkg, err)
		}
		if tok != json.Delim('{') {
			if err := skipValue(dec, tok); err != nil {
				return nil, nil, fmt.Errorf("package %q: %w", pkg, err)
			}
			bad = append(bad, fmt.Errorf("debian: package %q: not an object: %w", pkg, ErrEntry))
			continue
		}
		for dec.More() {
			if n++; n%1024 == 0 && ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			tok, err := dec.Token()
			if err != nil {
				return nil, nil, fmt.Errorf("package %q: %w", pkg, err)
			}
			id, _ := tok.(string)
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, nil, fmt.Errorf("package %q, %s: %w", pkg, id, err)
			}
			if err := addEntry(byID, pkg, id, raw); err != nil {
				bad = append(bad, fmt.Errorf("debian: package %q, %s: %w", pkg, id, err))
			}
		}
		if err := expectDelim(dec, '}'); err != nil {
			return nil, nil, fmt.Errorf("package %q: %w", pkg, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("data after the tracker object")
	}
	out := make([]*advisory.Advisory, 0, len(byID))
	for _, a := range byID {
		slices.SortFunc(a.Affected, func(x, y advisory.Affected) int {
			if c := strings.Compare(x.Package, y.Package); c != 0 {
				return c
			}
			return compareEcosystems(x.Ecosystem, y.Ecosystem)
		})
		a.Severity = overallSeverity(a.Affected)
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *advisory.Advisory) int { return strings.Compare(x.ID, y.ID) })
	return out, bad, nil
}

func addEntry(byID map[string]*advisory.Advisory, pkg, id string, raw json.RawMessage) error {
	if pkg == "" || id == "" {
		return fmt.Errorf("empty package or id: %w", ErrEntry)
	}
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return fmt.Errorf("%w: %w", ErrEntry, err)
	}
	releases, err := decodeReleases(e.Releases)
	if err != nil {
		return err
	}
	a := byID[id]
	if a == nil {
		a = &advisory.Advisory{
			ID: id, Source: "debian",
			References: []string{"https://security-tracker.debian.org/tracker/" + id},
		}
		byID[id] = a
	}
	if a.Details == "" {
		a.Details = strings.TrimSpace(e.Description)
	}
	if bug := bugNumber(e.DebianBug); bug != "" {
		ref := "https://bugs.debian.org/" + bug
		if !slices.Contains(a.References, ref) {
			a.References = append(a.References, ref)
		}
	}
	var errs []error
	for _, name := range sortedKeys(releases) {
		af, err := affectedFor(pkg, name, releases[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("release %s: %w", name, err))
			continue
		}
		a.Affected = append(a.Affected, af)
	}
	return errors.Join(errs...)
}

// decodeReleases accepts the releases object, and the empty array the
// tracker writes for an entry without releases.
func decodeReleases(raw json.RawMessage) (map[string]release, error) {
	raw = json.RawMessage(strings.TrimSpace(string(raw)))
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "[]" {
		return nil, nil
	}
	var rels map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rels); err != nil {
		return nil, fmt.Errorf("releases: %w: %w", ErrEntry, err)
	}
	out := make(map[string]release, len(rels))
	var errs []error
	for name, r := range rels {
		var rel release
		if err := json.Unmarshal(r, &rel); err != nil {
			errs = append(errs, fmt.Errorf("release %s: %w: %w", name, ErrEntry, err))
			continue
		}
		out[name] = rel
	}
	return out, errors.Join(errs...)
}

// affectedFor maps one release's verdict to an Affected entry.
func affectedFor(pkg, codename string, r release) (advisory.Affected, error) {
	urgency := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(r.Urgency), "*"))
	af := advisory.Affected{
		Ecosystem: Ecosystem(codename),
		Package:   pkg,
		PURL:      "pkg:deb/debian/" + pkg + "?arch=source",
	}
	switch urgency {
	case "", "not yet assigned", "end-of-life":
	default:
		af.Severity = urgency
	}
	if r.NoDSA != "" || r.NoDSAReason != "" {
		note := "no-dsa"
		if r.NoDSAReason != "" {
			note += " (" + r.NoDSAReason + ")"
		}
		if r.NoDSA != "" {
			note += ": " + strings.TrimSpace(r.NoDSA)
		}
		af.Note = note
	}
	since0 := []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}}}}
	switch r.Status {
	case "resolved":
		switch fv := strings.TrimSpace(r.FixedVersion); fv {
		case "0":
			af.Status = advisory.StatusNotAffected
		case "":
			af.Status = advisory.StatusFixed
			af.Note = joinNote(af.Note, "resolved without a fixed version")
		default:
			af.Status = advisory.StatusFixed
			af.Ranges = []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: fv}}}}
		}
	case "open":
		af.Ranges = since0
		switch {
		case urgency == "end-of-life":
			af.Status = advisory.StatusWontFix
			af.Note = joinNote(af.Note, "end-of-life")
		case urgency == "unimportant":
			af.Status = advisory.StatusUnimportant
		case r.NoDSAReason == "ignored":
			af.Status = advisory.StatusWontFix
		case r.NoDSAReason == "postponed":
			af.Status = advisory.StatusPostponed
		default:
			af.Status = advisory.StatusNotFixed
		}
	case "undetermined":
		af.Ranges = since0
		af.Status = advisory.StatusAffected
		af.Note = joinNote(af.Note, "undetermined")
	default:
		return advisory.Affected{}, fmt.Errorf("unknown status %q: %w", r.Status, ErrEntry)
	}
	return af, nil
}

// codenames maps Debian codenames to the release numbers OSV uses in its
// ecosystem names.
var codenames = map[string]string{
	"buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2.0", "slink": "2.1",
	"potato": "2.2", "woody": "3.0", "sarge": "3.1", "etch": "4.0",
	"lenny": "5.0", "squeeze": "6.0", "wheezy": "7", "jessie": "8",
	"stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12",
	"trixie": "13", "forky": "14", "duke": "15",
}

// Ecosystem names a release the OSV way: "Debian:12" for bookworm. Sid has
// no number and stays "Debian:sid", as does any codename not known here.
func Ecosystem(codename string) string {
	if n, ok := codenames[codename]; ok {
		return "Debian:" + n
	}
	return "Debian:" + codename
}

// compareEcosystems orders "Debian:N" by release number, names after numbers.
func compareEcosystems(a, b string) int {
	fa, ea := strconv.ParseFloat(strings.TrimPrefix(a, "Debian:"), 64)
	fb, eb := strconv.ParseFloat(strings.TrimPrefix(b, "Debian:"), 64)
	switch {
	case ea == nil && eb == nil && fa != fb:
		if fa < fb {
			return -1
		}
		return 1
	case ea == nil && eb != nil:
		return -1
	case ea != nil && eb == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// overallSeverity is the most severe urgency the releases give, as one
// distro score.
func overallSeverity(affs []advisory.Affected) []advisory.Score {
	best, word := advisory.SeverityUnknown, ""
	for _, af := range affs {
		if s, ok := advisory.ParseSeverity(af.Severity); ok && (word == "" || s > best) {
			best, word = s, af.Severity
		}
	}
	if word == "" {
		return nil
	}
	return []advisory.Score{{Type: "distro", Vector: word, Source: "debian"}}
}

func bugNumber(raw json.RawMessage) string {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return ""
	}
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return ""
	}
	return s
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("input ends where %q was expected: %w", d, io.ErrUnexpectedEOF)
		}
		return err
	}
	if tok != d {
		return fmt.Errorf("found %v where %q was expected", tok, d)
	}
	return nil
}

// skipValue consumes the rest of a value whose first token was tok.
func skipValue(dec *json.Decoder, tok json.Token) error {
	depth := 0
	for {
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
		var err error
		if tok, err = dec.Token(); err != nil {
			return err
		}
	}
}
