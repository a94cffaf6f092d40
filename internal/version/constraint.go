package version

import (
	"errors"
	"fmt"
	"strings"
)

// Constraint is a parsed version requirement in an ecosystem's own syntax.
type Constraint struct {
	text   string
	scheme Scheme
	match  func(Version) bool
}

// String returns the constraint as it was given.
func (c Constraint) String() string { return c.text }

// Check reports whether version v satisfies the constraint. The error is for
// a v that is not a version of the constraint's ecosystem.
func (c Constraint) Check(v string) (bool, error) {
	pv, err := c.scheme.Parse(v)
	if err != nil {
		return false, err
	}
	return c.match(pv), nil
}

// Match reports whether a version parsed by the constraint's ecosystem
// satisfies it; a version of another scheme never does.
func (c Constraint) Match(v Version) bool {
	if v == nil || v.scheme() != c.scheme.Name() {
		return false
	}
	return c.match(v)
}

// ErrInvalidConstraint is wrapped by every error about a constraint that
// cannot be parsed.
var ErrInvalidConstraint = errors.New("invalid version constraint")

// ParseConstraint parses a version requirement in the native syntax of an
// ecosystem:
//
//   - npm: node-semver ranges ("^1.2.3 || >=2 <2.3", "1.x", "1.2 - 2",
//     "~1.2"), with node-semver's rule that a pre-release version only
//     satisfies a comparator set naming a pre-release of the same
//     major.minor.patch;
//   - crates.io, Hex, Pub, Go: the same grammar, also accepting ',' and
//     "and" between comparators, "or" between alternatives and "~>"
//     (pessimistic); a bare version means "^version" for crates.io and
//     exactly that version elsewhere;
//   - PyPI: PEP 440 specifier sets ("~=1.4.2, !=1.4.5", "==1.2.*", "===x");
//     pre-releases are not excluded, since the version checked is one that is
//     already installed (PEP 440's own exception);
//   - Maven and NuGet: interval notation ("[1.0,2.0)", "(,1.5]",
//     "[1.0,1.2),[1.5,)", "[1.2]"); a bare version means exactly that version
//     for Maven and "at least" for NuGet, as NuGet defines;
//   - Packagist: Composer constraints ("^1.2 || ~2.0", "1.2.*",
//     ">=1.0 <2.0", ">=1.0,<2.0", "1.0 - 2.0"), compared on Composer's
//     normalized four-component versions;
//   - RubyGems and every other ecosystem: comparators joined by ',' or
//     spaces, alternatives by "||": =, ==, !=, <, <=, >, >=, Debian's << and
//     >>, and for RubyGems "~>" (pessimistic); a bare version means "=".
func ParseConstraint(ecosystem, s string) (Constraint, error) {
	scheme, _ := lookup(ecosystem)
	c := Constraint{text: s, scheme: scheme}
	var err error
	switch scheme.Name() {
	case "semver", "go", "pub":
		eco := strings.ToLower(ecosystem)
		opts := rangeOptions{npm: eco == "npm", caretDefault: eco == "crates.io" || eco == "cargo"}
		c.match, err = parseSemverRange(scheme.(semverScheme), s, opts)
	case "pep440":
		c.match, err = parsePEP440Specifiers(s)
	case "maven":
		c.match, err = parseIntervals(scheme, s, false)
	case "nuget":
		c.match, err = parseIntervals(scheme, s, true)
	case "composer":
		c.match, err = parseComposerConstraint(s)
	default:
		c.match, err = parseComparators(scheme, s)
	}
	if err != nil {
		return Constraint{}, fmt.Errorf("version: %s constraint %q: %w", scheme.Name(), s, err)
	}
	return c, nil
}

// constraintError wraps a reason in ErrInvalidConstraint.
func constraintError(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalidConstraint)
}

// predicate is one parsed comparator.
type predicate func(Version) bool

// allOf is a conjunction of predicates.
func allOf(ps []predicate) predicate {
	return func(v Version) bool {
		for _, p := range ps {
			if !p(v) {
				return false
			}
		}
		return true
	}
}

