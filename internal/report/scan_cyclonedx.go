package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

// writeScanCycloneDX writes the inventory's CycloneDX 1.6 BOM, built by the
// SBOM encoder so that components and bom-refs are the same as in
// `vigil sbom`, with the findings as its vulnerabilities: one per finding,
// affecting the component of the package it was found in.
func writeScanCycloneDX(w io.Writer, res *ScanResult, opts Options) error {
	bom := cycloneDXBOM(res.Inventory, opts)
	refs := componentRefs(res.Inventory, bom)
	var vulns []cdx.Vulnerability
	ids := uniquer{}
	for _, f := range sortedFindings(res.Findings) {
		ref, ok := refs.find(f)
		if !ok {
			// A finding on a package the inventory does not list (a scan
			// of a bare package list): describe the package so that
			// affects still points at a component.
			c := findingComponent(f, refs.taken)
			comps := []cdx.Component{}
			if bom.Components != nil {
				comps = *bom.Components
			}
			comps = append(comps, c)
			bom.Components = &comps
			refs.add(f, c.BOMRef)
			ref = c.BOMRef
		}
		vulns = append(vulns, cdxVulnerability(f, ref, ids))
	}
	if len(vulns) > 0 {
		bom.Vulnerabilities = &vulns
	}
	var first bytes.Buffer
	if err := encodeCDX(&first, bom); err != nil {
		return err
	}
	bom.SerialNumber = "urn:uuid:" + contentUUID("cyclonedx", first.Bytes())
	return encodeCDX(w, bom)
}

// cdxRefs maps findings to the bom-refs of their packages' components.
type cdxRefs struct {
	// byPURL lists, per PURL (or name@version without one), the packages
	// and their refs, in component order.
	byPURL map[string][]cdxRef
	taken  map[string]bool
}

type cdxRef struct {
	locations []string
	ref       string
}

func findingPURLKey(purl, eco, name, version string) string {
	if purl != "" {
		return purl
	}
	return eco + "\x00" + name + "\x00" + version
}

// componentRefs pairs the inventory's packages with the components
// cycloneDXBOM made of them. It lists them in sortedPackages order after
// the operating-system component, if any, so the pairing is positional.
func componentRefs(inv *sbom.Inventory, bom *cdx.BOM) *cdxRefs {
	r := &cdxRefs{byPURL: map[string][]cdxRef{}, taken: map[string]bool{}}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		r.taken[bom.Metadata.Component.BOMRef] = true
	}
	var comps []cdx.Component
	if bom.Components != nil {
		comps = *bom.Components
	}
	for _, c := range comps {
		r.taken[c.BOMRef] = true
	}
	pkgs := sortedPackages(inv)
	offset := len(comps) - len(pkgs)
	for i, p := range pkgs {
		k := findingPURLKey(p.PURL, string(p.Ecosystem), p.Name, p.Version)
		r.byPURL[k] = append(r.byPURL[k], cdxRef{locations: p.Locations, ref: comps[offset+i].BOMRef})
	}
	return r
}

// find returns the ref of f's package: the one with f's PURL found where
// f says it was, else the first with f's PURL.
func (r *cdxRefs) find(f *advisory.Finding) (string, bool) {
	cands := r.byPURL[findingPURLKey(f.PackagePURL, f.PackageEcosystem, f.PackageName, f.InstalledVersion)]
	if len(cands) == 0 {
		return "", false
	}
	for _, c := range cands {
		if sameStrings(c.locations, f.Locations) {
			return c.ref, true
		}
	}
	return cands[0].ref, true
}

