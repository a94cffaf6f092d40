package version

import "strings"

// fallbackScheme orders versions of ecosystems this package does not know.
// It is deliberately simple and predictable:
//
//   - a leading "v" or "V" is ignored;
//   - the string is read as runs of digits and runs of letters; every other
//     character only separates runs;
//   - runs compare pairwise: numbers numerically, words case-insensitively,
//     and a number after a word (1.0.1 > 1.0.beta);
//   - a missing run counts as the number 0, which sorts after any word, so
//     "1.0" = "1", "1.0" > "1.0-rc1" and "1.0.1" > "1.0".
//
// Every non-empty string is a fallback version.
type fallbackScheme struct{}

func (fallbackScheme) Name() string { return "fallback" }

func (fallbackScheme) Compare(a, b string) (int, error) {
	va, err := parseFallback(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseFallback(b)
	if err != nil {
		return 0, err
	}
	return cmpFallback(string(va), string(vb)), nil
}

func (fallbackScheme) Parse(s string) (Version, error) {
	v, err := parseFallback(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// fallbackVersion is the version string itself.
type fallbackVersion string

func (v fallbackVersion) String() string { return string(v) }
func (fallbackVersion) scheme() string   { return "fallback" }

func (v fallbackVersion) Compare(o Version) int {
	w, ok := o.(fallbackVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return cmpFallback(string(v), string(w))
}

func parseFallback(s string) (fallbackVersion, error) {
	if strings.TrimSpace(s) == "" {
		return fallbackVersion(s), invalid("fallback", s, "version string is empty")
	}
	return fallbackVersion(s), nil
}

// nextRun returns the next run of digits or letters at or after i, and
// where it ends; ok is false at the end of s.
func nextRun(s string, i int) (run string, end int, ok bool) {
	for i < len(s) && !isAlnum(s[i]) {
		i++
	}
	if i >= len(s) {
		return "", i, false
	}
	j := i + 1
	for j < len(s) && isAlnum(s[j]) && isDigit(s[j]) == isDigit(s[i]) {
		j++
	}
	return s[i:j], j, true
}

func cmpFallback(a, b string) int {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if len(a) > 0 && (a[0] == 'v' || a[0] == 'V') {
		a = a[1:]
	}
	if len(b) > 0 && (b[0] == 'v' || b[0] == 'V') {
		b = b[1:]
	}
	i, j := 0, 0
	for {
		ra, ni, oka := nextRun(a, i)
		rb, nj, okb := nextRun(b, j)
		if !oka && !okb {
			return 0
		}
		if !oka {
			ra = "0"
		}
		if !okb {
			rb = "0"
		}
		da, db := isDigit(ra[0]), isDigit(rb[0])
		var c int
		switch {
		case da && db:
			c = cmpDigits(ra, rb)
		case da:
			c = 1
		case db:
			c = -1
		default:
			c = cmpFoldASCII(ra, rb)
		}
		if c != 0 {
			return c
		}
		i, j = ni, nj
	}
}
