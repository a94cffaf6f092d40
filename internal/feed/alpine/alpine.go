// Package alpine imports Alpine Linux's security database (secdb): per
// branch, the package versions that fixed each CVE, from the main and
// community repositories.
package alpine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
	"github.com/vigilproject/vigil/internal/version"
)

// Updater imports one branch ("v3.20", "edge") as one Full batch.
type Updater struct {
	client *feed.Client
	base   string
	branch string
}

// New returns the updater of one branch; base "" is the production host.
func New(client *feed.Client, base, branch string) *Updater {
	if base == "" {
		base = feed.DefaultAlpineBaseURL
	}
	return &Updater{client: client, base: strings.TrimSuffix(base, "/"), branch: branch}
}

// Name is "alpine/<branch>".
func (u *Updater) Name() string { return "alpine/" + u.branch }

// URLs returns the branch's secdb files.
func (u *Updater) URLs() []string {
	repos := []string{"main", "community"}
	out := make([]string, len(repos))
	for i, r := range repos {
		out[i] = u.base + "/" + u.branch + "/" + r + ".json"
	}
	return out
}

// Fetch writes the branch's secdb files one after the other (each a JSON
// document) into dst. They are small, so they are fetched whole and
// compared by digest: identical content gives feed.ErrUnchanged.
func (u *Updater) Fetch(ctx context.Context, prev feed.Fingerprint, dst io.Writer) (feed.Fingerprint, error) {
	h := sha256.New()
	w := io.MultiWriter(dst, h)
	for _, url := range u.URLs() {
		if _, err := u.client.Fetch(ctx, url, feed.Fingerprint{}, w); err != nil {
			return prev, err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return prev, err
		}
	}
	next := feed.Fingerprint{Digest: feed.DigestOf(h)}
	if next.Digest == prev.Digest {
		return next, feed.ErrUnchanged
	}
	return next, nil
}

// Parse reads the secdb documents Fetch wrote (or a single one). A document
// that is not complete JSON is an error for the whole batch; odd entries
// inside are yielded as errors naming the package.
func (u *Updater) Parse(ctx context.Context, src io.Reader) (feed.Batch, error) {
	advs, bad, err := parseSecDB(ctx, src, u.branch)
	if err != nil {
		return feed.Batch{}, fmt.Errorf("%s: %w", u.Name(), err)
	}
	return feed.Batch{Source: u.Name(), Full: true, Advisories: func(yield func(advisory.Advisory, error) bool) {
		for _, err := range bad {
			if !yield(advisory.Advisory{}, fmt.Errorf("%s: %w", u.Name(), err)) {
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

// ErrEntry is wrapped by the error for a secdb entry that is skipped.
var ErrEntry = errors.New("bad secdb entry")

type secdb struct {
	DistroVersion string `json:"distroversion"`
	RepoName      string `json:"reponame"`
	// Packages is a list, or "" in old files of a repository without any.
	Packages json.RawMessage `json:"packages"`
}

type secPackage struct {
	Pkg struct {
		Name     string          `json:"name"`
		Secfixes json.RawMessage `json:"secfixes"`
	} `json:"pkg"`
}

// fix is what one secfixes item says about one package.
type fix struct {
	fixed   string // "" when the package was never affected ("0")
	aliases []string
	note    string
}

// parseSecDB decodes every document of src, then builds one Advisory per
// id, sorted by id, and the entry errors.
func parseSecDB(ctx context.Context, src io.Reader, branch string) ([]*advisory.Advisory, []error, error) {
	dec := json.NewDecoder(bufio.NewReader(src))
	// id → ecosystem/package → fixes
	type key struct{ eco, pkg string }
	fixes := map[string]map[key][]fix{}
	var bad []error
	docs := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var db secdb
		err := dec.Decode(&db)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("secdb document %d: %w", docs+1, err)
		}
		docs++
		release := db.DistroVersion
		if release == "" {
			release = branch
		}
		eco := "Alpine:" + release
		var pkgs []json.RawMessage
		if raw := bytes.TrimSpace(db.Packages); len(raw) > 0 && raw[0] == '[' {
			if err := json.Unmarshal(raw, &pkgs); err != nil {
				return nil, nil, fmt.Errorf("secdb document %d: packages: %w", docs, err)
			}
		} else if len(raw) > 0 && string(raw) != `""` && string(raw) != "null" {
			bad = append(bad, fmt.Errorf("%s/%s: packages is not a list: %w", release, db.RepoName, ErrEntry))
		}
		for i, raw := range pkgs {
			var p secPackage
			if err := json.Unmarshal(raw, &p); err != nil {
				bad = append(bad, fmt.Errorf("%s/%s package %d: %w: %w", release, db.RepoName, i+1, ErrEntry, err))
				continue
			}
			name := strings.TrimSpace(p.Pkg.Name)
			if name == "" {
				bad = append(bad, fmt.Errorf("%s/%s package %d: no name: %w", release, db.RepoName, i+1, ErrEntry))
				continue
			}
			entries, errs := secfixes(p.Pkg.Secfixes)
			for _, err := range errs {
				bad = append(bad, fmt.Errorf("%s/%s %s: %w", release, db.RepoName, name, err))
			}
			for _, e := range entries {
				for _, id := range e.ids {
					if fixes[id] == nil {
						fixes[id] = map[key][]fix{}
					}
					k := key{eco, name}
					fixes[id][k] = append(fixes[id][k], fix{fixed: e.version, aliases: e.aliases, note: e.note})
				}
			}
		}
	}
	if docs == 0 {
		return nil, nil, errors.New("no secdb document")
	}
	out := make([]*advisory.Advisory, 0, len(fixes))
	for id, byPkg := range fixes {
		a := &advisory.Advisory{ID: id, Source: "alpine"}
		if strings.HasPrefix(id, "CVE-") {
			a.References = []string{"https://security.alpinelinux.org/vuln/" + id}
		}
		for k, fs := range byPkg {
			af := advisory.Affected{Ecosystem: k.eco, Package: k.pkg, PURL: "pkg:apk/alpine/" + k.pkg + "?arch=source"}
			fixed := ""
			for _, f := range fs {
				for _, al := range f.aliases {
					if al != id && !slices.Contains(a.Aliases, al) {
						a.Aliases = append(a.Aliases, al)
					}
				}
				if f.note != "" && !strings.Contains(af.Note, f.note) {
					af.Note = joinNote(af.Note, f.note)
				}
				// Listed again under a later version: the earlier fix was
				// incomplete, so the latest one counts.
				if f.fixed != "" && (fixed == "" || later(f.fixed, fixed)) {
					fixed = f.fixed
				}
			}
			if fixed == "" {
				af.Status = advisory.StatusNotAffected
			} else {
				af.Status = advisory.StatusFixed
				af.Ranges = []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: fixed}}}}
			}
			a.Affected = append(a.Affected, af)
		}
		slices.SortFunc(a.Affected, func(x, y advisory.Affected) int {
			if c := strings.Compare(x.Ecosystem, y.Ecosystem); c != 0 {
				return c
			}
			return strings.Compare(x.Package, y.Package)
		})
		slices.Sort(a.Aliases)
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *advisory.Advisory) int { return strings.Compare(x.ID, y.ID) })
	return out, bad, nil
}

