package hex

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// parseElixir reads a file holding one Elixir literal, as mix.lock does:
// maps (%{k => v}, %{k: v}, %{"k": v}), tuples, lists and keyword lists,
// atoms (:a, :"a-b", true, false, nil, aliases), strings and charlists with
// their escapes, integers, floats and ?c characters, with trailing commas
// and # comments. Anything that is not a literal (calls, variables,
// operators, interpolation, sigils, heredocs) is an error, and so is text
// that is not UTF-8, which Elixir refuses too.
func parseElixir(data []byte) (term, error) {
	if !utf8.Valid(data) {
		return term{}, errors.New("not UTF-8 text")
	}
	p := &exParser{newScanner(data)}
	p.skipSpace('#')
	if p.eof() {
		return term{}, errors.New("empty file")
	}
	t, err := p.value()
	if err != nil {
		return term{}, err
	}
	p.skipSpace('#')
	if !p.eof() {
		return term{}, p.errorf("unexpected %s after the term", p.what())
	}
	return t, nil
}

type exParser struct{ scanner }

// value parses one term; a keyword key is refused outside a container.
func (p *exParser) value() (term, error) {
	t, key, err := p.element()
	if err == nil && key {
		err = p.errorf("keyword %s outside a list, tuple or map", quote(t.text))
	}
	return t, err
}

// element parses one term, or the key of a keyword pair ("name:" or
// "\"name\":" followed by white space), saying which. The key's colon is
// consumed.
func (p *exParser) element() (term, bool, error) {
	if err := p.enter(); err != nil {
		return term{}, false, err
	}
	defer p.leave()
	line := p.line
	switch c := p.peek(0); {
	case c == '%':
		if p.peek(1) != '{' {
			return term{}, false, p.errorf("unexpected '%%': only maps (%%{…}) are literals")
		}
		p.pos += 2
		elems, err := p.mapBody()
		return term{kind: mapTerm, elems: elems, line: line}, false, err
	case c == '{':
		p.pos++
		elems, err := p.seq('}', true)
		return term{kind: tupleTerm, elems: elems, line: line}, false, err
	case c == '[':
		p.pos++
		elems, err := p.seq(']', false)
		return term{kind: listTerm, elems: elems, line: line}, false, err
	case c == '"' || c == '\'':
		s, err := p.quoted()
		if err != nil {
			return term{}, false, err
		}
		if p.keywordColon() {
			return term{kind: atomTerm, text: s, line: line}, true, nil
		}
		k := stringTerm
		if c == '\'' {
			k = charlistTerm
		}
		return term{kind: k, text: s, line: line}, false, nil
	case c == ':':
		s, err := p.atom()
		return term{kind: atomTerm, text: s, line: line}, false, err
	case c == '?':
		n, err := p.char()
		return term{kind: intTerm, text: n, line: line}, false, err
	case c == '-' || isDigit(c):
		k, s, err := p.number()
		return term{kind: k, text: s, line: line}, false, err
	case isLower(c) || isUpper(c) || c == '_':
		return p.word(line)
	}
	return term{}, false, p.unexpected()
}

// keywordColon consumes the colon that makes the word or string just read
// a keyword key: Elixir wants white space right after it.
func (p *exParser) keywordColon() bool {
	if p.peek(0) != ':' {
		return false
	}
	switch p.peek(1) {
	case ' ', '\t', '\n', '\r':
		p.pos++
		return true
	}
	return false
}

// seq parses the elements of a list or tuple up to close, the opening
// bracket consumed. Keyword pairs must come last; in a list they are its
// elements, in a tuple they make its last element, one keyword list.
func (p *exParser) seq(close byte, tuple bool) ([]term, error) {
	var elems, keywords []term
	for {
		p.skipSpace('#')
		if p.peek(0) == close {
			p.pos++
			break
		}
		t, key, err := p.element()
		if err != nil {
			return nil, err
		}
		if key {
			pair, err := p.keywordPair(t)
			if err != nil {
				return nil, err
			}
			keywords = append(keywords, pair)
		} else if keywords != nil {
			return nil, p.errorf("keyword pairs must come last")
		} else {
			elems = append(elems, t)
		}
		if done, err := p.next(close); done || err != nil {
			if err != nil {
				return nil, err
			}
			break
		}
	}
	if keywords == nil {
		return elems, nil
	}
	if tuple {
		return append(elems, term{kind: listTerm, elems: keywords, line: keywords[0].line}), nil
	}
	return append(elems, keywords...), nil
}

