// Package license turns declared licences, as packages spell them, into SPDX
// licence expressions, and reads the licences declared by Debian copyright
// files. It imports only the standard library.
package license

//go:generate go run ./internal/gen -data internal/gen/data -o spdx_ids.go

import (
	"strings"
)

// maxExpr bounds the length of a declared licence that Normalize attempts to
// parse; anything longer is prose, not an expression.
const maxExpr = 4096

// Normalize maps a declared licence to an SPDX licence expression.
//
// It accepts SPDX identifiers in any case (returning the canonical
// spelling), deprecated SPDX forms (GPL-2.0 → GPL-2.0-only, GPL-2.0+ →
// GPL-2.0-or-later), Debian copyright-format short names (GPL-2+, Expat,
// BSD-3-clause, Apache-2, Artistic …), old Fedora names (GPLv2+, ASL 2.0)
// and the names common in npm, PyPI and Maven metadata ("MIT License",
// "Apache License, Version 2.0"). Compound licences written the SPDX way
// (AND, OR, WITH, parentheses) or the Debian way (and, or, a comma to lower
// precedence, "with X exception") are converted operand by operand into
// canonical SPDX syntax: upper-case operators, parentheses only where
// needed.
//
// ok is false when any part does not map to exactly one SPDX licence or
// exception: names that are ambiguous ("BSD", "GPL" without a version),
// that are not licences ("public-domain"), or that SPDX does not list
// (Debian's "with OpenSSL exception" has no SPDX counterpart).
func Normalize(s string) (spdx string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxExpr {
		return "", false
	}
	if !strings.ContainsAny(s, " \t\r\n(),") {
		return operand(s)
	}
	// A whole-string match comes first because many names contain spaces,
	// commas or parentheses ("Apache License, Version 2.0", "GNU General
	// Public License v2 (GPLv2)").
	key := foldSpace(s)
	if v, found := aliases[key]; found {
		return v, v != ""
	}
	if v, found := gnu(key); found {
		return v, true
	}
	e, ok := parseExpr(s)
	if !ok {
		return "", false
	}
	return e.text, true
}

// operand maps one licence name, which may contain spaces but no operators,
// to an SPDX expression. It is the hot path of Normalize: identifiers and
// aliases cost one or two map lookups and no allocation when the name is
// short.
func operand(s string) (string, bool) {
	var buf [64]byte
	if len(s) <= len(buf) {
		n, clean := lowerInto(buf[:], s)
		if clean {
			// Indexing with string(buf[:n]) does not allocate.
			if v, found := aliases[string(buf[:n])]; found {
				return v, v != ""
			}
			if v, found := licenseIDs[string(buf[:n])]; found {
				return v, true
			}
		}
	}
	return operandSlow(s, foldSpace(s))
}

// lowerInto writes the ASCII lower-case form of s into buf. clean is false
// when s holds whitespace or non-ASCII bytes, which need foldSpace.
func lowerInto(buf []byte, s string) (n int, clean bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c <= ' ' || c >= 0x80:
			return 0, false
		}
		buf[i] = c
	}
	return len(s), true
}

// operandSlow handles the names that are not in the tables verbatim. key
// is orig in lower case with single spaces.
func operandSlow(orig, key string) (string, bool) {
	if key == "" {
		return "", false
	}
	if v, found := aliases[key]; found {
		return v, v != ""
	}
	if v, found := licenseIDs[key]; found {
		return v, true
	}
	if v, found := gnu(key); found {
		return v, true
	}
	// Debian short names drop trailing ".0" from versions ("Apache-2",
	// "PSF-2", "BSL-1"); the copyright-format spec calls them equivalent.
	if last := key[len(key)-1]; last >= '0' && last <= '9' && !strings.ContainsRune(key[strings.LastIndexByte(key, '-')+1:], '.') {
		if v, found := licenseIDs[key+".0"]; found {
			return v, true
		}
	}
	// "X+" is SPDX's own "or any later version" operator; the GNU family,
	// which has -or-later identifiers instead, was handled above.
	if base, plus := strings.CutSuffix(key, "+"); plus {
		if v, ok := operandSlow(base, base); ok && isID(v) && !isRef(v) &&
			!strings.HasSuffix(v, "-only") && !strings.HasSuffix(v, "-or-later") {
			return v + "+", true
		}
		return "", false
	}
	if strings.HasPrefix(key, "licenseref-") || strings.HasPrefix(key, "documentref-") {
		return userRef(orig)
	}
	// A single-token "GPL-3+-with-Bison-exception" seen in the wild.
	if lic, exc, found := strings.Cut(key, "-with-"); found {
		if kw, found := strings.CutSuffix(exc, "-exception"); found && lic != "" && kw != "" {
			l, ok := operandSlow(lic, lic)
			if !ok || !isID(l) {
				return "", false
			}
			x, ok := exception(kw, l)
			if !ok {
				return "", false
			}
			return l + " WITH " + x, true
		}
	}
	return "", false
}

// userRef accepts SPDX user-defined references ("LicenseRef-foo",
// "DocumentRef-doc:LicenseRef-foo"), which are valid expressions however
// unknown their meaning. The prefixes get SPDX's spelling; the user's part
// keeps its case.
func userRef(s string) (string, bool) {
	doc, lic, hasDoc := strings.Cut(s, ":")
	if !hasDoc {
		lic, doc = s, ""
	}
	ref, ok := cutPrefixFold(lic, "LicenseRef-")
	if !ok || !validRef(ref) {
		return "", false
	}
	out := "LicenseRef-" + ref
	if hasDoc {
		d, ok := cutPrefixFold(doc, "DocumentRef-")
		if !ok || !validRef(d) {
			return "", false
		}
		out = "DocumentRef-" + d + ":" + out
	}
	return out, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// validRef reports whether s is an SPDX idstring: letters, digits, "-" and ".".
func validRef(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func isRef(s string) bool { return strings.Contains(s, "Ref-") }

// isID reports whether an SPDX expression produced here is a single licence
// identifier, to which "+" or WITH may be applied.
func isID(s string) bool { return s != "" && !strings.ContainsAny(s, " ()+") }

// foldSpace returns s in ASCII lower case with runs of white space replaced
// by one space and the ends trimmed.
func foldSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			space = b.Len() > 0
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}
