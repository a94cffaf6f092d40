package catalog

import (
	"fmt"
	"unicode/utf8"
)

// Skips counts the entries a cataloger left out of one file and keeps the
// first reason, so that one warning says what was wrong without listing
// every entry.
type Skips struct {
	n     int
	first string
}

// Add counts an entry left out: what names it ("package 3", `"plug"`
// (line 4)), err says why.
func (s *Skips) Add(what string, err error) {
	s.n++
	if s.n == 1 {
		s.first = what + ": " + err.Error()
	}
}

// Len returns how many entries were left out.
func (s *Skips) Len() int { return s.n }

// Err returns nil when nothing was left out, else an error counting the
// entries (one and many are the noun's two forms: "entry", "entries") and
// giving the first reason.
func (s *Skips) Err(one, many string) error {
	switch s.n {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("1 %s skipped: %s", one, s.first)
	}
	return fmt.Errorf("%d %s skipped, the first: %s", s.n, many, s.first)
}

// Clip cuts s to at most max bytes, at a character boundary, marking the
// cut with "…": for quoting what a file holds in a message.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
