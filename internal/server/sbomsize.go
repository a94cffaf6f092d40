package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
)

// countComponents counts, without decoding it, the components an SBOM
// lists: the elements of every "components" or "packages" array of a JSON
// document (CycloneDX, SPDX, Vigil), <component> elements of CycloneDX
// XML, PackageName lines of SPDX tag-value: never fewer than the packages
// the document decodes to (a fuzz test holds it to that). Decoding a
// document holds about thirty times its size in memory; counting first
// lets the server refuse an oversized one in one cheap pass instead.
func countComponents(doc []byte) int {
	doc = bytes.TrimLeft(bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(doc) == 0 {
		return 0
	}
	switch doc[0] {
	case '{':
		return countJSON(doc)
	case '<':
		return countXML(doc)
	}
	n := 0
	for line := range bytes.Lines(doc) {
		// As the SPDX tag-value reader reads a tag: leading space of any
		// kind, then the name, then space before the colon.
		tag, _, ok := bytes.Cut(bytes.TrimLeftFunc(line, unicode.IsSpace), []byte(":"))
		if ok && string(bytes.TrimSpace(tag)) == "PackageName" {
			n++
		}
	}
	return n
}

// countXML counts the start tags of elements named component, with any
// namespace prefix, as encoding/xml matches them.
func countXML(doc []byte) int {
	const name = "component"
	n := 0
	for i := 0; ; {
		j := bytes.Index(doc[i:], []byte(name))
		if j < 0 {
			return n
		}
		at := i + j
		i = at + len(name)
		if at == 0 || i >= len(doc) || !startTag(doc[:at]) {
			continue
		}
		switch doc[i] {
		case ' ', '\t', '\r', '\n', '>', '/':
			n++
		}
	}
}

// startTag reports whether before, what precedes a name, opens a start
// tag: "<" or "<prefix:".
func startTag(before []byte) bool {
	k := len(before) - 1
	if before[k] == ':' {
		for k--; k >= 0 && (isNameByte(before[k])); k-- {
		}
	}
	return k >= 0 && before[k] == '<'
}

// isNameByte is a byte of an XML name prefix; any non-ASCII byte counts,
// so that no prefix makes the count smaller.
func isNameByte(c byte) bool {
	return c >= 0x80 || c == '-' || c == '_' || c == '.' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// countJSON counts the objects directly inside arrays whose key is
// "components" or "packages", at any depth, matching keys as
// encoding/json does (escapes decoded, case folded). It does not validate
// the document: the decoder does that afterwards.
func countJSON(doc []byte) int {
	type frame struct {
		object    bool
		expectKey bool // object: the next string is a key
		counting  bool // array: its elements are components
	}
	stack := make([]frame, 0, 16)
	key := false // the last key read names a component array
	n := 0
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch c {
		case '"':
			start := i + 1
			escaped := false
			for i++; i < len(doc) && doc[i] != '"'; i++ {
				if doc[i] == '\\' {
					escaped = true
					i++
				}
			}
			if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey {
				stack[len(stack)-1].expectKey = false
				key = componentKey(doc[start:min(i, len(doc))], escaped)
			}
		case '{':
			if len(stack) > 0 && stack[len(stack)-1].counting {
				n++
			}
			stack = append(stack, frame{object: true, expectKey: true})
		case '[':
			counting := len(stack) > 0 && stack[len(stack)-1].object && key
			stack = append(stack, frame{counting: counting})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].expectKey = true
			}
		}
		if c != '"' && c != ':' && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			// A key names only the value that follows it.
			key = false
		}
	}
	return n
}

func componentKey(raw []byte, escaped bool) bool {
	k := string(raw)
	if escaped {
		if err := json.Unmarshal([]byte(`"`+k+`"`), &k); err != nil {
			return false
		}
	}
	return strings.EqualFold(k, "components") || strings.EqualFold(k, "packages")
}
