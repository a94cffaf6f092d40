package gem

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxValue bounds the literals the gemspec scanner keeps: names, versions,
// platforms and licences are short, and longer strings (descriptions,
// certificates) are skipped over without being built.
const maxValue = 1024

// gemspec is what the scanner reads from a specification.
type gemspec struct {
	name, version, platform string
	licenses                []string
}

// errNoSpec is returned for a file that does not name a gem.
var errNoSpec = errors.New("no literal name and version")

// parseGemspec reads a gem specification written by RubyGems (or by
// Debian's gem2deb) without running Ruby. Those files are generated Ruby:
//
//	Gem::Specification.new do |s|
//	  s.name = "rack".freeze
//	  s.version = "2.2.4"
//	  s.licenses = ["MIT".freeze]
//
// The scanner tokenises the Ruby (strings of every quoting, %q{} %w[]
// literals, heredocs and comments, so that text inside them is never taken
// for code) and picks the assignments of name, version, platform, license
// and licenses to the block variable whose value is a literal: a string, an
// array of strings, Gem::Version.new("…") or Gem::Platform::RUBY. Anything
// computed is ignored. When the assignments are missing, the "# stub:"
// line RubyGems writes at the top of the file supplies name, version and
// platform.
func parseGemspec(data []byte) (gemspec, error) {
	var g gemspec
	lx := lexer{src: data}
	st := scanState{}
	for {
		t := lx.next()
		if t.kind == tokEOF {
			break
		}
		st.feed(&lx, t, &g)
	}
	if g.name == "" || g.version == "" {
		if name, version, platform, ok := stubLine(data); ok {
			if g.name == "" {
				g.name = name
			}
			if g.version == "" {
				g.version = version
			}
			if g.platform == "" {
				g.platform = platform
			}
		}
	}
	if g.name == "" || g.version == "" {
		return g, errNoSpec
	}
	return g, nil
}

// stubLine reads "# stub: NAME VERSION PLATFORM REQUIRE_PATHS", the line
// RubyGems writes second in every installed specification so that it can
// list gems without evaluating them.
func stubLine(data []byte) (name, version, platform string, ok bool) {
	for range 4 { // it is the first or second line; allow a little slack
		line := data
		i := bytes.IndexByte(data, '\n')
		if i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if rest, found := bytes.CutPrefix(line, []byte("# stub: ")); found {
			f := strings.Fields(string(bytes.TrimRight(rest, "\r")))
			if len(f) < 2 {
				return "", "", "", false
			}
			if len(f) >= 3 {
				platform = f[2]
			}
			return f[0], f[1], platform, true
		}
		if data == nil {
			break
		}
	}
	return "", "", "", false
}

// scanState recognises "VAR . ATTR = VALUE" in the token stream.
type scanState struct {
	step     int    // tokens of the pattern matched so far
	attr     string // the attribute being assigned
	blockVar string // the Gem::Specification.new block's parameter
	sawSpec  bool   // "Specification" seen: the next |x| names blockVar
	bars     int    // position inside "| x |"
	barVar   string
}

// feed advances the recogniser by one token.
func (s *scanState) feed(lx *lexer, t token, g *gemspec) {
	s.blockParam(t)
	switch s.step {
	case 1:
		if t.kind == tokPunct && t.text == "." {
			s.step = 2
			return
		}
	case 2:
		if t.kind == tokIdent {
			switch t.text {
			case "name", "version", "platform", "license", "licenses":
				s.attr = t.text
				s.step = 3
				return
			}
		}
	case 3:
		if t.kind == tokPunct && t.text == "=" {
			s.step = 0
			s.assign(lx, g)
			return
		}
	}
	s.step = 0
	if t.kind == tokIdent && (s.blockVar == "" || t.text == s.blockVar) {
		s.step = 1
	}
}

