// Package pub finds Dart and Flutter packages of the pub.dev registry (OSV
// ecosystem "Pub"): those pinned by pubspec.lock files and those unpacked
// in a pub cache (.pub-cache/hosted).
package pub

import (
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/sbom"

	"github.com/vigilproject/vigil/internal/catalog"
)

// Bounds on what is read.
const (
	// maxLockSize bounds a pubspec.lock: pub writes some 230 bytes a
	// package, so the largest real applications (a few hundred packages)
	// stay under 200 KiB, and 1 MiB is over 4,000 packages. The bound is
	// kept low because parsing YAML into nodes allocates up to 120 times
	// the size of the text.
	maxLockSize = 1 << 20
	// maxPubspecSize bounds a pubspec.yaml in the pub cache; real ones are
	// a few KiB.
	maxPubspecSize = 256 << 10

	maxNameLen    = 128
	maxVersionLen = 128
	maxURLLen     = 2048
)

// Default repository hosts: pub.dartlang.org is pub.dev's former name,
// still written in lockfiles and cache directories by pub before Dart 2.19.
const (
	pubDev        = "pub.dev"
	pubDartlang   = "pub.dartlang.org"
	repoQualifier = "repository_url"
)

// dep is a package read from a file, checked and ready to report.
type dep struct {
	name, version string
	// repo is the hosted repository's URL, normalised as pub does; empty
	// for pub.dev.
	repo string
}

// validName reports whether s can be a pub package name: a Dart
// identifier of ASCII letters, digits and underscores. pub.dev only takes
// lower-case names; other repositories may hold upper-case ones.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// semver is the version syntax pub accepts (package pub_semver): every
// hosted package version is a full semantic version.
var semver = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// validVersion reports whether s is a version pub could have written.
func validVersion(s string) bool {
	return len(s) <= maxVersionLen && semver.MatchString(s)
}

// hostedRepository normalises the URL of a hosted repository as pub does
// (http or https, a host, no user, query or fragment; a path ends with a
// slash, a bare "/" is dropped) and returns "" for pub.dev under either of
// its names.
func hostedRepository(raw string) (string, error) {
	if len(raw) > maxURLLen || !utf8.ValidString(raw) {
		return "", fmt.Errorf("invalid hosted url %q", short(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("invalid hosted url %q", short(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("invalid hosted url %q", short(raw))
	}
	u.Host = strings.ToLower(u.Host)
	u.RawPath = ""
	p := u.Path
	if p != "" {
		// url.URL keeps dot segments; pub removes them.
		p = cleanPath(p)
	}
	u.Path = p
	if (u.Host == pubDev || u.Host == pubDartlang) && p == "" {
		return "", nil
	}
	return u.String(), nil
}

// cleanPath removes dot segments and doubled slashes from an absolute URL
// path and ends it with a slash; "/" becomes "".
func cleanPath(p string) string {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 {
		return ""
	}
	return "/" + strings.Join(segs, "/") + "/"
}

// newPackage builds a pub package with its PURL: pkg:pub/name@version,
// qualified with repository_url when it comes from a repository other than
// pub.dev, so that it is not taken for pub.dev's package of that name.
func newPackage(d dep, location, foundBy string) sbom.Package {
	return sbom.Package{
		Ecosystem: sbom.Pub,
		Name:      d.name,
		Version:   d.version,
		PURL:      purl(d),
		Locations: []string{location},
		FoundBy:   foundBy,
	}
}

// purl builds the package URL of d. The purl spec has pub names lower case.
func purl(d dep) string {
	var q packageurl.Qualifiers
	if d.repo != "" {
		q = packageurl.Qualifiers{{Key: repoQualifier, Value: d.repo}}
	}
	return packageurl.NewPackageURL(packageurl.TypePub, "", strings.ToLower(d.name), d.version, q, "").ToString()
}

// sortPackages orders packages by name, version, location and PURL, the
// last telling apart packages of one name from different repositories.
func sortPackages(pkgs []sbom.Package) {
	slices.SortStableFunc(pkgs, func(a, b sbom.Package) int {
		return cmp.Or(
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version),
			strings.Compare(a.Locations[0], b.Locations[0]),
			strings.Compare(a.PURL, b.PURL),
		)
	})
}

// readFile reads the file at p, refusing one larger than limit: the core
// keeps only files Wants accepted, but a view may hold more.
func readFile(fsys fs.FS, p string, limit int64) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes, not read", limit)
	}
	return data, nil
}

// short cuts s for an error message.
func short(s string) string { return catalog.Clip(s, 64) }