// keywordPair parses the value after a keyword key into {key, value}.
func (p *exParser) keywordPair(key term) (term, error) {
	p.skipSpace('#')
	v, err := p.value()
	if err != nil {
		return term{}, err
	}
	return term{kind: tupleTerm, elems: []term{key, v}, line: key.line}, nil
}

// next consumes what follows an element: a comma (a trailing one is
// allowed) or the closing bracket, reporting whether it was the latter.
func (p *exParser) next(close byte) (bool, error) {
	p.skipSpace('#')
	switch p.peek(0) {
	case ',':
		p.pos++
		return false, nil
	case close:
		p.pos++
		return true, nil
	}
	return false, p.unexpected()
}

// mapBody parses map pairs up to "}", "%{" consumed; elems alternate key
// and value.
func (p *exParser) mapBody() ([]term, error) {
	var elems []term
	keywords := false
	for {
		p.skipSpace('#')
		if p.peek(0) == '}' {
			p.pos++
			return elems, nil
		}
		k, key, err := p.element()
		if err != nil {
			return nil, err
		}
		if key {
			keywords = true
		} else {
			if keywords {
				return nil, p.errorf("keyword pairs must come last")
			}
			p.skipSpace('#')
			if p.peek(0) != '=' || p.peek(1) != '>' {
				return nil, p.errorf("unexpected %s, want \"=>\"", p.what())
			}
			p.pos += 2
		}
		p.skipSpace('#')
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		elems = append(elems, k, v)
		if done, err := p.next('}'); done || err != nil {
			return elems, err
		}
	}
}

// quoted scans a string, charlist or quoted atom between the quotes at
// pos, decoding its escapes.
func (p *exParser) quoted() (string, error) {
	q := p.data[p.pos]
	if p.peek(1) == q && p.peek(2) == q {
		return "", p.errorf("multi-line strings are not supported")
	}
	start := p.line
	p.pos++
	var b []byte
	run := p.pos // the bytes since the last escape, copied at once
	for {
		if p.eof() {
			return "", p.errorf("string opened on line %d is not closed", start)
		}
		c := p.data[p.pos]
		switch {
		case c == q:
			b = append(b, p.data[run:p.pos]...)
			p.pos++
			return string(b), nil
		case c == '#' && p.peek(1) == '{':
			return "", p.errorf("string interpolation is not a literal")
		case c == '\\':
			b = append(b, p.data[run:p.pos]...)
			var err error
			if b, err = p.escape(b); err != nil {
				return "", err
			}
			run = p.pos
			continue
		case c == '\n':
			p.line++
		}
		p.pos++
	}
}

// escape decodes the escape sequence at pos (a backslash) onto b.
func (p *exParser) escape(b []byte) ([]byte, error) {
	p.pos++
	if p.eof() {
		return nil, p.unexpected()
	}
	c := p.data[p.pos]
	p.pos++
	if v, ok := simpleEscapes[c]; ok {
		return append(b, v), nil
	}
	switch c {
	case '\n': // a line continuation
		p.line++
		return b, nil
	case 'x':
		if p.peek(0) == '{' {
			r, err := p.braceHex()
			if err != nil {
				return nil, err
			}
			return p.appendRune(b, r)
		}
		v, err := p.fixedHex(2)
		return append(b, byte(v)), err // a byte, which may not be UTF-8
	case 'u':
		var r int
		var err error
		if p.peek(0) == '{' {
			r, err = p.braceHex()
		} else {
			start := p.pos
			r, err = p.fixedHex(4)
			if err == nil && p.pos-start != 4 {
				err = p.errorf("invalid escape sequence")
			}
		}
		if err != nil {
			return nil, err
		}
		return p.appendRune(b, r)
	}
	// Any other character stands for itself.
	_, n := utf8.DecodeRune(p.data[p.pos-1:])
	b = append(b, p.data[p.pos-1:p.pos-1+n]...)
	p.pos += n - 1
	return b, nil
}

