package bitnami

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/catalog"
)

// Bounds on what one component may declare.
const (
	maxNameLen      = 128
	maxVersionLen   = 128
	maxQualifierLen = 64
	maxLicenseLen   = 1024
	maxPURLLen      = 1024
)

// validName reports whether s is a Bitnami component name as PURLs and the
// Bitnami download file names write it: lower case letters, digits, ".",
// "_", "+" and "-", starting with a letter or digit ("postgresql",
// "json-c", "wait-for-port").
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			continue
		}
		if i == 0 || c != '.' && c != '_' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

// validVersion rejects what cannot be a version. Versions are kept as
// written, upstream version and Bitnami revision ("17.2.0-8") or upstream
// version alone ("3.8.3"): ordering them is the version package's business.
func validVersion(s string) bool {
	return len(s) <= maxVersionLen && printable(s)
}

// printable reports whether s is non-empty printable ASCII without spaces.
func printable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// qualifier returns v when it can stand as an arch or distro qualifier,
// "" otherwise.
func qualifier(v string) string {
	if len(v) > maxQualifierLen || !printable(v) {
		return ""
	}
	return v
}

// declaredLicense returns the first of values that states a licence: SPDX
// writes NOASSERTION or NONE where it does not.
func declaredLicense(values ...string) string {
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" || v == "NOASSERTION" || v == "NONE" || len(v) > maxLicenseLen || !utf8.ValidString(v) {
			continue
		}
		return v
	}
	return ""
}

// newComponent checks a component and builds its canonical PURL,
// pkg:bitnami/<name>@<version> with the arch and distro qualifiers when
// known.
func newComponent(name, version, arch, distro, lic string) (component, error) {
	name = strings.ToLower(name)
	if !validName(name) {
		return component{}, fmt.Errorf("invalid name %q", short(name))
	}
	if !validVersion(version) {
		return component{}, fmt.Errorf("invalid version %q", short(version))
	}
	arch, distro = qualifier(arch), qualifier(distro)
	var qs packageurl.Qualifiers
	if arch != "" {
		qs = append(qs, packageurl.Qualifier{Key: "arch", Value: arch})
	}
	if distro != "" {
		qs = append(qs, packageurl.Qualifier{Key: "distro", Value: distro})
	}
	u := packageurl.NewPackageURL(packageurl.TypeBitnami, "", name, version, qs, "")
	return component{name: name, version: version, arch: arch, purl: u.ToString(), license: lic}, nil
}

// fromPURL checks a pkg:bitnami PURL and turns it into a component. The
// version is the PURL's; fallback, the document's versionInfo, stands in
// only when the PURL has none.
func fromPURL(s, fallback, lic string) (component, error) {
	if len(s) > maxPURLLen {
		return component{}, fmt.Errorf("PURL longer than %d bytes", maxPURLLen)
	}
	u, err := packageurl.FromString(s)
	if err != nil {
		return component{}, fmt.Errorf("PURL %q: %w", short(s), err)
	}
	if u.Type != packageurl.TypeBitnami || u.Namespace != "" || u.Subpath != "" {
		return component{}, fmt.Errorf("PURL %q: not a Bitnami component (pkg:bitnami/name@version)", short(s))
	}
	if u.Version == "" {
		u.Version = fallback
	}
	if !validName(u.Name) {
		return component{}, fmt.Errorf("PURL %q: invalid name", short(s))
	}
	if !validVersion(u.Version) {
		return component{}, fmt.Errorf("PURL %q: invalid or missing version", short(s))
	}
	return component{name: u.Name, version: u.Version, arch: qualifier(u.Qualifiers.Map()["arch"]), purl: u.ToString(), license: lic}, nil
}

// short cuts s for an error message.
func short(s string) string { return catalog.Clip(s, 64) }

// trimBOM drops a UTF-8 byte-order mark, which encoding/json refuses.
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
