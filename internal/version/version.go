package version

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidVersion is wrapped by every error about a string that cannot be a
// version in the scheme it was given to.
var ErrInvalidVersion = errors.New("invalid version")

// ErrUnknownEcosystem is wrapped by the error For returns for an ecosystem it
// does not know; the Scheme returned alongside it is the fallback.
var ErrUnknownEcosystem = errors.New("unknown ecosystem")

// Version is a parsed version. Compare on two values from the same Scheme
// does not allocate, so parsed versions suit hot loops such as sorting or
// matching one installed version against many advisories.
type Version interface {
	// Compare returns -1, 0 or +1 as v sorts before, equal to or after other.
	// Versions of different schemes never compare equal: they are ordered by
	// scheme name, so a mixed slice still sorts deterministically.
	Compare(other Version) int
	// String returns the version as it was given to Parse.
	String() string

	// scheme names the scheme that parsed the version; it also seals the
	// interface, because Compare relies on knowing every implementation.
	scheme() string
}

// Scheme orders the versions of one family of ecosystems.
type Scheme interface {
	// Name is the scheme's stable name, e.g. "deb" or "pep440".
	Name() string
	// Compare returns -1, 0 or +1 as a sorts before, equal to or after b. It
	// fails only when a or b cannot be a version in this scheme.
	Compare(a, b string) (int, error)
	// Parse parses s once for repeated comparisons.
	Parse(s string) (Version, error)
}

// For returns the Scheme of an ecosystem. Names are those of the OSV schema
// ("Debian", "PyPI", "crates.io" …), optionally with a release suffix after a
// colon ("Debian:12", "Alpine:v3.20"), and Vigil's own sbom ecosystem names
// ("deb", "pypi", "cargo" …); case does not matter. For an ecosystem it does
// not know, For returns the fallback scheme together with an error wrapping
// ErrUnknownEcosystem, so the caller decides whether a generic order will do.
func For(ecosystem string) (Scheme, error) {
	s, ok := lookup(ecosystem)
	if !ok {
		return fallbackScheme{}, fmt.Errorf("version: ecosystem %q: %w", ecosystem, ErrUnknownEcosystem)
	}
	return s, nil
}

// Compare compares two versions of an ecosystem. Unknown ecosystems use the
// fallback scheme (see the package documentation); the error is only for a
// string that cannot be a version in the ecosystem's scheme.
func Compare(ecosystem, a, b string) (int, error) {
	s, _ := lookup(ecosystem)
	return s.Compare(a, b)
}

// Parse parses a version of an ecosystem, with the same ecosystem rules as
// Compare.
func Parse(ecosystem, s string) (Version, error) {
	sc, _ := lookup(ecosystem)
	return sc.Parse(s)
}

// lookup maps an ecosystem name to its scheme; unknown names get the
// fallback and false. It does not allocate, so string Compare stays
// allocation-free.
func lookup(ecosystem string) (Scheme, bool) {
	name := ecosystem
	// "crates.io" and "Photon OS" have no colon; distro names carry their
	// release after the first one ("Red Hat:enterprise_linux:9::appstream").
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	name = strings.TrimSpace(name)
	names := [...]string{
		"Debian", "Ubuntu", "deb",
		"Alpine", "Wolfi", "Chainguard", "MinimOS", "apk",
		"Red Hat", "Rocky Linux", "AlmaLinux", "SUSE", "openSUSE", "Photon OS",
		"Mageia", "openEuler", "Azure Linux", "rpm",
		"npm", "crates.io", "cargo", "Hex", "Go", "golang", "Pub",
		"PyPI", "Maven", "RubyGems", "gem", "NuGet", "Packagist", "composer",
		"CRAN", "Bioconductor", "Hackage", "GHC", "Bitnami",
	}
	canonical := ""
	for _, n := range names {
		if strings.EqualFold(name, n) {
			canonical = n
			break
		}
	}
	switch canonical {
	case "Debian", "Ubuntu", "deb":
		return debScheme{}, true
	case "Alpine", "Wolfi", "Chainguard", "MinimOS", "apk":
		return apkScheme{}, true
	case "Red Hat", "Rocky Linux", "AlmaLinux", "SUSE", "openSUSE", "Photon OS",
		"Mageia", "openEuler", "Azure Linux", "rpm":
		return rpmScheme{}, true
	case "npm", "crates.io", "cargo", "Hex":
		return semverPlain, true
	case "Go", "golang":
		return semverGo, true
	case "Pub":
		return semverPub, true
	case "PyPI":
		return pep440Scheme{}, true
	case "Maven":
		return mavenScheme{}, true
	case "RubyGems", "gem":
		return gemScheme{}, true
	case "NuGet":
		return nugetScheme{}, true
	case "Packagist", "composer":
		return composerScheme{}, true
	case "CRAN", "Bioconductor":
		return cranScheme{}, true
	case "Hackage", "GHC":
		return hackageScheme{}, true
	case "Bitnami":
		return bitnamiScheme{}, true
	}
	return fallbackScheme{}, false
}

// invalid builds the error for a string that is not a version of scheme.
func invalid(scheme, s, why string) error {
	return fmt.Errorf("version: %s %q: %s: %w", scheme, s, why, ErrInvalidVersion)
}

// crossScheme orders two versions of different schemes by scheme name.
func crossScheme(a, b Version) int {
	return strings.Compare(a.scheme(), b.scheme())
}

// sign reduces a comparison result to -1, 0 or +1.
func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