// blockParam watches for "Gem::Specification.new do |s|" to learn the
// block variable, so that assignments to other objects are not taken.
func (s *scanState) blockParam(t token) {
	if s.blockVar != "" {
		return
	}
	if t.kind == tokIdent && t.text == "Specification" {
		s.sawSpec = true
		return
	}
	if !s.sawSpec {
		return
	}
	switch {
	case t.kind == tokPunct && t.text == "|":
		if s.bars == 2 {
			s.blockVar = s.barVar
			return
		}
		s.bars = 1
	case s.bars == 1 && t.kind == tokIdent:
		s.barVar = t.text
		s.bars = 2
	default:
		s.bars = 0
	}
}

// assign reads the value of an assignment and stores it when it is a
// literal of the right shape.
func (s *scanState) assign(lx *lexer, g *gemspec) {
	vals, ok := readValue(lx)
	if !ok {
		return
	}
	switch s.attr {
	case "license", "licenses":
		g.licenses = vals
	default:
		if len(vals) != 1 {
			return
		}
		switch s.attr {
		case "name":
			g.name = vals[0]
		case "version":
			g.version = vals[0]
		case "platform":
			g.platform = vals[0]
		}
	}
}

// readValue reads a literal right-hand side: a string, an array of strings
// (each perhaps .freeze'd), a %w[] list, Gem::Version.new("…"),
// Gem::Platform.new("…") or Gem::Platform::RUBY.
func readValue(lx *lexer) ([]string, bool) {
	t := lx.next()
	switch {
	case t.kind == tokString:
		return []string{t.text}, t.literal
	case t.kind == tokWords:
		return t.words, t.literal
	case t.kind == tokPunct && t.text == "[":
		var out []string
		for {
			t = lx.next()
			switch {
			case t.kind == tokString:
				if !t.literal {
					return nil, false
				}
				if len(out) < maxLicenses {
					out = append(out, t.text)
				}
			case t.kind == tokPunct && (t.text == "," || t.text == "."):
			case t.kind == tokIdent && t.text == "freeze":
			case t.kind == tokNewline:
			case t.kind == tokPunct && t.text == "]":
				return out, true
			default:
				return nil, false
			}
		}
	case t.kind == tokIdent && t.text == "Gem":
		if !lx.expect(tokPunct, "::") {
			return nil, false
		}
		cls := lx.next()
		if cls.kind != tokIdent || cls.text != "Version" && cls.text != "Platform" {
			return nil, false
		}
		sep := lx.next()
		if cls.text == "Platform" && sep.kind == tokPunct && sep.text == "::" {
			c := lx.next()
			if c.kind == tokIdent && c.text == "RUBY" {
				return []string{"ruby"}, true
			}
			return nil, false
		}
		if sep.kind != tokPunct || sep.text != "." || !lx.expect(tokIdent, "new") || !lx.expect(tokPunct, "(") {
			return nil, false
		}
		v := lx.next()
		if v.kind != tokString || !v.literal || !lx.expect(tokPunct, ")") {
			return nil, false
		}
		return []string{v.text}, true
	}
	return nil, false
}

// Token kinds of the Ruby lexer.
const (
	tokEOF = iota
	tokIdent
	tokString
	tokWords
	tokPunct
	tokNewline
	tokOther
)

// token is one lexeme. For strings, text is the value (empty when it was
// longer than maxValue) and literal is false when the string interpolates
// or was too long to keep.
type token struct {
	kind    int
	text    string
	words   []string
	literal bool
}

// lexer tokenises just enough Ruby to find literal assignments. It never
// fails: what it does not understand becomes tokOther.
type lexer struct {
	src      []byte
	pos      int
	heredocs []heredoc // pending heredoc bodies, read at the next newline
}

type heredoc struct {
	id     string
	indent bool // <<- or <<~: the terminator may be indented
}

func (lx *lexer) expect(kind int, text string) bool {
	t := lx.next()
	return t.kind == kind && t.text == text
}

