package match

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
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
	// byBinary: the distribution's advisories may name binary packages
	// rather than the source package, so a package is looked up under
	// both names.
	byBinary bool
}

// lookup is one (ecosystem, package) a distribution package is looked up
// under, with the version compared there.
type lookup struct{ eco, name, version string }

// lookups returns what a package of d is looked up under: its source
// package (and source version) in each of d's ecosystems, and its own
// name and version too when d's advisories may name binaries.
func (d *distro) lookups(p *sbom.Package) []lookup {
	name, ver := cmp.Or(p.SourceName, p.Name), cmp.Or(p.SourceVersion, p.Version)
	out := make([]lookup, 0, 2*len(d.ecosystems))
	for _, eco := range d.ecosystems {
		out = append(out, lookup{eco, name, ver})
		if d.byBinary && p.Name != name {
			out = append(out, lookup{eco, p.Name, p.Version})
		}
	}
	return out
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
		name := rollingEcosystems[strings.ToLower(d.ID)]
		return &distro{name: name, ecosystems: []string{name}, pkgs: sbom.APK, publisher: strings.ToLower(d.ID)}, ""
	case "sles", "sled", "sles_sap", "sle_hpc":
		return suse(d, major)
	case "opensuse-leap", "opensuse-leap-micro", "opensuse-tumbleweed":
		name := openSUSEEcosystems[strings.ToLower(d.ID)]
		if name != "openSUSE:Tumbleweed" {
			if d.VersionID == "" {
				return nil, fmt.Sprintf("%s release unknown (no VERSION_ID)", d.ID)
			}
			name += d.VersionID
		}
		return &distro{name: name, ecosystems: []string{name}, pkgs: sbom.RPM, publisher: "suse", byBinary: true}, ""
	case "azurelinux", "mariner":
		// CBL-Mariner 2 became Azure Linux; OSV files both under the
		// new name. Packages are looked up under both names, like
		// SUSE's: the data's convention is not the Red Hat one.
		if major == "" {
			return nil, "Azure Linux release unknown (no VERSION_ID)"
		}
		return &distro{name: "Azure Linux " + major, ecosystems: []string{"Azure Linux:" + major}, pkgs: sbom.RPM, publisher: "azurelinux", byBinary: true}, ""
	case "rhel", "centos":
		// CentOS (Linux and Stream) rebuilds RHEL's sources and has no
		// advisories of its own: it is matched against RHEL's, as
		// Trivy and Grype do.
		if major == "" {
			return nil, fmt.Sprintf("%s release unknown (no VERSION_ID)", d.ID)
		}
		// RHEL 8 on splits into BaseOS, AppStream and CodeReady Builder;
		// RHEL 7 and earlier name the Server variant.
		repos := []string{"baseos", "appstream", "crb"}
		if n, err := strconv.Atoi(major); err == nil && n <= 7 {
			repos = []string{"server"}
		}
		var ecos []string
		for _, repo := range repos {
			ecos = append(ecos, "Red Hat:enterprise_linux:"+major+"::"+repo)
		}
		name := "RHEL " + major
		if strings.ToLower(d.ID) == "centos" {
			name = "CentOS " + major + " (with RHEL " + major + "'s advisories)"
		}
		return &distro{name: name, ecosystems: ecos, pkgs: sbom.RPM, publisher: "redhat"}, ""
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

// rollingEcosystems names the advisory ecosystem of rolling distributions,
// which have no releases.
var rollingEcosystems = map[string]string{"wolfi": "Wolfi", "chainguard": "Chainguard"}

// openSUSEEcosystems gives, for an os-release ID of openSUSE, its advisory
// ecosystem, to which the release is appended (Tumbleweed has none).
var openSUSEEcosystems = map[string]string{
	"opensuse-leap":       "openSUSE:Leap ",
	"opensuse-leap-micro": "openSUSE:Leap Micro ",
	"opensuse-tumbleweed": "openSUSE:Tumbleweed",
}

// suseProducts names, for an os-release ID of SUSE Linux Enterprise, the
// product its advisories name.
var suseProducts = map[string]string{
	"sles":     "Linux Enterprise Server",
	"sled":     "Linux Enterprise Desktop",
	"sles_sap": "Linux Enterprise Server for SAP Applications",
	"sle_hpc":  "Linux Enterprise High Performance Computing",
}

// suseModules are the SUSE Linux Enterprise 15 modules whose packages
// make up the systems and container images of the products above: SUSE's
// advisories name a package under the module that ships it ("SUSE:Linux
// Enterprise Module for Basesystem 15 SP6"), not under the product.
var suseModules = []string{
	"Basesystem", "Server Applications", "Desktop Applications", "Development Tools",
	"Containers", "Web and Scripting", "Python 3", "Legacy", "Public Cloud",
}

// suse returns the distribution of a SUSE Linux Enterprise system: its
// product and, from version 15 on, its modules, at its service pack
// (VERSION_ID "15.6" is 15 SP6). Long-term support (LTSS) data is left
// out: its fixes need a subscription, like Ubuntu Pro's.
func suse(d *sbom.Distro, major string) (*distro, string) {
	if major == "" {
		return nil, fmt.Sprintf("%s release unknown (no VERSION_ID)", d.ID)
	}
	release := major
	if _, sp, ok := strings.Cut(d.VersionID, "."); ok && sp != "0" && sp != "" {
		release += " SP" + sp
	}
	product := suseProducts[strings.ToLower(d.ID)]
	ecos := []string{"SUSE:" + product + " " + release}
	if n, err := strconv.Atoi(major); err == nil && n >= 15 {
		for _, m := range suseModules {
			ecos = append(ecos, "SUSE:Linux Enterprise Module for "+m+" "+release)
		}
	}
	return &distro{name: "SUSE " + product + " " + release, ecosystems: ecos, pkgs: sbom.RPM, publisher: "suse", byBinary: true}, ""
}

// distroHits evaluates a distribution package against its release's data,
// by source package and source version (and, where the data names binary
// packages, by its own name and version). hasData reports whether the
// store had anything for the package.
func (m *matcher) distroHits(ctx context.Context, d *distro, p *sbom.Package) (hits []hit, hasData bool, err error) {
	for _, l := range d.lookups(p) {
		ms, err := m.affecting(ctx, l.eco, l.name)
		if err != nil {
			return nil, false, err
		}
		hasData = hasData || len(ms) > 0
		for i := range ms {
			h, err := evaluate(l.eco, l.version, &ms[i])
			if err != nil {
				m.warnOnce(l.eco+"\x00"+l.name+"\x00"+l.version, fmt.Sprintf("%s %s %s: %v; its advisories were not evaluated", l.eco, l.name, l.version, err))
				continue
			}
			hits = append(hits, h)
		}
	}
	return hits, hasData, nil
}
