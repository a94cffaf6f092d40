package version

import "strings"

// hackageScheme implements Haskell's Data.Version ordering used by Hackage
// (and GHC): non-negative integers separated by dots, compared as lists, so
// "1.0" < "1.0.0".
type hackageScheme struct{}

func (hackageScheme) Name() string { return "hackage" }

func (hackageScheme) Compare(a, b string) (int, error) {
	va, err := parseHackage(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseHackage(b)
	if err != nil {
		return 0, err
	}
	return cmpIntLists(string(va), string(vb)), nil
}

func (hackageScheme) Parse(s string) (Version, error) {
	v, err := parseHackage(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// hackageVersion is the validated version string.
type hackageVersion string

func (v hackageVersion) String() string { return string(v) }
func (hackageVersion) scheme() string   { return "hackage" }

func (v hackageVersion) Compare(o Version) int {
	w, ok := o.(hackageVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return cmpIntLists(string(v), string(w))
}

func parseHackage(s string) (hackageVersion, error) {
	if !separatedDigits(strings.TrimSpace(s), ".") {
		return hackageVersion(s), invalid("hackage", s, "not integers separated by dots")
	}
	return hackageVersion(s), nil
}
