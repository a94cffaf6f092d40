// Package match turns an inventory and the advisory store into findings:
// distribution packages against their own release's data by source package,
// language packages against the OSV ranges of their ecosystem, one finding
// per package and vulnerability.
package match

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// Source answers the one query matching needs: the affected entries naming
// a package in an ecosystem ("Debian:12", "npm" …). *vulndb.DB implements
// it.
type Source interface {
	Affecting(ctx context.Context, ecosystem, pkg string) ([]vulndb.Match, error)
}

// ecosystemChecker is implemented by sources that can tell an ecosystem
// without data from one without matches (*vulndb.DB).
type ecosystemChecker interface {
	HasEcosystem(ctx context.Context, ecosystem string) (bool, error)
}

// Options filter the findings. The zero value reports everything.
type Options struct {
	// MinSeverity drops findings below it; findings of unknown severity are
	// dropped by any MinSeverity above SeverityUnknown.
	MinSeverity advisory.Severity
	// IgnoreUnfixed drops every finding without a fixed version (not-fixed,
	// wont-fix, postponed, unimportant, undetermined).
	IgnoreUnfixed bool
	// KEVOnly keeps only findings in CISA's KEV catalogue.
	KEVOnly bool
	// EPSSMin, when above 0, keeps only findings with an EPSS score at or
	// above it.
	EPSSMin float64
	// IncludeOwned also matches language packages installed by an OS
	// package (Package.OwnedBy) against their ecosystem's advisories. Off by
	// default: the distribution patches them in place, and its own
	// advisories for the owning package already cover them.
	IncludeOwned bool
}

// Result is what Match found.
type Result struct {
	// Findings are sorted by severity (highest first), id, then package.
	Findings []advisory.Finding
	// Warnings say what could not be matched and why (unknown or
	// unsupported distribution, a release without data).
	Warnings []string
}

// Match matches every package of inv against src. It fails only when src
// fails or ctx is done; what cannot be matched is a warning.
func Match(ctx context.Context, inv *sbom.Inventory, src Source, opts Options) (*Result, error) {
	m := &matcher{src: src, opts: opts, inv: inv, cache: map[query][]vulndb.Match{}}
	res := &Result{}
	dist, distWarn := distroOf(inv.Distro)
	osPkgs, osMatched, osWithData := 0, 0, 0
	langPkgs := map[string]int{} // by OSV ecosystem
	for i := range inv.Packages {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		p := &inv.Packages[i]
		var hits []hit
		var err error
		if p.Ecosystem.IsOS() {
			osPkgs++
			if dist == nil || !dist.handles(p.Ecosystem) {
				continue
			}
			osMatched++
			var hasData bool
			hits, hasData, err = m.distroHits(ctx, dist, p)
			if hasData {
				osWithData++
			}
		} else {
			if eco, _, _, ok := languageKey(p); ok && (p.OwnedBy == "" || opts.IncludeOwned) {
				langPkgs[eco]++
			}
			hits, err = m.languageHits(ctx, p)
		}
		if err != nil {
			return nil, err
		}
		res.Findings = append(res.Findings, m.findings(p, dist, hits)...)
	}
	switch {
	case osPkgs == 0:
	case distWarn != "":
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %d OS packages were not matched", distWarn, osPkgs))
	case osMatched < osPkgs:
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d OS packages are not %s packages and were not matched", osPkgs-osMatched, dist.name))
	}
	if dist != nil && osMatched > 0 && osWithData == 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("no advisories for %s (%s) in the database: the release may be end of life or its feed not imported; %d OS packages were not matched",
			dist.name, strings.Join(dist.ecosystems, ", "), osMatched))
	}
	if hc, ok := src.(ecosystemChecker); ok {
		for _, eco := range slices.Sorted(maps.Keys(langPkgs)) {
			has, err := hc.HasEcosystem(ctx, eco)
			if err != nil {
				return nil, fmt.Errorf("match: %s: %w", eco, err)
			}
			if !has {
				res.Warnings = append(res.Warnings, fmt.Sprintf("no advisories for %s in the database (its feed is not imported): %d %s packages were not matched", eco, langPkgs[eco], eco))
			}
		}
	}
	res.Warnings = append(res.Warnings, m.warnings...)
	res.Findings = filter(res.Findings, opts)
	sortFindings(res.Findings)
	return res, nil
}

// query is one (ecosystem, package) lookup.
type query struct{ eco, pkg string }

type matcher struct {
	src      Source
	opts     Options
	inv      *sbom.Inventory
	cache    map[query][]vulndb.Match
	warnings []string
	warned   map[string]bool
}

// affecting asks src once per (ecosystem, package): binaries of one source
// package share their lookups.
func (m *matcher) affecting(ctx context.Context, eco, pkg string) ([]vulndb.Match, error) {
	q := query{eco, pkg}
	if ms, ok := m.cache[q]; ok {
		return ms, nil
	}
	ms, err := m.src.Affecting(ctx, eco, pkg)
	if err != nil {
		return nil, fmt.Errorf("match: %s %s: %w", eco, pkg, err)
	}
	m.cache[q] = ms
	return ms, nil
}

func (m *matcher) warnOnce(key, msg string) {
	if m.warned == nil {
		m.warned = map[string]bool{}
	}
	if !m.warned[key] {
		m.warned[key] = true
		m.warnings = append(m.warnings, msg)
	}
}

func filter(fs []advisory.Finding, o Options) []advisory.Finding {
	return slices.DeleteFunc(fs, func(f advisory.Finding) bool {
		switch {
		case o.IgnoreUnfixed && !f.Fixable():
		case f.Severity < o.MinSeverity:
		case o.KEVOnly && f.KEV == nil:
		case o.EPSSMin > 0 && (f.EPSS == nil || f.EPSS.Score < o.EPSSMin):
		default:
			return false
		}
		return true
	})
}

func sortFindings(fs []advisory.Finding) {
	slices.SortStableFunc(fs, func(a, b advisory.Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.PackageName, b.PackageName),
			cmp.Compare(a.InstalledVersion, b.InstalledVersion),
			cmp.Compare(a.PackagePURL, b.PackagePURL),
			cmp.Compare(a.LayerIndex, b.LayerIndex),
			slices.Compare(a.Locations, b.Locations),
		)
	})
}
