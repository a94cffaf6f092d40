package license

import (
	"strings"
)

// This file parses compound licences. One grammar covers both dialects,
// because they differ only in spelling:
//
//	expr     = commaAnd *( ",or" commaAnd )      ; a comma lowers precedence
//	commaAnd = or *( ( ",and" / "," ) or )       ; a bare comma counts as ",and"
//	or       = and *( "or" and )
//	and      = term *( "and" term )
//	term     = "(" expr ")" / words [ "with" words ]
//
// Operators are case-insensitive, so SPDX's AND, OR, WITH and parentheses
// parse the same way as Debian's and, or and commas, where "A or B, and C"
// means (A or B) AND C. An operand is one or more words (npm's "MIT
// License"); a Debian exception is the words between "with" and
// "exception", an SPDX one the single identifier after WITH.

// maxDepth bounds parenthesis nesting.
const maxDepth = 32

type tokKind uint8

const (
	tWord tokKind = iota
	tAnd
	tOr
	tWith
	tComma
	tOpen
	tClose
)

type token struct {
	kind tokKind
	text string
}

func tokenize(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			i++
		case c == '(':
			toks = append(toks, token{tOpen, "("})
			i++
		case c == ')':
			toks = append(toks, token{tClose, ")"})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ","})
			i++
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r\v\f(),", rune(s[j])) {
				j++
			}
			w := s[i:j]
			k := tWord
			switch {
			case strings.EqualFold(w, "and"):
				k = tAnd
			case strings.EqualFold(w, "or"):
				k = tOr
			case strings.EqualFold(w, "with"):
				k = tWith
			}
			toks = append(toks, token{k, w})
			i = j
		}
	}
	return toks
}

// opKind is the top-level operator of an expression, which decides whether
// it needs parentheses inside another.
type opKind uint8

const (
	opNone opKind = iota // one licence, possibly WITH an exception
	opAnd
	opOr
)

type expr struct {
	text string
	op   opKind
}

type parser struct {
	toks  []token
	pos   int
	depth int
}

func parseExpr(s string) (expr, bool) {
	p := &parser{toks: tokenize(s)}
	e, ok := p.commaOr()
	if !ok || p.pos != len(p.toks) {
		return expr{}, false
	}
	return e, true
}

func (p *parser) peek() (token, bool) {
	if p.pos >= len(p.toks) {
		return token{}, false
	}
	return p.toks[p.pos], true
}

// commaOp reports whether a comma-led operator starts at the current
// position, and which one.
func (p *parser) commaOp() (opKind, int, bool) {
	t, ok := p.peek()
	if !ok || t.kind != tComma {
		return 0, 0, false
	}
	if p.pos+1 < len(p.toks) {
		switch p.toks[p.pos+1].kind {
		case tOr:
			return opOr, 2, true
		case tAnd:
			return opAnd, 2, true
		}
	}
	return opAnd, 1, true
}

func (p *parser) commaOr() (expr, bool) {
	e, ok := p.commaAnd()
	for ok {
		op, n, found := p.commaOp()
		if !found || op != opOr {
			break
		}
		p.pos += n
		var r expr
		if r, ok = p.commaAnd(); ok {
			e = join(opOr, e, r)
		}
	}
	return e, ok
}

func (p *parser) commaAnd() (expr, bool) {
	e, ok := p.or()
	for ok {
		op, n, found := p.commaOp()
		if !found || op != opAnd {
			break
		}
		p.pos += n
		var r expr
		if r, ok = p.or(); ok {
			e = join(opAnd, e, r)
		}
	}
	return e, ok
}

func (p *parser) or() (expr, bool) {
	e, ok := p.and()
	for ok {
		if t, more := p.peek(); !more || t.kind != tOr {
			break
		}
		p.pos++
		var r expr
		if r, ok = p.and(); ok {
			e = join(opOr, e, r)
		}
	}
	return e, ok
}

func (p *parser) and() (expr, bool) {
	e, ok := p.term()
	for ok {
		if t, more := p.peek(); !more || t.kind != tAnd {
			break
		}
		p.pos++
		var r expr
		if r, ok = p.term(); ok {
			e = join(opAnd, e, r)
		}
	}
	return e, ok
}

