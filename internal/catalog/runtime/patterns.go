package runtime

import (
	"bytes"
	"strings"
)

// A pattern is one way a product's version shows in its binary: a literal
// anchor, found with bytes.Index, and a strict parse of what surrounds it.
// The patterns only accept release versions written the way the product's
// own build writes them; a development snapshot or anything unexpected is
// no match, as a wrong version is worse than none.
type pattern struct {
	anchor string
	// match parses the string whose anchor starts at data[i]. It returns
	// the version and the span of data that shows it, for the evidence.
	match func(data []byte, i int) (version string, start, end int, ok bool)
}

// anchored finds the first match of any of its patterns and stops.
type anchored struct {
	product product
	pats    []pattern
	anchors [][]byte
	found   summary
}

func newAnchored(p product) *anchored {
	a := &anchored{product: p, pats: patterns(p)}
	for _, pat := range a.pats {
		a.anchors = append(a.anchors, []byte(pat.anchor))
	}
	return a
}

func (a *anchored) find(data []byte, from, limit int) bool {
	for k, p := range a.pats {
		anchor := a.anchors[k]
		// Matches must start before limit; the anchor itself may run on.
		hi := min(limit+len(anchor)-1, len(data))
		for i := from; i < limit; {
			j := bytes.Index(data[i:hi], anchor)
			if j < 0 {
				break
			}
			i += j
			if v, s, e, ok := p.match(data, i); ok {
				a.found = summary{Name: a.product.String(), Version: v, Evidence: printable(data[s:e])}
				return true
			}
			i++
		}
	}
	return false
}

func (a *anchored) result() summary { return a.found }

// patterns returns the anchored patterns of p; python and redis, whose
// versions have no anchor of their own, have their own finders.
func patterns(p product) []pattern {
	switch p {
	case nodeJS:
		return []pattern{
			// The inspector's /json/version answer, next to "/json":
			// "node.js/v20.11.1".
			{"node.js/v", func(d []byte, i int) (string, int, int, bool) {
				e := nums(d, i+len("node.js/v"), 3, 3)
				return version(d, i+len("node.js/v"), e), i, e, e > 0 && isAt(d, e, 0)
			}},
			// process.release.sourceUrl (Node.js 4 and later): the same
			// version twice makes a mistake unlikely.
			{"/download/release/v", func(d []byte, i int) (string, int, int, bool) {
				vs := i + len("/download/release/v")
				ve := nums(d, vs, 3, 3)
				if ve < 0 {
					return "", 0, 0, false
				}
				v := string(d[vs:ve])
				tail := "/node-v" + v + ".tar.gz"
				if !bytes.HasPrefix(d[ve:], []byte(tail)) {
					return "", 0, 0, false
				}
				return v, i, ve + len(tail), true
			}},
			// Node.js 0.10: "node v0.10.48" as a string of its own. The
			// NUL before it is checked, not searched: NUL is the commonest
			// byte of a binary, and a search led by it crawls.
			{"node v", func(d []byte, i int) (string, int, int, bool) {
				e := nums(d, i+len("node v"), 3, 3)
				return version(d, i+len("node v"), e), i, e, i > 0 && d[i-1] == 0 && e > 0 && isAt(d, e, 0)
			}},
		}
	case openssl:
		return []pattern{{"OpenSSL ", matchOpenSSL}}
	case nginx:
		return []pattern{
			// NGINX_VER_BUILD in `nginx -V`: "nginx version: nginx/1.25.3",
			// then a newline or " (nginx-plus-r30)".
			{"nginx version: nginx/", func(d []byte, i int) (string, int, int, bool) {
				vs := i + len("nginx version: nginx/")
				e := nums(d, vs, 3, 3)
				return version(d, vs, e), i, e, e > 0 && isAt(d, e, '\n', ' ', 0)
			}},
			{"Server: nginx/", func(d []byte, i int) (string, int, int, bool) {
				vs := i + len("Server: nginx/")
				e := nums(d, vs, 3, 3)
				return version(d, vs, e), i, e, e > 0 && isAt(d, e, '\r')
			}},
		}
	case httpd:
		// AP_SERVER_BASEVERSION, as a string of its own: "Apache/2.4.58",
		// possibly with the platform: "Apache/2.4.57 (Debian)".
		return []pattern{{"Apache/", func(d []byte, i int) (string, int, int, bool) {
			vs := i + len("Apache/")
			e := nums(d, vs, 3, 3)
			return version(d, vs, e), i, e, i > 0 && d[i-1] == 0 && e > 0 && isAt(d, e, 0, ' ')
		}}}
	case busybox:
		// The banner: "BusyBox v1.36.1 (2023-06-02 …)" or
		// "BusyBox v1.35.0 (Debian 1:1.35.0-4)".
		return []pattern{{"BusyBox v", func(d []byte, i int) (string, int, int, bool) {
			vs := i + len("BusyBox v")
			e := nums(d, vs, 3, 3)
			return version(d, vs, e), i, e, e > 0 && isAt(d, e, ' ', 0)
		}}}
	case php:
		return []pattern{{"X-Powered-By: PHP/", matchPHP}}
	case postgres:
		return []pattern{{"PostgreSQL ", matchPostgres}}
	case ruby:
		return []pattern{{"ruby ", matchRuby}}
	}
	return nil
}

