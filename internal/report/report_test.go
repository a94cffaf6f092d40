package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func encode(t testing.TB, inv *sbom.Inventory, format string, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteInventory(&buf, inv, format, opts); err != nil {
		t.Fatalf("WriteInventory(%s): %v", format, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	colour := testOptions()
	colour.Color = true
	tests := []struct {
		file   string
		inv    func() *sbom.Inventory
		format string
		opts   Options
	}{
		{"inventory.table.txt", testInventory, FormatTable, testOptions()},
		{"inventory.color.table.txt", testInventory, FormatTable, colour},
		{"inventory.json", testInventory, FormatJSON, testOptions()},
		{"inventory.cdx.json", testInventory, FormatCycloneDX, testOptions()},
		{"inventory.spdx.json", testInventory, FormatSPDX, testOptions()},
		{"empty.table.txt", emptyInventory, FormatTable, testOptions()},
		{"empty.json", emptyInventory, FormatJSON, testOptions()},
		{"empty.cdx.json", emptyInventory, FormatCycloneDX, testOptions()},
		{"empty.spdx.json", emptyInventory, FormatSPDX, testOptions()},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := encode(t, tt.inv(), tt.format, tt.opts)
			path := filepath.Join("testdata", "golden", tt.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs from golden (-want +got; go test -update rewrites it):\n%s", tt.file, diff)
			}
		})
	}
}

