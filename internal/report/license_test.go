package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/sbom"
)

func TestValidSPDXExpression(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"MIT", true},
		{"GPL-2.0-or-later", true},
		{"GPL-2.0+", true},
		{"LGPL-2.1-only OR MIT", true},
		{"Apache-2.0 AND (MIT OR BSD-3-Clause)", true},
		{"GPL-2.0-only WITH Classpath-exception-2.0", true},
		{"(GPL-2.0-only WITH Linux-syscall-note) AND MIT", true},
		{"LicenseRef-custom.1", true},
		{"DocumentRef-ext:LicenseRef-foo", true},
		{"((MIT))", true},
		{"", false},
		{"   ", false},
		{"MIT AND", false},
		{"AND MIT", false},
		{"MIT OR OR BSD", false},
		{"(MIT", false},
		{"MIT)", false},
		{"()", false},
		{"MIT BSD", false},
		{"GPL-2.0 WITH", false},
		{"GPL-2.0 WITH AND", false},
		{"MIT WITH (X)", false},
		{"LicenseRef-", false},
		{"LicenseRef-a b", false},
		{"DocumentRef-:LicenseRef-x", false},
		{"Foo:Bar", false},
		{"GPL/2", false},
		{"GPL-2+ and BSD", false}, // lower-case operators are not accepted
		{"MIT\nOR BSD", false},
		{"Apache 2.0", false},
		{strings.Repeat("(", 100) + "MIT" + strings.Repeat(")", 100), false}, // deeper than we follow
		{strings.Repeat("(", 10) + "MIT" + strings.Repeat(")", 10), true},
	}
	for _, tt := range tests {
		if got := validSPDXExpression(tt.expr); got != tt.want {
			t.Errorf("validSPDXExpression(%q) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

func TestAndJoin(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"MIT"}, "MIT"},
		{[]string{"MIT OR Apache-2.0"}, "MIT OR Apache-2.0"},
		{[]string{"MIT", "BSD-3-Clause"}, "MIT AND BSD-3-Clause"},
		{[]string{"MIT OR Apache-2.0", "Zlib"}, "(MIT OR Apache-2.0) AND Zlib"},
	}
	for _, tt := range tests {
		got := andJoin(tt.in)
		if got != tt.want {
			t.Errorf("andJoin(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !validSPDXExpression(got) {
			t.Errorf("andJoin(%q) = %q is not a valid expression", tt.in, got)
		}
	}
}

// licenceCases cover how declared licences map into both documents.
var licenceCases = []struct {
	name     string
	licences []sbom.License
	cdx      string // licenses as CycloneDX JSON
	spdx     string // licenseDeclared
	refs     []string
}{
	{
		name: "none",
		cdx:  "null",
		spdx: "NOASSERTION",
	},
	{
		name:     "one SPDX id",
		licences: []sbom.License{{SPDX: "MIT", Value: "Expat"}},
		cdx:      `[{"expression":"MIT"}]`,
		spdx:     "MIT",
	},
	{
		name:     "several SPDX, one compound, one repeated",
		licences: []sbom.License{{SPDX: "MIT OR Apache-2.0", Value: "MIT/Apache"}, {SPDX: "Zlib", Value: "zlib"}, {SPDX: "Zlib", Value: "Zlib"}},
		cdx:      `[{"expression":"(MIT OR Apache-2.0) AND Zlib"}]`,
		spdx:     "(MIT OR Apache-2.0) AND Zlib",
	},
	{
		name:     "SPDX and raw mixed",
		licences: []sbom.License{{SPDX: "curl", Value: "curl"}, {Value: "BSD-like, see copyright"}},
		cdx:      `[{"license":{"name":"curl"}},{"license":{"name":"BSD-like, see copyright"}}]`,
		spdx:     "curl AND LicenseRef-BSD-like--see-copyright",
		refs:     []string{"BSD-like, see copyright"},
	},
	{
		name:     "malformed SPDX falls back to the declared text",
		licences: []sbom.License{{SPDX: "GPL (v2)", Value: "GPL version 2"}},
		cdx:      `[{"license":{"name":"GPL version 2"}}]`,
		spdx:     "LicenseRef-GPL-version-2",
		refs:     []string{"GPL version 2"},
	},
	{
		name:     "malformed SPDX without declared text keeps what there is",
		licences: []sbom.License{{SPDX: "GPL (v2)"}},
		cdx:      `[{"license":{"name":"GPL (v2)"}}]`,
		spdx:     "LicenseRef-GPL--v2-",
		refs:     []string{"GPL (v2)"},
	},
	{
		name:     "blank entries are ignored",
		licences: []sbom.License{{Value: "  "}, {}},
		cdx:      "null",
		spdx:     "NOASSERTION",
	},
}

func TestCycloneDXLicences(t *testing.T) {
	for _, tt := range licenceCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(cdxLicenses(&sbom.Package{Licenses: tt.licences}))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.cdx {
				t.Errorf("got %s, want %s", got, tt.cdx)
			}
		})
	}
}

func TestSPDXDeclared(t *testing.T) {
	for _, tt := range licenceCases {
		t.Run(tt.name, func(t *testing.T) {
			refs := newLicenseRefs()
			got := spdxDeclared(&sbom.Package{Licenses: tt.licences}, refs)
			if got != tt.spdx {
				t.Errorf("licenseDeclared = %q, want %q", got, tt.spdx)
			}
			if got != noAssertion && !validSPDXExpression(got) {
				t.Errorf("licenseDeclared %q is not a valid expression", got)
			}
			if diff := cmp.Diff(tt.refs, refs.order); diff != "" {
				t.Errorf("extracted licences (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLicenseRefsUnique(t *testing.T) {
	refs := newLicenseRefs()
	texts := []string{"a b", "a/b", "a-b", "a b", strings.Repeat("x", 200), strings.Repeat("x", 201)}
	ids := map[string]string{}
	for _, text := range texts {
		id := refs.ref(text)
		if !validSPDXExpression(id) || !strings.HasPrefix(id, "LicenseRef-") {
			t.Errorf("ref(%q) = %q is not a LicenseRef", text, id)
		}
		if len(id) > len("LicenseRef-")+64+20 {
			t.Errorf("ref(%q) = %q is too long", text, id)
		}
		if prev, ok := ids[id]; ok && prev != text {
			t.Errorf("texts %q and %q share %s", prev, text, id)
		}
		ids[id] = text
	}
	if refs.ref("a b") != "LicenseRef-a-b" {
		t.Errorf("first text does not keep its readable identifier: %s", refs.ref("a b"))
	}
	if len(refs.order) != 5 {
		t.Errorf("order = %q, want 5 distinct texts", refs.order)
	}
}
