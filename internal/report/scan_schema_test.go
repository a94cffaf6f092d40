package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchemaFile is OASIS's final SARIF 2.1.0 schema, errata 01 (see
// testdata/README.md). It is a draft-04 schema, which names itself with
// "id" rather than "$id".
var sarifSchemaFile = filepath.Join("testdata", "schema", "sarif-2.1.0", "sarif-schema-2.1.0.json")

func sarifJSONSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(sarifSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	id := doc.(map[string]any)["id"].(string)
	c := jsonschema.NewCompiler()
	c.UseLoader(offline{})
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile SARIF schema: %v", err)
	}
	return s
}

func openVEXSchema(t testing.TB) *jsonschema.Schema {
	return compileSchema(t, "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json",
		filepath.Join("testdata", "schema", "openvex", "openvex_json_schema.json"))
}

func vigilScanSchema(t testing.TB) *jsonschema.Schema {
	return compileSchema(t, "https://vigil.dev/schema/vigil-scan.schema.json",
		filepath.Join("schema", "vigil-scan.schema.json"),
		filepath.Join("schema", "vigil-inventory.schema.json"))
}

func scanSchemaResults() map[string]*ScanResult {
	return map[string]*ScanResult{"realistic": testScanResult(), "empty": emptyScanResult(), "hostile": hostileScanResult()}
}

func TestScanOutputValidatesAgainstSchemas(t *testing.T) {
	tests := []struct {
		format string
		schema func(testing.TB) *jsonschema.Schema
		check  func(testing.TB, []byte)
	}{
		{FormatJSON, vigilScanSchema, nil},
		{FormatSARIF, sarifJSONSchema, checkSARIFForGitHub},
		{FormatCycloneDX, cycloneDXSchema, checkCycloneDXVulnerabilities},
		{FormatOpenVEX, openVEXSchema, nil},
	}
	for _, tt := range tests {
		s := tt.schema(t)
		for name, res := range scanSchemaResults() {
			t.Run(tt.format+"/"+name, func(t *testing.T) {
				if tt.format == FormatOpenVEX && len(res.Findings) == 0 {
					// OpenVEX requires at least one statement, and a clean
					// scan has nothing to state: no document is written
					// (see TestScanOpenVEXWithoutFindings).
					return
				}
				out := encodeScan(t, res, tt.format, testOptions())
				validate(t, s, out)
				if tt.check != nil {
					tt.check(t, out)
				}
			})
		}
	}
}

// checkSARIFForGitHub checks what GitHub code scanning needs beyond the
// schema: rules with a security-severity, results pointing at their rule,
// relative artifact URIs and a fingerprint.
func checkSARIFForGitHub(t testing.TB, out []byte) {
	t.Helper()
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string `json:"id"`
						Properties struct {
							SecuritySeverity string   `json:"security-severity"`
							Tags             []string `json:"tags"`
						} `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	ids := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if ids[r.ID] {
			t.Errorf("rule %q twice", r.ID)
		}
		ids[r.ID] = true
		if r.Properties.SecuritySeverity == "" || len(r.Properties.Tags) == 0 {
			t.Errorf("rule %q lacks security-severity or tags", r.ID)
		}
	}
	for _, r := range run.Results {
		if r.RuleIndex < 0 || r.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result for %q has wrong ruleIndex %d", r.RuleID, r.RuleIndex)
		}
		if len(r.Locations) != 1 {
			t.Errorf("result for %q has %d locations", r.RuleID, len(r.Locations))
			continue
		}
		if uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; uri == "" || strings.HasPrefix(uri, "/") {
			t.Errorf("artifact uri %q is not a relative path", uri)
		}
		if len(r.PartialFingerprints) == 0 {
			t.Errorf("result for %q has no fingerprint", r.RuleID)
		}
	}
}

// checkCycloneDXVulnerabilities checks what the schema cannot: every
// vulnerability affects a component of the BOM.
func checkCycloneDXVulnerabilities(t testing.TB, out []byte) {
	t.Helper()
	checkCycloneDXRefs(t, out)
	var bom struct {
		Components []struct {
			BOMRef string `json:"bom-ref"`
		} `json:"components"`
		Vulnerabilities []struct {
			BOMRef  string `json:"bom-ref"`
			ID      string `json:"id"`
			Affects []struct {
				Ref string `json:"ref"`
			} `json:"affects"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(out, &bom); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	for _, c := range bom.Components {
		refs[c.BOMRef] = true
	}
	vrefs := map[string]bool{}
	for _, v := range bom.Vulnerabilities {
		if refs[v.BOMRef] || vrefs[v.BOMRef] {
			t.Errorf("vulnerability bom-ref %q not unique", v.BOMRef)
		}
		vrefs[v.BOMRef] = true
		if len(v.Affects) != 1 || !refs[v.Affects[0].Ref] {
			t.Errorf("vulnerability %q affects %v, not one component of the BOM", v.ID, v.Affects)
		}
	}
}

