package version

import "strings"

// gemScheme implements RubyGems' Gem::Version: a version is digits and
// letters, each '-' meaning ".pre."; segments are runs of digits or of
// letters, numbers compare numerically and beat strings (so any letter makes
// a pre-release), strings compare bytewise, and trailing zeros are dropped
// both at the end of the numeric part and of the whole version.
type gemScheme struct{}

func (gemScheme) Name() string { return "gem" }

func (gemScheme) Compare(a, b string) (int, error) {
	va, err := parseGem(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseGem(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}

func (gemScheme) Parse(s string) (Version, error) {
	v, err := parseGem(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type gemVersion struct {
	orig     string
	segments []string // canonical segments: digit strings without leading zeros, or letter runs
	raw      []string // the same before trailing zeros are dropped, for ~>
}

func (v gemVersion) String() string { return v.orig }
func (gemVersion) scheme() string   { return "gem" }

func (v gemVersion) Compare(o Version) int {
	w, ok := o.(gemVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return v.compare(w)
}

// validGem accepts what Gem::Version can order: a leading digit, then ASCII
// letters, digits, '.' and '-'. RubyGems' own ANCHORED_VERSION_PATTERN is
// stricter ("1beta" needs a dot: "1.beta"), but it orders the looser strings
// in the same way, and gem metadata in the wild carries them.
func validGem(s string) bool {
	if s == "" || !isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func parseGem(s string) (gemVersion, error) {
	v := gemVersion{orig: s}
	t := strings.TrimSpace(s)
	if t == "" {
		// RubyGems still reads an empty version as "0".
		t = "0"
	}
	if !validGem(t) {
		return v, invalid("gem", s, "malformed version number string")
	}
	t = strings.ReplaceAll(t, "-", ".pre.")
	var segs []string
	for i := 0; i < len(t); {
		switch {
		case isDigit(t[i]):
			n := spanDigits(t[i:])
			segs = append(segs, trimZeros(t[i:i+n]))
			i += n
		case isAlpha(t[i]):
			j := i
			for j < len(t) && isAlpha(t[j]) {
				j++
			}
			segs = append(segs, t[i:j])
			i = j
		default:
			i++
		}
	}
	v.raw = segs
	// canonical_segments: drop trailing zeros of the numeric part and of the
	// string part separately.
	first := len(segs)
	for i, seg := range segs {
		if seg != "" && !isDigit(seg[0]) {
			first = i
			break
		}
	}
	num, str := segs[:first], segs[first:]
	for len(num) > 0 && num[len(num)-1] == "" {
		num = num[:len(num)-1]
	}
	for len(str) > 0 && str[len(str)-1] == "" {
		str = str[:len(str)-1]
	}
	v.segments = append(num[:len(num):len(num)], str...)
	return v, nil
}

// gemIsNumber reports whether a canonical segment is a number ("" is 0).
func gemIsNumber(seg string) bool { return seg == "" || isDigit(seg[0]) }

func (v gemVersion) compare(w gemVersion) int {
	n := max(len(v.segments), len(w.segments))
	for i := 0; i < n; i++ {
		a, b := "", ""
		if i < len(v.segments) {
			a = v.segments[i]
		}
		if i < len(w.segments) {
			b = w.segments[i]
		}
		if a == b {
			continue
		}
		na, nb := gemIsNumber(a), gemIsNumber(b)
		switch {
		case na && nb:
			return cmpDigits(a, b)
		case na:
			return 1
		case nb:
			return -1
		}
		return strings.Compare(a, b)
	}
	return 0
}
