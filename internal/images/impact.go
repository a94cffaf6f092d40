package images

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/match"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/version"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// Impact is the answer to "which images does this vulnerability hit?".
type Impact struct {
	ID       string   // the vulnerability's preferred id
	IDs      []string // every id and alias
	Summary  string
	Severity advisory.Severity // the highest of its findings
	KEV      bool
	// DBVersion is the database version the answer was computed with.
	DBVersion int64
	// Total is the number of images hit; Images holds one page of them,
	// in registration order, and Next the cursor of the next page.
	Total  int
	Images []ImpactImage
	Next   string
}

// ImpactOptions page an impact answer.
type ImpactOptions struct {
	// Limit bounds the images returned (0: all).
	Limit int
	// After is the Next of the previous page.
	After string
}

// ImpactImage is one image the vulnerability hits.
type ImpactImage struct {
	Digest     sbom.Digest
	Repository string
	Tag        string
	Base       sbom.BaseImage
	Packages   []ImpactPackage
}

// ImpactPackage is one affected package of an image.
type ImpactPackage struct {
	Ecosystem     sbom.Ecosystem
	Name          string
	Version       string
	SourceName    string
	SourceVersion string
	PURL          string
	Status        advisory.Status
	Fixed         []string // fixed versions, empty when there is no fix
	FixWhere      string   // "base-image" or "application" (or empty)
	Severity      advisory.Severity
	LayerIndex    int
	InBase        bool
	Advisory      string // the source record that decided: "debian/CVE-…"
}

// Impact answers which stored images a vulnerability (any of its ids or
// aliases) hits: the keys its advisories name lead through the reverse
// index to the distinct packages under them; each is evaluated once by the
// matcher against this vulnerability alone, and the affected ones to the
// images holding them. No inventory is read.
func (s *Service) Impact(ctx context.Context, id string) (*Impact, error) {
	return s.ImpactPage(ctx, id, ImpactOptions{})
}

// ImpactPage is Impact, one page of images at a time: only the page's
// images are read, so the answer's cost follows the page, not the fleet.
func (s *Service) ImpactPage(ctx context.Context, id string, opt ImpactOptions) (*Impact, error) {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 256 {
		return nil, fmt.Errorf("%w: vulnerability id %q", ErrBadQuery, id)
	}
	adv, err := s.advisories()
	if err != nil {
		return nil, err
	}
	v, err := adv.Vulnerability(ctx, id)
	if canon := canonicalID(id); errors.Is(err, vulndb.ErrNotFound) && canon != id {
		v, err = adv.Vulnerability(ctx, canon)
	}
	if errors.Is(err, vulndb.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownVuln, id)
	}
	if err != nil {
		return nil, err
	}
	ver, err := adv.Version(ctx)
	if err != nil {
		return nil, err
	}
	out := &Impact{ID: v.ID, IDs: v.IDs, DBVersion: ver, KEV: len(v.KEV) > 0}
	keySet := map[store.Key]bool{}
	for _, r := range v.Records {
		if out.Summary == "" {
			out.Summary = r.Summary
		}
		for _, a := range r.Affected {
			keySet[store.Key{Ecosystem: a.Ecosystem, Name: vulndb.NormalizeName(a.Ecosystem, a.Package)}] = true
		}
	}
	keys := make([]store.Key, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	pkgs, err := s.cfg.Store.PackagesByKey(ctx, keys...)
	if err != nil {
		return nil, err
	}
	hits, err := evaluate(ctx, adv, v, pkgs)
	if err != nil {
		return nil, err
	}
	if len(hits) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(hits))
	for id := range hits {
		ids = append(ids, id)
	}
	posts, err := s.cfg.Store.Postings(ctx, ids)
	if err != nil {
		return nil, err
	}
	after := int64(0)
	if opt.After != "" {
		after, err = strconv.ParseInt(opt.After, 10, 64)
		if err != nil || after <= 0 {
			return nil, fmt.Errorf("%w: cursor %q", ErrBadQuery, opt.After)
		}
	}
	// Postings come in image order: count the images, keep the page's.
	var page []store.Posting
	images, inPage := 0, 0
	for i, p := range posts {
		if i > 0 && posts[i-1].ImageID == p.ImageID {
			if len(page) > 0 && page[len(page)-1].ImageID == p.ImageID {
				page = append(page, p)
			}
			continue
		}
		images++
		if p.ImageID <= after {
			continue
		}
		if opt.Limit > 0 && inPage == opt.Limit {
			if out.Next == "" {
				out.Next = strconv.FormatInt(page[len(page)-1].ImageID, 10)
			}
			continue
		}
		inPage++
		page = append(page, p)
	}
	out.Total = images
	for _, h := range hits {
		out.Severity = max(out.Severity, h.pkg.Severity)
	}
	uses, err := s.cfg.Store.Uses(ctx, page)
	if err != nil {
		return nil, err
	}
	var cur *ImpactImage
	for _, u := range uses {
		h := hits[u.PackageID]
		if cur == nil || cur.Digest != u.Digest {
			out.Images = append(out.Images, ImpactImage{Digest: u.Digest, Repository: u.Repository, Tag: u.Tag, Base: u.Base})
			cur = &out.Images[len(out.Images)-1]
		}
		ip := h.pkg
		ip.LayerIndex, ip.InBase = u.LayerIndex, u.InBase
		ip.FixWhere = ""
		if len(ip.Fixed) > 0 {
			ip.FixWhere = "application"
			if u.InBase {
				ip.FixWhere = "base-image"
			}
		}
		cur.Packages = append(cur.Packages, ip)
	}
	for i := range out.Images {
		slices.SortFunc(out.Images[i].Packages, func(a, b ImpactPackage) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
		})
	}
	return out, nil
}