// matchOpenSSL reads OPENSSL_VERSION_TEXT: "OpenSSL 3.0.13 30 Jan 2024",
// "OpenSSL 1.1.1w  11 Sep 2023", "OpenSSL 1.0.2k-fips  26 Jan 2017", or
// in old libssl "TLSv1 part of OpenSSL 1.0.2u  20 Dec 2019". The release
// date is required: development builds write "xx XXX xxxx" there, and
// forks that claim compatibility ("OpenSSL 1.1.1 (compatible; BoringSSL)")
// none.
func matchOpenSSL(d []byte, i int) (string, int, int, bool) {
	if i > 0 && isAlnum(d[i-1]) {
		return "", 0, 0, false
	}
	vs := i + len("OpenSSL ")
	e := nums(d, vs, 3, 3)
	if e < 0 {
		return "", 0, 0, false
	}
	// Letter releases of 1.x and older: 1.1.1w, 0.9.8zh.
	for k := 0; k < 2 && e < len(d) && isLower(d[e]); k++ {
		e++
	}
	// Pre-releases of 3.x are part of the version: 3.0.0-alpha17.
	for _, pre := range []string{"-alpha", "-beta"} {
		if bytes.HasPrefix(d[e:], []byte(pre)) {
			if n := digits((d[e+len(pre) : min(e+len(pre)+4, len(d))])); n > 0 {
				e += len(pre) + n
			}
			break
		}
	}
	ve := e
	// A vendor's tag is not: 1.0.2k-fips.
	if e < len(d) && d[e] == '-' {
		k := e + 1
		for k < len(d) && k-e <= 16 && (isLower(d[k]) || isDigit(d[k])) {
			k++
		}
		if k == e+1 {
			return "", 0, 0, false
		}
		e = k
	}
	// One or two spaces, then "30 Jan 2024".
	sp := 0
	for sp < 2 && e < len(d) && d[e] == ' ' {
		e++
		sp++
	}
	if sp == 0 {
		return "", 0, 0, false
	}
	end := matchDate(d, e)
	if end < 0 {
		return "", 0, 0, false
	}
	return string(d[vs:ve]), i, end, true
}

// matchDate accepts "30 Jan 2024" at d[i:] and returns its end.
func matchDate(d []byte, i int) int {
	n := digits((d[i:min(i+3, len(d))]))
	if n < 1 || n > 2 {
		return -1
	}
	i += n
	if i+5 > len(d) || d[i] != ' ' || !strings.Contains("JanFebMarAprMayJunJulAugSepOctNovDec", string(d[i+1:i+4])) || d[i+4] != ' ' {
		return -1
	}
	i += 5
	if digits((d[i:min(i+5, len(d))])) != 4 {
		return -1
	}
	return i + 4
}

// matchPHP reads the header PHP sends: "X-Powered-By: PHP/8.2.7", with a
// pre-release (8.3.0RC1) or a distribution's extra version after a dash
// (8.1.2-1ubuntu2.14), which is left out. Development builds (-dev) are
// no match.
func matchPHP(d []byte, i int) (string, int, int, bool) {
	vs := i + len("X-Powered-By: PHP/")
	e := nums(d, vs, 3, 3)
	if e < 0 {
		return "", 0, 0, false
	}
	e = preRelease(d, e, "alpha", "beta", "RC")
	ve := e
	switch {
	case isAt(d, e, 0, '\r', '\n'):
	case isAt(d, e, '-') && !bytes.HasPrefix(d[e:], []byte("-dev")):
		for e < len(d) && e-ve < 64 && d[e] > ' ' && d[e] < 0x7f {
			e++
		}
	default:
		return "", 0, 0, false
	}
	return string(d[vs:ve]), i, e, true
}

