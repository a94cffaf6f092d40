package version

import "strings"

// apkScheme implements apk-tools' ordering (version.c of apk-tools 3):
// digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}. The version is
// read as a sequence of typed tokens compared pairwise; when one version
// stops or changes token type first, it is older unless the other continues
// with a pre-release suffix (_alpha, _beta, _pre, _rc).
type apkScheme struct{}

func (apkScheme) Name() string { return "apk" }

func (apkScheme) Compare(a, b string) (int, error) {
	if a == "" || b == "" {
		return 0, invalid("apk", firstEmpty(a, b), "version string is empty")
	}
	return compareAPK(a, b), nil
}

func (apkScheme) Parse(s string) (Version, error) {
	if s == "" {
		return nil, invalid("apk", s, "version string is empty")
	}
	return apkVersion(s), nil
}

func firstEmpty(a, b string) string {
	if a == "" {
		return a
	}
	return b
}

// apkVersion is the version string itself: comparing tokenizes both strings
// in place, which allocates nothing.
type apkVersion string

func (v apkVersion) String() string { return string(v) }
func (apkVersion) scheme() string   { return "apk" }

func (v apkVersion) Compare(o Version) int {
	w, ok := o.(apkVersion)
	if !ok {
		return crossScheme(v, o)
	}
	return compareAPK(string(v), string(w))
}

// Token types, in apk-tools' order: the order is itself the semantics, since
// a version that moves on to a later token type than the other sorts first.
const (
	apkInitialDigit = iota
	apkDigit
	apkLetter
	apkSuffix
	apkSuffixNo
	apkCommitHash
	apkRevisionNo
	apkEnd
	apkInvalid
)

// Suffix values; apkSuffixNone is the pivot between pre- and post-releases.
const (
	apkSuffixInvalid = iota
	apkSuffixAlpha
	apkSuffixBeta
	apkSuffixPre
	apkSuffixRC
	apkSuffixNone
	apkSuffixCVS
	apkSuffixSVN
	apkSuffixGit
	apkSuffixHg
	apkSuffixP
)

func apkSuffixValue(s string) int {
	switch s {
	case "alpha":
		return apkSuffixAlpha
	case "beta":
		return apkSuffixBeta
	case "pre":
		return apkSuffixPre
	case "rc":
		return apkSuffixRC
	case "cvs":
		return apkSuffixCVS
	case "svn":
		return apkSuffixSVN
	case "git":
		return apkSuffixGit
	case "hg":
		return apkSuffixHg
	case "p":
		return apkSuffixP
	}
	return apkSuffixInvalid
}

// apkToken is the current token of a version being walked.
type apkToken struct {
	typ    int
	value  string // digits, letter, suffix word or hash; for apkInvalid the tail key
	suffix int
	pos    int // where the next token starts
}

// first reads the leading number.
func (t *apkToken) first(s string) {
	t.typ = apkInitialDigit
	t.pos = 0
	t.digits(s)
}

// digits reads a run of digits at t.pos as the value of the current token.
func (t *apkToken) digits(s string) {
	n := spanDigits(s[t.pos:])
	if n == 0 {
		t.invalid(s, t.pos)
		return
	}
	t.value = s[t.pos : t.pos+n]
	t.pos += n
}

// invalid marks the rest of s, from at, as unparsable. apk-tools stops there
// and calls two such tails equal; to keep a total order the tails are
// compared bytewise, but only up to their first '-', so that garbage after
// the package revision is ignored as osv-scalibr does.
func (t *apkToken) invalid(s string, at int) {
	t.typ = apkInvalid
	tail := s[at:]
	if i := strings.IndexByte(tail, '-'); i >= 0 {
		tail = tail[:i]
	}
	t.value = tail
	t.pos = len(s)
}

