package version

import "strings"

// pep440Scheme implements PyPI's ordering as pypa/packaging does: PEP 440
// versions (epoch, release, pre, post, dev, local) and, for strings PEP 440
// rejects, packaging's LegacyVersion (removed in packaging 22, but PyPI and
// the OSV data still hold such versions), which sorts before every PEP 440
// version. Every string is therefore a PyPI version except the empty one.
type pep440Scheme struct{}

func (pep440Scheme) Name() string { return "pep440" }

func (pep440Scheme) Compare(a, b string) (int, error) {
	va, err := parsePEP440(a)
	if err != nil {
		return 0, err
	}
	vb, err := parsePEP440(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}

func (pep440Scheme) Parse(s string) (Version, error) {
	v, err := parsePEP440(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Pre-release phases in order; 0 means no pre-release.
const (
	pepPreNone = iota
	pepPreA
	pepPreB
	pepPreRC
)

// pep440Version is a parsed PyPI version. Every field is computed at parse
// time so that Compare only reads.
type pep440Version struct {
	orig    string
	legacy  []string // non-nil for a LegacyVersion: packaging's comparison key
	epoch   string   // digits
	release string   // dot-separated digits, trailing zeros kept
	pre     int
	preN    string
	hasPost bool
	postN   string
	hasDev  bool
	devN    string
	local   []string // lower-cased segments; nil when absent
}

func (v pep440Version) String() string { return v.orig }
func (pep440Version) scheme() string   { return "pep440" }

func (v pep440Version) Compare(o Version) int {
	w, ok := o.(pep440Version)
	if !ok {
		return crossScheme(v, o)
	}
	return v.compare(w)
}

func parsePEP440(s string) (pep440Version, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return pep440Version{orig: s}, invalid("pep440", s, "version string is empty")
	}
	m, ok := matchPEP440(strings.ToLower(t))
	if !ok {
		return pep440Version{orig: s, legacy: legacyKey(s)}, nil
	}
	v := pep440Version{orig: s, epoch: m.epoch, release: m.release}
	if m.hasPre {
		switch m.preL {
		case "a", "alpha":
			v.pre = pepPreA
		case "b", "beta":
			v.pre = pepPreB
		default: // c, rc, pre, preview
			v.pre = pepPreRC
		}
		v.preN = m.preN
	}
	v.hasPost, v.postN = m.hasPost, m.postN
	v.hasDev, v.devN = m.hasDev, m.devN
	if m.local != "" {
		v.local = strings.FieldsFunc(m.local, func(r rune) bool {
			return r == '.' || r == '-' || r == '_'
		})
	}
	return v, nil
}

// pep440Match holds the groups of PEP 440's appendix B expression.
type pep440Match struct {
	epoch, release string
	hasPre         bool
	preL, preN     string
	hasPost        bool
	postN          string
	hasDev         bool
	devN           string
	local          string
}

// matchPEP440 matches a trimmed, lower-cased string against PEP 440's
// appendix B expression
//
//	v? (N!)? N(.N)* ([-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?N?)?
//	(-N | [-_.]?(post|rev|r)[-_.]?N?)? ([-_.]?dev[-_.]?N?)? (+local)?
//
// by hand rather than with regexp, which takes seconds on a 100 kB string.
// The optional separators are the only ambiguity; they are tried in the
// regular expression's (greedy) order, so the groups come out the same.
func matchPEP440(s string) (pep440Match, bool) {
	var m pep440Match
	i := 0
	if i < len(s) && s[i] == 'v' {
		i++
	}
	n := spanDigits(s[i:])
	if n == 0 {
		return m, false
	}
	if i+n < len(s) && s[i+n] == '!' {
		m.epoch = s[i : i+n]
		i += n + 1
		if n = spanDigits(s[i:]); n == 0 {
			return m, false
		}
	}
	start := i
	i += n
	for i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i++
		i += spanDigits(s[i:])
	}
	m.release = s[start:i]
	return m, matchPre(s, i, &m)
}

// pepSep reports whether c is one of PEP 440's optional separators.
func pepSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

// pepGroup tries one "[-_.]?word[-_.]?N?" group at i in greedy order and
// calls next with the position after it until next succeeds.
func pepGroup(s string, i int, words []string, next func(j int, word, num string) bool) bool {
	for _, skip := range [2]bool{true, false} {
		j := i
		if skip {
			if j >= len(s) || !pepSep(s[j]) {
				continue
			}
			j++
		}
		for _, w := range words {
			if !strings.HasPrefix(s[j:], w) {
				continue
			}
			k := j + len(w)
			for _, skip2 := range [2]bool{true, false} {
				l := k
				if skip2 {
					if l >= len(s) || !pepSep(s[l]) {
						continue
					}
					l++
				}
				d := spanDigits(s[l:])
				if next(l+d, w, s[l:l+d]) {
					return true
				}
			}
		}
	}
	return false
}

func matchPre(s string, i int, m *pep440Match) bool {
	if pepGroup(s, i, []string{"alpha", "a", "beta", "b", "preview", "pre", "c", "rc"}, func(j int, w, num string) bool {
		m.hasPre, m.preL, m.preN = true, w, num
		return matchPost(s, j, m)
	}) {
		return true
	}
	m.hasPre, m.preL, m.preN = false, "", ""
	return matchPost(s, i, m)
}

func matchPost(s string, i int, m *pep440Match) bool {
	if i+1 < len(s) && s[i] == '-' && isDigit(s[i+1]) {
		d := spanDigits(s[i+1:])
		m.hasPost, m.postN = true, s[i+1:i+1+d]
		if matchDev(s, i+1+d, m) {
			return true
		}
	}
	if pepGroup(s, i, []string{"post", "rev", "r"}, func(j int, _, num string) bool {
		m.hasPost, m.postN = true, num
		return matchDev(s, j, m)
	}) {
		return true
	}
	m.hasPost, m.postN = false, ""
	return matchDev(s, i, m)
}

func matchDev(s string, i int, m *pep440Match) bool {
	if pepGroup(s, i, []string{"dev"}, func(j int, _, num string) bool {
		m.hasDev, m.devN = true, num
		return matchLocal(s, j, m)
	}) {
		return true
	}
	m.hasDev, m.devN = false, ""
	return matchLocal(s, i, m)
}

// matchLocal accepts the end of the string or "+local", local being
// [a-z0-9]+ segments joined by single separators.
func matchLocal(s string, i int, m *pep440Match) bool {
	if i == len(s) {
		m.local = ""
		return true
	}
	if s[i] != '+' {
		return false
	}
	run := 0
	for k := i + 1; k < len(s); k++ {
		switch c := s[k]; {
		case isDigit(c) || ('a' <= c && c <= 'z'):
			run++
		case pepSep(c) && run > 0:
			run = 0
		default:
			return false
		}
	}
	if run == 0 {
		return false
	}
	m.local = s[i+1:]
	return true
}

// isPrerelease is packaging's Version.is_prerelease.
func (v pep440Version) isPrerelease() bool {
	return v.legacy == nil && (v.pre != pepPreNone || v.hasDev)
}

// isPostrelease is packaging's Version.is_postrelease.
func (v pep440Version) isPostrelease() bool { return v.legacy == nil && v.hasPost }

// compare orders by packaging's _cmpkey: LegacyVersion first, then epoch,
// release without trailing zeros, pre (a bare dev release sorts before any
// pre-release, no pre-release after all of them), post, dev, local.
func (v pep440Version) compare(w pep440Version) int {
	switch {
	case v.legacy != nil && w.legacy != nil:
		return cmpLegacy(v.legacy, w.legacy)
	case v.legacy != nil:
		return -1
	case w.legacy != nil:
		return 1
	}
	if c := cmpDigits(v.epoch, w.epoch); c != 0 {
		return c
	}
	if c := cmpDottedNumbers(v.release, w.release); c != 0 {
		return c
	}
	if c := sign(v.preRank() - w.preRank()); c != 0 {
		return c
	}
	if v.pre != pepPreNone {
		if c := cmpDigits(v.preN, w.preN); c != 0 {
			return c
		}
	}
	switch {
	case v.hasPost && !w.hasPost:
		return 1
	case !v.hasPost && w.hasPost:
		return -1
	case v.hasPost:
		if c := cmpDigits(v.postN, w.postN); c != 0 {
			return c
		}
	}
	switch {
	case v.hasDev && !w.hasDev:
		return -1
	case !v.hasDev && w.hasDev:
		return 1
	case v.hasDev:
		if c := cmpDigits(v.devN, w.devN); c != 0 {
			return c
		}
	}
	return cmpLocal(v.local, w.local)
}

// preRank places the pre-release phase: a dev release without pre or post
// comes first, then a, b, rc, then no pre-release at all.
func (v pep440Version) preRank() int {
	switch {
	case v.pre == pepPreNone && !v.hasPost && v.hasDev:
		return -1
	case v.pre == pepPreNone:
		return 4
	}
	return v.pre
}

// cmpLocal orders local version labels: none first; segments pairwise with
// numbers above strings, numbers numerically, strings lexically; a longer
// label after a shorter one it extends.
func cmpLocal(a, b []string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		na, nb := allDigits(a[i]), allDigits(b[i])
		var c int
		switch {
		case na && nb:
			c = cmpDigits(a[i], b[i])
		case na:
			c = 1
		case nb:
			c = -1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return sign(len(a) - len(b))
}

// legacyKey is packaging's _legacy_cmpkey: the lower-cased string is split
// into runs of digits, runs of letters, '.' and '-' (keeping whatever lies
// between them); numbers are zero-padded to eight digits so that they sort
// as strings, words are marked with '*', "pre"/"preview"/"rc" become "c",
// "dev" becomes "@" and '-' becomes "final-". Pre-release words drop a
// preceding "final-", and every word drops the zero components before it.
func legacyKey(s string) []string {
	s = strings.ToLower(s)
	var parts []string
	add := func(part string) {
		switch part {
		case "pre", "preview", "rc":
			part = "c"
		case "-":
			part = "final-"
		case "dev":
			part = "@"
		}
		if part == "" || part == "." {
			return
		}
		if isDigit(part[0]) {
			if len(part) < 8 {
				part = strings.Repeat("0", 8-len(part)) + part
			}
		} else {
			part = "*" + part
		}
		if part[0] == '*' {
			if part < "*final" {
				for len(parts) > 0 && parts[len(parts)-1] == "*final-" {
					parts = parts[:len(parts)-1]
				}
			}
			for len(parts) > 0 && parts[len(parts)-1] == "00000000" {
				parts = parts[:len(parts)-1]
			}
		}
		parts = append(parts, part)
	}
	gap := 0 // start of the text between two matched components
	for i := 0; i < len(s); {
		var n int
		switch c := s[i]; {
		case isDigit(c):
			n = spanDigits(s[i:])
		case 'a' <= c && c <= 'z':
			n = 1
			for i+n < len(s) && 'a' <= s[i+n] && s[i+n] <= 'z' {
				n++
			}
		case c == '.' || c == '-':
			n = 1
		default:
			i++
			continue
		}
		add(s[gap:i])
		add(s[i : i+n])
		i += n
		gap = i
	}
	add(s[gap:])
	add("final")
	return parts
}

// cmpLegacy compares two legacy keys as Python compares tuples of strings.
func cmpLegacy(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return sign(len(a) - len(b))
}
