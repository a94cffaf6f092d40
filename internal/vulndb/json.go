package vulndb

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Small JSON arrays (aliases, ids, keys, CVE lists) are stored as JSON
// so that SQLite's json functions and a person with the sqlite3 shell can
// read them. The store writes and reads them on every record, so these
// helpers do it directly instead of through encoding/json's reflection.

// appendJSONString appends s as a JSON string. The store writes many small
// JSON arrays per record; this avoids encoding/json's reflection on the
// import path. Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// jsonStrings encodes a string list as a JSON array, "[]" when empty.
func jsonStrings(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	b := make([]byte, 0, 16*len(ss))
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return string(append(b, ']'))
}

// jsonInts encodes integers as a JSON array.
func jsonInts(ns []int64) string {
	b := []byte{'['}
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return string(append(b, ']'))
}

// parseJSONStrings reads a JSON array of strings, such as jsonStrings
// writes, without encoding/json: a lookup reads one per match. Elements
// without escapes are substrings of s; the others, and invalid UTF-8, go
// through encoding/json.
func parseJSONStrings(s string) ([]string, error) {
	bad := func() ([]string, error) { return nil, fmt.Errorf("%w: JSON string array %.40q", errCorrupt, s) }
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return bad()
	}
	body := strings.TrimSpace(s[1 : len(s)-1])
	if body == "" {
		return nil, nil
	}
	var out []string
	for {
		if len(body) == 0 || body[0] != '"' {
			return bad()
		}
		// Find the closing quote, noting escapes.
		i, escaped := 1, false
		for ; i < len(body) && body[i] != '"'; i++ {
			if body[i] == '\\' {
				escaped = true
				i++
			}
		}
		if i >= len(body) {
			return bad()
		}
		elem := body[:i+1]
		if escaped || !utf8.ValidString(elem) {
			var u string
			if err := json.Unmarshal([]byte(elem), &u); err != nil {
				return bad()
			}
			out = append(out, u)
		} else {
			out = append(out, elem[1:len(elem)-1])
		}
		body = strings.TrimSpace(body[i+1:])
		if body == "" {
			return out, nil
		}
		if body[0] != ',' {
			return bad()
		}
		body = strings.TrimSpace(body[1:])
	}
}
