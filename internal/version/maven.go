package version

import "strings"

// mavenScheme implements Maven's "Version Order Specification" (POM
// reference), the documented rules behind ComparableVersion, as the OSV
// schema prescribes for the Maven ecosystem:
//
//   - the version is split at '.', '-' and digit/letter transitions (which
//     count as '-'), each token remembering its separator; empty tokens are 0;
//   - qualifiers are case-insensitive, "cr" is "rc", "ga", "final" and
//     "release" are the empty qualifier, and "a", "b", "m" directly followed
//     by a number are alpha, beta and milestone;
//   - trailing null tokens (0, empty) are trimmed, at the end and before
//     each remaining hyphen;
//   - tokens compare pairwise, the shorter version padded with nulls of the
//     other's separator (0 after '.', "" after '-'); with equal separators
//     numbers compare numerically and beat qualifiers, and qualifiers go
//     alpha < beta < milestone < rc < snapshot < "" < sp < other qualifiers
//     (alphabetically); with different separators
//     .qualifier < -qualifier < -number < .number.
//
// ComparableVersion differs from the specification on a few unusual strings
// ("1.0.0.RC8-beta" against "1.0.0-RC16"); the OSV data and its test corpus
// follow the specification.
type mavenScheme struct{}

func (mavenScheme) Name() string { return "maven" }

func (mavenScheme) Compare(a, b string) (int, error) {
	va, err := parseMaven(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseMaven(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}

func (mavenScheme) Parse(s string) (Version, error) {
	v, err := parseMaven(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type mavenToken struct {
	sep   byte // 0 for the first token, '.' or '-'
	value string
	num   bool
	null  bool // a padding token, not part of the version
}

type mavenVersion struct {
	orig   string
	tokens []mavenToken
}

func (v mavenVersion) String() string { return v.orig }
func (mavenVersion) scheme() string   { return "maven" }

func (v mavenVersion) Compare(o Version) int {
	w, ok := o.(mavenVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return v.compare(w)
}

func parseMaven(s string) (mavenVersion, error) {
	v := mavenVersion{orig: s}
	if strings.TrimSpace(s) == "" {
		return v, invalid("maven", s, "version string is empty")
	}
	lowered := strings.ToLower(s)
	var sep byte
	for start := 0; start <= len(lowered); {
		end := start
		for end < len(lowered) && lowered[end] != '.' && lowered[end] != '-' {
			end++
		}
		v.tokens = appendMavenRaw(v.tokens, sep, lowered[start:end])
		if end < len(lowered) {
			sep = lowered[end]
		}
		start = end + 1
	}
	v.tokens = trimMaven(v.tokens)
	return v, nil
}

// appendMavenRaw splits one '.'/'-'-delimited token at digit/letter
// transitions and appends the normalized pieces.
func appendMavenRaw(tokens []mavenToken, sep byte, raw string) []mavenToken {
	if raw == "" {
		return append(tokens, mavenToken{sep: sep, value: "0", num: true})
	}
	for i := 0; i < len(raw); {
		j := i + 1
		for j < len(raw) && isDigit(raw[j]) == isDigit(raw[i]) {
			j++
		}
		piece := raw[i:j]
		t := mavenToken{sep: sep}
		if i > 0 {
			t.sep = '-'
		}
		if isDigit(piece[0]) {
			t.num = true
			t.value = trimZeros(piece)
			if t.value == "" {
				t.value = "0"
			}
		} else {
			t.value = mavenQualifier(piece, j < len(raw))
		}
		tokens = append(tokens, t)
		i = j
	}
	return tokens
}

// mavenQualifier applies the qualifier aliases.
func mavenQualifier(q string, followedByDigit bool) string {
	switch q {
	case "cr":
		return "rc"
	case "ga", "final", "release":
		return ""
	}
	if followedByDigit {
		switch q {
		case "a":
			return "alpha"
		case "b":
			return "beta"
		case "m":
			return "milestone"
		}
	}
	return q
}

func (t mavenToken) isNullValue() bool { return t.value == "0" || t.value == "" }

// trimMaven removes trailing null tokens at the end and before each hyphen.
func trimMaven(tokens []mavenToken) []mavenToken {
	i := len(tokens) - 1
	for i > 0 {
		if tokens[i].isNullValue() {
			tokens = append(tokens[:i], tokens[i+1:]...)
			i--
			continue
		}
		for i >= 0 && tokens[i].sep != '-' {
			i--
		}
		i--
	}
	return tokens
}

// padMaven is the null token standing in for a missing one, shaped after the
// other version's token at the same position.
func padMaven(other mavenToken) mavenToken {
	if other.sep == '.' {
		// "sp" is the one qualifier above the empty one, and it must also
		// sort above the missing component it is compared with.
		if other.value == "sp" {
			return mavenToken{sep: '.', value: "", null: true}
		}
		return mavenToken{sep: '.', value: "0", num: true, null: true}
	}
	return mavenToken{sep: '-', value: "", null: true}
}

func (v mavenVersion) compare(w mavenVersion) int {
	n := max(len(v.tokens), len(w.tokens))
	for i := 0; i < n; i++ {
		var a, b mavenToken
		if i < len(v.tokens) {
			a = v.tokens[i]
		} else {
			a = padMaven(w.tokens[i])
		}
		if i < len(w.tokens) {
			b = w.tokens[i]
		} else {
			b = padMaven(v.tokens[i])
		}
		if a.sep == b.sep && a.value == b.value {
			continue
		}
		if c := cmpMavenTokens(a, b); c != 0 {
			return c
		}
	}
	return 0
}

// mavenQualifierRank places a qualifier; unknown qualifiers share the last
// rank and then sort alphabetically.
func mavenQualifierRank(q string) int {
	switch q {
	case "alpha":
		return 0
	case "beta":
		return 1
	case "milestone":
		return 2
	case "rc":
		return 3
	case "snapshot":
		return 4
	case "":
		return 5
	case "sp":
		return 6
	}
	return 7
}

// mavenSepRank orders tokens with different separators:
// .qualifier < -qualifier < -number < .number.
func mavenSepRank(t mavenToken) int {
	switch {
	case t.num && t.sep == '-':
		return 2
	case t.num:
		return 3
	case t.sep == '-':
		return 1
	}
	return 0
}

func cmpMavenTokens(a, b mavenToken) int {
	if a.sep != b.sep {
		return sign(mavenSepRank(a) - mavenSepRank(b))
	}
	if a.num && b.num {
		return cmpDigits(a.value, b.value)
	}
	// A real number beats a qualifier; a padded 0 compares as a qualifier.
	if a.num && !a.null {
		return 1
	}
	if b.num && !b.null {
		return -1
	}
	ra, rb := mavenQualifierRank(a.value), mavenQualifierRank(b.value)
	if ra != rb {
		return sign(ra - rb)
	}
	if ra == 7 {
		return strings.Compare(a.value, b.value)
	}
	return 0
}