// The SARIF and OpenVEX schemas must stay as published, like the others
// (see TestSchemaFilesUnchanged and testdata/README.md).
func TestScanSchemaFilesUnchanged(t *testing.T) {
	want := map[string]string{
		"sarif-2.1.0/sarif-schema-2.1.0.json": "ddddcccbf95c7c50c037b5b07eff4140556278ca574ff374db46786b5fce7949",
		"openvex/openvex_json_schema.json":    "f0a7c345f2ca57d357c957a20a7f8a92ef5add747fd93813aa54b7141df85e89",
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

// The SARIF log names the schema the tests validate it against.
func TestSARIFDeclaresItsSchema(t *testing.T) {
	data, err := os.ReadFile(sarifSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		ID string `json:"id"`
	}
	var log struct {
		Schema string `json:"$schema"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(encodeScan(t, testScanResult(), FormatSARIF, testOptions()), &log); err != nil {
		t.Fatal(err)
	}
	if log.Schema == "" || log.Schema != schema.ID {
		t.Errorf("SARIF $schema = %q, the schema file's id is %q", log.Schema, schema.ID)
	}
}

// The validators must be able to fail on scan output too.
func TestScanSchemasRejectInvalidDocuments(t *testing.T) {
	tests := []struct {
		name   string
		format string
		schema func(testing.TB) *jsonschema.Schema
		tamper func(doc map[string]any)
	}{
		{"sarif wrong version", FormatSARIF, sarifJSONSchema, func(d map[string]any) { d["version"] = "2.0.0" }},
		{"sarif unknown level", FormatSARIF, sarifJSONSchema, func(d map[string]any) {
			d["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)["level"] = "fatal"
		}},
		{"cyclonedx unknown severity", FormatCycloneDX, cycloneDXSchema, func(d map[string]any) {
			v := d["vulnerabilities"].([]any)[0].(map[string]any)
			v["ratings"].([]any)[0].(map[string]any)["severity"] = "dire"
		}},
		{"cyclonedx unknown analysis state", FormatCycloneDX, cycloneDXSchema, func(d map[string]any) {
			d["vulnerabilities"].([]any)[0].(map[string]any)["analysis"] = map[string]any{"state": "fine"}
		}},
		{"openvex affected without action", FormatOpenVEX, openVEXSchema, func(d map[string]any) {
			delete(d["statements"].([]any)[1].(map[string]any), "action_statement")
		}},
		{"openvex not_affected without justification", FormatOpenVEX, openVEXSchema, func(d map[string]any) {
			delete(d["statements"].([]any)[0].(map[string]any), "justification")
		}},
		// Why a clean scan writes no OpenVEX document: an empty list is invalid.
		{"openvex without statements", FormatOpenVEX, openVEXSchema, func(d map[string]any) {
			d["statements"] = []any{}
		}},
		{"vigil scan unknown severity", FormatJSON, vigilScanSchema, func(d map[string]any) {
			d["findings"].([]any)[0].(map[string]any)["severity"] = "dire"
		}},
		{"vigil scan unknown finding field", FormatJSON, vigilScanSchema, func(d map[string]any) {
			d["findings"].([]any)[0].(map[string]any)["colour"] = "red"
		}},
		{"vigil scan inventory checked too", FormatJSON, vigilScanSchema, func(d map[string]any) {
			d["inventory"].(map[string]any)["schemaVersion"] = 2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(encodeScan(t, testScanResult(), tt.format, testOptions()), &doc); err != nil {
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
