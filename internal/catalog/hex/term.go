package hex

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Bounds on what the term parsers accept. Real mix.lock, rebar.lock and
// .app files nest a handful of levels and hold a few thousand terms; the
// bounds keep hostile files from exhausting the stack or the memory.
const (
	maxDepth = 100
	maxTerms = 1 << 18
)

// kind is the type of a parsed term.
type kind uint8

const (
	atomTerm     kind = iota + 1
	stringTerm        // "…": an Elixir binary or an Erlang character list
	charlistTerm      // Elixir '…'
	binaryTerm        // Erlang <<"…">> made of strings only; text holds it
	intTerm           // text holds the value in decimal when it fits an int64
	floatTerm         // text holds it as written
	tupleTerm
	listTerm   // a proper list; Elixir keywords are two-element tuples
	mapTerm    // elems alternate key and value
	opaqueTerm // a valid term the catalogers never need: other binaries, improper lists
)

// term is a value of the Elixir or Erlang literal subset.
type term struct {
	kind  kind
	text  string
	elems []term
	line  int
}

func (k kind) String() string {
	switch k {
	case atomTerm:
		return "an atom"
	case stringTerm:
		return "a string"
	case charlistTerm:
		return "a charlist"
	case binaryTerm:
		return "a binary"
	case intTerm:
		return "an integer"
	case floatTerm:
		return "a float"
	case tupleTerm:
		return "a tuple"
	case listTerm:
		return "a list"
	case mapTerm:
		return "a map"
	default:
		return "another term"
	}
}

// isAtom reports whether t is the atom name.
func (t *term) isAtom(name string) bool { return t.kind == atomTerm && t.text == name }

// erlString returns the text of an Erlang string: "…", <<"…">>, or a
// list of printable character codes (what "~p" writes for a charlist it
// does not print as a string).
func (t *term) erlString() (string, bool) {
	switch t.kind {
	case stringTerm, binaryTerm:
		return t.text, true
	case listTerm:
		b := make([]byte, 0, len(t.elems))
		for i := range t.elems {
			e := &t.elems[i]
			if e.kind != intTerm {
				return "", false
			}
			n, err := strconv.Atoi(e.text)
			if err != nil || n < 0x20 || n > 0x7e {
				return "", false
			}
			b = append(b, byte(n))
		}
		return string(b), true
	}
	return "", false
}

// scanner holds the position in the input that both parsers share.
type scanner struct {
	data  []byte
	pos   int
	line  int
	depth int
	terms int
}

func newScanner(data []byte) scanner {
	// A byte-order mark is not part of either language; editors add it.
	if len(data) >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf {
		data = data[3:]
	}
	return scanner{data: data, line: 1}
}

func (s *scanner) eof() bool { return s.pos >= len(s.data) }

// peek returns the byte at pos+off, 0 past the end.
func (s *scanner) peek(off int) byte {
	if s.pos+off < len(s.data) {
		return s.data[s.pos+off]
	}
	return 0
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", s.line, fmt.Sprintf(format, args...))
}

// what describes what stands at pos for an error message.
func (s *scanner) what() string {
	if s.eof() {
		return "end of file"
	}
	c := s.data[s.pos]
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	if r, n := utf8.DecodeRune(s.data[s.pos:]); n > 1 {
		return strconv.QuoteRune(r)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// unexpected reports what stands at pos as unexpected.
func (s *scanner) unexpected() error {
	return s.errorf("unexpected %s", s.what())
}

// enter counts a term and a nesting level; leave undoes the level.
func (s *scanner) enter() error {
	s.terms++
	if s.terms > maxTerms {
		return s.errorf("more than %d terms", maxTerms)
	}
	s.depth++
	if s.depth > maxDepth {
		return s.errorf("nested deeper than %d levels", maxDepth)
	}
	return nil
}

func (s *scanner) leave() { s.depth-- }

// skipSpace skips white space and comments starting with comment.
func (s *scanner) skipSpace(comment byte) {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case '\n':
			s.line++
			s.pos++
		case ' ', '\t', '\r', '\f', '\v':
			s.pos++
		case comment:
			for s.pos < len(s.data) && s.data[s.pos] != '\n' {
				s.pos++
			}
		default:
			return
		}
	}
}

// expect consumes c or fails.
func (s *scanner) expect(c byte) error {
	if s.peek(0) != c {
		return s.unexpected()
	}
	s.pos++
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isLower(c) || isUpper(c) || isDigit(c) || c == '_' }

func hexValue(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// digitValue returns the value of c as a digit of base up to 36, -1 when it
// is none.
func digitValue(c byte, base int) int {
	v := -1
	switch {
	case isDigit(c):
		v = int(c - '0')
	case isLower(c):
		v = int(c-'a') + 10
	case isUpper(c):
		v = int(c-'A') + 10
	}
	if v >= base {
		return -1
	}
	return v
}

// digits scans digits of base with single underscores between them, as
// both languages allow ("1_000"), and returns them without underscores.
func (s *scanner) digits(base int) (string, error) {
	start := s.pos
	var b []byte
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if digitValue(c, base) >= 0 {
			b = append(b, c)
			s.pos++
			continue
		}
		if c == '_' && s.pos > start && digitValue(s.peek(1), base) >= 0 {
			s.pos++
			continue
		}
		break
	}
	if len(b) == 0 {
		return "", s.unexpected()
	}
	return string(b), nil
}

// intText returns digits of base as a decimal integer, keeping them as
// written (with the base) when the value does not fit an int64: only small
// integers are ever read back.
func intText(neg bool, digits string, base int) string {
	n, err := strconv.ParseInt(digits, base, 64)
	if err != nil {
		if base != 10 {
			digits = strconv.Itoa(base) + "#" + digits
		}
		if neg {
			return "-" + digits
		}
		return digits
	}
	if neg {
		n = -n
	}
	return strconv.FormatInt(n, 10)
}

// appendRune appends r as UTF-8, refusing what is not a code point.
func (s *scanner) appendRune(b []byte, r int) ([]byte, error) {
	if r < 0 || r > utf8.MaxRune || 0xd800 <= r && r <= 0xdfff {
		return nil, s.errorf("invalid code point 0x%x", r)
	}
	return utf8.AppendRune(b, rune(r)), nil
}

// braceHex scans "{H…}" after \x or \u: one to six hexadecimal digits.
func (s *scanner) braceHex() (int, error) {
	s.pos++ // {
	v, n := 0, 0
	for s.pos < len(s.data) && s.data[s.pos] != '}' {
		d := hexValue(s.data[s.pos])
		if d < 0 || n == 6 {
			return 0, s.errorf("invalid escape sequence")
		}
		v = v*16 + d
		n++
		s.pos++
	}
	if n == 0 || s.eof() {
		return 0, s.errorf("invalid escape sequence")
	}
	s.pos++ // }
	return v, nil
}

// fixedHex scans up to max hexadecimal digits, at least one.
func (s *scanner) fixedHex(max int) (int, error) {
	v, n := 0, 0
	for n < max {
		d := hexValue(s.peek(0))
		if d < 0 {
			break
		}
		v = v*16 + d
		n++
		s.pos++
	}
	if n == 0 {
		return 0, s.errorf("invalid escape sequence")
	}
	return v, nil
}
