package version

import "strings"

// semverScheme implements SemVer 2.0 precedence for npm, crates.io, Hex, Go
// and Pub. It is lenient in the ways the ecosystems' data needs: a leading
// "v" (or "=", as npm accepts) is ignored, and the numeric part may have any
// number of components ("1.2", Go's "v2", "1.2.3.4"), missing ones counting
// as 0. Build metadata (Go's "+incompatible" included) is ignored, except for
// Pub, whose pub_semver orders it after the pre-release. Go pseudo-versions
// (v0.0.0-20191109021931-daa7c04131f5) are ordinary pre-releases and sort by
// their timestamp.
type semverScheme uint8

// The SemVer dialects. A one-byte kind, rather than a struct, converts to a
// Scheme without allocating.
const (
	semverPlain semverScheme = iota // npm, crates.io, Hex
	semverGo                        // Go modules
	semverPub                       // Pub: build metadata orders
)

func (s semverScheme) Name() string {
	switch s {
	case semverGo:
		return "go"
	case semverPub:
		return "pub"
	}
	return "semver"
}

func (s semverScheme) buildOrders() bool { return s == semverPub }

func (s semverScheme) Compare(a, b string) (int, error) {
	va, err := s.parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := s.parse(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}

func (s semverScheme) Parse(str string) (Version, error) {
	v, err := s.parse(str)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// semverVersion keeps the three parts as substrings of the input.
type semverVersion struct {
	orig        string
	name        string
	nums        string // dot-separated digit strings
	pre         string // without the '-'; "" when absent
	build       string // without the '+'; "" when absent
	hasPre      bool
	hasBuild    bool
	buildOrders bool
}

func (v semverVersion) String() string { return v.orig }
func (v semverVersion) scheme() string { return v.name }

func (v semverVersion) Compare(o Version) int {
	w, ok := o.(semverVersion)
	if !ok || w.name != v.name {
		return crossScheme(v, o)
	}
	return v.compare(w)
}

func (s semverScheme) parse(str string) (semverVersion, error) {
	v := semverVersion{orig: str, name: s.Name(), buildOrders: s.buildOrders()}
	t := strings.TrimSpace(str)
	if len(t) > 0 && (t[0] == 'v' || t[0] == 'V' || t[0] == '=') {
		t = t[1:]
	}
	if t == "" {
		return v, invalid(s.Name(), str, "version string is empty")
	}
	end := len(t)
	if i := strings.IndexByte(t, '+'); i >= 0 {
		v.build, v.hasBuild = t[i+1:], true
		if err := checkIdentifiers(v.build); err != "" {
			return v, invalid(s.Name(), str, "build metadata: "+err)
		}
		end = i
	}
	if i := strings.IndexByte(t[:end], '-'); i >= 0 {
		v.pre, v.hasPre = t[i+1:end], true
		if err := checkIdentifiers(v.pre); err != "" {
			return v, invalid(s.Name(), str, "pre-release: "+err)
		}
		end = i
	}
	v.nums = t[:end]
	if !dottedDigits(v.nums) {
		return v, invalid(s.Name(), str, "version core is not dot-separated numbers")
	}
	return v, nil
}

// dottedDigits reports whether s is one or more digit runs joined by dots.
func dottedDigits(s string) bool {
	if s == "" {
		return false
	}
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			run++
		case c == '.' && run > 0:
			run = 0
		default:
			return false
		}
	}
	return run > 0
}

// checkIdentifiers validates dot-separated identifiers of [0-9A-Za-z-].
func checkIdentifiers(s string) string {
	if s == "" {
		return "empty"
	}
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isAlnum(c) || c == '-':
			run++
		case c == '.' && run > 0:
			run = 0
		default:
			return "identifiers must be non-empty and use only [0-9A-Za-z-]"
		}
	}
	if run == 0 {
		return "identifiers must be non-empty"
	}
	return ""
}

func (v semverVersion) compare(w semverVersion) int {
	if c := cmpDottedNumbers(v.nums, w.nums); c != 0 {
		return c
	}
	// A version without a pre-release has higher precedence.
	switch {
	case v.hasPre && !w.hasPre:
		return -1
	case !v.hasPre && w.hasPre:
		return 1
	case v.hasPre:
		if c := cmpIdentifiers(v.pre, w.pre); c != 0 {
			return c
		}
	}
	if !v.buildOrders {
		return 0
	}
	switch {
	case v.hasBuild && !w.hasBuild:
		return 1
	case !v.hasBuild && w.hasBuild:
		return -1
	case v.hasBuild:
		return cmpIdentifiers(v.build, w.build)
	}
	return 0
}

// nextField splits s at the first dot.
func nextField(s string) (field, rest string, more bool) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// cmpDottedNumbers compares dot-separated digit strings, missing trailing
// components counting as 0.
func cmpDottedNumbers(a, b string) int {
	moreA, moreB := a != "", b != ""
	for moreA || moreB {
		var fa, fb string
		if moreA {
			fa, a, moreA = nextField(a)
		}
		if moreB {
			fb, b, moreB = nextField(b)
		}
		if c := cmpDigits(fa, fb); c != 0 {
			return c
		}
	}
	return 0
}

// cmpIdentifiers compares dot-separated pre-release identifiers by SemVer
// precedence: numeric ones numerically and before alphanumeric ones, those
// in ASCII order, and a shorter list first when it is a prefix of the other.
func cmpIdentifiers(a, b string) int {
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
			c = strings.Compare(fa, fb)
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
