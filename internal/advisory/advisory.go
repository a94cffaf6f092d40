// Package advisory is Vigil's vulnerability vocabulary: advisories as the
// feeds publish them, the packages they affect, and findings. It imports
// only the standard library.
package advisory

import (
	"strings"
	"time"
)

// Severity orders how bad a vulnerability is.
type Severity int

// Severities, in increasing order.
const (
	SeverityUnknown Severity = iota
	SeverityNegligible
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"unknown", "negligible", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name in any case; unknown names, including
// distro urgencies it does not know, give SeverityUnknown and false.
func ParseSeverity(s string) (Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "negligible", "unimportant":
		return SeverityNegligible, true
	case "low":
		return SeverityLow, true
	case "medium", "moderate":
		return SeverityMedium, true
	case "high", "important":
		return SeverityHigh, true
	case "critical":
		return SeverityCritical, true
	}
	return SeverityUnknown, false
}

// FromCVSS maps a CVSS v3/v4 base score to a severity, as NVD does.
func FromCVSS(score float64) Severity {
	switch {
	case score <= 0:
		return SeverityUnknown
	case score < 4:
		return SeverityLow
	case score < 7:
		return SeverityMedium
	case score < 9:
		return SeverityHigh
	}
	return SeverityCritical
}

// Score is one severity statement about a vulnerability.
type Score struct {
	// Type is the OSV severity type: "CVSS_V2", "CVSS_V3", "CVSS_V4", or
	// "Ubuntu", or "distro" for a distribution's urgency.
	Type string `json:"type"`
	// Vector is the CVSS vector string, or the distro's severity word.
	Vector string `json:"vector"`
	// Base is the computed base score, 0 when not computable.
	Base float64 `json:"base,omitempty"`
	// Source names who said it ("nvd", "debian", "ghsa" …).
	Source string `json:"source,omitempty"`
}

// Status is a distribution's verdict on one package in one release.
type Status string

// Statuses carried from the feeds to the findings.
const (
	// StatusAffected: affected, with or without a fix (see the ranges).
	StatusAffected Status = "affected"
	// StatusFixed: fixed in a version named by the ranges.
	StatusFixed Status = "fixed"
	// StatusNotFixed: affected, no fix released yet.
	StatusNotFixed Status = "not-fixed"
	// StatusWontFix: the distribution will not fix it (Debian ignored /
	// no-dsa, Red Hat "will not fix").
	StatusWontFix Status = "wont-fix"
	// StatusPostponed: a fix is postponed to a later update.
	StatusPostponed Status = "postponed"
	// StatusUnimportant: affected but judged not a security problem.
	StatusUnimportant Status = "unimportant"
	// StatusNotAffected: the package in this release is not affected.
	StatusNotAffected Status = "not-affected"
)

// Range is an OSV range: events ordered by version in the ecosystem's
// scheme. Type is "ECOSYSTEM", "SEMVER" or "GIT" (GIT ranges are kept but
// never evaluated).
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Affected says which versions of one package an advisory affects.
type Affected struct {
	// Ecosystem is the OSV ecosystem, with the release for distributions:
	// "Debian:12", "Alpine:v3.20", "npm", "Go".
	Ecosystem string `json:"ecosystem"`
	// Package is the package name as the ecosystem spells it; for
	// distributions it is the source package.
	Package string `json:"package"`
	// PURL, when the source gives one.
	PURL     string   `json:"purl,omitempty"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
	// Status is the distribution's verdict when the source gives one; empty
	// means the ranges and versions say everything.
	Status Status `json:"status,omitempty"`
	// Severity is a per-package severity (distro urgency), when given.
	Severity string `json:"severity,omitempty"`
	// Note carries the distribution's free-text remark (e.g. the no-dsa
	// reason).
	Note string `json:"note,omitempty"`
}

// Advisory is one vulnerability record as one source publishes it.
type Advisory struct {
	// ID is the source's identifier (CVE-2024-1234, GHSA-…, GO-2024-…).
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	// Related are ids the source links without calling them aliases.
	Related []string `json:"related,omitempty"`
	// Source names the feed: "osv", "debian", "alpine", "kev", "epss" …
	Source     string     `json:"source"`
	Summary    string     `json:"summary,omitempty"`
	Details    string     `json:"details,omitempty"`
	Published  time.Time  `json:"published,omitzero"`
	Modified   time.Time  `json:"modified,omitzero"`
	Withdrawn  time.Time  `json:"withdrawn,omitzero"`
	References []string   `json:"references,omitempty"`
	Severity   []Score    `json:"severity,omitempty"`
	Affected   []Affected `json:"affected,omitempty"`
}

// IsWithdrawn reports whether the source withdrew the advisory.
func (a *Advisory) IsWithdrawn() bool { return !a.Withdrawn.IsZero() }

// IDs returns the advisory's id followed by its aliases.
func (a *Advisory) IDs() []string {
	return append([]string{a.ID}, a.Aliases...)
}

// KEV is an entry of CISA's Known Exploited Vulnerabilities catalogue.
type KEV struct {
	CVE            string    `json:"cve"`
	DateAdded      time.Time `json:"dateAdded"`
	DueDate        time.Time `json:"dueDate,omitzero"`
	Ransomware     bool      `json:"knownRansomwareCampaignUse,omitempty"`
	Vendor         string    `json:"vendor,omitempty"`
	Product        string    `json:"product,omitempty"`
	RequiredAction string    `json:"requiredAction,omitempty"`
}

// EPSS is FIRST's exploit prediction for one CVE on one day.
type EPSS struct {
	CVE        string    `json:"cve"`
	Score      float64   `json:"score"`      // probability of exploitation in 30 days, 0..1
	Percentile float64   `json:"percentile"` // 0..1
	Date       time.Time `json:"date"`
}