// next returns the next token.
func (lx *lexer) next() token {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == 0:
			lx.pos++
		case c == '\\' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '\n':
			lx.pos += 2 // line continuation
		case c == '#':
			lx.skipLine()
		case c == '\n' || c == ';':
			lx.pos++
			if c == '\n' {
				lx.lineStart()
			}
			return token{kind: tokNewline}
		case c == '"' || c == '`':
			lx.pos++
			return lx.quoted(c, 0, true)
		case c == '\'':
			lx.pos++
			return lx.quoted(c, 0, false)
		case c == '%':
			if t, ok := lx.percent(); ok {
				return t
			}
			lx.pos++
			return token{kind: tokPunct, text: "%"}
		case c == '<' && lx.heredocStart():
			return token{kind: tokOther}
		case c == ':':
			return lx.colon()
		case identStart(c):
			return lx.ident()
		case '0' <= c && c <= '9':
			for lx.pos < len(lx.src) && (identByte(lx.src[lx.pos]) || lx.src[lx.pos] == '.') {
				lx.pos++
			}
			return token{kind: tokOther}
		case c >= utf8.RuneSelf:
			// Non-ASCII outside strings: not code we care about.
			lx.pos++
			return token{kind: tokOther}
		default:
			return lx.punct()
		}
	}
	return token{kind: tokEOF}
}

// lineStart handles what only matters at the start of a line: pending
// heredoc bodies, =begin/=end comments and __END__.
func (lx *lexer) lineStart() {
	for len(lx.heredocs) > 0 {
		h := lx.heredocs[0]
		lx.heredocs = lx.heredocs[1:]
		for lx.pos < len(lx.src) {
			line := lx.restOfLine()
			l := strings.TrimRight(string(line), "\r")
			if h.indent {
				l = strings.TrimLeft(l, " \t")
			}
			if l == h.id {
				break
			}
		}
	}
	rest := lx.src[lx.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("=begin")):
		for lx.pos < len(lx.src) {
			if bytes.HasPrefix(lx.restOfLine(), []byte("=end")) {
				break
			}
		}
	case bytes.HasPrefix(rest, []byte("__END__")) && (len(rest) == 7 || rest[7] == '\n' || rest[7] == '\r'):
		lx.pos = len(lx.src)
	}
}

// restOfLine consumes and returns the current line without its newline.
func (lx *lexer) restOfLine() []byte {
	rest := lx.src[lx.pos:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		lx.pos = len(lx.src)
		return rest
	}
	lx.pos += i + 1
	return rest[:i]
}

func (lx *lexer) skipLine() {
	i := bytes.IndexByte(lx.src[lx.pos:], '\n')
	if i < 0 {
		lx.pos = len(lx.src)
		return
	}
	lx.pos += i // the newline itself is a token
}

func identStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '@' || c == '$'
}

func identByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

func (lx *lexer) ident() token {
	start := lx.pos
	lx.pos++
	for lx.pos < len(lx.src) && identByte(lx.src[lx.pos]) {
		lx.pos++
	}
	// Method names may end in ? or !, but "x!=" is x followed by !=.
	if lx.pos < len(lx.src) && (lx.src[lx.pos] == '?' || lx.src[lx.pos] == '!') &&
		(lx.pos+1 >= len(lx.src) || lx.src[lx.pos+1] != '=') {
		lx.pos++
	}
	return token{kind: tokIdent, text: string(lx.src[start:lx.pos])}
}

// colon lexes "::", a symbol (:name, :"quoted") or a lone colon.
func (lx *lexer) colon() token {
	lx.pos++
	if lx.pos < len(lx.src) {
		switch c := lx.src[lx.pos]; {
		case c == ':':
			lx.pos++
			return token{kind: tokPunct, text: "::"}
		case c == '"' || c == '\'':
			lx.pos++
			lx.quoted(c, 0, c == '"')
			return token{kind: tokOther}
		case identStart(c):
			lx.ident()
			// Setter symbols: :name=
			if lx.pos < len(lx.src) && lx.src[lx.pos] == '=' && (lx.pos+1 >= len(lx.src) || lx.src[lx.pos+1] != '=' && lx.src[lx.pos+1] != '>' && lx.src[lx.pos+1] != '~') {
				lx.pos++
			}
			return token{kind: tokOther}
		}
	}
	return token{kind: tokPunct, text: ":"}
}

