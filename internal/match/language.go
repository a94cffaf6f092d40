package match

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/sbom"
)

// osvEcosystems maps the inventory's language ecosystems to OSV's.
var osvEcosystems = map[sbom.Ecosystem]string{
	sbom.Golang:   "Go",
	sbom.NPM:      "npm",
	sbom.PyPI:     "PyPI",
	sbom.Maven:    "Maven",
	sbom.Gem:      "RubyGems",
	sbom.Cargo:    "crates.io",
	sbom.Composer: "Packagist",
	sbom.NuGet:    "NuGet",
	sbom.Hex:      "Hex",
	sbom.Pub:      "Pub",
	sbom.Bitnami:  "Bitnami",
}

// languageKey returns the OSV ecosystem, name and version a language
// package is looked up and compared with; ok is false for packages that are
// not matched.
func languageKey(p *sbom.Package) (eco, name, ver string, ok bool) {
	eco, ok = osvEcosystems[p.Ecosystem]
	if !ok {
		return "", "", "", false
	}
	name, ver = strings.TrimSpace(p.Name), strings.TrimSpace(p.Version)
	if name == "" || ver == "" {
		return "", "", "", false
	}
	switch p.Ecosystem {
	case sbom.Golang:
		// A module built from a local directory (the main module, or a
		// dependency replaced by a directory) is not the published code.
		if ver == "(devel)" {
			return "", "", "", false
		}
	case sbom.Hex:
		// A private Hex organisation's package (pkg:hex/acme/foo) is not
		// hex.pm's package of the same name.
		if rest, ok := strings.CutPrefix(p.PURL, "pkg:hex/"); ok {
			if path, _, _ := strings.Cut(rest, "@"); strings.Contains(path, "/") {
				return "", "", "", false
			}
		}
	case sbom.Pub:
		// A package of a private pub repository is not pub.dev's package
		// of the same name.
		if privatePubRepository(p.PURL) {
			return "", "", "", false
		}
	case sbom.Composer:
		// Packagist names are case-insensitive and stored lower case;
		// tags are often "v1.2.3" while advisories name "1.2.3".
		name = strings.ToLower(name)
		if len(ver) > 1 && (ver[0] == 'v' || ver[0] == 'V') && ver[1] >= '0' && ver[1] <= '9' {
			ver = ver[1:]
		}
	}
	// PyPI (PEP 503) and NuGet names are normalised by the store's
	// Affecting, which sees the name as found.
	return eco, name, ver, true
}

// languageHits evaluates a language package against its ecosystem's data.
func (m *matcher) languageHits(ctx context.Context, p *sbom.Package) ([]hit, error) {
	if p.OwnedBy != "" && !m.opts.IncludeOwned {
		return nil, nil
	}
	eco, name, ver, ok := languageKey(p)
	if !ok {
		if p.Ecosystem == sbom.Generic {
			m.warnOnce("generic", "components found by their binary (ecosystem generic) have no advisory ecosystem and were not matched")
		}
		return nil, nil
	}
	ms, err := m.affecting(ctx, eco, name)
	if err != nil {
		return nil, err
	}
	var hits []hit
	for i := range ms {
		h, err := evaluate(eco, ver, &ms[i])
		if err != nil {
			m.warnOnce(eco+"\x00"+name+"\x00"+ver, fmt.Sprintf("%s %s %s: %v; its advisories were not evaluated", eco, name, ver, err))
			continue
		}
		hits = append(hits, h)
	}
	return hits, nil
}

// privatePubRepository reports whether a pub purl names a repository other
// than pub.dev (the repository_url qualifier; pub.dartlang.org is pub.dev's
// former name).
func privatePubRepository(purl string) bool {
	if !strings.Contains(purl, "repository_url") {
		return false
	}
	u, err := packageurl.FromString(purl)
	if err != nil {
		return false
	}
	repo := u.Qualifiers.Map()["repository_url"]
	if repo == "" {
		return false
	}
	if r, err := url.Parse(repo); err == nil && r.Host != "" {
		repo = r.Host
	}
	repo = strings.ToLower(strings.TrimSuffix(repo, "/"))
	return repo != "pub.dev" && repo != "pub.dartlang.org"
}
