package match

import (
	"cmp"
	"slices"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

// prefixedCVE returns the CVE inside ids like DEBIAN-CVE-2024-1234 and
// UBUNTU-CVE-2024-1234, which OSV links to the CVE through "upstream" or
// "related" rather than "aliases": the store does not group them with the
// tracker's CVE record, so the matcher does.
func prefixedCVE(id string) (string, bool) {
	i := strings.Index(id, "-CVE-")
	if i <= 0 || strings.ContainsRune(id[:i], '-') {
		return "", false
	}
	cve := id[i+1:]
	year, num, ok := strings.Cut(cve[len("CVE-"):], "-")
	if !ok || len(year) != 4 || len(num) < 4 || !digits(year) || !digits(num) {
		return "", false
	}
	return cve, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ids returns the ids a hit is known by.
func (h *hit) ids() []string {
	out := append([]string{h.m.ID}, h.m.Aliases...)
	for _, id := range out[:len(out):len(out)] {
		if cve, ok := prefixedCVE(id); ok {
			out = append(out, cve)
		}
	}
	return out
}

// groups splits the hits of one package into vulnerabilities: hits that
// share an id, directly or through others, are one vulnerability.
func groups(hits []hit) [][]hit {
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i := range hits {
		for _, id := range hits[i].ids() {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	byRoot := map[int][]hit{}
	var roots []int
	for i := range hits {
		r := find(i)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], hits[i])
	}
	out := make([][]hit, 0, len(roots))
	for _, r := range roots {
		out = append(out, byRoot[r])
	}
	return out
}

// findings turns the hits of one package into findings, one per
// vulnerability it is affected by.
func (m *matcher) findings(p *sbom.Package, d *distro, hits []hit) []advisory.Finding {
	if len(hits) == 0 {
		return nil
	}
	isOS := p.Ecosystem.IsOS()
	if !isOS {
		// Among language sources none outranks another: any that says
		// affected is heard.
		for i := range hits {
			hits[i].rank = 0
		}
	}
	var out []advisory.Finding
	for _, g := range groups(hits) {
		slices.SortFunc(g, func(a, b hit) int {
			return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.m.Source, b.m.Source), cmp.Compare(a.m.ID, b.m.ID))
		})
		// The most authoritative source decides; when the tracker says
		// fixed or not affected, OSV's copy does not overrule it.
		var auth []hit
		for _, h := range g {
			if h.rank == g[0].rank && h.affected {
				auth = append(auth, h)
			}
		}
		if len(auth) == 0 {
			continue
		}
		out = append(out, m.finding(p, d, g, auth))
	}
	return out
}