// matchPostgres reads PG_VERSION_STR, "PostgreSQL 16.1 on x86_64-pc-
// linux-gnu, compiled by …", or with a packager's note, "PostgreSQL 15.1
// (Debian 15.1-1.pgdg110+1) on …"; pre-releases are "15beta4", "9.5alpha1".
func matchPostgres(d []byte, i int) (string, int, int, bool) {
	// The start of a string: not "… upgrading to PostgreSQL 9.1".
	if i > 0 && (isAlnum(d[i-1]) || d[i-1] == ' ') {
		return "", 0, 0, false
	}
	vs := i + len("PostgreSQL ")
	e := nums(d, vs, 1, 3)
	if e < 0 {
		return "", 0, 0, false
	}
	e = preRelease(d, e, "alpha", "beta", "rc")
	ve := e
	if bytes.HasPrefix(d[e:], []byte(" (")) {
		k := e + 2
		for k < len(d) && k-e < 128 && d[k] != ')' && d[k] >= ' ' && d[k] < 0x7f {
			k++
		}
		if k >= len(d) || d[k] != ')' || k == e+2 {
			return "", 0, 0, false
		}
		e = k + 1
		if isAt(d, e, 0) {
			return string(d[vs:ve]), i, e, true
		}
	}
	if !bytes.HasPrefix(d[e:], []byte(" on ")) {
		return "", 0, 0, false
	}
	return string(d[vs:ve]), i, e, true
}

// matchRuby reads RUBY_DESCRIPTION, "ruby 3.2.2 (2023-03-30 revision
// e51014f9c0) [x86_64-linux]", "ruby 2.7.8p225 (…)", "ruby 3.4.0preview1
// (…)". The patch level is left out of versions from 2.1 on, which have
// semantic versions, and kept as "-p551" before, as Ruby's own tarballs
// name them (ruby-1.9.3-p551). Development snapshots (3.4.0dev) are no
// match.
func matchRuby(d []byte, i int) (string, int, int, bool) {
	if i == 0 || d[i-1] != 0 {
		return "", 0, 0, false
	}
	vs := i + len("ruby ")
	e := nums(d, vs, 3, 3)
	if e < 0 {
		return "", 0, 0, false
	}
	v := string(d[vs:e])
	switch {
	case isAt(d, e, 'p') && digits((d[e+1:min(e+8, len(d))])) > 0:
		n := digits((d[e+1 : min(e+8, len(d))]))
		if strings.HasPrefix(v, "1.") || strings.HasPrefix(v, "2.0.") {
			v += "-p" + string(d[e+1:e+1+n])
		}
		e += 1 + n
	default:
		e = preRelease(d, e, "preview", "rc")
		v = string(d[vs:e])
	}
	end := e
	// " (2023-03-30 ": the release date opens the parenthesis.
	if !bytes.HasPrefix(d[e:], []byte(" (")) || !isISODate(d[min(e+2, len(d)):]) {
		return "", 0, 0, false
	}
	if k := bytes.IndexByte(d[e:min(e+96, len(d))], ')'); k > 0 {
		end = e + k + 1
	}
	return v, i, end, true
}

// isISODate reports whether b starts with "2023-03-30".
func isISODate(b []byte) bool {
	if len(b) < 10 {
		return false
	}
	for k, c := range b[:10] {
		if k == 4 || k == 7 {
			if c != '-' {
				return false
			}
		} else if !isDigit(c) {
			return false
		}
	}
	return true
}

// preRelease extends a version ending at e with one of the given
// pre-release tags and its number ("RC1", "beta4").
func preRelease(d []byte, e int, tags ...string) int {
	for _, t := range tags {
		if bytes.HasPrefix(d[e:], []byte(t)) {
			k := e + len(t)
			n := digits((d[k:min(k+4, len(d))]))
			if n > 0 {
				return k + n
			}
		}
	}
	return e
}

// nums parses dot-separated numbers at d[i:], at least lo and at most hi
// of them, each of one to six digits, and returns where they end, or -1.
// A number may not continue past the end (1.2.34 is not 1.2.3).
func nums(d []byte, i, lo, hi int) int {
	if i < 0 || i > len(d) {
		return -1
	}
	n, e := 0, i
	for n < hi {
		k := e
		for k < len(d) && k-e <= 6 && isDigit(d[k]) {
			k++
		}
		if k == e || k-e > 6 {
			if n == 0 || k-e > 6 {
				return -1
			}
			// "1.2." then no digit: the dot is not ours.
			e--
			break
		}
		e, n = k, n+1
		if n == hi || e >= len(d) || d[e] != '.' {
			break
		}
		e++ // the dot
	}
	if n < lo {
		return -1
	}
	return e
}

// version returns d[s:e] when e marks a parsed version.
func version(d []byte, s, e int) string {
	if e < 0 {
		return ""
	}
	return string(d[s:e])
}

// isAt reports whether d[i] is one of cs; past the end of d is nothing.
func isAt(d []byte, i int, cs ...byte) bool {
	if i < 0 || i >= len(d) {
		return false
	}
	for _, c := range cs {
		if d[i] == c {
			return true
		}
	}
	return false
}

// printable returns b as text for the evidence: bytes outside printable
// ASCII become '?', and it is cut at 200 bytes.
func printable(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c < ' ' || c >= 0x7f {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}