func (r *cdxRefs) add(f *advisory.Finding, ref string) {
	k := findingPURLKey(f.PackagePURL, f.PackageEcosystem, f.PackageName, f.InstalledVersion)
	r.byPURL[k] = append(r.byPURL[k], cdxRef{locations: f.Locations, ref: ref})
	r.taken[ref] = true
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func findingComponent(f *advisory.Finding, taken map[string]bool) cdx.Component {
	p := sbom.Package{
		Ecosystem: sbom.Ecosystem(f.PackageEcosystem), Name: f.PackageName, Version: f.InstalledVersion,
		PURL: f.PackagePURL, Locations: f.Locations, Layer: sbom.LayerRef{Index: f.LayerIndex, DiffID: sbom.Digest(f.LayerDiffID)},
	}
	ref := packageRef(&p)
	for n := 2; taken[ref]; n++ {
		ref = packageRef(&p) + "-" + strconv.Itoa(n)
	}
	c := cdx.Component{
		BOMRef:     ref,
		Type:       cdx.ComponentTypeLibrary,
		Name:       f.PackageName,
		Version:    truncate(f.InstalledVersion, maxCDXVersion),
		PackageURL: f.PackagePURL,
	}
	var props []cdx.Property
	for _, l := range f.Locations {
		props = append(props, cdx.Property{Name: propLocation, Value: l})
	}
	c.Properties = optional(props)
	return c
}

func cdxVulnerability(f *advisory.Finding, ref string, ids uniquer) cdx.Vulnerability {
	v := cdx.Vulnerability{
		BOMRef:      ids.get("vuln:" + f.ID + ":" + findingFingerprint(f)[:16]),
		ID:          f.ID,
		Source:      &cdx.Source{Name: idSource(f.ID), URL: advisoryURL(f.ID)},
		Description: f.Summary,
		Affects:     &[]cdx.Affects{{Ref: ref}},
	}
	if f.InstalledVersion != "" {
		(*v.Affects)[0].Range = &[]cdx.AffectedVersions{{Version: truncate(f.InstalledVersion, maxCDXVersion), Status: cdx.VulnerabilityStatusAffected}}
	}
	if f.Fixable() {
		v.Recommendation = fmt.Sprintf("Upgrade %s to %s.", f.PackageName, strings.Join(f.Fix.Versions, " or "))
		if inBase(f) {
			v.Recommendation += " It comes with the base image: update or rebuild on a newer base."
		}
	}
	if !f.Published.IsZero() {
		v.Published = timestamp(f.Published)
	}
	if !f.Modified.IsZero() {
		v.Updated = timestamp(f.Modified)
	}
	var refs []cdx.VulnerabilityReference
	seen := map[string]bool{f.ID: true}
	for _, a := range f.Aliases {
		if seen[a] || a == "" {
			continue
		}
		seen[a] = true
		refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: idSource(a), URL: advisoryURL(a)}})
	}
	if len(refs) > 0 {
		v.References = &refs
	}
	v.Ratings = cdxRatings(f)
	v.Analysis = cdxAnalysis(f.Suppressed)

	props := []cdx.Property{
		{Name: "vigil:advisory:source", Value: f.Source},
		{Name: "vigil:advisory:id", Value: f.AdvisoryID},
		{Name: "vigil:status", Value: string(f.Status)},
	}
	if f.Fix.Where != "" {
		props = append(props, cdx.Property{Name: "vigil:fix:where", Value: f.Fix.Where})
	}
	for _, fv := range f.Fix.Versions {
		props = append(props, cdx.Property{Name: "vigil:fix:version", Value: fv})
	}
	if k := f.KEV; k != nil {
		props = append(props, cdx.Property{Name: "vigil:kev", Value: "true"},
			cdx.Property{Name: "vigil:kev:dateAdded", Value: k.DateAdded.UTC().Format("2006-01-02")})
		if k.Ransomware {
			props = append(props, cdx.Property{Name: "vigil:kev:ransomware", Value: "true"})
		}
	}
	if e := f.EPSS; e != nil {
		props = append(props,
			cdx.Property{Name: "vigil:epss:score", Value: strconv.FormatFloat(e.Score, 'f', -1, 64)},
			cdx.Property{Name: "vigil:epss:percentile", Value: strconv.FormatFloat(e.Percentile, 'f', -1, 64)})
	}
	v.Properties = &props
	return v
}