func (p *parser) term() (expr, bool) {
	t, ok := p.peek()
	if !ok {
		return expr{}, false
	}
	switch t.kind {
	case tOpen:
		if p.depth >= maxDepth {
			return expr{}, false
		}
		p.pos++
		p.depth++
		e, ok := p.commaOr()
		p.depth--
		if t, more := p.peek(); !ok || !more || t.kind != tClose {
			return expr{}, false
		}
		p.pos++
		return e, true
	case tWord:
	default:
		return expr{}, false
	}
	start := p.pos
	for p.pos < len(p.toks) && p.toks[p.pos].kind == tWord {
		p.pos++
	}
	lic, ok := operand(joinWords(p.toks[start:p.pos]))
	if !ok {
		return expr{}, false
	}
	if t, more := p.peek(); !more || t.kind != tWith {
		return expr{text: lic, op: opOf(lic)}, true
	}
	p.pos++
	start = p.pos
	for p.pos < len(p.toks) && p.toks[p.pos].kind == tWord {
		p.pos++
	}
	words := p.toks[start:p.pos]
	if len(words) == 0 || !isID(lic) {
		return expr{}, false
	}
	var exc string
	if last := words[len(words)-1].text; len(words) > 1 && strings.EqualFold(last, "exception") {
		// Debian: "with <keyword> exception".
		exc, ok = exception(joinWords(words[:len(words)-1]), lic)
	} else if len(words) == 1 {
		// SPDX: "WITH <exception-id>".
		exc, ok = exceptionIDs[strings.ToLower(last)]
	} else {
		ok = false
	}
	if !ok {
		return expr{}, false
	}
	return expr{text: lic + " WITH " + exc}, true
}

func joinWords(ts []token) string {
	if len(ts) == 1 {
		return ts[0].text
	}
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// join combines two expressions, adding parentheses where SPDX precedence
// (WITH, then AND, then OR) would otherwise change the meaning.
func join(op opKind, l, r expr) expr {
	wrap := func(e expr) string {
		if op == opAnd && e.op == opOr {
			return "(" + e.text + ")"
		}
		return e.text
	}
	sep := " AND "
	if op == opOr {
		sep = " OR "
	}
	return expr{text: wrap(l) + sep + wrap(r), op: op}
}

// opOf finds the top-level operator of an SPDX expression produced by this
// package (an alias value may be compound).
func opOf(s string) opKind {
	depth := 0
	op := opNone
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ' ':
			if depth != 0 {
				continue
			}
			if strings.HasPrefix(s[i:], " OR ") {
				return opOr
			}
			if strings.HasPrefix(s[i:], " AND ") {
				op = opAnd
			}
		}
	}
	return op
}

// exception maps a Debian exception keyword, as in "GPL-2+ with Font
// exception", to the SPDX exception identifier for the licence lic.
// Debian's keywords are free-form, so only those that name exactly one SPDX
// exception map; "OpenSSL" names none (SPDX lists only project-specific
// OpenSSL exceptions).
func exception(keyword, lic string) (string, bool) {
	kw := strings.ToLower(keyword)
	if id, ok := exceptionIDs[kw]; ok {
		return id, true
	}
	if id, ok := exceptionIDs[kw+"-exception"]; ok {
		return id, true
	}
	gpl3 := strings.HasPrefix(lic, "GPL-3.0")
	gpl2 := strings.HasPrefix(lic, "GPL-2.0")
	var id string
	switch kw {
	case "gcc":
		switch {
		case gpl3:
			id = "gcc-exception-3.1"
		case gpl2:
			id = "gcc-exception-2.0"
		}
	case "autoconf":
		switch {
		case gpl3:
			id = "autoconf-exception-3.0"
		case gpl2:
			id = "autoconf-exception-2.0"
		}
	case "bison":
		// Bison 2.2 introduced the exception used with GPLv3 skeletons;
		// GPLv2-era skeletons carry either it or the 1.24 one.
		if gpl3 {
			id = "bison-exception-2.2"
		}
	case "classpath":
		id = "classpath-exception-2.0"
	default:
		// "Font" → Font-exception-2.0, when only one version exists.
		prefix := kw + "-exception-"
		for k, v := range exceptionIDs {
			if strings.HasPrefix(k, prefix) {
				if id != "" {
					return "", false
				}
				id = v
			}
		}
		return id, id != ""
	}
	v, ok := exceptionIDs[id]
	return v, ok
}
