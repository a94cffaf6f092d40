package python

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"path"
	"strings"
	"unicode/utf16"
)

// Bounds on following "-r" includes.
const (
	maxIncludeDepth     = 8
	maxRequirementFiles = 1024 // per image view
)

// parseRequirements reads a pip requirements file and returns its exact
// pins ("name==version", "name[extra]===version") and the files it
// includes with -r. It follows pip's reading: lines ending in a backslash
// continue on the next one, "#" starts a comment at the start of a line or
// after whitespace, per-requirement options (--hash …) and environment
// markers are dropped. Ranges, unpinned names, URLs, editable installs and
// other options are not pins and are ignored.
func parseRequirements(data []byte) (deps []dep, includes []string) {
	data = decodeText(data)
	var pending strings.Builder
	continued := false
	handle := func(line string) {
		line = strings.TrimSpace(stripComment(line))
		if line == "" {
			return
		}
		if line[0] == '-' {
			if inc, ok := includeOption(line); ok {
				includes = append(includes, inc)
			}
			return
		}
		if d, ok := parsePin(line); ok {
			deps = append(deps, d)
		}
	}
	for raw := range bytes.Lines(data) {
		line := strings.TrimRight(string(raw), "\r\n")
		commentLine := strings.HasPrefix(strings.TrimLeft(line, " \t"), "#")
		if strings.HasSuffix(line, `\`) && !commentLine {
			pending.WriteString(strings.Trim(line, `\`))
			continued = true
			continue
		}
		if continued {
			if commentLine {
				line = " " + line // so that it is stripped as a comment
			}
			pending.WriteString(line)
			line = pending.String()
			pending.Reset()
			continued = false
		}
		handle(line)
	}
	if continued {
		handle(pending.String())
	}
	return deps, includes
}

// stripComment cuts a line at a "#" that starts it or follows whitespace.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

// includeOption returns the file of a -r / --requirement option line.
// Constraint files (-c) are not followed: they install nothing.
func includeOption(line string) (string, bool) {
	f := strings.Fields(line)
	switch {
	case f[0] == "-r" || f[0] == "--requirement":
		if len(f) > 1 {
			return f[1], true
		}
	case strings.HasPrefix(f[0], "--requirement="):
		return strings.TrimPrefix(f[0], "--requirement="), true
	case strings.HasPrefix(f[0], "-r") && len(f[0]) > 2:
		return f[0][2:], true
	}
	return "", false
}

// parsePin reads "name[extras] == version ; marker --option …" and
// reports whether it is an exact pin.
func parsePin(line string) (dep, bool) {
	// Options start at the first whitespace-separated token beginning with
	// "-", as pip splits them; the marker at the first ";".
	for i := 1; i < len(line); i++ {
		if line[i] == '-' && (line[i-1] == ' ' || line[i-1] == '\t') {
			line = line[:i]
			break
		}
	}
	if i := strings.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	n := 0
	for n < len(line) && isNameByte(line[n]) {
		n++
	}
	name, rest := line[:n], strings.TrimSpace(line[n:])
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return dep{}, false
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
		rest = strings.TrimSpace(rest[1 : len(rest)-1])
	}
	version, ok := strings.CutPrefix(rest, "===")
	if !ok {
		version, ok = strings.CutPrefix(rest, "==")
	}
	version = strings.TrimSpace(version)
	if !ok || !validName(name) || !validVersion(version) || strings.ContainsAny(version, "*,$;=<>!~") {
		return dep{}, false
	}
	return dep{name: normalize(name), version: version}, true
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// requirementName returns the distribution name a PEP 508 requirement
// starts with ("requests[socks]>=2; python_version<'3.8'" → "requests").
func requirementName(req string) string {
	req = strings.TrimSpace(req)
	n := 0
	for n < len(req) && isNameByte(req[n]) {
		n++
	}
	return req[:n]
}

// decodeText turns a requirements file into UTF-8: Windows tools write
// them in UTF-16 with a byte-order mark ("pip freeze > requirements.txt"
// in PowerShell), others with a UTF-8 one.
func decodeText(data []byte) []byte {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		order = binary.LittleEndian
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		order = binary.BigEndian
	default:
		return bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	}
	data = data[2:]
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = order.Uint16(data[2*i:])
	}
	return []byte(string(utf16.Decode(units)))
}

// requirementsWalk reads requirements files and the files they include,
// each file once per image view, whichever file reached it first.
type requirementsWalk struct {
	fsys fs.FS
	warn func(file string, err error)
	seen map[string]bool
}

func newRequirementsWalk(fsys fs.FS, warn func(string, error)) *requirementsWalk {
	return &requirementsWalk{fsys: fsys, warn: warn, seen: map[string]bool{}}
}

// walk returns the pins of the requirements file at p (relative to the
// image root) and of the files it includes, by file. An included file is
// read only if the image view holds it: the core keeps the files named
// like requirements files, so "-r requirements/base.txt" is followed but
// "-r common.txt" is not.
func (w *requirementsWalk) walk(p string) map[string][]dep {
	out := map[string][]dep{}
	w.visit(p, 0, true, out)
	return out
}

func (w *requirementsWalk) visit(p string, depth int, root bool, out map[string][]dep) {
	if w.seen[p] || len(w.seen) >= maxRequirementFiles {
		return
	}
	data, err := fs.ReadFile(w.fsys, p)
	if err != nil {
		if root {
			w.warn(p, err)
		}
		return
	}
	w.seen[p] = true
	deps, includes := parseRequirements(data)
	if len(deps) > 0 {
		out[p] = deps
	}
	if depth >= maxIncludeDepth {
		return
	}
	for _, inc := range includes {
		if strings.Contains(inc, "://") || strings.HasPrefix(inc, "file:") || strings.Contains(inc, "$") {
			continue
		}
		target := strings.TrimPrefix(resolve(path.Dir(p), inc), "/")
		if target == "" || !fs.ValidPath(target) {
			continue
		}
		w.visit(target, depth+1, false, out)
	}
}
