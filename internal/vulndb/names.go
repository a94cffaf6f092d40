package vulndb

import (
	"strings"
)

// NormalizeName returns the spelling of a package name that the store keys
// on, so that the names an advisory uses and the names a scanner finds meet.
// Apply stores affected entries under it and Affecting applies it to the name
// it is given, so callers pass names as they found them.
//
//   - PyPI: PEP 503 — lower case, runs of '-', '_' and '.' become one '-'
//     ("Foo.Bar_baz" → "foo-bar-baz").
//   - NuGet: lower case; package ids are case-insensitive there.
//   - everything else as given: npm names are case-sensitive and already
//     canonical, Maven "group:artifact" and Go module paths are exact, and
//     distributions key on their source package name.
//
// Surrounding blanks are trimmed in every ecosystem.
func NormalizeName(ecosystem, name string) string {
	name = strings.TrimSpace(name)
	base, _, _ := strings.Cut(ecosystem, ":")
	switch {
	case strings.EqualFold(base, "PyPI"):
		return pep503(name)
	case strings.EqualFold(base, "NuGet"):
		return strings.ToLower(name)
	}
	return name
}

// pep503 normalises a Python project name.
func pep503(name string) string {
	clean := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' || c == '_' || c == '.' || c == '-' && i+1 < len(name) && isSep(name[i+1]) {
			clean = false
			break
		}
	}
	if clean {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isSep(c) {
			for i+1 < len(name) && isSep(name[i+1]) {
				i++
			}
			b.WriteByte('-')
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isSep(c byte) bool { return c == '-' || c == '_' || c == '.' }
