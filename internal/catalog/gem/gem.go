// Package gem catalogs Ruby gems: those installed in an image, from the
// specifications RubyGems writes for each installed gem, and those pinned by
// an application's Gemfile.lock.
package gem

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/license"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Bounds on what one gem may declare; anything beyond is not a real gem.
const (
	maxNameLen     = 256
	maxVersionLen  = 128
	maxPlatformLen = 64
	maxLicenses    = 32
	maxLicenseLen  = 256
)

// validName reports whether s is a gem name as RubyGems accepts them:
// letters, digits, ".", "-" and "_".
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i]) {
			return false
		}
	}
	return true
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_'
}

// validVersion reports whether s has the shape of a Gem::Version: it starts
// with a digit and holds only letters, digits, "." and "-". Versions are
// kept as written; ordering them is the version package's business.
func validVersion(s string) bool {
	if s == "" || len(s) > maxVersionLen || s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validPlatform reports whether s looks like a Gem::Platform string
// ("x86_64-linux", "java", "x64-mingw-ucrt").
func validPlatform(s string) bool {
	if s == "" || len(s) > maxPlatformLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !nameByte(s[i]) {
			return false
		}
	}
	return true
}

// newPackage builds a gem package with its PURL. platform is "" for pure
// Ruby gems (RubyGems' "ruby" platform); any other platform becomes the
// package's Arch and the PURL's platform qualifier.
func newPackage(name, version, platform, location, foundBy string) sbom.Package {
	if platform == "ruby" {
		platform = ""
	}
	var q packageurl.Qualifiers
	if platform != "" {
		q = packageurl.QualifiersFromMap(map[string]string{"platform": platform})
	}
	return sbom.Package{
		Ecosystem: sbom.Gem,
		Name:      name,
		Version:   version,
		Arch:      platform,
		PURL:      packageurl.NewPackageURL(packageurl.TypeGem, "", name, version, q, "").ToString(),
		Locations: []string{location},
		FoundBy:   foundBy,
	}
}

// licenses turns declared licence strings into sbom licences, SPDX set when
// the declared value maps to one.
func licenses(declared []string) []sbom.License {
	var out []sbom.License
	for _, v := range declared {
		v = strings.TrimSpace(v)
		if v == "" || !utf8.ValidString(v) {
			continue
		}
		if len(v) > maxLicenseLen {
			continue // prose, not a licence name
		}
		l := sbom.License{Value: v}
		if s, ok := license.Normalize(v); ok {
			l.SPDX = s
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
		if len(out) == maxLicenses {
			break
		}
	}
	return out
}

// finish sorts packages by name, version and location and merges those
// found twice at the same location.
func finish(pkgs []sbom.Package) []sbom.Package {
	slices.SortStableFunc(pkgs, func(a, b sbom.Package) int {
		return cmp.Or(
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version),
			strings.Compare(a.Locations[0], b.Locations[0]),
			strings.Compare(a.Arch, b.Arch),
		)
	})
	out := pkgs[:0]
	for _, p := range pkgs {
		if n := len(out); n > 0 {
			q := &out[n-1]
			if q.Name == p.Name && q.Version == p.Version && q.Locations[0] == p.Locations[0] && q.Arch == p.Arch {
				if len(q.Licenses) == 0 {
					q.Licenses = p.Licenses
				}
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// clip shortens s for a warning message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
