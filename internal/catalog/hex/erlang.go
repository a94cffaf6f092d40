package hex

import (
	"strconv"
	"unicode/utf8"
)

// parseErlang reads a file of Erlang terms, each ended by a full stop, as
// file:consult/1 does for rebar.lock, .app and .rel files: tuples, lists
// (improper ones too), maps, binaries, strings (adjacent ones joined),
// atoms (quoted ones too), integers (with a base, as $c), floats, and
// %-comments. Variables, funs, records and expressions are errors.
//
// Text is not required to be UTF-8: an old .app file may be Latin-1, and
// only names and versions, checked later, need to be ASCII.
func parseErlang(data []byte) ([]term, error) {
	p := &erlParser{newScanner(data)}
	var out []term
	for {
		p.skipSpace('%')
		if p.eof() {
			return out, nil
		}
		t, err := p.value()
		if err != nil {
			return nil, err
		}
		p.skipSpace('%')
		if p.eof() {
			return nil, p.errorf("unexpected end of file: no '.' after the term")
		}
		if p.data[p.pos] != '.' {
			return nil, p.errorf("unexpected %s, want ',' or '.'", p.what())
		}
		p.pos++
		// The full stop must stand apart from what follows.
		if c := p.peek(0); !p.eof() && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '%' {
			return nil, p.unexpected()
		}
		out = append(out, t)
	}
}

type erlParser struct{ scanner }

// value parses one term at pos, which is not white space.
func (p *erlParser) value() (term, error) {
	if err := p.enter(); err != nil {
		return term{}, err
	}
	defer p.leave()
	line := p.line
	switch c := p.peek(0); {
	case c == '{':
		p.pos++
		elems, _, err := p.seq('}', false)
		return term{kind: tupleTerm, elems: elems, line: line}, err
	case c == '[':
		p.pos++
		elems, improper, err := p.seq(']', true)
		k := listTerm
		if improper {
			k = opaqueTerm
		}
		return term{kind: k, elems: elems, line: line}, err
	case c == '<' && p.peek(1) == '<':
		p.pos += 2
		s, ok, err := p.binary()
		k := binaryTerm
		if !ok {
			k = opaqueTerm
		}
		return term{kind: k, text: s, line: line}, err
	case c == '#' && p.peek(1) == '{':
		p.pos += 2
		elems, err := p.mapBody()
		return term{kind: mapTerm, elems: elems, line: line}, err
	case c == '"':
		s, err := p.strings()
		return term{kind: stringTerm, text: s, line: line}, err
	case c == '\'':
		s, err := p.quoted()
		return term{kind: atomTerm, text: s, line: line}, err
	case c == '$' || c == '-' || c == '+' || isDigit(c):
		k, s, err := p.number()
		return term{kind: k, text: s, line: line}, err
	case isLower(c):
		start := p.pos
		for p.pos < len(p.data) && (isAlnum(p.data[p.pos]) || p.data[p.pos] == '@') {
			p.pos++
		}
		return term{kind: atomTerm, text: string(p.data[start:p.pos]), line: line}, nil
	case isUpper(c) || c == '_':
		start := p.pos
		for p.pos < len(p.data) && (isAlnum(p.data[p.pos]) || p.data[p.pos] == '@') {
			p.pos++
		}
		return term{}, p.errorf("variable %s is not a term", quote(string(p.data[start:p.pos])))
	}
	return term{}, p.unexpected()
}

// seq parses elements separated by commas up to close, the opening bracket
// consumed; a list may end with "| Tail", which makes it improper.
func (p *erlParser) seq(close byte, list bool) (elems []term, improper bool, err error) {
	p.skipSpace('%')
	if p.peek(0) == close {
		p.pos++
		return nil, false, nil
	}
	for {
		p.skipSpace('%')
		t, err := p.value()
		if err != nil {
			return nil, false, err
		}
		elems = append(elems, t)
		p.skipSpace('%')
		switch c := p.peek(0); {
		case c == ',':
			p.pos++
			continue
		case c == close:
			p.pos++
			return elems, improper, nil
		case c == '|' && list && !improper:
			p.pos++
			improper = true
			p.skipSpace('%')
			t, err := p.value()
			if err != nil {
				return nil, false, err
			}
			elems = append(elems, t)
			p.skipSpace('%')
			if err := p.expect(close); err != nil {
				return nil, false, err
			}
			return elems, improper, nil
		}
		return nil, false, p.unexpected()
	}
}

