package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vigilproject/vigil/internal/sbom"
)

// offline refuses every URL: schemas resolve only through the resources
// registered from testdata, so a missing one fails instead of fetching.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not in testdata (tests never use the network)", url)
}

// compileSchema compiles the schema with id root from local files, each
// registered under its own $id so that references between them resolve.
func compileSchema(t testing.TB, root string, files ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseLoader(offline{})
	c.AssertFormat()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			t.Fatalf("%s: no $id", f)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	s, err := c.Compile(root)
	if err != nil {
		t.Fatalf("compile %s: %v", root, err)
	}
	return s
}

func cycloneDXSchema(t testing.TB) *jsonschema.Schema {
	dir := filepath.Join("testdata", "schema", "cyclonedx")
	return compileSchema(t, "http://cyclonedx.org/schema/bom-1.6.schema.json",
		filepath.Join(dir, "bom-1.6.schema.json"),
		filepath.Join(dir, "spdx.schema.json"),
		filepath.Join(dir, "jsf-0.82.schema.json"))
}

func spdxSchema(t testing.TB) *jsonschema.Schema {
	return compileSchema(t, "http://spdx.org/rdf/terms/2.3", filepath.Join("testdata", "schema", "spdx-2.3", "spdx-schema.json"))
}

func vigilSchema(t testing.TB) *jsonschema.Schema {
	return compileSchema(t, "https://vigil.dev/schema/vigil-inventory.schema.json", filepath.Join("schema", "vigil-inventory.schema.json"))
}

func validate(t testing.TB, s *jsonschema.Schema, doc []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := s.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			t.Fatalf("output does not validate:\n%v", ve)
		}
		t.Fatal(err)
	}
}

func schemaInventories() map[string]*sbom.Inventory {
	return map[string]*sbom.Inventory{"realistic": testInventory(), "empty": emptyInventory(), "hostile": hostileInventory()}
}

func TestCycloneDXValidatesAgainstOfficialSchema(t *testing.T) {
	s := cycloneDXSchema(t)
	for name, inv := range schemaInventories() {
		t.Run(name, func(t *testing.T) {
			out := encode(t, inv, FormatCycloneDX, testOptions())
			validate(t, s, out)
			checkCycloneDXRefs(t, out)
		})
	}
}

func TestSPDXValidatesAgainstOfficialSchema(t *testing.T) {
	s := spdxSchema(t)
	for name, inv := range schemaInventories() {
		t.Run(name, func(t *testing.T) {
			out := encode(t, inv, FormatSPDX, testOptions())
			validate(t, s, out)
			checkSPDXRules(t, out)
		})
	}
}

func TestJSONValidatesAgainstVigilSchema(t *testing.T) {
	s := vigilSchema(t)
	for name, inv := range schemaInventories() {
		t.Run(name, func(t *testing.T) {
			validate(t, s, encode(t, inv, FormatJSON, testOptions()))
		})
	}
}

// The schema tests would pass on an inventory that leaves a field empty,
// so also check that every JSON field of the sbom types is described in
// the schema (and nothing else is): adding a field to sbom without
// documenting it fails here.
func TestVigilSchemaCoversInventory(t *testing.T) {
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(inventorySchema, &schema); err != nil {
		t.Fatal(err)
	}
	defs := map[reflect.Type]string{
		reflect.TypeFor[sbom.Source]():       "source",
		reflect.TypeFor[sbom.Distro]():       "distro",
		reflect.TypeFor[sbom.BaseImage]():    "baseImage",
		reflect.TypeFor[sbom.Layer]():        "layer",
		reflect.TypeFor[sbom.LayerRef]():     "layerRef",
		reflect.TypeFor[sbom.License]():      "license",
		reflect.TypeFor[sbom.Package]():      "package",
		reflect.TypeFor[sbom.DpkgMetadata](): "dpkgMetadata",
		reflect.TypeFor[sbom.APKMetadata]():  "apkMetadata",
		reflect.TypeFor[sbom.RPMMetadata]():  "rpmMetadata",
	}
	check := func(typ reflect.Type, props map[string]json.RawMessage, where string) {
		var fields []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields = append(fields, name)
			if _, ok := props[name]; !ok {
				t.Errorf("%s.%s (json %q) is not in the schema's %s", typ.Name(), f.Name, name, where)
			}
		}
		for p := range props {
			if !slices.Contains(fields, p) {
				t.Errorf("schema %s has %q, which %s does not", where, p, typ.Name())
			}
		}
	}
	check(reflect.TypeFor[sbom.Inventory](), schema.Properties, "top level")
	for typ, def := range defs {
		d, ok := schema.Defs[def]
		if !ok {
			t.Errorf("schema has no $defs/%s", def)
			continue
		}
		check(typ, d.Properties, "$defs/"+def)
	}
}

