// Package dotnet catalogs NuGet packages of .NET applications: those an
// application was built and published with, from its *.deps.json, and those
// a project pins in its packages.lock.json.
package dotnet

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/sbom"
)

// maxFileSize bounds the files kept in memory. The deps.json of a
// self-contained application lists every assembly of the runtime and is a
// few hundred KiB.
const maxFileSize = 16 << 20

// Bounds on a package identity.
const (
	maxNameLen    = 256
	maxVersionLen = 128
)

// validName reports whether s is a NuGet package ID: letters, digits, ".",
// "_" and "-".
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validVersion reports whether s has the shape of a NuGet version: it
// starts with a digit and holds no white space or control characters.
// Versions are kept as written; NuGet's ordering is the version package's
// business.
func validVersion(s string) bool {
	if s == "" || len(s) > maxVersionLen || s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c == '/' {
			return false
		}
	}
	return true
}

// newPackage builds a NuGet package with its PURL. The ID keeps the case
// it was published with: NuGet compares IDs without regard to case, and
// the purl specification leaves nuget names as they are.
func newPackage(name, version, location, foundBy string) sbom.Package {
	return sbom.Package{
		Ecosystem: sbom.NuGet,
		Name:      name,
		Version:   version,
		PURL:      packageurl.NewPackageURL(packageurl.TypeNuget, "", name, version, nil, "").ToString(),
		Locations: []string{location},
		FoundBy:   foundBy,
	}
}

// finish sorts packages by name, version and location and merges those
// found twice at the same location (a package of several target
// frameworks).
func finish(pkgs []sbom.Package) []sbom.Package {
	slices.SortStableFunc(pkgs, func(a, b sbom.Package) int {
		return cmp.Or(
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version),
			strings.Compare(a.Locations[0], b.Locations[0]),
		)
	})
	return slices.CompactFunc(pkgs, func(a, b sbom.Package) bool {
		return a.Name == b.Name && a.Version == b.Version && a.Locations[0] == b.Locations[0]
	})
}

// trimBOM drops a UTF-8 byte-order mark, which Visual Studio writes and
// encoding/json refuses.
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