// simpleEscapes are the one-letter escapes of Elixir strings.
var simpleEscapes = map[byte]byte{
	'0': 0, 'a': 7, 'b': 8, 'd': 0x7f, 'e': 0x1b, 'f': '\f', 'n': '\n',
	'r': '\r', 's': ' ', 't': '\t', 'v': '\v',
}

// atom scans an atom at pos (the colon): :name, :name? or :"quoted".
func (p *exParser) atom() (string, error) {
	p.pos++
	c := p.peek(0)
	if c == '"' || c == '\'' {
		return p.quoted()
	}
	if !isLower(c) && !isUpper(c) && c != '_' {
		return "", p.errorf("unexpected ':': operator atoms and non-ASCII atoms are not supported")
	}
	start := p.pos
	for p.pos < len(p.data) && (isAlnum(p.data[p.pos]) || p.data[p.pos] == '@') {
		p.pos++
	}
	if c := p.peek(0); c == '?' || c == '!' {
		p.pos++
	}
	return string(p.data[start:p.pos]), nil
}

// char scans ?c, the code point of c, as a decimal integer.
func (p *exParser) char() (string, error) {
	p.pos++
	if p.eof() {
		return "", p.unexpected()
	}
	var b []byte
	if p.data[p.pos] == '\\' {
		var err error
		if b, err = p.escape(nil); err != nil {
			return "", err
		}
	} else {
		_, n := utf8.DecodeRune(p.data[p.pos:])
		b = p.data[p.pos : p.pos+n]
		if b[0] == '\n' {
			p.line++
		}
		p.pos += n
	}
	r, n := utf8.DecodeRune(b)
	if n == 0 || n != len(b) {
		return "", p.errorf("invalid character literal")
	}
	return strconv.Itoa(int(r)), nil
}

// number scans an integer (decimal, 0x, 0o, 0b) or a float.
func (p *exParser) number() (kind, string, error) {
	neg := false
	if p.peek(0) == '-' {
		neg = true
		p.pos++
		if !isDigit(p.peek(0)) {
			return 0, "", p.errorf("unexpected '-': only negative numbers are literals")
		}
	}
	base := 10
	if p.peek(0) == '0' {
		switch p.peek(1) {
		case 'x':
			base = 16
		case 'o':
			base = 8
		case 'b':
			base = 2
		}
		if base != 10 {
			p.pos += 2
		}
	}
	start := p.pos
	digits, err := p.digits(base)
	if err != nil {
		return 0, "", err
	}
	k, text := intTerm, intText(neg, digits, base)
	if base == 10 && p.peek(0) == '.' && isDigit(p.peek(1)) {
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
		k, text = floatTerm, string(p.data[start:p.pos])
		if neg {
			text = "-" + text
		}
	}
	if c := p.peek(0); isAlnum(c) {
		return 0, "", p.unexpected()
	}
	return k, text, nil
}

// word scans an identifier or alias at pos: true, false and nil are
// atoms, an alias (Foo.Bar) is the atom Elixir.Foo.Bar, and either may be
// a keyword key. Other identifiers are variables or calls, not literals.
func (p *exParser) word(line int) (term, bool, error) {
	start := p.pos
	for p.pos < len(p.data) && isAlnum(p.data[p.pos]) {
		p.pos++
	}
	if c := p.peek(0); (c == '?' || c == '!') && !isUpper(p.data[start]) {
		p.pos++
	}
	if p.keywordColon() {
		return term{kind: atomTerm, text: string(p.data[start : p.pos-1]), line: line}, true, nil
	}
	if isUpper(p.data[start]) {
		for p.peek(0) == '.' && isUpper(p.peek(1)) {
			p.pos++
			for p.pos < len(p.data) && isAlnum(p.data[p.pos]) {
				p.pos++
			}
		}
		return term{kind: atomTerm, text: "Elixir." + string(p.data[start:p.pos]), line: line}, false, nil
	}
	w := string(p.data[start:p.pos])
	switch w {
	case "true", "false", "nil":
		return term{kind: atomTerm, text: w, line: line}, false, nil
	}
	return term{}, false, p.errorf("unexpected %s: not a literal", quote(w))
}