var spdxIDRe = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)

// checkSPDXRules checks what the SPDX 2.3 JSON schema leaves to the
// specification's prose: identifier syntax and uniqueness, relationships
// that point at elements which exist, extracted licences for every
// LicenseRef used, and well-formed licence expressions.
func checkSPDXRules(t testing.TB, out []byte) {
	t.Helper()
	var doc struct {
		SPDXID            string `json:"SPDXID"`
		DocumentNamespace string `json:"documentNamespace"`
		Packages          []struct {
			SPDXID           string `json:"SPDXID"`
			LicenseDeclared  string `json:"licenseDeclared"`
			LicenseConcluded string `json:"licenseConcluded"`
		} `json:"packages"`
		Extracted []struct {
			LicenseID string `json:"licenseId"`
		} `json:"hasExtractedLicensingInfos"`
		Relationships []struct {
			A    string `json:"spdxElementId"`
			B    string `json:"relatedSpdxElement"`
			Type string `json:"relationshipType"`
		} `json:"relationships"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^https://vigil\.dev/spdxdocs/[A-Za-z0-9.-]+-[0-9a-f-]{36}$`).MatchString(doc.DocumentNamespace) {
		t.Errorf("documentNamespace %q is not a plain URI", doc.DocumentNamespace)
	}
	ids := map[string]bool{doc.SPDXID: true}
	for _, p := range doc.Packages {
		if !spdxIDRe.MatchString(p.SPDXID) {
			t.Errorf("invalid SPDXID %q", p.SPDXID)
		}
		if ids[p.SPDXID] {
			t.Errorf("duplicate SPDXID %q", p.SPDXID)
		}
		ids[p.SPDXID] = true
	}
	extracted := map[string]bool{}
	for _, e := range doc.Extracted {
		if !regexp.MustCompile(`^LicenseRef-[A-Za-z0-9.-]+$`).MatchString(e.LicenseID) {
			t.Errorf("invalid licenseId %q", e.LicenseID)
		}
		if extracted[e.LicenseID] {
			t.Errorf("duplicate licenseId %q", e.LicenseID)
		}
		extracted[e.LicenseID] = true
	}
	licenseRef := regexp.MustCompile(`LicenseRef-[A-Za-z0-9.-]+`)
	for _, p := range doc.Packages {
		for _, l := range []string{p.LicenseDeclared, p.LicenseConcluded} {
			if l != noAssertion && !validSPDXExpression(l) {
				t.Errorf("%s: licence %q is not an expression", p.SPDXID, l)
			}
			for _, ref := range licenseRef.FindAllString(l, -1) {
				if !extracted[ref] {
					t.Errorf("%s uses %s, which has no hasExtractedLicensingInfos entry", p.SPDXID, ref)
				}
			}
		}
	}
	describes := 0
	for _, r := range doc.Relationships {
		if !ids[r.A] || !ids[r.B] {
			t.Errorf("relationship %s %s %s points at an unknown element", r.A, r.Type, r.B)
		}
		if r.Type == "DESCRIBES" && r.A == "SPDXRef-DOCUMENT" {
			describes++
		}
	}
	if describes != 1 {
		t.Errorf("document DESCRIBES %d elements, want the image alone", describes)
	}
	if len(doc.Relationships) != len(doc.Packages) {
		t.Errorf("%d relationships for %d packages: want DESCRIBES image plus image CONTAINS each other package", len(doc.Relationships), len(doc.Packages))
	}
}

