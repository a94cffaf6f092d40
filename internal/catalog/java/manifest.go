package java

import (
	"bytes"
	"fmt"
	"strings"
)

// manifest is a parsed META-INF/MANIFEST.MF: the main section and the
// per-entry sections, with header names folded to lower case (the JAR
// specification makes them case-insensitive).
type manifest struct {
	main     map[string]string
	sections []map[string]string
}

// maxSections bounds the per-entry sections kept: they are only a fallback
// for the main section, and a signed jar has one per class.
const maxSections = 64

// get returns the value of header key (lower case) from the main section,
// or else from the first per-entry section that has it: old jars put
// Implementation-* and Specification-* headers in a section named after
// their package.
func (m *manifest) get(key string) string {
	if v := m.main[key]; v != "" {
		return v
	}
	for _, s := range m.sections {
		if v := s[key]; v != "" {
			return v
		}
	}
	return ""
}

// parseManifest reads a JAR manifest. Lines end with CR LF, LF or CR; a
// line that starts with one space continues the previous header's value
// (writers break lines at 72 bytes, often in the middle of a word, so the
// continuation is joined without adding or removing anything); a blank
// line ends a section. Lines that are not "Name: value" headers are
// skipped; the error names the first of them and counts the rest, and the
// headers read are returned all the same. When a header repeats, the last
// value wins, as with java.util.jar.Manifest.
func parseManifest(data []byte) (manifest, error) {
	m := manifest{main: map[string]string{}}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cur := m.main
	var (
		key      string
		val      []byte
		badLine  int
		badCount int
		inMain   = true
	)
	flush := func() {
		if key != "" && cur != nil {
			cur[key] = strings.TrimSpace(string(val))
		}
		key, val = "", val[:0]
	}
	bad := func(line int) {
		if badCount == 0 {
			badLine = line
		}
		badCount++
	}
	for n := 1; len(data) > 0; n++ {
		var line []byte
		line, data = nextLine(data)
		switch {
		case len(line) == 0:
			flush()
			if inMain || len(cur) > 0 {
				// The next header starts a new per-entry section.
				inMain = false
				cur = nil
			}
		case line[0] == ' ':
			if key == "" {
				bad(n)
				continue
			}
			val = append(val, line[1:]...)
		default:
			flush()
			name, value, ok := bytes.Cut(line, []byte(":"))
			if !ok || !validHeaderName(name) {
				bad(n)
				continue
			}
			if cur == nil {
				if len(m.sections) >= maxSections {
					// Past the bound: the section's headers and their
					// continuations are read and dropped.
					key, val = "-", val[:0]
					continue
				}
				cur = map[string]string{}
				m.sections = append(m.sections, cur)
			}
			key = strings.ToLower(string(name))
			val = append(val[:0], bytes.TrimLeft(value, " ")...)
		}
	}
	flush()
	if badCount > 0 {
		if badCount == 1 {
			return m, fmt.Errorf("line %d: not a manifest header", badLine)
		}
		return m, fmt.Errorf("line %d: not a manifest header (and %d more such lines)", badLine, badCount-1)
	}
	return m, nil
}

// nextLine cuts the first line off data, accepting CR LF, LF and CR.
func nextLine(data []byte) (line, rest []byte) {
	i := bytes.IndexAny(data, "\r\n")
	if i < 0 {
		return data, nil
	}
	line, rest = data[:i], data[i+1:]
	if data[i] == '\r' && len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	return line, rest
}

// validHeaderName checks the JAR specification's header name: alphanumeric,
// '-' and '_', at most 70 bytes.
func validHeaderName(b []byte) bool {
	if len(b) == 0 || len(b) > 70 {
		return false
	}
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
