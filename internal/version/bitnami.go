package version

import (
	"strconv"
	"strings"
)

// bitnamiScheme orders the versions of the components Bitnami packages in
// its images (OSV ecosystem "Bitnami"). A component's version is its
// upstream project's version, SemVer for nearly all of them, with Bitnami's
// packaging revision appended after a hyphen: "17.2.0-8" is the eighth
// build of PostgreSQL 17.2.0. SemVer would read "-8" as a pre-release and
// sort it before 17.2.0, the opposite of the truth; Bitnami's advisories
// name bare upstream releases ("fixed: 17.2.0").
//
// So a version is read as upstream plus revision: a final "-N" of digits
// alone is the revision, a missing one counts as 0. Upstream parts compare
// as SemVer when both are, else with the fallback scheme's order (some
// upstream projects do not follow SemVer); equal upstream parts compare by
// revision. "17.2.0-8" > "17.2.0" = "17.2.0-0", and "17.2.0-8" < "17.2.1".
// A hyphenated suffix that is not all digits ("1.0.0-rc1") stays part of
// the upstream version, a SemVer pre-release. Mixing the two upstream orders
// can make an unusual triple (two SemVer versions and one that is not)
// intransitive; Bitnami's upstream versions are almost all SemVer.
type bitnamiScheme struct{}

func (bitnamiScheme) Name() string { return "bitnami" }

func (s bitnamiScheme) Compare(a, b string) (int, error) {
	va, err := parseBitnami(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseBitnami(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

func (bitnamiScheme) Parse(s string) (Version, error) {
	v, err := parseBitnami(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type bitnamiVersion struct {
	s   string
	up  string  // upstream part
	sem Version // the upstream part as SemVer; nil when it is not
	rev uint64
}

func (v bitnamiVersion) String() string { return v.s }
func (bitnamiVersion) scheme() string   { return "bitnami" }

func (v bitnamiVersion) Compare(o Version) int {
	w, ok := o.(bitnamiVersion)
	if !ok {
		return crossScheme(v, o)
	}
	c := 0
	if v.sem != nil && w.sem != nil {
		c = v.sem.Compare(w.sem)
	} else {
		c = cmpFallback(v.up, w.up)
	}
	if c != 0 {
		return c
	}
	switch {
	case v.rev < w.rev:
		return -1
	case v.rev > w.rev:
		return 1
	}
	return 0
}

func parseBitnami(s string) (bitnamiVersion, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return bitnamiVersion{}, invalid("bitnami", s, "version string is empty")
	}
	v := bitnamiVersion{s: s, up: t}
	if i := strings.LastIndexByte(t, '-'); i > 0 && i < len(t)-1 {
		if rev, err := strconv.ParseUint(t[i+1:], 10, 64); err == nil && isAllDigits(t[i+1:]) {
			v.up, v.rev = t[:i], rev
		}
	}
	if sem, err := semverPlain.Parse(v.up); err == nil {
		v.sem = sem
	}
	return v, nil
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
