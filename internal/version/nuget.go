package version

import "strings"

// nugetScheme implements NuGet's SemVer 2.0 ordering with NuGet's
// extensions: up to four (here: any number of) numeric components, missing
// ones counting as 0 and leading zeros ignored ("1.0.01" = "1.0.1.0");
// release labels compared case-insensitively, numeric labels numerically and
// before alphanumeric ones; build metadata ignored.
type nugetScheme struct{}

func (nugetScheme) Name() string { return "nuget" }

func (nugetScheme) Compare(a, b string) (int, error) {
	va, err := parseNuGet(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseNuGet(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}

func (nugetScheme) Parse(s string) (Version, error) {
	v, err := parseNuGet(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type nugetVersion struct {
	orig    string
	nums    string
	release string
	hasRel  bool
}

func (v nugetVersion) String() string { return v.orig }
func (nugetVersion) scheme() string   { return "nuget" }

func (v nugetVersion) Compare(o Version) int {
	w, ok := o.(nugetVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return v.compare(w)
}

func parseNuGet(s string) (nugetVersion, error) {
	v := nugetVersion{orig: s}
	t := strings.TrimSpace(s)
	if t == "" {
		return v, invalid("nuget", s, "version string is empty")
	}
	if i := strings.IndexByte(t, '+'); i >= 0 {
		if msg := checkIdentifiers(t[i+1:]); msg != "" {
			return v, invalid("nuget", s, "metadata: "+msg)
		}
		t = t[:i]
	}
	if i := strings.IndexByte(t, '-'); i >= 0 {
		v.release, v.hasRel = t[i+1:], true
		if msg := checkIdentifiers(v.release); msg != "" {
			return v, invalid("nuget", s, "release label: "+msg)
		}
		t = t[:i]
	}
	if !dottedDigits(t) {
		return v, invalid("nuget", s, "version is not dot-separated numbers")
	}
	v.nums = t
	return v, nil
}

func (v nugetVersion) compare(w nugetVersion) int {
	if c := cmpDottedNumbers(v.nums, w.nums); c != 0 {
		return c
	}
	switch {
	case v.hasRel && !w.hasRel:
		return -1
	case !v.hasRel && w.hasRel:
		return 1
	case !v.hasRel:
		return 0
	}
	a, b := v.release, w.release
	moreA, moreB := true, true
	for moreA && moreB {
		var fa, fb string
		fa, a, moreA = nextField(a)
		fb, b, moreB = nextField(b)
		na, nb := allDigits(fa), allDigits(fb)
		var c int
		switch {
		case na && nb:
			c = cmpDigits(fa, fb)
		case na:
			c = -1
		case nb:
			c = 1
		default:
			c = cmpFoldASCII(fa, fb)
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case moreA:
		return 1
	case moreB:
		return -1
	}
	return 0
}
