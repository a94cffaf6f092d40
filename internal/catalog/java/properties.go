package java

import (
	"strings"
	"unicode/utf8"
)

// parseProperties reads the java.util.Properties text format, as Maven
// writes pom.properties: "key=value", "key: value" or "key value" lines,
// '#' and '!' comments, a backslash at the end of a line to continue it,
// and backslash escapes (\t \n \r \f \uXXXX, otherwise the character
// itself). Only the keys in want are kept, so a hostile file costs no
// memory beyond its own size.
func parseProperties(data []byte, want ...string) map[string]string {
	out := map[string]string{}
	s := string(data)
	for len(s) > 0 {
		var logical strings.Builder
		// Join the physical lines of one logical line.
		for {
			var line string
			line, s = cutLine(s)
			if logical.Len() == 0 {
				line = strings.TrimLeft(line, " \t\f")
				if line == "" || line[0] == '#' || line[0] == '!' {
					break
				}
			} else {
				line = strings.TrimLeft(line, " \t\f")
			}
			if trailingBackslashes(line)%2 == 1 && len(s) > 0 {
				logical.WriteString(line[:len(line)-1])
				continue
			}
			if trailingBackslashes(line)%2 == 1 {
				line = line[:len(line)-1]
			}
			logical.WriteString(line)
			break
		}
		if logical.Len() == 0 {
			continue
		}
		k, v := splitProperty(logical.String())
		for _, w := range want {
			if k == w {
				out[k] = v
			}
		}
	}
	return out
}

// cutLine cuts one physical line off s at LF, CR or CR LF.
func cutLine(s string) (line, rest string) {
	i := strings.IndexAny(s, "\r\n")
	if i < 0 {
		return s, ""
	}
	line, rest = s[:i], s[i+1:]
	if s[i] == '\r' && strings.HasPrefix(rest, "\n") {
		rest = rest[1:]
	}
	return line, rest
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

// splitProperty splits a logical line at the first unescaped '=', ':' or
// white space, and unescapes both halves.
func splitProperty(line string) (key, value string) {
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	key = unescape(line[:end])
	rest := strings.TrimLeft(line[end:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	return key, unescape(rest)
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if r, ok := hex4(s[i+1:]); ok {
				b.WriteRune(r)
				i += 4
			} else {
				b.WriteByte('u')
			}
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	if !utf8.ValidRune(r) {
		r = utf8.RuneError
	}
	return r, true
}
