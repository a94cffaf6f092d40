package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/sbom"
)

// FuzzWriteInventory feeds arbitrary text into the fields a hostile image
// controls and checks that every format still encodes: JSON formats stay
// valid JSON with well-formed SPDX identifiers, and the table stays inert.
func FuzzWriteInventory(f *testing.F) {
	for _, s := range hostileStrings {
		if len(s) < 1000 {
			f.Add(s, "1.0", "MIT", s, s)
		}
	}
	f.Add("libc6", "2.36-9", "LGPL-2.1-or-later OR (GPL-2.0+ WITH Linux-syscall-note)", "GPL-2+", "/var/lib/dpkg/status")
	f.Fuzz(func(t *testing.T, name, version, spdx, value, location string) {
		inv := testInventory()
		inv.Source.Reference = name
		inv.Warnings = []string{value}
		inv.Packages = append(inv.Packages, sbom.Package{
			Ecosystem: sbom.Ecosystem(value), Name: name, Version: version, Arch: location,
			SourceName: value, SourceVersion: version, PURL: location,
			Licenses:  []sbom.License{{SPDX: spdx, Value: value}, {Value: name}},
			Locations: []string{location}, FoundBy: value,
			Layer: inv.Packages[0].Layer,
		})
		for _, format := range InventoryFormats() {
			var buf bytes.Buffer
			if err := WriteInventory(&buf, inv, format, testOptions()); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out := buf.Bytes()
			switch format {
			case FormatTable:
				checkTableIsInert(t, out, false)
			case FormatSPDX:
				if !json.Valid(out) {
					t.Fatalf("%s: invalid JSON", format)
				}
				checkSPDXRules(t, out)
			case FormatCycloneDX:
				if !json.Valid(out) {
					t.Fatalf("%s: invalid JSON", format)
				}
				checkCycloneDXRefs(t, out)
			default:
				if !json.Valid(out) {
					t.Fatalf("%s: invalid JSON", format)
				}
			}
		}
	})
}

// FuzzValidSPDXExpression checks the expression parser never panics and
// that what it accepts composes: two valid expressions joined with AND are
// valid too, which the SPDX encoder relies on.
func FuzzValidSPDXExpression(f *testing.F) {
	for _, s := range []string{
		"MIT", "GPL-2.0+", "Apache-2.0 AND (MIT OR BSD-3-Clause)", "GPL-2.0-only WITH Classpath-exception-2.0",
		"DocumentRef-a:LicenseRef-b", "((MIT", "MIT AND", "WITH", "a:b:c", strings.Repeat("(", 70) + "MIT",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validSPDXExpression(s) {
			return
		}
		if strings.ContainsAny(s, "\n\r\x00") {
			t.Fatalf("accepted %q, which holds line breaks or NUL", s)
		}
		if joined := andJoin([]string{s, "MIT"}); !validSPDXExpression(joined) {
			t.Fatalf("%q is valid but %q is not", s, joined)
		}
	})
}