type impactHit struct{ pkg ImpactPackage }

// evaluate runs the matcher over the distinct indexed packages against
// one vulnerability's records only.
func evaluate(ctx context.Context, adv Advisories, v *vulndb.Vulnerability, pkgs []store.IndexedPackage) (map[int64]impactHit, error) {
	src := onlyVuln{adv: adv, ids: map[string]bool{}}
	for _, id := range v.IDs {
		src.ids[id] = true
	}
	found, err := EvaluatePackages(ctx, src, pkgs)
	if err != nil {
		return nil, err
	}
	hits := map[int64]impactHit{}
	for id, fs := range found {
		for _, f := range fs {
			hits[id] = impactHit{pkg: ImpactPackage{
				Ecosystem: sbom.Ecosystem(f.PackageEcosystem), Name: f.PackageName, Version: f.InstalledVersion,
				SourceName: f.SourcePackage, SourceVersion: f.SourceVersion, PURL: f.PackagePURL,
				Status: f.Status, Fixed: f.Fix.Versions, Severity: f.Severity, Advisory: f.Source + "/" + f.AdvisoryID,
			}}
		}
	}
	return hits, nil
}

// EvaluatePackages matches distinct indexed packages, each once, grouped
// by release, and returns the findings of every package given (an empty
// list for one without): what a scan of any image holding the package
// reports for it, less the image's own details (locations, layer).
func EvaluatePackages(ctx context.Context, src match.Source, pkgs []store.IndexedPackage) (map[int64][]advisory.Finding, error) {
	groups := map[string][]store.IndexedPackage{}
	for _, p := range pkgs {
		groups[p.Distro] = append(groups[p.Distro], p)
	}
	out := make(map[int64][]advisory.Finding, len(pkgs))
	for _, p := range pkgs {
		out[p.ID] = []advisory.Finding{}
	}
	for _, g := range groups {
		inv := &sbom.Inventory{SchemaVersion: sbom.SchemaVersion, Distro: g[0].DistroInfo()}
		for _, p := range g {
			inv.Packages = append(inv.Packages, sbom.Package{
				Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, Arch: p.Arch,
				SourceName: p.SourceName, SourceVersion: p.SourceVersion, PURL: p.PURL,
				Locations: []string{strconv.FormatInt(p.ID, 10)},
			})
		}
		res, err := match.Match(ctx, inv, src, match.Options{})
		if err != nil {
			return nil, err
		}
		for _, f := range res.Findings {
			if len(f.Locations) != 1 {
				continue
			}
			id, err := strconv.ParseInt(f.Locations[0], 10, 64)
			if err != nil {
				continue
			}
			f.Locations = nil
			out[id] = append(out[id], f)
		}
	}
	return out, nil
}

// onlyVuln answers the matcher's lookups with one vulnerability's records.
type onlyVuln struct {
	adv Advisories
	ids map[string]bool
}