// anyOf is a disjunction of predicates.
func anyOf(ps []predicate) predicate {
	return func(v Version) bool {
		for _, p := range ps {
			if p(v) {
				return true
			}
		}
		return false
	}
}

// compareOp builds the predicate "v op bound".
func compareOp(op string, bound Version) (predicate, error) {
	var ok func(int) bool
	switch op {
	case "=", "==", "":
		ok = func(c int) bool { return c == 0 }
	case "!=", "<>":
		ok = func(c int) bool { return c != 0 }
	case "<", "<<":
		ok = func(c int) bool { return c < 0 }
	case "<=":
		ok = func(c int) bool { return c <= 0 }
	case ">", ">>":
		ok = func(c int) bool { return c > 0 }
	case ">=":
		ok = func(c int) bool { return c >= 0 }
	default:
		return nil, constraintError("unknown operator %q", op)
	}
	return func(v Version) bool { return ok(v.Compare(bound)) }, nil
}

// splitOperator splits a leading comparison operator from s.
func splitOperator(s string, ops []string) (op, rest string) {
	for _, o := range ops {
		if strings.HasPrefix(s, o) {
			return o, strings.TrimSpace(s[len(o):])
		}
	}
	return "", s
}

// comparatorOps are the operators of the generic grammar, longest first.
func comparatorOps() []string {
	return []string{"~>", "<<", ">>", "<=", ">=", "==", "!=", "<>", "<", ">", "="}
}

// joinOperators re-attaches operators written apart from their version
// ("> 1.2") to it.
func joinOperators(fields []string) ([]string, error) {
	var out []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if op, rest := splitOperator(f, comparatorOps()); op != "" && rest == "" {
			if i+1 >= len(fields) {
				return nil, constraintError("operator %q without a version", op)
			}
			f = op + fields[i+1]
			i++
		}
		out = append(out, f)
	}
	return out, nil
}

// parseComparators parses the generic grammar: "||" between alternatives,
// ',' or blanks between comparators.
func parseComparators(scheme Scheme, s string) (func(Version) bool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, constraintError("empty constraint")
	}
	var alts []predicate
	for _, alt := range strings.Split(s, "||") {
		fields, err := joinOperators(strings.FieldsFunc(alt, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t'
		}))
		if err != nil {
			return nil, err
		}
		if len(fields) == 0 {
			return nil, constraintError("empty alternative")
		}
		var preds []predicate
		for _, f := range fields {
			op, rest := splitOperator(f, comparatorOps())
			bound, err := scheme.Parse(rest)
			if err != nil {
				return nil, err
			}
			var p predicate
			if op == "~>" {
				gv, ok := bound.(gemVersion)
				if !ok {
					return nil, constraintError("~> is only defined for RubyGems")
				}
				p = gemPessimistic(gv)
			} else if p, err = compareOp(op, bound); err != nil {
				return nil, err
			}
			preds = append(preds, p)
		}
		alts = append(alts, allOf(preds))
	}
	return anyOf(alts), nil
}

// gemPessimistic is RubyGems' "~> r": v >= r and v's release < r.bump, where
// bump drops pre-release segments and the last remaining one (unless it is
// the only one) and increments the new last.
func gemPessimistic(r gemVersion) predicate {
	var segs []string
	for _, seg := range r.raw {
		if !gemIsNumber(seg) {
			break
		}
		segs = append(segs, seg)
	}
	if len(segs) > 1 {
		segs = segs[:len(segs)-1]
	}
	if len(segs) == 0 {
		segs = []string{""}
	}
	bumped := make([]string, len(segs))
	copy(bumped, segs)
	bumped[len(bumped)-1] = incDigits(bumped[len(bumped)-1])
	limit := gemVersion{segments: bumped}
	return func(v Version) bool {
		w := v.(gemVersion)
		if w.compare(r) < 0 {
			return false
		}
		release := w.segments
		for i, seg := range release {
			if !gemIsNumber(seg) {
				release = release[:i]
				break
			}
		}
		return gemVersion{segments: release}.compare(limit) < 0
	}
}

// incDigits adds one to a digit string ("" is 0) without overflow.
func incDigits(s string) string {
	b := []byte(trimZeros(s))
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}
