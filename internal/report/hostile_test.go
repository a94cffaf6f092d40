package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/vigilproject/vigil/internal/sbom"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hostileStrings are what a crafted image can put in a package database:
// quotes and markup, control characters and terminal escapes, invalid
// UTF-8, bidi overrides, non-Latin scripts, and very long text.
var hostileStrings = []string{
	`"quoted" name`,
	`back\slash`,
	"<script>alert(1)</script>&amp;",
	"new\nline\r\nand\ttab",
	"nul\x00byte",
	"\x1b[31mred\x1b[0m\x1b]0;title\x07",
	"bell\a del\x7f c1\u0085",
	"bad\xff\xfeutf8\xc3",
	"rtl\u202eoverride\u2066",
	"line\u2028sep\u2029",
	"日本語パッケージ",
	"emoji 👩‍💻 package",
	"SPDXRef-DOCUMENT",
	"LicenseRef-x:y",
	"pkg:deb/debian/x?arch=amd64#sub",
	"",
	" ",
	strings.Repeat("A", 100_000),
	strings.Repeat("é", 3000),
}

// hostileInventory builds an inventory whose every free-text field holds
// hostile text. Digests stay well-formed: they come from the image
// library, which verifies them, not from files inside the image.
func hostileInventory() *sbom.Inventory {
	inv := testInventory()
	inv.Source.Reference = "evil\"\n\x1b[2J" + strings.Repeat("r", 5000)
	inv.Source.Labels = map[string]string{"\x00key\"": "\xffvalue\n"}
	inv.Distro.PrettyName = "Debian\x1b[31m \"12\"\n"
	inv.Distro.Codename = "\u202ebookworm"
	inv.BaseImage.Name = "base\n\"image\""
	inv.Warnings = append(inv.Warnings, hostileStrings...)
	l := inv.Layers[1]
	for i, s := range hostileStrings {
		p := sbom.Package{
			Ecosystem:     sbom.Ecosystem([]string{"deb", "apk", "rpm", "npm", "weird eco/\"", ""}[i%6]),
			Name:          s,
			Version:       hostileStrings[(i+1)%len(hostileStrings)],
			Arch:          hostileStrings[(i+2)%len(hostileStrings)],
			SourceName:    hostileStrings[(i+3)%len(hostileStrings)],
			SourceVersion: hostileStrings[(i+4)%len(hostileStrings)],
			PURL:          hostileStrings[(i+5)%len(hostileStrings)],
			Licenses: []sbom.License{
				{SPDX: hostileStrings[(i+6)%len(hostileStrings)], Value: s},
				{Value: hostileStrings[(i+7)%len(hostileStrings)]},
				{SPDX: "MIT", Value: "MIT"},
			},
			Locations: []string{s, "/var/lib/dpkg/status"},
			Files:     []string{s},
			FoundBy:   hostileStrings[(i+8)%len(hostileStrings)],
			Layer:     sbom.LayerRef{Index: l.Index, DiffID: l.DiffID},
			InBase:    i%2 == 0,
			Dpkg:      &sbom.DpkgMetadata{Maintainer: s, Depends: s},
		}
		inv.Packages = append(inv.Packages, p)
		// The same package twice must still get distinct identifiers.
		inv.Packages = append(inv.Packages, p)
	}
	return inv
}

func TestHostileDataGivesValidOutput(t *testing.T) {
	inv := hostileInventory()
	for _, f := range InventoryFormats() {
		t.Run(f, func(t *testing.T) {
			out := encode(t, inv, f, testOptions())
			if !utf8.Valid(out) {
				t.Error("output is not valid UTF-8")
			}
			if f == FormatTable {
				checkTableIsInert(t, out, false)
				return
			}
			if !json.Valid(out) {
				t.Fatal("output is not valid JSON")
			}
			// Every JSON format must keep the content findable, escaped but
			// not dropped: the long name survives somewhere intact or as its
			// first 1024 characters (CycloneDX caps versions, not names).
			if !bytes.Contains(out, []byte(strings.Repeat("A", 1000))) {
				t.Error("long name lost")
			}
		})
	}
	t.Run("colour table", func(t *testing.T) {
		opts := testOptions()
		opts.Color = true
		checkTableIsInert(t, encode(t, inv, FormatTable, opts), true)
	})
}

// checkTableIsInert checks that table output cannot drive the terminal:
// no control characters but newlines (and our own colour sequences when
// asked for), no bidi controls, and no line wider than the table allows.
func checkTableIsInert(t *testing.T, out []byte, colour bool) {
	t.Helper()
	text := string(out)
	if colour {
		text = ansi.ReplaceAllString(text, "")
	}
	for i, r := range text {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d') {
			t.Fatalf("control or format character %U at byte %d", r, i)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		// Seven columns of at most maxCell runes plus padding, or a header
		// line of at most 200.
		if n := utf8.RuneCountInString(line); n > 7*(maxCell+2)+20 {
			t.Fatalf("line of %d runes: long text not cut", n)
		}
	}
}