// cdxRatings gives Vigil's effective severity first (from the finding's
// source), then every score the advisories carried.
func cdxRatings(f *advisory.Finding) *[]cdx.VulnerabilityRating {
	ratings := []cdx.VulnerabilityRating{{
		Source:   &cdx.Source{Name: cmpOr(f.Source, "vigil")},
		Severity: cdxSeverity(f.Severity),
		Method:   cdx.ScoringMethodOther,
	}}
	for _, s := range f.Scores {
		r := cdx.VulnerabilityRating{Vector: s.Vector}
		if s.Source != "" {
			r.Source = &cdx.Source{Name: s.Source}
		}
		switch s.Type {
		case "CVSS_V2":
			r.Method = cdx.ScoringMethodCVSSv2
		case "CVSS_V3":
			r.Method = cdx.ScoringMethodCVSSv3
			if strings.HasPrefix(s.Vector, "CVSS:3.1/") {
				r.Method = cdx.ScoringMethodCVSSv31
			}
		case "CVSS_V4":
			r.Method = cdx.ScoringMethodCVSSv4
		default:
			r.Method = cdx.ScoringMethodOther
			sev, _ := advisory.ParseSeverity(s.Vector)
			r.Severity = cdxSeverity(sev)
			r.Vector = ""
			r.Justification = s.Vector
		}
		if s.Base > 0 {
			score := s.Base
			r.Score = &score
			if r.Severity == "" {
				r.Severity = cdxSeverity(advisory.FromCVSS(s.Base))
			}
		}
		ratings = append(ratings, r)
	}
	return &ratings
}

func cdxSeverity(s advisory.Severity) cdx.Severity {
	switch s {
	case advisory.SeverityCritical:
		return cdx.SeverityCritical
	case advisory.SeverityHigh:
		return cdx.SeverityHigh
	case advisory.SeverityMedium:
		return cdx.SeverityMedium
	case advisory.SeverityLow:
		return cdx.SeverityLow
	case advisory.SeverityNegligible:
		return cdx.SeverityInfo
	}
	return cdx.SeverityUnknown
}

// cdxAnalysis records why a suppressed finding does not count. A VEX
// statement maps onto CycloneDX's impact analysis; an ignore rule is an
// accepted risk, which CycloneDX expresses as a response, not a state.
func cdxAnalysis(s *advisory.Suppression) *cdx.VulnerabilityAnalysis {
	if s == nil {
		return nil
	}
	a := &cdx.VulnerabilityAnalysis{}
	detail := s.Justification
	switch {
	case s.Kind == "vex" && s.Status == "not_affected":
		a.State = cdx.IASNotAffected
		if j, ok := cdxJustification[s.Justification]; ok {
			a.Justification = j
		}
	case s.Kind == "vex" && s.Status == "fixed":
		a.State = cdx.IASResolved
	default:
		a.Response = &[]cdx.ImpactAnalysisResponse{cdx.IARWillNotFix}
		detail = "Ignored"
		if s.Justification != "" {
			detail += ": " + s.Justification
		}
	}
	if s.Statement != "" {
		detail = strings.TrimSpace(detail + " (" + s.Statement + ")")
	}
	a.Detail = detail
	return a
}

// cdxJustification maps OpenVEX justifications onto CycloneDX's.
var cdxJustification = map[string]cdx.ImpactAnalysisJustification{
	"component_not_present":                             "code_not_present",
	"vulnerable_code_not_present":                       "code_not_present",
	"vulnerable_code_not_in_execute_path":               "code_not_reachable",
	"vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
	"inline_mitigations_already_exist":                  "protected_by_mitigating_control",
}

// idSource names who issues an id, from its prefix.
func idSource(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "NVD"
	case strings.HasPrefix(id, "GHSA-"):
		return "GitHub"
	case strings.HasPrefix(id, "GO-"):
		return "Go"
	case strings.HasPrefix(id, "DSA-"), strings.HasPrefix(id, "DLA-"), strings.HasPrefix(id, "DTSA-"):
		return "Debian"
	}
	return "OSV"
}
