package report

import (
	_ "embed"
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

//go:embed schema/vigil-scan.schema.json
var scanSchema []byte

// ScanJSONSchema returns the JSON Schema (draft 2020-12) of the "json" scan
// format. It refers to the inventory schema (InventoryJSONSchema) by $id.
func ScanJSONSchema() []byte { return slices.Clone(scanSchema) }

// The wire shape of the "json" scan format; schema/vigil-scan.schema.json
// documents every field.
type scanJSON struct {
	SchemaVersion int              `json:"schemaVersion"`
	GeneratedAt   string           `json:"generatedAt"`
	Tool          scanJSONTool     `json:"tool"`
	Database      scanJSONDatabase `json:"database"`
	Summary       scanJSONSummary  `json:"summary"`
	Findings      []scanJSONFind   `json:"findings"`
	Warnings      []string         `json:"warnings,omitempty"`
	Inventory     *sbom.Inventory  `json:"inventory"`
}

type scanJSONTool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type scanJSONDatabase struct {
	Version int64  `json:"version"`
	Built   string `json:"built,omitempty"`
}

type scanJSONSummary struct {
	Critical   int `json:"critical"`
	High       int `json:"high"`
	Medium     int `json:"medium"`
	Low        int `json:"low"`
	Negligible int `json:"negligible"`
	Unknown    int `json:"unknown"`
	Total      int `json:"total"`
	Fixable    int `json:"fixable"`
	Suppressed int `json:"suppressed"`
	Packages   int `json:"packages"`
}

// scanJSONFind is a finding on the wire: the advisory type's own field
// names, except severity as its name rather than its number, plus the
// derived fixable flag. The outer fields shadow the embedded ones.
type scanJSONFind struct {
	*advisory.Finding
	Severity string `json:"severity"`
	Fixable  bool   `json:"fixable"`
}

func writeScanJSON(w io.Writer, res *ScanResult, opts Options) error {
	sum := summarize(res.Findings)
	out := scanJSON{
		SchemaVersion: ScanSchemaVersion,
		GeneratedAt:   timestamp(opts.now()),
		Tool:          scanJSONTool{Name: "vigil", Version: opts.ToolVersion},
		Database:      scanJSONDatabase{Version: res.DBVersion},
		Summary: scanJSONSummary{
			Critical:   sum.BySeverity["critical"],
			High:       sum.BySeverity["high"],
			Medium:     sum.BySeverity["medium"],
			Low:        sum.BySeverity["low"],
			Negligible: sum.BySeverity["negligible"],
			Unknown:    sum.BySeverity["unknown"],
			Total:      sum.Total,
			Fixable:    sum.Fixable,
			Suppressed: sum.Suppressed,
			Packages:   sum.Packages,
		},
		Findings: []scanJSONFind{},
		Warnings: res.Warnings,
	}
	if !res.DBBuilt.IsZero() {
		out.Database.Built = res.DBBuilt.UTC().Format(time.RFC3339)
	}
	for _, f := range sortedFindings(res.Findings) {
		out.Findings = append(out.Findings, scanJSONFind{Finding: f, Severity: f.Severity.String(), Fixable: f.Fixable()})
	}
	inv := *res.Inventory
	inv.SchemaVersion = sbom.SchemaVersion
	if inv.Layers == nil {
		inv.Layers = []sbom.Layer{}
	}
	inv.Packages = slices.Clone(inv.Packages)
	if inv.Packages == nil {
		inv.Packages = []sbom.Package{}
	}
	for i := range inv.Packages {
		if inv.Packages[i].Locations == nil {
			inv.Packages[i].Locations = []string{}
		}
	}
	out.Inventory = &inv
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(&out)
}