func (m *matcher) finding(p *sbom.Package, d *distro, g, auth []hit) advisory.Finding {
	primary := auth[0]
	pm := primary.m
	f := advisory.Finding{
		PackagePURL:      p.PURL,
		PackageName:      p.Name,
		PackageEcosystem: string(p.Ecosystem),
		InstalledVersion: p.Version,
		Locations:        p.Locations,
		LayerIndex:       p.Layer.Index,
		LayerDiffID:      string(p.Layer.DiffID),
		InBase:           p.InBase,
		Source:           pm.Source,
		AdvisoryID:       pm.ID,
		Ecosystem:        pm.Affected.Ecosystem,
		Ranges:           pm.Affected.Ranges,
		Status:           primary.status,
		Published:        pm.Published,
		Modified:         pm.Modified,
	}
	// The deciding record's summary, else another source's for the same
	// vulnerability (the Debian tracker often has none).
	f.Summary = pm.Summary
	for i := 0; f.Summary == "" && i < len(g); i++ {
		f.Summary = g[i].m.Summary
	}
	if p.Ecosystem.IsOS() {
		f.SourcePackage = cmp.Or(p.SourceName, p.Name)
		f.SourceVersion = cmp.Or(p.SourceVersion, p.Version)
	}
	var fixes []string
	for _, h := range auth {
		fixes = append(fixes, h.fixes...)
	}
	if len(fixes) > 0 {
		f.Fix.Versions = sortVersions(pm.Affected.Ecosystem, fixes)
		f.Status = advisory.StatusFixed
	}
	switch {
	case p.InBase && m.inv.BaseImage.Known():
		f.Fix.Where = "base-image"
	case p.Ecosystem.IsOS():
		f.Fix.Where = "os-package"
	default:
		f.Fix.Where = "application"
	}

	// Ids: the group's, the CVE first.
	seen := map[string]bool{}
	var ids []string
	for _, h := range g {
		for _, id := range h.ids() {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	f.ID = ids[0]
	for _, id := range ids {
		if strings.HasPrefix(id, "CVE-") {
			f.ID = id
			break
		}
	}
	for _, id := range ids {
		if id != f.ID {
			f.Aliases = append(f.Aliases, id)
		}
	}

	m.severity(&f, d, g, auth)
	enrich(&f, g)
	return f
}

// severity fills Scores, CVSS and the effective Severity: the
// distribution's own rating for its packages, else the highest CVSS v3/v4
// base score, else a vendor's word (GHSA's database severity).
func (m *matcher) severity(f *advisory.Finding, d *distro, g, auth []hit) {
	type key struct{ typ, vector, source string }
	seen := map[key]bool{}
	add := func(s advisory.Score) {
		k := key{s.Type, s.Vector, s.Source}
		if s.Vector == "" || seen[k] {
			return
		}
		seen[k] = true
		f.Scores = append(f.Scores, s)
	}
	for _, h := range g {
		if w := strings.TrimSpace(h.m.Affected.Severity); w != "" {
			add(advisory.Score{Type: "distro", Vector: w, Source: publisherOf(h.m.Source)})
		}
	}
	for _, h := range g {
		for _, s := range h.m.Severity {
			add(s)
		}
	}
	for _, s := range f.Scores {
		if strings.HasPrefix(s.Type, "CVSS_V3") || strings.HasPrefix(s.Type, "CVSS_V4") {
			f.CVSS = max(f.CVSS, s.Base)
		}
	}
	if d != nil && f.SourcePackage != "" {
		// The authoritative entry's own word first, then any severity the
		// distribution published for the advisory.
		for _, h := range auth {
			if sev, ok := advisory.ParseSeverity(h.m.Affected.Severity); ok {
				f.Severity = sev
				return
			}
		}
		for _, s := range f.Scores {
			if s.Type == "distro" && s.Source == d.publisher {
				if sev, ok := advisory.ParseSeverity(s.Vector); ok {
					f.Severity = sev
					return
				}
			}
		}
	}
	if f.CVSS > 0 {
		f.Severity = advisory.FromCVSS(f.CVSS)
		return
	}
	for _, s := range f.Scores {
		if !strings.HasPrefix(s.Type, "CVSS_") {
			if sev, ok := advisory.ParseSeverity(s.Vector); ok && sev > f.Severity {
				f.Severity = sev
			}
		}
	}
}

// publisherOf names who published a per-package severity: the tracker
// feeds by their own name, OSV ecosystems ("osv/Debian") by the
// distribution or ecosystem.
func publisherOf(source string) string {
	if rest, ok := strings.CutPrefix(source, "osv/"); ok {
		rest, _, _ = strings.Cut(rest, ":")
		return strings.ToLower(strings.ReplaceAll(rest, " ", ""))
	}
	return source
}

// enrich attaches the KEV entry (the lowest CVE's, when several CVEs of
// the group are listed) and the highest EPSS score of the group's CVEs.
func enrich(f *advisory.Finding, g []hit) {
	for _, h := range g {
		for i := range h.m.KEV {
			k := h.m.KEV[i]
			if f.KEV == nil || k.CVE < f.KEV.CVE {
				f.KEV = &k
			}
		}
		for i := range h.m.EPSS {
			e := h.m.EPSS[i]
			if f.EPSS == nil || e.Score > f.EPSS.Score {
				f.EPSS = &e
			}
		}
	}
}