func later(a, b string) bool {
	c, err := version.Compare("Alpine", a, b)
	return err == nil && c > 0
}

// secEntry is one id list under one version of a package's secfixes.
type secEntry struct {
	version string // "" for "0": never affected
	ids     []string
	aliases []string
	note    string
}

// secfixes reads {"1.2.3-r0": ["CVE-…", …], …}. The list may be missing,
// null or "" (nothing to say); items that name no id are errors.
func secfixes(raw json.RawMessage) ([]secEntry, []error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" || string(raw) == `""` {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, []error{fmt.Errorf("secfixes: %w: %w", ErrEntry, err)}
	}
	versions := make([]string, 0, len(m))
	for v := range m {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	var out []secEntry
	var errs []error
	for _, v := range versions {
		ver := strings.TrimSpace(v)
		if ver == "" {
			errs = append(errs, fmt.Errorf("secfixes %q: empty version: %w", v, ErrEntry))
			continue
		}
		if ver == "0" {
			ver = ""
		}
		list := bytes.TrimSpace(m[v])
		if len(list) == 0 || string(list) == "null" || string(list) == `""` {
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(list, &items); err != nil {
			errs = append(errs, fmt.Errorf("secfixes %s: %w: %w", v, ErrEntry, err))
			continue
		}
		for _, it := range items {
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				errs = append(errs, fmt.Errorf("secfixes %s: item %s is not a string: %w", v, it, ErrEntry))
				continue
			}
			e, err := parseItem(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("secfixes %s: %w", v, err))
				continue
			}
			e.version = ver
			out = append(out, e)
		}
	}
	return out, errs
}

var (
	cvePattern = regexp.MustCompile(`^CVE-\d{4}-\d{4,}`)
	idPattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)+$`)
)

// parseItem reads one secfixes item. Most are a CVE id; some add other
// ids ("CVE-2017-8903 XSA-213"), name several CVEs, carry a remark in
// parentheses ("CVE-2018-14462 (ICMP)"), or have typos ("CVE 2018-16859",
// "CVE_2019-2426", "CVE-2017-8073.patch", "CVE-2017-17434-1"). Every CVE
// becomes an id of its own, the other ids its aliases; an item without a
// CVE takes its first other id.
func parseItem(s string) (secEntry, error) {
	var e secEntry
	text := strings.TrimSpace(s)
	if i := strings.IndexByte(text, '('); i >= 0 {
		e.note = strings.TrimSpace(strings.Trim(text[i:], "() "))
		text = text[:i]
	}
	for _, typo := range []string{"CVE ", "CVE_"} {
		if strings.HasPrefix(text, typo) {
			text = "CVE-" + text[len(typo):]
		}
	}
	var others []string
	for tok := range strings.FieldsSeq(text) {
		tok = strings.TrimSuffix(tok, ".patch")
		if strings.ContainsRune(tok, '?') {
			continue
		}
		if m := cvePattern.FindString(tok); m != "" {
			if !slices.Contains(e.ids, m) {
				e.ids = append(e.ids, m)
			}
			continue
		}
		if idPattern.MatchString(tok) && strings.ContainsAny(tok, "0123456789") && !slices.Contains(others, tok) {
			others = append(others, tok)
		}
	}
	switch {
	case len(e.ids) > 0:
		e.aliases = others
	case len(others) > 0:
		e.ids, e.aliases = others[:1], others[1:]
	default:
		return secEntry{}, fmt.Errorf("no vulnerability id in %q: %w", s, ErrEntry)
	}
	return e, nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
