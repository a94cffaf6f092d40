package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// validSPDXExpression reports whether s is syntactically an SPDX licence
// expression (SPDX 2.3 Annex D): identifiers and LicenseRefs joined by AND,
// OR and WITH, with parentheses and the "+" suffix. It checks shape only,
// not that identifiers are on the SPDX list: catalogers map declared
// licences to expressions, and this guard keeps anything else (a cataloger
// bug, a hostile package) from being written where consumers will parse an
// expression.
func validSPDXExpression(s string) bool {
	toks, ok := spdxTokens(s)
	if !ok || len(toks) == 0 {
		return false
	}
	p := exprParser{toks: toks}
	return p.orExpr() && p.i == len(p.toks)
}

// spdxTokens splits s into "(", ")", operators and identifiers.
func spdxTokens(s string) ([]string, bool) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')':
			toks = append(toks, s[i:i+1])
			i++
		case isIDChar(c) || c == ':' || c == '+':
			j := i
			for j < len(s) && (isIDChar(s[j]) || s[j] == ':' || s[j] == '+') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, false
		}
	}
	return toks, true
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// exprParser is a recursive-descent parser over spdxTokens' output. Depth
// is bounded so that hostile input cannot exhaust the stack.
type exprParser struct {
	toks  []string
	i     int
	depth int
}

func (p *exprParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *exprParser) orExpr() bool {
	if !p.andExpr() {
		return false
	}
	for p.peek() == "OR" {
		p.i++
		if !p.andExpr() {
			return false
		}
	}
	return true
}

func (p *exprParser) andExpr() bool {
	if !p.withExpr() {
		return false
	}
	for p.peek() == "AND" {
		p.i++
		if !p.withExpr() {
			return false
		}
	}
	return true
}

func (p *exprParser) withExpr() bool {
	if p.peek() == "(" {
		p.depth++
		if p.depth > 64 {
			return false
		}
		p.i++
		if !p.orExpr() || p.peek() != ")" {
			return false
		}
		p.i++
		p.depth--
		return true
	}
	if !p.simple() {
		return false
	}
	if p.peek() == "WITH" {
		p.i++
		t := p.peek()
		if !isIDString(t) || isOperator(t) {
			return false
		}
		p.i++
	}
	return true
}

// simple accepts license-id, license-id "+", and
// ["DocumentRef-" idstring ":"] "LicenseRef-" idstring.
func (p *exprParser) simple() bool {
	t := p.peek()
	if t == "" || isOperator(t) || t == "(" || t == ")" {
		return false
	}
	p.i++
	if doc, ref, ok := strings.Cut(t, ":"); ok {
		return strings.HasPrefix(doc, "DocumentRef-") && isIDString(doc[len("DocumentRef-"):]) &&
			strings.HasPrefix(ref, "LicenseRef-") && isIDString(ref[len("LicenseRef-"):])
	}
	if strings.HasPrefix(t, "LicenseRef-") {
		return isIDString(t[len("LicenseRef-"):])
	}
	return isIDString(strings.TrimSuffix(t, "+"))
}

func isOperator(t string) bool { return t == "AND" || t == "OR" || t == "WITH" }

func isIDString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIDChar(s[i]) {
			return false
		}
	}
	return true
}

// andJoin combines licence expressions with AND, parenthesising compound
// ones so that the result parses as intended.
func andJoin(exprs []string) string {
	if len(exprs) == 1 {
		return exprs[0]
	}
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		if strings.ContainsAny(e, " \t()") {
			e = "(" + e + ")"
		}
		parts[i] = e
	}
	return strings.Join(parts, " AND ")
}

// licenseRefs names licences that have no SPDX expression, as SPDX
// "LicenseRef-" identifiers unique within one document.
type licenseRefs struct {
	byText map[string]string // raw text → identifier
	byID   map[string]string // identifier → raw text
	order  []string          // raw texts, in order of first use
}

func newLicenseRefs() *licenseRefs {
	return &licenseRefs{byText: map[string]string{}, byID: map[string]string{}}
}

// ref returns the identifier for raw licence text, readable where the text
// allows and disambiguated by a hash when two texts sanitise alike.
func (r *licenseRefs) ref(text string) string {
	if id, ok := r.byText[text]; ok {
		return id
	}
	id := "LicenseRef-" + idString(text, 64)
	if _, taken := r.byID[id]; taken || len(text) > 64 {
		sum := sha256.Sum256([]byte(text))
		id += "-" + hex.EncodeToString(sum[:4])
	}
	// A collision of the hashed form too is vanishingly unlikely but must
	// still not give two texts one identifier.
	for base, n := id, 2; r.byID[id] != ""; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	r.byText[text] = id
	r.byID[id] = text
	r.order = append(r.order, text)
	return id
}
