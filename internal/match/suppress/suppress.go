// Package suppress applies user decisions to findings: ignore rules from a
// .vigilignore.yaml file and VEX statements (OpenVEX, CycloneDX VEX) mark
// findings as suppressed so they are reported but do not count.
package suppress

import (
	"fmt"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/advisory"
)

// Apply marks each finding that an unexpired ignore rule or a suppressing
// VEX statement covers. Ignore rules are consulted first, then VEX; a
// finding already suppressed is left alone. It returns one warning per
// expired ignore rule so users notice stale rules.
func Apply(findings []advisory.Finding, now time.Time, ign []*Ignore, vex []*VEX) []string {
	var warnings []string
	for _, ig := range ign {
		if ig == nil {
			continue
		}
		for i := range ig.Rules {
			r := &ig.Rules[i]
			if r.expired(now) {
				warnings = append(warnings, fmt.Sprintf("%s: rule %d (%s, line %d) expired on %s and no longer applies",
					ig.Name, i, r.ID, r.Line, r.Expires.Format(time.DateOnly)))
			}
		}
	}
	for fi := range findings {
		f := &findings[fi]
		if f.Suppressed != nil {
			continue
		}
		if s := matchIgnore(f, now, ign); s != nil {
			f.Suppressed = s
			continue
		}
		f.Suppressed = matchVEX(f, vex)
	}
	return warnings
}

func matchIgnore(f *advisory.Finding, now time.Time, ign []*Ignore) *advisory.Suppression {
	for _, ig := range ign {
		if ig == nil {
			continue
		}
		for i := range ig.Rules {
			r := &ig.Rules[i]
			if r.expired(now) || !idMatches(f, r.ID) || !r.packageMatches(f) {
				continue
			}
			return &advisory.Suppression{
				Kind:          "ignore",
				Justification: r.Reason,
				Statement:     fmt.Sprintf("%s rule %d (line %d)", ig.Name, i, r.Line),
				Expires:       r.Expires,
			}
		}
	}
	return nil
}

// matchVEX picks, among the statements about this finding, the most recent
// one: VEX documents are a history, and a later "affected" overrides an
// earlier "not_affected". Only when that one says not_affected or fixed is
// the finding suppressed.
func matchVEX(f *advisory.Finding, vex []*VEX) *advisory.Suppression {
	fp, err := packageurl.FromString(f.PackagePURL)
	havePURL := err == nil
	var best *statement
	var bestDoc *VEX
	for _, v := range vex {
		if v == nil {
			continue
		}
		for i := range v.statements {
			st := &v.statements[i]
			if !st.idMatches(f) || !havePURL || !st.productMatches(fp, f) {
				continue
			}
			if best == nil || !st.timestamp.Before(best.timestamp) {
				best, bestDoc = st, v
			}
		}
	}
	if best == nil || (best.status != "not_affected" && best.status != "fixed") {
		return nil
	}
	return &advisory.Suppression{
		Kind:          "vex",
		Status:        best.status,
		Justification: best.justification,
		Statement:     bestDoc.Name + " " + best.ref,
	}
}

func idMatches(f *advisory.Finding, id string) bool {
	if strings.EqualFold(f.ID, id) {
		return true
	}
	for _, a := range f.Aliases {
		if strings.EqualFold(a, id) {
			return true
		}
	}
	return false
}

// caseInsensitiveNames lists the PURL types whose namespace and name the
// PURL specification declares case-insensitive (canonically lowercased).
var caseInsensitiveNames = map[string]bool{
	"alpm": true, "apk": true, "bitbucket": true, "composer": true, "deb": true,
	"github": true, "hex": true, "npm": true, "pypi": true,
}

// purlMatches reports whether rule (a PURL from an ignore rule or a VEX
// product) covers pkg. Qualifiers and subpath are ignored: a rule about
// openssl is meant for every architecture. A rule without a version covers
// every version.
func purlMatches(rule, pkg packageurl.PackageURL) bool {
	if !strings.EqualFold(rule.Type, pkg.Type) {
		return false
	}
	t := strings.ToLower(rule.Type)
	eq := func(a, b string) bool {
		if caseInsensitiveNames[t] {
			if t == "pypi" {
				a, b = strings.ReplaceAll(a, "_", "-"), strings.ReplaceAll(b, "_", "-")
			}
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	nsEq := eq(rule.Namespace, pkg.Namespace) || (t == "rpm" && strings.EqualFold(rule.Namespace, pkg.Namespace))
	if !nsEq || !eq(rule.Name, pkg.Name) {
		return false
	}
	return rule.Version == "" || rule.Version == pkg.Version
}

// sourceMatches lets a Debian-style rule naming the source package
// (arch=source, as Ubuntu's VEX does) cover the binary packages built from
// it, which is how the findings carry it.
func sourceMatches(rule, pkg packageurl.PackageURL, f *advisory.Finding) bool {
	if f.SourcePackage == "" || rule.Qualifiers.Map()["arch"] != "source" {
		return false
	}
	src := pkg
	src.Name = f.SourcePackage
	src.Version = f.SourceVersion
	return purlMatches(rule, src)
}

func isImage(p packageurl.PackageURL) bool {
	return strings.EqualFold(p.Type, "oci") || strings.EqualFold(p.Type, "docker")
}