// checkCycloneDXRefs checks what the schema cannot: bom-refs are unique
// and dependencies refer to components that exist.
func checkCycloneDXRefs(t testing.TB, out []byte) {
	t.Helper()
	type comp struct {
		BOMRef string `json:"bom-ref"`
	}
	var bom struct {
		Metadata struct {
			Component comp `json:"component"`
		} `json:"metadata"`
		Components   []comp `json:"components"`
		Dependencies []struct {
			Ref       string   `json:"ref"`
			DependsOn []string `json:"dependsOn"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(out, &bom); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{bom.Metadata.Component.BOMRef: true}
	for _, c := range bom.Components {
		if c.BOMRef == "" || refs[c.BOMRef] {
			t.Errorf("bom-ref %q empty or not unique", c.BOMRef)
		}
		refs[c.BOMRef] = true
	}
	for _, d := range bom.Dependencies {
		for _, r := range append([]string{d.Ref}, d.DependsOn...) {
			if !refs[r] {
				t.Errorf("dependency on unknown bom-ref %q", r)
			}
		}
	}
}

// The copies of the official schemas must stay as published; a local edit
// to make a test pass would defeat their purpose. Their digests are also
// recorded in testdata/README.md.
func TestSchemaFilesUnchanged(t *testing.T) {
	want := map[string]string{
		"cyclonedx/bom-1.6.schema.json":  "3e92dddbc30cf7f6a02b80f0942b1a4cfd4fb1c26f1dfc4310afa9d613cafb93",
		"cyclonedx/spdx.schema.json":     "669315cee4265ad6d742e92d7afb062fb4847abe754d3ade544b7c40482d0a48",
		"cyclonedx/jsf-0.82.schema.json": "a517f9e483e2252debd23d5c62edb72805b6d3932935a6ebb8196745052d2dc3",
		"spdx-2.3/spdx-schema.json":      "ca7fd7cc2c8107c3b6b5976058bb72363e8c072f0e446609d4fe7234860c2894",
	}
	for f, sum := range want {
		data, err := os.ReadFile(filepath.Join("testdata", "schema", filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256Hex(data); got != sum {
			t.Errorf("%s: sha256 %s, want %s", f, got, sum)
		}
	}
}

// The validators must be able to fail: each tampered document breaks one
// rule of its schema and must be rejected.
func TestSchemasRejectInvalidDocuments(t *testing.T) {
	tests := []struct {
		name   string
		format string
		schema func(testing.TB) *jsonschema.Schema
		tamper func(doc map[string]any)
	}{
		{"cyclonedx unknown component type", FormatCycloneDX, cycloneDXSchema, func(d map[string]any) {
			d["components"].([]any)[1].(map[string]any)["type"] = "bogus"
		}},
		{"cyclonedx malformed serial number", FormatCycloneDX, cycloneDXSchema, func(d map[string]any) {
			d["serialNumber"] = "urn:uuid:not-a-uuid"
		}},
		{"cyclonedx licence expression mixed with named licence", FormatCycloneDX, cycloneDXSchema, func(d map[string]any) {
			c := d["components"].([]any)[2].(map[string]any)
			c["licenses"] = append(c["licenses"].([]any), map[string]any{"license": map[string]any{"name": "x"}})
		}},
		{"cyclonedx licence id not on the SPDX list", FormatCycloneDX, cycloneDXSchema, func(d map[string]any) {
			d["components"].([]any)[2].(map[string]any)["licenses"] = []any{map[string]any{"license": map[string]any{"id": "Not-A-Licence"}}}
		}},
		{"spdx package without SPDXID", FormatSPDX, spdxSchema, func(d map[string]any) {
			delete(d["packages"].([]any)[2].(map[string]any), "SPDXID")
		}},
		{"spdx unknown relationship type", FormatSPDX, spdxSchema, func(d map[string]any) {
			d["relationships"].([]any)[0].(map[string]any)["relationshipType"] = "OWNS"
		}},
		{"vigil unknown package field", FormatJSON, vigilSchema, func(d map[string]any) {
			d["packages"].([]any)[0].(map[string]any)["colour"] = "blue"
		}},
		{"vigil wrong schema version", FormatJSON, vigilSchema, func(d map[string]any) {
			d["schemaVersion"] = 2
		}},
		{"vigil malformed digest", FormatJSON, vigilSchema, func(d map[string]any) {
			d["source"].(map[string]any)["manifestDigest"] = "sha256"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(encode(t, testInventory(), tt.format, testOptions()), &doc); err != nil {
				t.Fatal(err)
			}
			tt.tamper(doc)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.schema(t).Validate(v); err == nil {
				t.Error("tampered document validates")
			}
		})
	}
}
