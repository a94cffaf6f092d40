package match

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigilproject/vigil/internal/sbom"
)

// distro is a distribution release that has advisory data: the ecosystems
// its advisories are stored under, the package manager of its packages, and
// who publishes its own severities.
type distro struct {
	name       string // "Debian 12", for messages
	ecosystems []string
	pkgs       sbom.Ecosystem
	// publisher is the Score.Source of the distribution's own severities.
	publisher string
}

func (d *distro) handles(e sbom.Ecosystem) bool { return e == d.pkgs }

// debianCodenames gives the release of a Debian system whose os-release
// has no VERSION_ID (the tracker keys on codenames, OSV on numbers).
var debianCodenames = map[string]string{
	"jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11",
	"bookworm": "12", "trixie": "13", "forky": "14",
}

// distroOf returns the distribution release of an inventory, or a warning
// saying why its OS packages cannot be matched.
func distroOf(d *sbom.Distro) (*distro, string) {
	if d == nil || d.ID == "" {
		return nil, "no distribution detected (no os-release)"
	}
	if d.Unknown {
		return nil, fmt.Sprintf("distribution %q: release could not be determined", d.ID)
	}
	major, _, _ := strings.Cut(d.VersionID, ".")
	switch strings.ToLower(d.ID) {
	case "debian":
		v := major
		if v == "" {
			v = debianCodenames[strings.ToLower(d.Codename)]
		}
		if v == "" {
			return nil, fmt.Sprintf("Debian release unknown (no VERSION_ID, codename %q): testing and unstable have no per-release advisories", d.Codename)
		}
		return &distro{name: "Debian " + v, ecosystems: []string{"Debian:" + v}, pkgs: sbom.Deb, publisher: "debian"}, ""
	case "ubuntu":
		if d.VersionID == "" {
			return nil, "Ubuntu release unknown (no VERSION_ID)"
		}
		// OSV spells LTS releases "Ubuntu:22.04:LTS" and interim ones
		// "Ubuntu:24.10"; both forms are asked for, so a feed that omits
		// the suffix still matches. Ubuntu Pro (ESM) data is left out: its
		// fixes are not installable without a subscription.
		ecos := []string{"Ubuntu:" + d.VersionID, "Ubuntu:" + d.VersionID + ":LTS"}
		return &distro{name: "Ubuntu " + d.VersionID, ecosystems: ecos, pkgs: sbom.Deb, publisher: "ubuntu"}, ""
	case "alpine":
		parts := strings.SplitN(d.VersionID, ".", 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Sprintf("Alpine release %q not understood", d.VersionID)
		}
		b := "v" + parts[0] + "." + parts[1]
		return &distro{name: "Alpine " + b, ecosystems: []string{"Alpine:" + b}, pkgs: sbom.APK, publisher: "alpine"}, ""
	case "wolfi", "chainguard":
		// Rolling distributions: one advisory set, keyed on the origin
		// package (an apk's source), with apk versions.
		name := map[string]string{"wolfi": "Wolfi", "chainguard": "Chainguard"}[strings.ToLower(d.ID)]
		return &distro{name: name, ecosystems: []string{name}, pkgs: sbom.APK, publisher: strings.ToLower(d.ID)}, ""
	case "rhel":
		if major == "" {
			return nil, "Red Hat Enterprise Linux release unknown (no VERSION_ID)"
		}
		var ecos []string
		for _, repo := range []string{"baseos", "appstream", "crb"} {
			ecos = append(ecos, "Red Hat:enterprise_linux:"+major+"::"+repo)
		}
		return &distro{name: "RHEL " + major, ecosystems: ecos, pkgs: sbom.RPM, publisher: "redhat"}, ""
	case "rocky":
		if major == "" {
			return nil, "Rocky Linux release unknown (no VERSION_ID)"
		}
		return &distro{name: "Rocky Linux " + major, ecosystems: []string{"Rocky Linux:" + major}, pkgs: sbom.RPM, publisher: "rockylinux"}, ""
	case "almalinux":
		if major == "" {
			return nil, "AlmaLinux release unknown (no VERSION_ID)"
		}
		return &distro{name: "AlmaLinux " + major, ecosystems: []string{"AlmaLinux:" + major}, pkgs: sbom.RPM, publisher: "almalinux"}, ""
	}
	return nil, fmt.Sprintf("distribution %q (%s) is not supported", d.ID, d.PrettyName)
}

// distroHits evaluates a distribution package against its release's data,
// by source package and source version. any reports whether the store had
// anything for the source package.
func (m *matcher) distroHits(ctx context.Context, d *distro, p *sbom.Package) (hits []hit, hasData bool, err error) {
	name, ver := p.SourceName, p.SourceVersion
	if name == "" {
		name = p.Name
	}
	if ver == "" {
		ver = p.Version
	}
	for _, eco := range d.ecosystems {
		ms, err := m.affecting(ctx, eco, name)
		if err != nil {
			return nil, false, err
		}
		hasData = hasData || len(ms) > 0
		for i := range ms {
			h, err := evaluate(eco, ver, &ms[i])
			if err != nil {
				m.warnOnce(eco+"\x00"+name+"\x00"+ver, fmt.Sprintf("%s %s %s: %v; its advisories were not evaluated", eco, name, ver, err))
				continue
			}
			hits = append(hits, h)
		}
	}
	return hits, hasData, nil
}