// next reads the token after t, checking that its type may follow t's.
func (t *apkToken) next(s string) {
	if t.pos >= len(s) {
		t.typ = apkEnd
		return
	}
	start := t.pos
	c := s[start]
	switch {
	case 'a' <= c && c <= 'z':
		if t.typ > apkDigit {
			t.invalid(s, start)
			return
		}
		t.typ = apkLetter
		t.value = s[start : start+1]
		t.pos++
	case c == '.' || isDigit(c):
		if c == '.' {
			if t.typ > apkDigit {
				t.invalid(s, start)
				return
			}
			t.pos++
		}
		switch t.typ {
		case apkInitialDigit, apkDigit:
			t.typ = apkDigit
		case apkLetter:
			// apk-tools 2, which built Alpine's data up to now, reads
			// "5.7.1p1" as 5.7.1, p, 1; apk-tools 3 rejects it. Keep
			// the old reading rather than calling such versions invalid.
			if c == '.' {
				t.invalid(s, start)
				return
			}
			t.typ = apkDigit
		case apkSuffix:
			t.typ = apkSuffixNo
		default:
			t.invalid(s, start)
			return
		}
		if n := spanDigits(s[t.pos:]); n == 0 {
			t.invalid(s, start)
			return
		}
		t.digits(s)
	case c == '_':
		if t.typ > apkSuffixNo {
			t.invalid(s, start)
			return
		}
		i := start + 1
		for i < len(s) && 'a' <= s[i] && s[i] <= 'z' {
			i++
		}
		t.value = s[start+1 : i]
		t.suffix = apkSuffixValue(t.value)
		if t.suffix == apkSuffixInvalid {
			t.invalid(s, start)
			return
		}
		t.typ = apkSuffix
		t.pos = i
	case c == '~':
		if t.typ >= apkCommitHash {
			t.invalid(s, start)
			return
		}
		i := start + 1
		for i < len(s) && (isDigit(s[i]) || ('a' <= s[i] && s[i] <= 'f')) {
			i++
		}
		if i == start+1 {
			t.invalid(s, start)
			return
		}
		t.typ = apkCommitHash
		t.value = s[start+1 : i]
		t.pos = i
	case c == '-':
		if t.typ >= apkRevisionNo || !strings.HasPrefix(s[start:], "-r") {
			t.invalid(s, start)
			return
		}
		t.typ = apkRevisionNo
		t.pos = start + 2
		if n := spanDigits(s[t.pos:]); n > 0 {
			t.digits(s)
			return
		}
		// apk-tools rejects "-r" without digits. Read at the end of the
		// string or before another '-' as -r0, as osv-scalibr does; before
		// anything else ("-ruff") it is not a revision at all.
		if t.pos < len(s) && s[t.pos] != '-' {
			t.invalid(s, start)
			return
		}
		t.value = "0"
	default:
		t.invalid(s, start)
	}
}

// cmpSame compares two tokens of the same type.
func (t *apkToken) cmpSame(u *apkToken) int {
	switch t.typ {
	case apkDigit:
		// Like Gentoo, a component with a leading zero compares as a string.
		if t.value[0] == '0' || u.value[0] == '0' {
			return strings.Compare(t.value, u.value)
		}
		return cmpDigits(t.value, u.value)
	case apkInitialDigit, apkSuffixNo, apkRevisionNo:
		return cmpDigits(t.value, u.value)
	case apkSuffix:
		return sign(t.suffix - u.suffix)
	}
	return strings.Compare(t.value, u.value)
}

func compareAPK(a, b string) int {
	var ta, tb apkToken
	ta.first(a)
	tb.first(b)
	for ta.typ == tb.typ && ta.typ < apkEnd {
		if c := ta.cmpSame(&tb); c != 0 {
			return c
		}
		ta.next(a)
		tb.next(b)
	}
	if ta.typ == tb.typ {
		if ta.typ == apkInvalid {
			return strings.Compare(ta.value, tb.value)
		}
		return 0
	}
	if ta.typ == apkSuffix && ta.suffix < apkSuffixNone {
		return -1
	}
	if tb.typ == apkSuffix && tb.suffix < apkSuffixNone {
		return 1
	}
	if ta.typ > tb.typ {
		return -1
	}
	return 1
}
