// Package composer catalogs PHP packages managed by Composer: those
// installed in a project's vendor directory (vendor/composer/installed.json)
// and those pinned by its composer.lock.
package composer

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/license"
	"github.com/vigilproject/vigil/internal/sbom"
)

// maxFileSize bounds the installed.json and composer.lock files kept in
// memory; those of the largest applications are a few MiB.
const maxFileSize = 16 << 20

// Bounds on what one package may declare.
const (
	maxNameLen    = 256
	maxVersionLen = 128
	maxLicenses   = 32
	maxLicenseLen = 256
)

// entry is a package as installed.json and composer.lock both describe it.
// Only the fields Vigil reports are decoded.
type entry struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	License json.RawMessage `json:"license"`
}

// dep is a package read from a file, checked and ready to report.
type dep struct {
	name, version string
	licenses      []string
	dev           bool
}

// checkEntries turns decoded entries into deps, counting those without a
// valid name and version. devNames marks development packages.
func checkEntries(entries []entry, dev bool, devNames map[string]bool, out []dep) ([]dep, int) {
	skipped := 0
	for _, e := range entries {
		name := strings.ToLower(e.Name)
		if !validName(name) || !validVersion(e.Version) {
			skipped++
			continue
		}
		out = append(out, dep{name: name, version: e.Version, licenses: declaredLicenses(e.License), dev: dev || devNames[name]})
	}
	return out, skipped
}

// declaredLicenses reads "license", which Composer documents as a string or
// an array of strings (alternatives, any of which applies).
func declaredLicenses(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	var list []string
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil
		}
		list = []string{s}
	} else if json.Unmarshal(raw, &list) != nil {
		return nil // another shape: not a licence we can read
	}
	if len(list) > maxLicenses {
		list = list[:maxLicenses]
	}
	return list
}

// validName reports whether s is a Composer package name: "vendor/package",
// each part made of letters, digits, ".", "_" and "-".
func validName(s string) bool {
	if len(s) < 3 || len(s) > maxNameLen {
		return false
	}
	vendor, pkg, ok := strings.Cut(s, "/")
	if !ok || vendor == "" || pkg == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/' && i == len(vendor)) {
			return false
		}
	}
	return true
}

// validVersion rejects what cannot be a version at all. Versions are kept
// as written ("v1.0.2", "dev-main", "2.x-dev"): Composer's own
// normalisation is the version package's business.
func validVersion(s string) bool {
	if s == "" || len(s) > maxVersionLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// newPackage builds a Composer package with its PURL,
// pkg:composer/vendor/package@version.
func newPackage(d dep, location, foundBy string) sbom.Package {
	vendor, name, _ := strings.Cut(d.name, "/")
	return sbom.Package{
		Ecosystem: sbom.Composer,
		Name:      d.name,
		Version:   d.version,
		PURL:      packageurl.NewPackageURL(packageurl.TypeComposer, vendor, name, d.version, nil, "").ToString(),
		Licenses:  licenses(d.licenses),
		Locations: []string{location},
		FoundBy:   foundBy,
		Dev:       d.dev,
	}
}

// licenses turns declared licences into sbom licences, SPDX set when the
// declared value maps to one.
func licenses(declared []string) []sbom.License {
	var out []sbom.License
	for _, v := range declared {
		v = strings.TrimSpace(v)
		if v == "" || len(v) > maxLicenseLen || !utf8.ValidString(v) {
			continue
		}
		l := sbom.License{Value: v}
		if s, ok := license.Normalize(v); ok {
			l.SPDX = s
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
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

// skippedError reports entries left out of a file.
func skippedError(n int) error {
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%d packages without a valid name and version skipped", n)
}

// trimBOM drops a UTF-8 byte-order mark, which editors on Windows leave
// and encoding/json refuses.
func trimBOM(data []byte) []byte {
	return bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
}

// jsonStart returns the first byte of data that is not white space, 0 when
// there is none.
func jsonStart(data []byte) byte {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return 0
	}
	return data[0]
}
