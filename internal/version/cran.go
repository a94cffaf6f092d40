package version

import "strings"

// cranScheme implements R's package_version ordering for CRAN and
// Bioconductor: non-negative integers separated by '.' or '-', compared
// numerically one by one, a version that extends another sorting after it
// ("1.0" < "1.0.0" < "1.0-1").
type cranScheme struct{}

func (cranScheme) Name() string { return "cran" }

func (cranScheme) Compare(a, b string) (int, error) {
	va, err := parseCRAN(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseCRAN(b)
	if err != nil {
		return 0, err
	}
	return cmpIntLists(string(va), string(vb)), nil
}

func (cranScheme) Parse(s string) (Version, error) {
	v, err := parseCRAN(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// cranVersion is the validated version string.
type cranVersion string

func (v cranVersion) String() string { return string(v) }
func (cranVersion) scheme() string   { return "cran" }

func (v cranVersion) Compare(o Version) int {
	w, ok := o.(cranVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return cmpIntLists(string(v), string(w))
}

func parseCRAN(s string) (cranVersion, error) {
	t := strings.TrimSpace(s)
	if !separatedDigits(t, ".-") {
		return cranVersion(s), invalid("cran", s, "not integers separated by '.' or '-'")
	}
	return cranVersion(s), nil
}

// separatedDigits reports whether s is runs of digits joined by single
// characters from seps.
func separatedDigits(s, seps string) bool {
	if s == "" {
		return false
	}
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			run++
		case strings.IndexByte(seps, c) >= 0 && run > 0:
			run = 0
		default:
			return false
		}
	}
	return run > 0
}

// cmpIntLists compares two lists of integers written as digit runs separated
// by any non-digits, as Haskell and R compare lists: element by element, a
// proper prefix first.
func cmpIntLists(a, b string) int {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	i, j := 0, 0
	for {
		for i < len(a) && !isDigit(a[i]) {
			i++
		}
		for j < len(b) && !isDigit(b[j]) {
			j++
		}
		switch {
		case i >= len(a) && j >= len(b):
			return 0
		case i >= len(a):
			return -1
		case j >= len(b):
			return 1
		}
		ni, nj := spanDigits(a[i:]), spanDigits(b[j:])
		if c := cmpDigits(a[i:i+ni], b[j:j+nj]); c != 0 {
			return c
		}
		i += ni
		j += nj
	}
}