// mapBody parses #{K => V, …} up to "}", "#{" consumed; elems alternate key
// and value.
func (p *erlParser) mapBody() ([]term, error) {
	var elems []term
	p.skipSpace('%')
	if p.peek(0) == '}' {
		p.pos++
		return nil, nil
	}
	for {
		p.skipSpace('%')
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		p.skipSpace('%')
		if p.peek(0) != '=' || p.peek(1) != '>' {
			return nil, p.errorf("unexpected %s, want \"=>\"", p.what())
		}
		p.pos += 2
		p.skipSpace('%')
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		elems = append(elems, k, v)
		p.skipSpace('%')
		switch p.peek(0) {
		case ',':
			p.pos++
			continue
		case '}':
			p.pos++
			return elems, nil
		}
		return nil, p.unexpected()
	}
}

// binary parses the segments of <<…>>, "<<" consumed. ok says whether the
// binary is made of strings only (optionally /utf8), text then holding
// them; other binaries are valid but opaque.
func (p *erlParser) binary() (text string, ok bool, err error) {
	var b []byte
	ok = true
	p.skipSpace('%')
	if p.peek(0) == '>' && p.peek(1) == '>' {
		p.pos += 2
		return "", true, nil
	}
	for {
		p.skipSpace('%')
		if p.peek(0) == '"' {
			s, err := p.strings()
			if err != nil {
				return "", false, err
			}
			b = append(b, s...)
		} else {
			if c := p.peek(0); c != '$' && c != '-' && c != '+' && !isDigit(c) {
				return "", false, p.unexpected()
			}
			if _, _, err := p.number(); err != nil {
				return "", false, err
			}
			ok = false
		}
		p.skipSpace('%')
		if p.peek(0) == ':' { // a size
			p.pos++
			p.skipSpace('%')
			if _, err := p.digits(10); err != nil {
				return "", false, err
			}
			ok = false
			p.skipSpace('%')
		}
		if p.peek(0) == '/' { // type specifiers: utf8, big-unsigned-integer-unit:8 …
			p.pos++
			for {
				p.skipSpace('%')
				if !isLower(p.peek(0)) {
					return "", false, p.unexpected()
				}
				start := p.pos
				for p.pos < len(p.data) && isAlnum(p.data[p.pos]) {
					p.pos++
				}
				spec := string(p.data[start:p.pos])
				if spec == "unit" {
					if err := p.expect(':'); err != nil {
						return "", false, err
					}
					if _, err := p.digits(10); err != nil {
						return "", false, err
					}
				}
				if spec != "utf8" {
					ok = false
				}
				if p.peek(0) != '-' {
					break
				}
				p.pos++
			}
			p.skipSpace('%')
		}
		switch {
		case p.peek(0) == ',':
			p.pos++
			continue
		case p.peek(0) == '>' && p.peek(1) == '>':
			p.pos += 2
			if !ok {
				return "", false, nil
			}
			return string(b), true, nil
		}
		return "", false, p.unexpected()
	}
}

// strings scans a string at pos and those that follow it with only white
// space between, which Erlang joins.
func (p *erlParser) strings() (string, error) {
	var b []byte
	for {
		var err error
		if b, err = p.appendQuoted(b); err != nil {
			return "", err
		}
		save, line := p.pos, p.line
		p.skipSpace('%')
		if p.peek(0) != '"' {
			p.pos, p.line = save, line
			return string(b), nil
		}
	}
}

// quoted scans a quoted atom at pos.
func (p *erlParser) quoted() (string, error) {
	b, err := p.appendQuoted(nil)
	return string(b), err
}

// appendQuoted decodes the string or quoted atom at pos onto b.
func (p *erlParser) appendQuoted(b []byte) ([]byte, error) {
	q := p.data[p.pos]
	start := p.line
	p.pos++
	run := p.pos // the bytes since the last escape, copied at once
	for {
		if p.eof() {
			return nil, p.errorf("string opened on line %d is not closed", start)
		}
		c := p.data[p.pos]
		switch c {
		case q:
			b = append(b, p.data[run:p.pos]...)
			p.pos++
			return b, nil
		case '\\':
			b = append(b, p.data[run:p.pos]...)
			r, err := p.escape()
			if err != nil {
				return nil, err
			}
			if b, err = p.appendRune(b, r); err != nil {
				return nil, err
			}
			run = p.pos
			continue
		case '\n':
			p.line++
		}
		p.pos++
	}
}

