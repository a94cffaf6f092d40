package match

import (
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// KeysVersion numbers the ways Keys has derived keys. It changes whenever a
// release looks packages up under other keys (a distribution or ecosystem
// it newly matches), so that an inventory server indexed by an older
// release derives its packages' keys again (monitor.Monitor does, once).
// 2: SUSE, openSUSE, Azure Linux, CentOS, Wolfi and Chainguard; RHEL 7
// under its Server variant; Hex, Pub and Bitnami packages.
const KeysVersion = 2

// Keys returns the (ecosystem, package) keys Match looks a package of inv
// up under, normalised as the store keys them: a distribution package under
// its release's ecosystems and source package (and its own name, for
// SUSE's), a language package under
// its OSV ecosystem. A package Match never looks up (an OS package of an
// unsupported release, a component without an ecosystem) has none; owned
// language packages have theirs, since Options.IncludeOwned may ask for
// them. Inventory servers index images by these keys, so that an advisory
// change finds the images it may concern.
func Keys(inv *sbom.Inventory, p *sbom.Package) []vulndb.Key {
	if p.Ecosystem.IsOS() {
		d, _ := distroOf(inv.Distro)
		if d == nil || !d.handles(p.Ecosystem) {
			return nil
		}
		ls := d.lookups(p)
		keys := make([]vulndb.Key, 0, len(ls))
		for _, l := range ls {
			keys = append(keys, vulndb.Key{Ecosystem: l.eco, Package: vulndb.NormalizeName(l.eco, l.name)})
		}
		return keys
	}
	eco, name, _, ok := languageKey(p)
	if !ok {
		return nil
	}
	return []vulndb.Key{{Ecosystem: eco, Package: vulndb.NormalizeName(eco, name)}}
}
