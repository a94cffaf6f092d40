// Package hex finds Hex packages, the Elixir and Erlang packages of hex.pm:
// those pinned by Mix's mix.lock and rebar3's rebar.lock, and those
// installed as applications of a built release (lib/<app>-<vsn>/ebin).
package hex

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Bounds on what one package may declare. Names are atoms, which Erlang
// limits to 255 characters.
const (
	maxNameLen    = 255
	maxVersionLen = 128
)

// dep is a package read from a file, checked and ready to report.
type dep struct {
	name, version string
	// org is the hex.pm organisation of a private package ("hexpm:acme"
	// in mix.lock), empty for public packages.
	org string
}

// validName reports whether s can be a Hex package name: hex.pm takes
// ASCII letters, digits and underscores, starting with a letter.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen || !isLower(s[0]) && !isUpper(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// validVersion rejects what cannot be a version at all. Versions are kept
// as written: release applications may carry any vsn string.
func validVersion(s string) bool {
	if s == "" || len(s) > maxVersionLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// newPackage builds a Hex package with its PURL, pkg:hex/name@version, or
// pkg:hex/org/name@version for a package of a hex.pm organisation (the
// PURL specification's namespace for hex). Hex names are lower case; the
// PURL is lower-cased whatever the file says.
func newPackage(d dep, location, foundBy string) sbom.Package {
	return sbom.Package{
		Ecosystem: sbom.Hex,
		Name:      d.name,
		Version:   d.version,
		PURL:      packageurl.NewPackageURL(packageurl.TypeHex, strings.ToLower(d.org), strings.ToLower(d.name), d.version, nil, "").ToString(),
		Locations: []string{location},
		FoundBy:   foundBy,
	}
}

// dedupe drops repeated packages of one file, keeping the first.
func dedupe(deps []dep) []dep {
	seen := make(map[dep]bool, len(deps))
	out := deps[:0]
	for _, d := range deps {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// sortPackages orders packages by name, version and location.
func sortPackages(pkgs []sbom.Package) {
	slices.SortStableFunc(pkgs, func(a, b sbom.Package) int {
		return cmp.Or(
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version),
			strings.Compare(a.PURL, b.PURL),
			strings.Compare(a.Locations[0], b.Locations[0]),
		)
	})
}

// skipped counts the entries left out of a file (catalog.Skips), each
// named with its line.
type skipped struct{ catalog.Skips }

func (s *skipped) add(label string, line int, format string, args ...any) {
	s.Add(fmt.Sprintf("%s (line %d)", label, line), fmt.Errorf(format, args...))
}

func (s *skipped) err() error { return s.Err("entry", "entries") }

// quote quotes s for a message, cut to a sensible length.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
