package version

import "strings"

// composerScheme implements Packagist's ordering: PHP's version_compare(),
// which Composer's constraint matching ends in, applied to the version with
// a leading "v" removed. version_compare canonicalizes the string ('-', '_',
// '+' and other punctuation become '.', and a '.' is inserted between digits
// and letters), then compares the parts: numbers numerically; words by the
// first of these prefixes they start with (case-sensitively):
// any other word < "dev" < "alpha" = "a" < "beta" = "b" < "RC" = "rc" <
// number < "pl" = "p"; a number beats a word. When one version has more
// parts, a further number makes it newer and a further word is weighed
// against a number. So "1.0" < "1.0.0" and "1.0-dev" < "1.0a1" < "1.0".
//
// Two deliberate differences from PHP: numbers are compared exactly instead
// of saturating at 2^63, and '#', which PHP uses internally as the number
// marker, is kept as a word ranking with numbers instead of becoming a
// separator (osv-scalibr's corpus relies on this; no real version has one).
type composerScheme struct{}

func (composerScheme) Name() string { return "composer" }

func (composerScheme) Compare(a, b string) (int, error) {
	va, err := parseComposer(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseComposer(b)
	if err != nil {
		return 0, err
	}
	return cmpPHPParts(va.parts, vb.parts), nil
}

func (composerScheme) Parse(s string) (Version, error) {
	v, err := parseComposer(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type composerVersion struct {
	orig  string
	parts []string
}

func (v composerVersion) String() string { return v.orig }
func (composerVersion) scheme() string   { return "composer" }

func (v composerVersion) Compare(o Version) int {
	w, ok := o.(composerVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return cmpPHPParts(v.parts, w.parts)
}

func parseComposer(s string) (composerVersion, error) {
	v := composerVersion{orig: s}
	t := strings.TrimSpace(s)
	if len(t) > 1 && (t[0] == 'v' || t[0] == 'V') {
		t = t[1:]
	}
	if t == "" {
		return v, invalid("composer", s, "version string is empty")
	}
	v.parts = strings.Split(phpCanonicalize(t), ".")
	return v, nil
}

// phpCanonicalize is php_canonicalize_version, '#' aside: '-', '_' and
// '+' become '.', a '.' goes between a digit and a following non-digit or
// the reverse (the second character being kept whatever it is), other
// characters that are not letters or digits become '.', and no two dots end
// up adjacent.
func phpCanonicalize(s string) string {
	if s[0] == '#' {
		// PHP leaves a string starting with the number marker alone.
		return s
	}
	nonDigit := func(c byte) bool { return !isDigit(c) && c != '.' }
	var b strings.Builder
	b.Grow(2 * len(s))
	b.WriteByte(s[0])
	last := s[0] // the previous input byte
	out := s[0]  // the previous output byte
	put := func(c byte) {
		b.WriteByte(c)
		out = c
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_' || c == '+':
			if out != '.' {
				put('.')
			}
		case (nonDigit(last) && isDigit(c)) || (isDigit(last) && nonDigit(c)):
			if out != '.' {
				put('.')
			}
			put(c)
		case !isAlnum(c) && c != '#':
			if out != '.' {
				put('.')
			}
		default:
			put(c)
		}
		last = c
	}
	return b.String()
}

// phpSpecialOrder is compare_special_version_forms' rank of a word.
func phpSpecialOrder(w string) int {
	switch {
	case strings.HasPrefix(w, "dev"):
		return 0
	case strings.HasPrefix(w, "a"):
		return 1
	case strings.HasPrefix(w, "b"):
		return 2
	case strings.HasPrefix(w, "RC"), strings.HasPrefix(w, "rc"):
		return 3
	case strings.HasPrefix(w, "#"):
		return 4
	case strings.HasPrefix(w, "p"):
		return 5
	}
	return -1
}

// phpNumberOrder is the rank PHP gives a number when it meets a word.
const phpNumberOrder = 4

func isPHPNumber(p string) bool { return p != "" && isDigit(p[0]) }

func cmpPHPParts(a, b []string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		pa, pb := a[i], b[i]
		na, nb := isPHPNumber(pa), isPHPNumber(pb)
		var c int
		switch {
		case na && nb:
			c = cmpDigits(pa[:spanDigits(pa)], pb[:spanDigits(pb)])
		case na:
			c = sign(phpNumberOrder - phpSpecialOrder(pb))
		case nb:
			c = sign(phpSpecialOrder(pa) - phpNumberOrder)
		default:
			c = sign(phpSpecialOrder(pa) - phpSpecialOrder(pb))
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case len(a) > n:
		return cmpPHPRest(a[n:])
	case len(b) > n:
		return -cmpPHPRest(b[n:])
	}
	return 0
}

// cmpPHPRest weighs the extra parts of the longer version against their
// absence: a number makes it newer, a word is ranked against a number, and a
// word ranking like a number defers to the next part.
func cmpPHPRest(rest []string) int {
	for _, p := range rest {
		if isPHPNumber(p) {
			return 1
		}
		if c := sign(phpSpecialOrder(p) - phpNumberOrder); c != 0 {
			return c
		}
	}
	return 0
}
