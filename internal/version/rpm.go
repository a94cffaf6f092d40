package version

import "strings"

// rpmScheme implements RPM's ordering of [epoch:]version[-release], with each
// part compared by rpmvercmp: alphanumeric segments separated by anything
// else, numeric segments numerically and beating alphabetic ones, '~' sorting
// before everything and '^' after the end of the string but before any
// further segment.
type rpmScheme struct{}

func (rpmScheme) Name() string { return "rpm" }

func (rpmScheme) Compare(a, b string) (int, error) {
	pa, err := splitRPM(a)
	if err != nil {
		return 0, err
	}
	pb, err := splitRPM(b)
	if err != nil {
		return 0, err
	}
	return pa.compare(pb), nil
}

func (rpmScheme) Parse(s string) (Version, error) {
	p, err := splitRPM(s)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// rpmVersion holds the parts of an EVR as substrings of the input.
type rpmVersion struct {
	orig       string
	epoch      string // "0" when absent
	version    string
	release    string
	hasRelease bool
}

func (v rpmVersion) String() string { return v.orig }
func (rpmVersion) scheme() string   { return "rpm" }

func (v rpmVersion) Compare(o Version) int {
	w, ok := o.(rpmVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return v.compare(w)
}

// compare follows rpmverCmp, except for a missing release: rpm treats it as
// matching any release, which is not an order (1 = 1-1 and 1 = 1-2 but
// 1-1 < 1-2), so here a version without a release sorts before the same
// version with one, as in osv-scalibr.
func (v rpmVersion) compare(w rpmVersion) int {
	if c := rpmvercmp(v.epoch, w.epoch); c != 0 {
		return c
	}
	if c := rpmvercmp(v.version, w.version); c != 0 {
		return c
	}
	switch {
	case v.hasRelease && w.hasRelease:
		return rpmvercmp(v.release, w.release)
	case v.hasRelease:
		return 1
	case w.hasRelease:
		return -1
	}
	return 0
}

// splitRPM applies rpm's parseEVR: the epoch is a run of leading digits
// ended by a colon (an empty one means 0), the release follows the last
// hyphen. Anything else is part of the version, as rpm accepts it.
func splitRPM(s string) (rpmVersion, error) {
	v := rpmVersion{orig: s, epoch: "0"}
	if s == "" {
		return v, invalid("rpm", s, "version string is empty")
	}
	rest := s
	if n := spanDigits(s); n < len(s) && s[n] == ':' {
		if n > 0 {
			v.epoch = s[:n]
		}
		rest = s[n+1:]
	}
	v.version = rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.version, v.release, v.hasRelease = rest[:i], rest[i+1:], true
	}
	return v, nil
}

// rpmvercmp is rpm's segment comparison, walking both strings in place.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		// '~' sorts before everything, the end of the string included.
		ta, tb := i < len(a) && a[i] == '~', j < len(b) && b[j] == '~'
		if ta || tb {
			if !ta {
				return 1
			}
			if !tb {
				return -1
			}
			i++
			j++
			continue
		}
		// '^' sorts after the end of the string but before anything else.
		ca, cb := i < len(a) && a[i] == '^', j < len(b) && b[j] == '^'
		if ca || cb {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if !ca {
				return 1
			}
			if !cb {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		isNum := isDigit(a[i])
		if isNum {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		if sj == j {
			// The segments are of different kinds: numbers are newer.
			if isNum {
				return 1
			}
			return -1
		}
		var c int
		if isNum {
			c = cmpDigits(a[si:i], b[sj:j])
		} else {
			c = strings.Compare(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}