func (o onlyVuln) Affecting(ctx context.Context, eco, pkg string) ([]vulndb.Match, error) {
	ms, err := o.adv.Affecting(ctx, eco, pkg)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ms, func(m vulndb.Match) bool {
		if o.ids[m.ID] {
			return false
		}
		for _, a := range m.Aliases {
			if o.ids[a] {
				return false
			}
		}
		return true
	}), nil
}

// PackageQuery selects images by the packages they hold.
type PackageQuery struct {
	// PURL names the package; with a version it matches that version
	// only, without one every version.
	PURL string
	// Range, optional, is a version constraint in the ecosystem's own
	// syntax (">=1.2, <1.4", "< 3.0.14-1~deb12u1").
	Range string
}

// PackageImages is one indexed package and the images holding it.
type PackageImages struct {
	Package store.IndexedPackage
	Images  []store.PackageUse
}

// Packages answers "which images hold this package?" from the index.
func (s *Service) Packages(ctx context.Context, q PackageQuery) ([]PackageImages, error) {
	purl := strings.TrimSpace(q.PURL)
	if !strings.HasPrefix(purl, "pkg:") || len(purl) > 2048 {
		return nil, fmt.Errorf("%w: purl %q: want pkg:TYPE/NAMESPACE/NAME[@VERSION]", ErrBadQuery, q.PURL)
	}
	base := store.PURLBase(purl)
	wantVer := ""
	if rest := strings.TrimPrefix(purl, base); strings.HasPrefix(rest, "@") {
		wantVer, _, _ = strings.Cut(rest[1:], "?")
		wantVer, _, _ = strings.Cut(wantVer, "#")
	}
	pkgs, err := s.cfg.Store.PackagesByPURL(ctx, base)
	if err != nil {
		return nil, err
	}
	var cons *version.Constraint
	if q.Range != "" {
		if len(pkgs) == 0 {
			return nil, nil
		}
		c, err := version.ParseConstraint(string(pkgs[0].Ecosystem), q.Range)
		if err != nil {
			return nil, fmt.Errorf("%w: range %q: %v", ErrBadQuery, q.Range, err)
		}
		cons = &c
	}
	var ids []int64
	keep := map[int64]store.IndexedPackage{}
	for _, p := range pkgs {
		if wantVer != "" && p.Version != wantVer && !strings.EqualFold(p.Version, unescapeVersion(wantVer)) {
			continue
		}
		if cons != nil {
			ok, err := cons.Check(p.Version)
			if err != nil || !ok {
				continue
			}
		}
		ids = append(ids, p.ID)
		keep[p.ID] = p
	}
	uses, err := s.cfg.Store.PackageUses(ctx, ids)
	if err != nil {
		return nil, err
	}
	byPkg := map[int64]*PackageImages{}
	for _, u := range uses {
		pi := byPkg[u.PackageID]
		if pi == nil {
			pi = &PackageImages{Package: keep[u.PackageID]}
			byPkg[u.PackageID] = pi
		}
		pi.Images = append(pi.Images, u)
	}
	out := make([]PackageImages, 0, len(byPkg))
	for _, pi := range byPkg {
		slices.SortFunc(pi.Images, func(a, b store.PackageUse) int { return cmp.Compare(a.Digest, b.Digest) })
		out = append(out, *pi)
	}
	slices.SortFunc(out, func(a, b PackageImages) int {
		return cmp.Or(cmp.Compare(a.Package.Version, b.Package.Version), cmp.Compare(a.Package.ID, b.Package.ID))
	})
	return out, nil
}

// unescapeVersion decodes a PURL version's percent-escapes
// ("2.5.0-1%2Bdeb12u2" → "2.5.0-1+deb12u2").
func unescapeVersion(v string) string {
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// canonicalID spells an id as the databases do: prefixes in upper case,
// GHSA's body in lower case ("ghsa-XXXX-…" → "GHSA-xxxx-…"), CVE, DSA, GO
// and the like wholly in upper case.
func canonicalID(id string) string {
	prefix, rest, ok := strings.Cut(id, "-")
	if !ok {
		return id
	}
	prefix = strings.ToUpper(prefix)
	if prefix == "GHSA" {
		return prefix + "-" + strings.ToLower(rest)
	}
	return prefix + "-" + strings.ToUpper(rest)
}
