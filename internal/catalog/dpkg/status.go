package dpkg

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// entry is one stanza of a dpkg status file.
type entry struct {
	line          int // first line of the stanza, from 1
	Package       string
	Version       string
	Architecture  string
	Source        string
	SourceVersion string
	Status        string
	Maintainer    string
	InstalledSize int64
	Section       string
	Priority      string
	Depends       string
	PreDepends    string
	Provides      string
	Conffiles     []string
}

// maxLine bounds one line of a status file; real lines are short.
const maxLine = 1 << 20

// parseStatus reads a dpkg status file (or one status.d file): stanzas of
// RFC 822-like fields separated by blank lines. A stanza without Package or
// Version is skipped and reported, as are lines that are neither a field
// nor a continuation; the rest of the file is kept. name labels warnings.
func parseStatus(data []byte, name string, warn func(string)) []entry {
	var out []entry
	var cur entry
	var field string // last field, for continuation lines
	started := false
	flush := func(endLine int) {
		if !started {
			return
		}
		started = false
		switch {
		case cur.Package == "":
			warn(fmt.Sprintf("dpkg: %s line %d: stanza without Package: skipped", name, cur.line))
		case cur.Version == "":
			warn(fmt.Sprintf("dpkg: %s line %d: package %q has no Version: skipped", name, cur.line, cur.Package))
		default:
			out = append(out, cur)
		}
		cur = entry{}
		field = ""
	}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if len(line) > maxLine {
			warn(fmt.Sprintf("dpkg: %s line %d: line of %d bytes: skipped", name, lineNo, len(line)))
			continue
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			flush(lineNo)
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !started {
				warn(fmt.Sprintf("dpkg: %s line %d: continuation line outside a stanza: skipped", name, lineNo))
				continue
			}
			if field == "Conffiles" {
				if f := strings.Fields(string(line)); len(f) > 0 && strings.HasPrefix(f[0], "/") {
					cur.Conffiles = append(cur.Conffiles, f[0])
				}
			}
			continue
		}
		if line[0] == '#' {
			continue
		}
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(k) == 0 || bytes.ContainsAny(k, " \t") {
			warn(fmt.Sprintf("dpkg: %s line %d: not a field: skipped", name, lineNo))
			continue
		}
		if !started {
			started = true
			cur.line = lineNo
		}
		field = string(k)
		val := strings.TrimSpace(string(v))
		switch field {
		case "Package":
			cur.Package = val
		case "Version":
			cur.Version = val
		case "Architecture":
			cur.Architecture = val
		case "Source":
			cur.Source, cur.SourceVersion = parseSource(val)
		case "Status":
			cur.Status = val
		case "Maintainer":
			cur.Maintainer = val
		case "Installed-Size":
			if n, err := strconv.ParseInt(val, 10, 64); err == nil {
				cur.InstalledSize = n
			}
		case "Section":
			cur.Section = val
		case "Priority":
			cur.Priority = val
		case "Depends":
			cur.Depends = val
		case "Pre-Depends":
			cur.PreDepends = val
		case "Provides":
			cur.Provides = val
		}
	}
	flush(lineNo + 1)
	return out
}

// parseSource splits "name (version)" or "name".
func parseSource(v string) (string, string) {
	name, rest, ok := strings.Cut(v, " ")
	if !ok {
		return v, ""
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
		return name, strings.TrimSpace(rest[1 : len(rest)-1])
	}
	return name, ""
}

// installed reports whether a Status field says the package is installed:
// "want flag state" with state "installed". A status.d stanza may lack the
// field; those are installed by construction.
func (e *entry) installed() bool {
	if e.Status == "" {
		return true
	}
	f := strings.Fields(e.Status)
	return len(f) == 3 && f[2] == "installed"
}
