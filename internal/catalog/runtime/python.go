package runtime

import (
	"bytes"
	"slices"
)

// maxCandidates bounds the distinct version strings a finder remembers.
const maxCandidates = 16

// pythonFinder looks for PY_VERSION, which the interpreter keeps as a
// string of its own ("3.11.7") for sys.version. Nothing anchors it, so
// the minor version from the file name does (python3.11,
// libpython3.11.so.1.0) and the whole file is read: the version is
// reported only if it is the one such string.
//
// When the linker merges PY_VERSION into the tail of a longer string that
// ends the same way, as pyenv's builds merge it into the install prefix
// ("/root/.pyenv/versions/3.11.7"), only that path is left: it is taken,
// as weaker evidence, when no string of its own is found.
type pythonFinder struct {
	strong, weak []candidate
	anchor       []byte // "3.11."
}

type candidate struct{ version, evidence string }

func newPythonFinder(minor string) *pythonFinder {
	return &pythonFinder{anchor: []byte(minor + ".")}
}

func (f *pythonFinder) find(data []byte, from, limit int) bool {
	// The anchor is searched without the NUL or slash before it: NUL is
	// the commonest byte of a binary, and a search led by it crawls.
	hi := min(limit+len(f.anchor)-1, len(data))
	for i := from; i < limit; {
		j := bytes.Index(data[i:hi], f.anchor)
		if j < 0 {
			break
		}
		i += j
		if i > 0 && (data[i-1] == 0 || data[i-1] == '/') {
			f.match(data, i)
		}
		i++
	}
	return false
}

// match judges the version string starting at data[i]: "3.11.7",
// "3.13.0rc1", "3.12.0a7", then the string's end.
func (f *pythonFinder) match(data []byte, i int) {
	e := nums(data, i, 3, 3)
	if e > 0 {
		e = preRelease(data, e, "a", "b", "rc")
	}
	if e < 0 || !isAt(data, e, 0) {
		return
	}
	c := candidate{version: string(data[i:e])}
	into := &f.strong
	start := i
	if data[i-1] == '/' {
		// The evidence is the whole path, back to the string's start.
		into = &f.weak
		lo := max(i-lookBehind, 0)
		start = lo + bytes.LastIndexByte(data[lo:i], 0) + 1
	}
	c.evidence = printable(data[start:e])
	if len(*into) < maxCandidates && !slices.ContainsFunc(*into, func(x candidate) bool { return x.version == c.version }) {
		*into = append(*into, c)
	}
}

func (f *pythonFinder) result() summary {
	return decide(python, f.strong, f.weak)
}

// decide reports the one version among the strong candidates, or failing
// those the weak ones; several distinct versions are a conflict, reported
// as such and not as a version.
func decide(p product, strong, weak []candidate) summary {
	for _, cs := range [][]candidate{strong, weak} {
		switch len(cs) {
		case 0:
			continue
		case 1:
			return summary{Name: p.String(), Version: cs[0].version, Evidence: cs[0].evidence}
		default:
			s := summary{Name: p.String()}
			for _, c := range cs {
				s.Conflict = append(s.Conflict, c.version)
			}
			slices.Sort(s.Conflict)
			return s
		}
	}
	return summary{}
}