func TestInventoryFormats(t *testing.T) {
	want := []string{"table", "json", "cyclonedx-json", "spdx-json"}
	if diff := cmp.Diff(want, InventoryFormats()); diff != "" {
		t.Errorf("InventoryFormats() (-want +got):\n%s", diff)
	}
	for _, f := range InventoryFormats() {
		var buf bytes.Buffer
		if err := WriteInventory(&buf, testInventory(), f, testOptions()); err != nil {
			t.Errorf("listed format %q fails: %v", f, err)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	for _, f := range []string{"", "xml", "JSON", "cyclonedx"} {
		err := WriteInventory(&bytes.Buffer{}, testInventory(), f, testOptions())
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("format %q: got %v, want ErrUnknownFormat", f, err)
			continue
		}
		for _, valid := range InventoryFormats() {
			if !strings.Contains(err.Error(), valid) {
				t.Errorf("format %q: error %q does not list %q", f, err, valid)
			}
		}
	}
}

func TestNilInventory(t *testing.T) {
	for _, f := range InventoryFormats() {
		if err := WriteInventory(&bytes.Buffer{}, nil, f, testOptions()); err == nil {
			t.Errorf("format %q: nil inventory accepted", f)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorIsReturned(t *testing.T) {
	for _, f := range InventoryFormats() {
		err := WriteInventory(failWriter{}, testInventory(), f, testOptions())
		if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), f) {
			t.Errorf("format %q: got %v, want the writer's error naming the format", f, err)
		}
	}
}

// The encoders must treat the inventory as read-only: the caller may hand
// the same one to several encoders, or to the store afterwards.
func TestDoesNotModifyInventory(t *testing.T) {
	for _, f := range InventoryFormats() {
		inv := testInventory()
		inv.SchemaVersion = 0
		inv.Packages[0].Locations = nil
		want := testInventory()
		want.SchemaVersion = 0
		want.Packages[0].Locations = nil
		encode(t, inv, f, testOptions())
		if diff := cmp.Diff(want, inv); diff != "" {
			t.Errorf("%s modified the inventory (-before +after):\n%s", f, diff)
		}
	}
}

func TestDeterministicIDs(t *testing.T) {
	later := testOptions()
	later.Now = func() time.Time { return fixedNow.Add(time.Second) }
	serial := regexp.MustCompile(`"serialNumber": "([^"]+)"`)
	namespace := regexp.MustCompile(`"documentNamespace": "([^"]+)"`)
	tests := []struct {
		format string
		re     *regexp.Regexp
	}{
		{FormatCycloneDX, serial},
		{FormatSPDX, namespace},
	}
	for _, tt := range tests {
		a := encode(t, testInventory(), tt.format, testOptions())
		b := encode(t, testInventory(), tt.format, testOptions())
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs with the same clock differ", tt.format)
		}
		c := encode(t, testInventory(), tt.format, later)
		other := testInventory()
		other.Packages = other.Packages[1:]
		d := encode(t, other, tt.format, testOptions())
		id := func(doc []byte) string {
			m := tt.re.FindSubmatch(doc)
			if m == nil {
				t.Fatalf("%s: no document identifier in output", tt.format)
			}
			return string(m[1])
		}
		if id(a) == id(c) {
			t.Errorf("%s: documents created at different times share identifier %s", tt.format, id(a))
		}
		if id(a) == id(d) {
			t.Errorf("%s: documents of different inventories share identifier %s", tt.format, id(a))
		}
	}
}

// The json format is Vigil's own serialisation: reading it back must give
// the inventory again, with the schema version pinned and absent lists
// turned into empty ones.
func TestJSONRoundTrip(t *testing.T) {
	for _, inv := range []*sbom.Inventory{testInventory(), emptyInventory(), hostileInventory()} {
		inv.SchemaVersion = 0
		var got sbom.Inventory
		if err := json.Unmarshal(encode(t, inv, FormatJSON, testOptions()), &got); err != nil {
			t.Fatal(err)
		}
		if got.SchemaVersion != sbom.SchemaVersion {
			t.Errorf("schemaVersion = %d, want %d", got.SchemaVersion, sbom.SchemaVersion)
		}
		inv.SchemaVersion = sbom.SchemaVersion
		if diff := cmp.Diff(inv, &got, cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0),
			cmp.Transformer("validUTF8", func(s string) string { return string([]rune(s)) })); diff != "" {
			t.Errorf("round trip (-in +out):\n%s", diff)
		}
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Colours must not change the layout: with the escape sequences removed,
// the coloured table is the plain one.
func TestTableColorKeepsAlignment(t *testing.T) {
	plain := encode(t, testInventory(), FormatTable, testOptions())
	opts := testOptions()
	opts.Color = true
	coloured := encode(t, testInventory(), FormatTable, opts)
	if bytes.Equal(plain, coloured) {
		t.Fatal("Color had no effect")
	}
	if diff := cmp.Diff(string(plain), ansi.ReplaceAllString(string(coloured), "")); diff != "" {
		t.Errorf("coloured table minus colours differs from plain (-plain +stripped):\n%s", diff)
	}
}

func TestTableCells(t *testing.T) {
	tests := []struct {
		name string
		pkg  sbom.Package
		base sbom.BaseImage
		want map[string]string // column → cell
	}{
		{
			name: "source differs in name and version",
			pkg:  sbom.Package{Name: "bash", Version: "5.2.15-2+b7", SourceName: "bash", SourceVersion: "5.2.15-2", InBase: true},
			base: sbom.BaseImage{Source: sbom.BaseFromFlag},
			want: map[string]string{"source": "bash 5.2.15-2", "base": "yes"},
		},
		{
			name: "source differs in name only",
			pkg:  sbom.Package{Name: "libssl3", Version: "3.0.15", SourceName: "openssl"},
			base: sbom.BaseImage{Source: sbom.BaseFromAnnotation},
			want: map[string]string{"source": "openssl", "base": "no"},
		},
		{
			name: "source same as package",
			pkg:  sbom.Package{Name: "musl", Version: "1.2.5-r0", SourceName: "musl", SourceVersion: "1.2.5-r0"},
			base: sbom.BaseImage{Source: sbom.BaseUnknown},
			want: map[string]string{"source": "", "base": "?"},
		},
		{
			name: "base unset counts as unknown",
			pkg:  sbom.Package{Name: "x", InBase: true},
			want: map[string]string{"source": "", "base": "?"},
		},
		{
			name: "licences: SPDX preferred, raw otherwise, duplicates once, invalid SPDX shown raw",
			pkg: sbom.Package{Name: "x", Licenses: []sbom.License{
				{SPDX: "MIT", Value: "Expat"}, {Value: "custom"}, {SPDX: "MIT", Value: "MIT"}, {SPDX: "not an (expression", Value: "weird"},
			}},
			want: map[string]string{"license": "MIT, custom, weird"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{
				"source":  sourceCell(&tt.pkg),
				"base":    baseCell(tt.base, &tt.pkg),
				"license": licenseCell(&tt.pkg),
			}
			for col, want := range tt.want {
				if got[col] != want {
					t.Errorf("%s = %q, want %q", col, got[col], want)
				}
			}
		})
	}
}

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\there", `tab\there`},
		{"new\nline", `new\nline`},
		{"\x1b[2Jclear", `\x1b[2Jclear`},
		{"bidi\u202eevil", `bidi\u202eevil`},
		{"invalid\xffutf8", "invalid\uFFFDutf8"},
		{"日本語", "日本語"},
		{strings.Repeat("a", 100), strings.Repeat("a", maxCell-1) + "…"},
	}
	for _, tt := range tests {
		if got := cell(tt.in, maxCell); got != tt.want {
			t.Errorf("cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"äöüß", 3, "äö…"},
		{"abc", 0, ""},
		{"", 5, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestIDString(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"libc6", 64, "libc6"},
		{"g++-12", 64, "g---12"},
		{"@types/node", 64, "-types-node"},
		{"日本", 64, "--"},
		{"abcdef", 3, "abc"},
	}
	for _, tt := range tests {
		if got := idString(tt.in, tt.n); got != tt.want {
			t.Errorf("idString(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestUniquer(t *testing.T) {
	u := uniquer{}
	got := []string{u.get("a"), u.get("a"), u.get("a-2"), u.get("a"), u.get("b")}
	want := []string{"a", "a-2", "a-2-2", "a-3", "b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("duplicate %q", id)
		}
		seen[id] = true
	}
}

func TestContentUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a := contentUUID("x", []byte("one"))
	if !re.MatchString(a) {
		t.Errorf("%q is not a version 5 UUID", a)
	}
	if a != contentUUID("x", []byte("one")) {
		t.Error("not deterministic")
	}
	if a == contentUUID("x", []byte("two")) || a == contentUUID("y", []byte("one")) {
		t.Error("different content, same UUID")
	}
}
