package report

import (
	_ "embed"
	"encoding/json"
	"io"
	"slices"

	"github.com/vigilproject/vigil/internal/sbom"
)

//go:embed schema/vigil-inventory.schema.json
var inventorySchema []byte

// InventoryJSONSchema returns the JSON Schema (draft 2020-12) of the "json"
// inventory format, for publishing alongside the binary or serving over HTTP.
func InventoryJSONSchema() []byte { return slices.Clone(inventorySchema) }

// writeJSON encodes the inventory in Vigil's own schema. The sbom types'
// field names are that schema; this function only pins the schema version
// and turns absent lists into empty ones so that consumers always see
// arrays where the schema promises them.
func writeJSON(w io.Writer, inv *sbom.Inventory) error {
	out := *inv
	out.SchemaVersion = sbom.SchemaVersion
	if out.Layers == nil {
		out.Layers = []sbom.Layer{}
	}
	out.Packages = make([]sbom.Package, len(inv.Packages))
	copy(out.Packages, inv.Packages)
	for i := range out.Packages {
		if out.Packages[i].Locations == nil {
			out.Packages[i].Locations = []string{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(&out)
}
