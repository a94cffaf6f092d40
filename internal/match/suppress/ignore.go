package suppress

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	"gopkg.in/yaml.v3"

	"github.com/vigilproject/vigil/internal/advisory"
)

// MaxIgnoreSize bounds an ignore file: it is written by hand, so anything
// larger is a mistake or an attack.
const MaxIgnoreSize = 1 << 20

// Ignore is a parsed .vigilignore.yaml file.
type Ignore struct {
	// Name is the file the rules came from, used in suppressions and
	// warnings.
	Name  string
	Rules []Rule
}

// Rule is one entry of an ignore file.
type Rule struct {
	// ID is a vulnerability id or any of its aliases.
	ID string
	// Package optionally restricts the rule: a package name (matched
	// against the package and its source package) or a PURL.
	Package string
	Reason  string
	// Expires is the zero time when the rule never expires.
	Expires time.Time
	// Line is the rule's line in the file.
	Line int

	purl *packageurl.PackageURL
	// until is the first instant at which the rule no longer applies: the
	// day after a date-only expiry, so "expires: 2027-01-31" still holds
	// on the 31st.
	until time.Time
}

func (r *Rule) expired(now time.Time) bool {
	return !r.until.IsZero() && !now.Before(r.until)
}

func (r *Rule) packageMatches(f *advisory.Finding) bool {
	switch {
	case r.Package == "":
		return true
	case r.purl != nil:
		p, err := packageurl.FromString(f.PackagePURL)
		if err != nil {
			return false
		}
		return purlMatches(*r.purl, p) || sourceMatches(*r.purl, p, f)
	default:
		return r.Package == f.PackageName || (f.SourcePackage != "" && r.Package == f.SourcePackage)
	}
}

// LoadIgnore reads and parses the ignore file at path.
func LoadIgnore(path string) (*Ignore, error) {
	data, err := readBounded(path, MaxIgnoreSize)
	if err != nil {
		return nil, err
	}
	return ParseIgnore(path, data)
}

func readBounded(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w (limit %d bytes)", path, ErrTooLarge, limit)
	}
	return data, nil
}

// ErrTooLarge is returned for input over the size limit.
var ErrTooLarge = errors.New("file too large")

// ParseIgnore parses the contents of an ignore file; name is used in
// errors and in the suppressions the rules produce.
func ParseIgnore(name string, data []byte) (*Ignore, error) {
	if len(data) > MaxIgnoreSize {
		return nil, fmt.Errorf("%s: %w (limit %d bytes)", name, ErrTooLarge, MaxIgnoreSize)
	}
	ig := &Ignore{Name: name}
	// Decoding through yaml.Node keeps line numbers for errors and lets us
	// reject unknown keys and YAML's implicit timestamp typing ourselves.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return ig, nil // an empty file ignores nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s line %d: top level must be a mapping with key \"ignore\"", name, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "ignore" {
			return nil, fmt.Errorf("%s line %d: unknown key %q", name, k.Line, k.Value)
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s line %d: \"ignore\" must be a list of rules", name, v.Line)
		}
		for _, rn := range v.Content {
			r, err := parseRule(rn)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: %w", name, rn.Line, err)
			}
			ig.Rules = append(ig.Rules, r)
		}
	}
	return ig, nil
}

func parseRule(n *yaml.Node) (Rule, error) {
	r := Rule{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return r, errors.New("rule must be a mapping")
	}
	var expires string
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return r, fmt.Errorf("duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			return r, fmt.Errorf("%q must be a scalar", k.Value)
		}
		val := strings.TrimSpace(v.Value)
		switch k.Value {
		case "id":
			r.ID = val
		case "package":
			r.Package = val
		case "reason":
			r.Reason = val
		case "expires":
			expires = val
		default:
			return r, fmt.Errorf("unknown key %q", k.Value)
		}
	}
	if r.ID == "" {
		return r, errors.New("missing id")
	}
	if r.Reason == "" {
		return r, fmt.Errorf("rule %s: missing reason", r.ID)
	}
	if strings.HasPrefix(r.Package, "pkg:") {
		p, err := packageurl.FromString(r.Package)
		if err != nil {
			return r, fmt.Errorf("rule %s: package: %w", r.ID, err)
		}
		r.purl = &p
	}
	if expires != "" {
		if t, err := time.Parse(time.DateOnly, expires); err == nil {
			r.Expires, r.until = t, t.AddDate(0, 0, 1)
		} else if t, err := time.Parse(time.RFC3339, expires); err == nil {
			r.Expires, r.until = t, t
		} else {
			return r, fmt.Errorf("rule %s: expires %q: want YYYY-MM-DD or RFC 3339", r.ID, expires)
		}
	}
	return r, nil
}
