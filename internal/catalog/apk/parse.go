package apk

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/sbom"
)

// maxLine bounds one line of the database. Real lines are short (the longest
// are D: and p: lists of a few KiB); anything longer is damage or an attack,
// and is skipped rather than kept in memory as a string.
const maxLine = 1 << 20

// record is one package stanza of the installed database.
type record struct {
	line    int // line of the stanza's first field, for warnings
	name    string
	version string
	arch    string
	license string
	files   []string
	meta    sbom.APKMetadata
}

// parser reads the installed database: stanzas of "K:value" lines separated
// by blank lines, the format apk-tools writes (apk_db_index_write). Unknown
// keys are ignored, as apk itself does, so newer databases still parse.
type parser struct {
	loc  string // absolute path of the database, for warnings
	warn func(string)

	cur     record
	started bool   // cur has at least one field
	dir     string // the current F: directory, which R: entries are relative to
	out     []record
}

// parse returns the well-formed stanzas of data in order. Lines that are not
// "K:value" and stanzas without a name or version are reported through warn
// and skipped. The only error is ctx's.
func parse(ctx context.Context, data []byte, loc string, warn func(string)) ([]record, error) {
	p := &parser{loc: loc, warn: warn}
	for n := 1; len(data) > 0; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		p.line(n, line)
	}
	p.finish()
	return p.out, nil
}

func (p *parser) warnf(n int, format string, args ...any) {
	p.warn(fmt.Sprintf("apk: %s line %d: ", p.loc, n) + fmt.Sprintf(format, args...))
}

func (p *parser) line(n int, line []byte) {
	if len(line) == 0 {
		p.finish()
		return
	}
	if len(line) > maxLine {
		p.warnf(n, "line of %d bytes is longer than %d, skipped", len(line), maxLine)
		return
	}
	if len(line) < 2 || line[1] != ':' {
		p.warnf(n, "not a \"K:value\" line, skipped")
		return
	}
	key := line[0]
	// Most lines are file checksums and permissions that are not kept, so
	// the value becomes a string only for the keys used below.
	value := ""
	if strings.IndexByte("PVALocmUTCIDpFR", key) >= 0 {
		value = string(line[2:])
	}
	if key == 'P' && p.started && p.cur.name != "" {
		// A second name in one stanza means a blank line was lost; keeping
		// both packages is better than merging their fields.
		p.warnf(n, "P: without a blank line before it; starting a new package")
		p.finish()
	}
	if !p.started {
		p.started = true
		p.cur.line = n
	}
	r := &p.cur
	switch key {
	case 'P':
		r.name = value
	case 'V':
		r.version = value
	case 'A':
		r.arch = value
	case 'L':
		r.license = value
	case 'o':
		r.meta.Origin = value
	case 'c':
		r.meta.Commit = value
	case 'm':
		r.meta.Maintainer = value
	case 'U':
		r.meta.URL = value
	case 'T':
		r.meta.Description = value
	case 'C':
		r.meta.Checksum = value
	case 'I':
		size, err := strconv.ParseInt(value, 10, 64)
		if err != nil || size < 0 {
			p.warnf(n, "installed size %q is not a number, ignored", value)
			return
		}
		r.meta.InstalledSize = size
	case 'D':
		r.meta.Depends = strings.Fields(value)
	case 'p':
		r.meta.Provides = strings.Fields(value)
	case 'F':
		p.dir = value
	case 'R':
		if value == "" {
			p.warnf(n, "R: without a file name, ignored")
			return
		}
		// path.Join cleans the result, so odd entries ("..") stay inside the
		// image root rather than naming paths outside it.
		r.files = append(r.files, path.Join("/", p.dir, value))
	}
}

// finish ends the current stanza, keeping it when it names a package.
func (p *parser) finish() {
	if p.started {
		switch {
		case p.cur.name == "" && p.cur.version == "":
			p.warnf(p.cur.line, "package without P: and V:, skipped")
		case p.cur.name == "":
			p.warnf(p.cur.line, "package without P: (version %q), skipped", p.cur.version)
		case p.cur.version == "":
			p.warnf(p.cur.line, "package %q without V:, skipped", p.cur.name)
		default:
			p.out = append(p.out, p.cur)
		}
	}
	p.cur = record{}
	p.started = false
	p.dir = ""
}
