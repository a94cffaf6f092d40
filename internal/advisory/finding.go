package advisory

import "time"

// Fix says how a finding can be fixed.
type Fix struct {
	// Versions are the fixed versions, lowest first; empty when no fix is
	// released.
	Versions []string `json:"versions,omitempty"`
	// Where says who must act: "base-image" when the package came with the
	// base image (update or rebuild on a newer base), "os-package" when it
	// was added by the image's own layers through the OS package manager,
	// "application" for an application dependency.
	Where string `json:"where,omitempty"`
}

// Finding is one vulnerability in one package of one inventory.
type Finding struct {
	// ID is the primary id: the CVE when the group has one, else the
	// advisory's own id.
	ID string `json:"id"`
	// Aliases are every other id of the vulnerability (GHSA, DSA, GO-…).
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`

	// Package identifies the affected package in the inventory: its PURL,
	// and the key fields to find it without parsing the PURL.
	PackagePURL      string `json:"packagePurl"`
	PackageName      string `json:"packageName"`
	PackageEcosystem string `json:"packageEcosystem"`
	InstalledVersion string `json:"installedVersion"`
	// SourcePackage is the distribution source package the advisory names,
	// for OS packages.
	SourcePackage string `json:"sourcePackage,omitempty"`
	// SourceVersion is the source package's version, the one compared
	// with a distribution's fixed version (bash 5.2.15-2 for the binary
	// 5.2.15-2+b13).
	SourceVersion string   `json:"sourceVersion,omitempty"`
	Locations     []string `json:"locations,omitempty"`
	LayerIndex    int      `json:"layerIndex"`
	LayerDiffID   string   `json:"layerDiffID,omitempty"`
	InBase        bool     `json:"inBase,omitempty"`

	// Why: which source said so, with which ecosystem and range.
	Source     string  `json:"source"`     // feed source: "debian", "osv/Go" …
	AdvisoryID string  `json:"advisoryId"` // the id in that source
	Ecosystem  string  `json:"ecosystem"`  // "Debian:12", "Go" …
	Ranges     []Range `json:"ranges,omitempty"`
	Status     Status  `json:"status"` // affected, not-fixed, wont-fix, postponed, unimportant …
	Fix        Fix     `json:"fix"`

	// Severity is the effective severity (see Scores for where it came
	// from); CVSS is the highest CVSS base score among Scores.
	Severity Severity `json:"severity"`
	CVSS     float64  `json:"cvss,omitempty"`
	Scores   []Score  `json:"scores,omitempty"`
	KEV      *KEV     `json:"kev,omitempty"`
	EPSS     *EPSS    `json:"epss,omitempty"`

	Published time.Time `json:"published,omitzero"`
	Modified  time.Time `json:"modified,omitzero"`

	// Suppressed is set when an ignore rule or a VEX statement applies:
	// the finding is kept for the record but does not count.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// Fixable reports whether a fixed version exists.
func (f *Finding) Fixable() bool { return len(f.Fix.Versions) > 0 }

// Suppression says why a finding does not count.
type Suppression struct {
	// Kind is "ignore" (.vigilignore.yaml) or "vex".
	Kind string `json:"kind"`
	// Status is the VEX status: "not_affected" or "fixed"; empty for ignores.
	Status string `json:"status,omitempty"`
	// Justification is the VEX justification or the ignore rule's reason.
	Justification string `json:"justification,omitempty"`
	// Statement names the document and statement, or the ignore file and rule.
	Statement string    `json:"statement,omitempty"`
	Expires   time.Time `json:"expires,omitzero"`
}