// punct lexes operators, keeping apart the ones that contain "=" so that a
// lone "=" is always an assignment.
func (lx *lexer) punct() token {
	c := lx.src[lx.pos]
	lx.pos++
	if lx.pos < len(lx.src) {
		n := lx.src[lx.pos]
		switch {
		case c == '=' && (n == '=' || n == '>' || n == '~'),
			(c == '!' || c == '<' || c == '>' || c == '+' || c == '-' || c == '*' || c == '/' || c == '|' || c == '&') && n == '=':
			lx.pos++
			if lx.pos < len(lx.src) && lx.src[lx.pos] == '=' {
				lx.pos++ // ===, <=>, ||= and friends
			}
			return token{kind: tokPunct, text: string(lx.src[lx.pos-2 : lx.pos])}
		}
	}
	return token{kind: tokPunct, text: string(c)}
}

// heredocStart recognises <<ID, <<-ID, <<~ID and their quoted forms; the
// body is skipped at the next newline. "a << b" (with a space) is the
// append operator and is left to punct.
func (lx *lexer) heredocStart() bool {
	rest := lx.src[lx.pos:]
	if len(rest) < 3 || rest[1] != '<' {
		return false
	}
	i := 2
	indent := false
	if rest[i] == '-' || rest[i] == '~' {
		indent = true
		i++
	}
	if i >= len(rest) {
		return false
	}
	var id string
	switch q := rest[i]; {
	case q == '\'' || q == '"' || q == '`':
		j := bytes.IndexByte(rest[i+1:], q)
		if j < 0 || bytes.IndexByte(rest[i+1:i+1+j], '\n') >= 0 {
			return false
		}
		id = string(rest[i+1 : i+1+j])
		i += j + 2
	case identStart(q) && q != '@' && q != '$':
		j := i
		for j < len(rest) && identByte(rest[j]) {
			j++
		}
		id = string(rest[i:j])
		// Only upper-case identifiers: "x <<foo" is more often an append.
		if strings.ToUpper(id) != id {
			return false
		}
		i = j
	default:
		return false
	}
	if id == "" || len(lx.heredocs) >= 16 {
		return false
	}
	lx.heredocs = append(lx.heredocs, heredoc{id: id, indent: indent})
	lx.pos += i
	return true
}

// percent lexes %q() %Q() %() %w[] %W[] %i[] %r{} %s() %x() literals.
func (lx *lexer) percent() (token, bool) {
	rest := lx.src[lx.pos:]
	if len(rest) < 2 {
		return token{}, false
	}
	kind := byte('Q')
	i := 1
	if c := rest[1]; 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
		switch c {
		case 'q', 'Q', 'w', 'W', 'i', 'I', 'r', 's', 'x':
			kind = c
			i = 2
		default:
			return token{}, false
		}
	}
	if i >= len(rest) {
		return token{}, false
	}
	open := rest[i]
	if open == ' ' || open == '\n' || open == '=' || identByte(open) || open >= utf8.RuneSelf {
		return token{}, false
	}
	lx.pos += i + 1
	t := lx.quoted(closer(open), opener(open), kind != 'q' && kind != 'w' && kind != 'i')
	switch kind {
	case 'w', 'W':
		t.kind = tokWords
		if t.literal {
			t.words = strings.Fields(t.text)
			if len(t.words) > maxLicenses {
				t.words = t.words[:maxLicenses]
			}
		}
		t.text = ""
	case 'q', 'Q':
	default:
		t = token{kind: tokOther}
	}
	return t, true
}