// escape decodes the escape sequence at pos (a backslash) into a code
// point.
func (p *erlParser) escape() (int, error) {
	p.pos++
	if p.eof() {
		return 0, p.unexpected()
	}
	c := p.data[p.pos]
	p.pos++
	switch c {
	case 'b':
		return 8, nil
	case 'd':
		return 0x7f, nil
	case 'e':
		return 0x1b, nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 's':
		return ' ', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	case 'x':
		if p.peek(0) == '{' {
			return p.braceHex()
		}
		start := p.pos
		v, err := p.fixedHex(2)
		if err == nil && p.pos-start != 2 {
			err = p.errorf("invalid escape sequence")
		}
		return v, err
	case '^':
		if p.eof() {
			return 0, p.unexpected()
		}
		p.pos++
		return int(p.data[p.pos-1] & 31), nil
	case '\n':
		p.line++
		return '\n', nil
	}
	if '0' <= c && c <= '7' { // one to three octal digits
		v := int(c - '0')
		for i := 0; i < 2 && '0' <= p.peek(0) && p.peek(0) <= '7'; i++ {
			v = v*8 + int(p.data[p.pos]-'0')
			p.pos++
		}
		return v, nil
	}
	// Any other character stands for itself.
	r, n := utf8.DecodeRune(p.data[p.pos-1:])
	if r == utf8.RuneError && n == 1 {
		r = rune(c) // Latin-1
	}
	p.pos += n - 1
	return int(r), nil
}

// number scans an integer (decimal, Base#digits or $c) or a float at pos,
// with an optional sign.
func (p *erlParser) number() (kind, string, error) {
	neg := false
	if c := p.peek(0); c == '-' || c == '+' {
		neg = c == '-'
		p.pos++
		p.skipSpace('%')
	}
	if p.peek(0) == '$' {
		p.pos++
		if p.eof() {
			return 0, "", p.unexpected()
		}
		var r int
		if p.data[p.pos] == '\\' {
			var err error
			if r, err = p.escape(); err != nil {
				return 0, "", err
			}
		} else {
			rr, n := utf8.DecodeRune(p.data[p.pos:])
			if rr == utf8.RuneError && n == 1 {
				rr = rune(p.data[p.pos]) // Latin-1
			}
			if rr == '\n' {
				p.line++
			}
			r = int(rr)
			p.pos += n
		}
		if neg {
			r = -r
		}
		return intTerm, strconv.Itoa(r), nil
	}
	start := p.pos
	digits, err := p.digits(10)
	if err != nil {
		return 0, "", err
	}
	if p.peek(0) == '#' {
		base, err := strconv.Atoi(digits)
		if err != nil || base < 2 || base > 36 {
			return 0, "", p.errorf("invalid integer base %s", quote(digits))
		}
		p.pos++
		if digits, err = p.digits(base); err != nil {
			return 0, "", err
		}
		if isAlnum(p.peek(0)) {
			return 0, "", p.unexpected()
		}
		return intTerm, intText(neg, digits, base), nil
	}
	if p.peek(0) != '.' || !isDigit(p.peek(1)) {
		if isAlnum(p.peek(0)) {
			return 0, "", p.unexpected()
		}
		return intTerm, intText(neg, digits, 10), nil
	}
	p.pos++
	if _, err := p.digits(10); err != nil {
		return 0, "", err
	}
	if c := p.peek(0); c == 'e' || c == 'E' {
		p.pos++
		if c := p.peek(0); c == '+' || c == '-' {
			p.pos++
		}
		if _, err := p.digits(10); err != nil {
			return 0, "", err
		}
	}
	if isAlnum(p.peek(0)) {
		return 0, "", p.unexpected()
	}
	text := string(p.data[start:p.pos])
	if neg {
		text = "-" + text
	}
	return floatTerm, text, nil
}
