package sbomfile

import (
	"fmt"
	"strconv"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/sbom"
)

// ecosystem maps a purl type onto Vigil's ecosystem; any type Vigil has no
// ecosystem for is Generic.
func ecosystem(purlType string) sbom.Ecosystem {
	switch strings.ToLower(purlType) {
	case packageurl.TypeDebian:
		return sbom.Deb
	case packageurl.TypeApk:
		return sbom.APK
	case packageurl.TypeRPM:
		return sbom.RPM
	case packageurl.TypeGolang:
		return sbom.Golang
	case packageurl.TypeNPM:
		return sbom.NPM
	case packageurl.TypePyPi:
		return sbom.PyPI
	case packageurl.TypeMaven:
		return sbom.Maven
	case packageurl.TypeGem:
		return sbom.Gem
	case packageurl.TypeCargo:
		return sbom.Cargo
	case packageurl.TypeComposer:
		return sbom.Composer
	case packageurl.TypeNuget:
		return sbom.NuGet
	case packageurl.TypeHex:
		return sbom.Hex
	case packageurl.TypePub:
		return sbom.Pub
	case packageurl.TypeBitnami:
		return sbom.Bitnami
	}
	return sbom.Generic
}

// fromPURL builds the package a purl describes: ecosystem, name, version,
// arch and, from the upstream qualifier, source package. The distro
// qualifier of an OS package is returned for the caller to guess the
// inventory's distribution from.
func fromPURL(s string) (p sbom.Package, distro string, err error) {
	u, err := packageurl.FromString(s)
	if err != nil {
		return p, "", fmt.Errorf("package URL %q: %w", s, err)
	}
	q := u.Qualifiers.Map()
	eco := ecosystem(u.Type)
	p = sbom.Package{
		Ecosystem: eco,
		Name:      u.Name,
		Version:   u.Version,
		Arch:      q["arch"],
		PURL:      s,
		Locations: []string{},
		FoundBy:   foundBy,
	}
	switch eco {
	case sbom.Maven:
		if u.Namespace != "" {
			p.Name = u.Namespace + ":" + u.Name
		}
	case sbom.Golang, sbom.NPM, sbom.Composer, sbom.Generic, sbom.Hex:
		// These ecosystems name packages by their full path ("@scope/x",
		// "vendor/x", "github.com/a/b"); the purl splits it at the last
		// slash. A Hex purl's namespace is a private organisation's
		// repository: "acme/foo" is not hex.pm's "foo", and no advisory
		// names it.
		if u.Namespace != "" {
			p.Name = u.Namespace + "/" + u.Name
		}
	}
	up := q["upstream"]
	switch eco {
	case sbom.Deb:
		if name, ver, found := strings.Cut(up, "@"); found {
			p.SourceName, p.SourceVersion = name, ver
		} else if up != "" {
			p.SourceName, p.SourceVersion = up, p.Version
		} else {
			// Vigil and other tools omit upstream when the source package
			// has the binary's name and version.
			p.SourceName, p.SourceVersion = p.Name, p.Version
		}
	case sbom.APK:
		// An apk origin is built at the binary package's version.
		p.SourceName, p.SourceVersion = p.Name, p.Version
		if up != "" {
			p.SourceName = up
		}
	case sbom.RPM:
		epoch := q["epoch"]
		if n, err := strconv.Atoi(epoch); err != nil || n == 0 {
			epoch = ""
		}
		if epoch != "" && !strings.Contains(p.Version, ":") {
			p.Version = epoch + ":" + p.Version
		}
		if name, vr, ok := parseSourceRPM(up); ok {
			p.SourceName, p.SourceVersion = name, vr
			if epoch != "" {
				// A source rpm's file name carries no epoch; the binary's
				// applies, as Vigil's rpm cataloger records it.
				p.SourceVersion = epoch + ":" + vr
			}
		}
	}
	if !eco.IsOS() {
		return p, "", nil
	}
	return p, q["distro"], nil
}

// parseSourceRPM splits a source rpm file name, NAME-VERSION-RELEASE.src.rpm,
// into its name and VERSION-RELEASE.
func parseSourceRPM(file string) (name, versionRelease string, ok bool) {
	base, found := strings.CutSuffix(file, ".src.rpm")
	if !found {
		base, found = strings.CutSuffix(file, ".nosrc.rpm")
	}
	if !found {
		return "", "", false
	}
	rel := strings.LastIndexByte(base, '-')
	if rel <= 0 || rel == len(base)-1 {
		return "", "", false
	}
	ver := strings.LastIndexByte(base[:rel], '-')
	if ver <= 0 || ver == rel-1 {
		return "", "", false
	}
	return base[:ver], base[ver+1:], true
}

// parseDistro reads a purl distro qualifier, "ID-VERSION" ("debian-12",
// "alpine-3.20.3", "opensuse-leap-15.5"): the version starts at the first
// hyphen followed by a digit, since IDs may themselves contain hyphens.
func parseDistro(s string) *sbom.Distro {
	if s == "" {
		return nil
	}
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '-' && s[i+1] >= '0' && s[i+1] <= '9' {
			return &sbom.Distro{ID: strings.ToLower(s[:i]), VersionID: s[i+1:], Source: "purl distro qualifier"}
		}
	}
	return &sbom.Distro{ID: strings.ToLower(s), Source: "purl distro qualifier"}
}

// collector gathers packages and the first distro qualifier seen.
type collector struct {
	inv    *sbom.Inventory
	distro string
}

func (c *collector) add(p sbom.Package, distro string) {
	if c.distro == "" {
		c.distro = distro
	}
	c.inv.Packages = append(c.inv.Packages, p)
}

func (c *collector) finish() *sbom.Inventory {
	if c.inv.Distro == nil {
		c.inv.Distro = parseDistro(c.distro)
	}
	return c.inv
}