func closer(open byte) byte {
	switch open {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	}
	return open
}

// opener returns the delimiter that nests inside a bracketed literal, or 0.
func opener(open byte) byte {
	switch open {
	case '(', '[', '{', '<':
		return open
	}
	return 0
}

// quoted lexes a string body up to the closing delimiter end (nesting on
// open when it is a bracket), with double-quote escapes and interpolation
// when dq is set, single-quote escapes otherwise. It stops at the end of
// the input when the string is not closed.
func (lx *lexer) quoted(end, open byte, dq bool) token {
	var b []byte
	keep := true
	literal := true
	depth := 0
	add := func(p ...byte) {
		if keep && len(b)+len(p) > maxValue {
			keep, b = false, nil
		}
		if keep {
			b = append(b, p...)
		}
	}
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		lx.pos++
		switch {
		case c == '\\' && lx.pos < len(lx.src):
			e := lx.src[lx.pos]
			lx.pos++
			if !dq {
				if e == '\\' || e == end || (open != 0 && e == open) {
					add(e)
				} else {
					add('\\', e)
				}
				continue
			}
			lx.escape(e, add)
		case dq && c == '#' && lx.pos < len(lx.src) && lx.src[lx.pos] == '{':
			literal = false
			lx.pos++
			lx.skipInterpolation()
		case open != 0 && c == open:
			depth++
			add(c)
		case c == end:
			if depth == 0 {
				return token{kind: tokString, text: string(b), literal: literal && keep}
			}
			depth--
			add(c)
		default:
			add(c)
		}
	}
	return token{kind: tokString, text: string(b), literal: false}
}

// escape appends the value of a double-quoted string's escape \e.
func (lx *lexer) escape(e byte, add func(...byte)) {
	switch e {
	case 'n':
		add('\n')
	case 't':
		add('\t')
	case 'r':
		add('\r')
	case 's':
		add(' ')
	case '0':
		add(0)
	case 'e':
		add(0x1b)
	case 'u':
		var buf [utf8.UTFMax]byte
		if lx.pos < len(lx.src) && lx.src[lx.pos] == '{' {
			end := bytes.IndexByte(lx.src[lx.pos:], '}')
			if end < 0 || end > 64 {
				return
			}
			for _, h := range strings.Fields(string(lx.src[lx.pos+1 : lx.pos+end])) {
				if r, err := strconv.ParseUint(h, 16, 32); err == nil && utf8.ValidRune(rune(r)) {
					add(buf[:utf8.EncodeRune(buf[:], rune(r))]...)
				}
			}
			lx.pos += end + 1
			return
		}
		if lx.pos+4 <= len(lx.src) {
			if r, err := strconv.ParseUint(string(lx.src[lx.pos:lx.pos+4]), 16, 32); err == nil {
				lx.pos += 4
				add(buf[:utf8.EncodeRune(buf[:], rune(r))]...)
			}
		}
	case 'x':
		n := 0
		for n < 2 && lx.pos+n < len(lx.src) && isHex(lx.src[lx.pos+n]) {
			n++
		}
		if n > 0 {
			v, _ := strconv.ParseUint(string(lx.src[lx.pos:lx.pos+n]), 16, 8)
			lx.pos += n
			add(byte(v))
		}
	default:
		add(e)
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// skipInterpolation skips the code of a #{…} up to its closing brace,
// counting nested braces and skipping nested strings.
func (lx *lexer) skipInterpolation() {
	depth := 0
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		lx.pos++
		switch c {
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return
			}
			depth--
		case '"', '\'':
			// A nested string: skip to its end, ignoring escapes' values.
			for lx.pos < len(lx.src) && lx.src[lx.pos] != c {
				if lx.src[lx.pos] == '\\' {
					lx.pos++
				}
				lx.pos++
			}
			lx.pos = min(lx.pos+1, len(lx.src))
		}
	}
}
