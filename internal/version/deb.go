package version

import "strings"

// debScheme implements dpkg's version ordering (deb-version(7)):
// [epoch:]upstream[-revision]. The epoch compares numerically; upstream and
// revision compare with dpkg's verrevcmp, in which '~' sorts before
// everything, even the end of the string, letters sort before other
// characters, and runs of digits compare numerically.
type debScheme struct{}

func (debScheme) Name() string { return "deb" }

func (debScheme) Compare(a, b string) (int, error) {
	pa, err := splitDeb(a)
	if err != nil {
		return 0, err
	}
	pb, err := splitDeb(b)
	if err != nil {
		return 0, err
	}
	return pa.compare(pb), nil
}

func (debScheme) Parse(s string) (Version, error) {
	p, err := splitDeb(s)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// debVersion is a Debian version split into its three parts, all substrings
// of the input, so parsing allocates nothing beyond the interface value.
type debVersion struct {
	orig     string
	epoch    string // digits; "" means 0
	upstream string
	revision string // "" when absent, which verrevcmp treats like "0"
}

func (v debVersion) String() string { return v.orig }
func (debVersion) scheme() string   { return "deb" }

func (v debVersion) Compare(o Version) int {
	w, ok := o.(debVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return v.compare(w)
}

func (v debVersion) compare(w debVersion) int {
	if c := cmpDigits(v.epoch, w.epoch); c != 0 {
		return c
	}
	if c := verrevcmp(v.upstream, w.upstream); c != 0 {
		return c
	}
	return verrevcmp(v.revision, w.revision)
}

// splitDeb applies dpkg's parseversion: surrounding blanks are ignored,
// embedded ones are an error; the epoch is the digits before the first colon;
// the revision follows the last hyphen of what remains. dpkg only warns about
// upstream versions that do not start with a digit or use unusual
// characters, and still orders them, so those are accepted here too.
func splitDeb(s string) (debVersion, error) {
	t := strings.TrimSpace(s)
	v := debVersion{orig: s}
	if t == "" {
		return v, invalid("deb", s, "version string is empty")
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			return v, invalid("deb", s, "version string has embedded spaces")
		}
	}
	rest := t
	if i := strings.IndexByte(t, ':'); i >= 0 {
		v.epoch = t[:i]
		if v.epoch == "" {
			return v, invalid("deb", s, "epoch is empty")
		}
		if !allDigits(v.epoch) {
			return v, invalid("deb", s, "epoch is not a number")
		}
		rest = t[i+1:]
		if rest == "" {
			return v, invalid("deb", s, "nothing after colon")
		}
	}
	v.upstream = rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.upstream, v.revision = rest[:i], rest[i+1:]
		if v.revision == "" {
			return v, invalid("deb", s, "revision is empty")
		}
	}
	if v.upstream == "" {
		return v, invalid("deb", s, "upstream version is empty")
	}
	return v, nil
}

// debOrder is dpkg's order(): the weight of one non-digit position. The end
// of the string weighs 0, '~' weighs less, letters weigh their code, and
// every other character weighs more than any letter.
func debOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp is dpkg's comparison of an upstream version or a revision. It
// walks both strings in place and allocates nothing.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := debOrder(a, i), debOrder(b, j)
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		firstDiff := 0
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}
