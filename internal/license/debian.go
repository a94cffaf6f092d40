package license

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on what ParseDebianCopyright reads. Real copyright files are at
// most a few hundred KiB; the limits keep a hostile image from costing more
// than a bounded amount of memory.
const (
	// MaxCopyrightSize is how much of a copyright file is read; the rest
	// is ignored.
	MaxCopyrightSize = 4 << 20
	// maxLine is the longest line considered; longer ones are skipped.
	maxLine = 1 << 20
	// maxSynopsis is the longest licence synopsis kept.
	maxSynopsis = maxExpr
)

// commonLicenses is where Debian ships the texts of common licences;
// copyright files that are not machine-readable point there.
const commonLicenses = "/usr/share/common-licenses/"

// Declared is one licence declared by a package, as written and as an SPDX
// expression. Its fields match sbom.License, so a cataloger converts with
// sbom.License(d).
type Declared struct {
	// SPDX is the SPDX expression Value maps to, or empty when it does not
	// map (see Normalize).
	SPDX string
	// Value is the licence as declared.
	Value string
}

// Debian reads a Debian copyright file (usr/share/doc/<package>/copyright)
// and returns the licences it declares, each with its SPDX mapping. See
// ParseDebianCopyright for what is read.
func Debian(r io.Reader) ([]Declared, error) {
	names, err := ParseDebianCopyright(r)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	out := make([]Declared, len(names))
	for i, n := range names {
		spdx, _ := Normalize(n)
		out[i] = Declared{SPDX: spdx, Value: n}
	}
	return out, nil
}

// ParseDebianCopyright returns the distinct licence names declared by a
// Debian copyright file, in the order first seen.
//
// A machine-readable file (copyright-format 1.0, recognised by the Format
// field of its header stanza) yields the synopsis — the first line — of
// every License field, with white space collapsed: a short name such as
// "GPL-2+" or an expression such as "GPL-1+ or Artistic". Names are
// compared case-insensitively, as the format defines them, and the first
// spelling is kept.
//
// Any other file is free text. From it come the licences it points at under
// /usr/share/common-licenses (".../GPL-2" gives "GPL-2") and the values of
// lines starting "License:" that read as short names rather than prose.
// Finding nothing is not an error.
//
// Only the first MaxCopyrightSize bytes are read and lines longer than
// 1 MiB are skipped. The error is non-nil only when r fails.
func ParseDebianCopyright(r io.Reader) ([]string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, MaxCopyrightSize), 16<<10)
	var (
		s    scan
		line []byte
		long bool // the current line is over maxLine and is being skipped
	)
	for {
		chunk, err := br.ReadSlice('\n')
		if !long && len(line)+len(chunk) > maxLine {
			long, line = true, line[:0]
		}
		if !long {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if long {
			s.skipped()
		} else if len(line) > 0 {
			s.line(line)
		}
		long, line = false, line[:0]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("license: read debian copyright: %w", err)
		}
	}
	if s.machineReadable {
		return s.fields.list, nil
	}
	return s.free.list, nil
}

// scan is the state of one pass over a copyright file. Both readings are
// collected in the same pass, since whether the file is machine-readable
// is known only after its header stanza.
type scan struct {
	lines           int
	started         bool // a non-blank line has been seen
	pastHeader      bool // the first stanza has ended
	machineReadable bool
	fields          names // License field synopses
	free            names // heuristic finds for free-text files
}

func (s *scan) skipped() {
	s.lines++
	s.started = true
}

func (s *scan) line(b []byte) {
	s.lines++
	if s.lines == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(bytes.Trim(b, " \t")) == 0 {
		if s.started {
			s.pastHeader = true
		}
		return
	}
	s.started = true
	if b[0] == '#' {
		return
	}
	s.pointers(b)
	if b[0] == ' ' || b[0] == '\t' {
		return // continuation of a field
	}
	name, value, ok := bytes.Cut(b, []byte(":"))
	if !ok {
		return
	}
	switch {
	case !s.pastHeader && (equalFold(name, "Format") || equalFold(name, "Format-Specification")):
		// Also accepts the URLs of the DEP-5 drafts that preceded 1.0.
		v := strings.ToLower(string(value))
		if strings.Contains(v, "copyright-format") || strings.Contains(v, "dep5") || strings.Contains(v, "dep-5") {
			s.machineReadable = true
		}
	case equalFold(name, "License"):
		v := collapse(value)
		if v == "" || len(v) > maxSynopsis {
			return
		}
		s.fields.add(v)
		if synopsisLike(v) {
			s.free.add(v)
		}
	}
}

// pointers records the /usr/share/common-licenses files that b mentions.
func (s *scan) pointers(b []byte) {
	for {
		i := bytes.Index(b, []byte(commonLicenses))
		if i < 0 {
			return
		}
		b = b[i+len(commonLicenses):]
		n := 0
		for n < len(b) && isNameByte(b[n]) {
			n++
		}
		// A sentence may end right after the path.
		name := strings.TrimRight(string(b[:n]), ".-")
		b = b[n:]
		if name != "" {
			s.free.add(name)
		}
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '+' || c == '_'
}

func equalFold(b []byte, s string) bool { return strings.EqualFold(string(b), s) }

// collapse trims b and replaces runs of white space with one space; it
// also replaces invalid UTF-8, since the names end up in JSON reports.
func collapse(b []byte) string {
	return strings.ToValidUTF8(strings.Join(strings.Fields(string(b)), " "), "\uFFFD")
}

// synopsisLike reports whether v reads as a copyright-format synopsis —
// short names joined by "and", "or" or commas, each optionally followed by
// "with … exception" — rather than a sentence such as "License: The main
// library is licensed under …" found in free-text files.
func synopsisLike(v string) bool {
	const (
		wantName = iota
		haveName // wants an operator or the end
		afterComma
	)
	state := wantName
	words := strings.Fields(v)
	for i := 0; i < len(words); i++ {
		w, comma := strings.CutSuffix(words[i], ",")
		lw := strings.ToLower(w)
		op := lw == "and" || lw == "or"
		switch {
		case w == "":
			return false
		case op && state != wantName && !comma:
			state = wantName
		case lw == "with" && state == haveName:
			// Skip the exception's keywords up to "exception".
			j := i + 1
			for j < len(words) && !strings.EqualFold(strings.TrimSuffix(words[j], ","), "exception") {
				j++
			}
			if j == i+1 || j == len(words) {
				return false
			}
			i = j
			state = haveName
			if strings.HasSuffix(words[j], ",") {
				state = afterComma
			}
		case !op && lw != "with" && state != haveName:
			state = haveName
			if comma {
				state = afterComma
			}
		default:
			return false
		}
	}
	return state == haveName
}

// names is a list of distinct names in first-seen order.
type names struct {
	list []string
	seen map[string]bool
}

func (n *names) add(v string) {
	k := strings.ToLower(v)
	if n.seen[k] {
		return
	}
	if n.seen == nil {
		n.seen = make(map[string]bool)
	}
	n.seen[k] = true
	n.list = append(n.list, v)
}
