// Package report encodes Vigil's results for people and for other tools:
// a terminal table, Vigil's own JSON, CycloneDX and SPDX. The wire schemas
// live here, never as tags on the domain types they are built from.
package report

import (
	"cmp"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilproject/vigil/internal/sbom"
)

// Formats accepted by WriteInventory.
const (
	FormatTable     = "table"
	FormatJSON      = "json"
	FormatCycloneDX = "cyclonedx-json"
	FormatSPDX      = "spdx-json"
)

// ErrUnknownFormat is returned (wrapped) when WriteInventory is asked for a
// format it does not know; the message lists the valid ones.
var ErrUnknownFormat = errors.New("unknown format")

// Options tunes the encoders. The zero value is usable.
type Options struct {
	// Color asks for ANSI colours in the table format. The caller decides,
	// typically when standard output is a terminal.
	Color bool
	// ToolVersion is Vigil's version, recorded as the producing tool in
	// CycloneDX and SPDX documents.
	ToolVersion string
	// Now returns the document creation time. Nil means time.Now; tests set
	// it so that golden files stay byte-identical.
	Now func() time.Time
	// Template is the Go text/template source used by the "template" scan
	// format (see WriteScan); other formats ignore it.
	Template string
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now().UTC()
	}
	return o.Now().UTC()
}

// timestamp renders t the way both CycloneDX (JSON Schema date-time) and
// SPDX (ISO 8601 UTC with a Z) accept: whole seconds, UTC.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// InventoryFormats returns the formats WriteInventory accepts, in the order
// they should be offered to users.
func InventoryFormats() []string {
	return []string{FormatTable, FormatJSON, FormatCycloneDX, FormatSPDX}
}

// WriteInventory encodes inv to w in the named format (see InventoryFormats).
// It does not modify inv. Any text in inv, however hostile, yields a valid
// document: encoders escape, sanitise or truncate rather than fail.
func WriteInventory(w io.Writer, inv *sbom.Inventory, format string, opts Options) error {
	if inv == nil {
		return errors.New("report: nil inventory")
	}
	var err error
	switch format {
	case FormatTable:
		err = writeTable(w, inv, opts)
	case FormatJSON:
		err = writeJSON(w, inv)
	case FormatCycloneDX:
		err = writeCycloneDX(w, inv, opts)
	case FormatSPDX:
		err = writeSPDX(w, inv, opts)
	default:
		return fmt.Errorf("report: %w %q (valid: %s)", ErrUnknownFormat, format, strings.Join(InventoryFormats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("report: %s: %w", format, err)
	}
	return nil
}

// sortedPackages returns pointers to inv's packages ordered by name, then
// version, then whatever else tells two apart, so every format lists them in
// the same stable order whatever order the catalogers produced.
func sortedPackages(inv *sbom.Inventory) []*sbom.Package {
	pkgs := make([]*sbom.Package, len(inv.Packages))
	for i := range inv.Packages {
		pkgs[i] = &inv.Packages[i]
	}
	slices.SortStableFunc(pkgs, func(a, b *sbom.Package) int {
		return cmp.Or(
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version),
			strings.Compare(string(a.Ecosystem), string(b.Ecosystem)),
			strings.Compare(a.Arch, b.Arch),
			strings.Compare(a.PURL, b.PURL),
			cmp.Compare(a.Layer.Index, b.Layer.Index),
		)
	})
	return pkgs
}

// packageHash identifies one package occurrence from chosen fields (never
// the whole struct, so adding a field does not change every identifier):
// what the package is and where it was found. Two copies of one package in
// different places get different hashes.
func packageHash(p *sbom.Package) string {
	h := sha256.New()
	for _, s := range []string{string(p.Ecosystem), p.Name, p.Version, p.Arch, p.PURL, string(p.Layer.DiffID)} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	for _, l := range p.Locations {
		io.WriteString(h, l)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// uniquer hands out identifiers that are unique within one document: a
// second request for the same identifier gets a numeric suffix. Packages
// are visited in a stable order, so the suffixes are stable too.
type uniquer map[string]int

func (u uniquer) get(id string) string {
	n := u[id]
	u[id] = n + 1
	if n == 0 {
		return id
	}
	alt := fmt.Sprintf("%s-%d", id, n+1)
	for u[alt] > 0 {
		n++
		alt = fmt.Sprintf("%s-%d", id, n+1)
	}
	u[alt] = 1
	return alt
}

// contentUUID returns a version 5 UUID naming content. Document serial
// numbers and namespaces are derived from the document itself rather than
// drawn at random, so the same inventory encoded at the same time gives the
// same bytes, and a different inventory or time gives a different UUID.
func contentUUID(kind string, content []byte) string {
	sum := sha256.Sum256(content)
	name := "https://vigil.dev/" + kind + "/" + hex.EncodeToString(sum[:])
	// RFC 4122's namespace for URLs, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
	nameSpaceURL := []byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(nameSpaceURL)
	io.WriteString(h, name)
	u := h.Sum(nil)[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	x := hex.EncodeToString(u)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// truncate shortens s to at most n runes, ending in "…" when cut, and
// replaces invalid UTF-8 so the result is always valid text.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// idString maps s onto the characters SPDX allows in identifiers (letters,
// digits, '.' and '-'), replacing each other rune with '-', and shortens it
// to at most n bytes.
func idString(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// licenseTerms returns the distinct licence entries of p in their declared
// order, dropping empty ones.
func licenseTerms(p *sbom.Package) []sbom.License {
	var out []sbom.License
	seen := map[sbom.License]bool{}
	for _, l := range p.Licenses {
		l.SPDX = strings.TrimSpace(l.SPDX)
		if l.SPDX == "" && strings.TrimSpace(l.Value) == "" {
			continue
		}
		if seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return out
}
