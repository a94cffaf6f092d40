// Package python catalogs Python distributions: those installed in an image
// (dist-info and egg-info metadata, eggs) and those pinned by an
// application's lockfiles (poetry.lock, Pipfile.lock, uv.lock and pinned
// requirements files).
package python

import (
	"cmp"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/sbom"
)

// normalize returns the PEP 503 form of a distribution name: lower case,
// every run of "-", "_" and "." replaced by a single "-". It is the form
// PyPI and advisory databases compare names in.
func normalize(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	inRun := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			if !inRun {
				b.WriteByte('-')
			}
			inRun = true
			continue
		}
		inRun = false
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// validName reports whether s is a distribution name as PEP 508 allows
// them: ASCII letters, digits, ".", "_" and "-", starting and ending with a
// letter or digit.
func validName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if alnum {
			continue
		}
		if (c == '.' || c == '_' || c == '-') && i > 0 && i < len(s)-1 {
			continue
		}
		return false
	}
	return true
}

// validVersion rejects what cannot be a version at all. Versions are kept
// as written: PEP 440 normalisation is the version package's business.
func validVersion(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// newPackage builds a PyPI package with its PURL. name must be normalised.
func newPackage(name, version, location, foundBy string) sbom.Package {
	return sbom.Package{
		Ecosystem: sbom.PyPI,
		Name:      name,
		Version:   version,
		PURL:      packageurl.NewPackageURL(packageurl.TypePyPi, "", name, version, nil, "").ToString(),
		Locations: []string{location},
		FoundBy:   foundBy,
	}
}

// finish sorts packages by name, version and location and merges those
// found twice at the same location: a package stays a development one only
// if every occurrence says so.
func finish(pkgs []sbom.Package) []sbom.Package {
	slices.SortStableFunc(pkgs, func(a, b sbom.Package) int {
		return cmp.Or(
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version),
			strings.Compare(a.Locations[0], b.Locations[0]),
		)
	})
	out := pkgs[:0]
	for _, p := range pkgs {
		if n := len(out); n > 0 {
			q := &out[n-1]
			if q.Name == p.Name && q.Version == p.Version && q.Locations[0] == p.Locations[0] {
				q.Dev = q.Dev && p.Dev
				if len(p.Files) > 0 {
					q.Files = slices.Compact(slices.Sorted(slices.Values(append(q.Files, p.Files...))))
				}
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
