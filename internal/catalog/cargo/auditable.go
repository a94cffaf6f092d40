package cargo

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/sbom"
)

// AuditableFoundBy is the FoundBy of the crates read from cargo-auditable
// data. The go-binary cataloger, which reads every executable once, finds
// them and reports them under this name.
const AuditableFoundBy = "cargo-auditable"

// auditSection is the ELF section cargo-auditable writes: zlib-compressed
// JSON, not loaded at run time (sh_flags 0), so linkers put it after the
// loaded segments.
const auditSection = ".dep-v0"

const (
	// maxAuditCompressed bounds the section read from the file.
	maxAuditCompressed = 4 << 20
	// maxAuditJSON bounds the decompressed JSON; cargo-auditable's own
	// parsing guide suggests 8 MiB as far more than any real tree needs.
	maxAuditJSON = 8 << 20
)

// ErrNotELF is returned by AuditableFromELF when the input cannot be read as
// an ELF file at all (as opposed to an ELF file with broken audit data).
var ErrNotELF = errors.New("not a readable ELF file")

// Dep is one crate recorded by cargo-auditable.
type Dep struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Source is "crates.io", "git", "local", "registry" or another origin.
	Source string `json:"source,omitempty"`
	// Kind is "build" for build-time-only crates; empty means runtime.
	Kind string `json:"kind,omitempty"`
	// Root marks the crate the binary was built from.
	Root bool `json:"root,omitempty"`
}

// AuditableFromELF reads the cargo-auditable dependency list of an ELF
// binary. It returns nil and no error when the file has no .dep-v0 section.
// Only the ELF header, section headers, section names and the .dep-v0
// section are read, so r may be a sparse view of the file that holds only
// those.
func AuditableFromELF(r io.ReaderAt) ([]Dep, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotELF, err)
	}
	s := f.Section(auditSection)
	if s == nil {
		return nil, nil
	}
	if s.Type == elf.SHT_NOBITS || s.Size == 0 {
		return nil, fmt.Errorf("cargo-auditable: %s section is empty", auditSection)
	}
	if s.FileSize > maxAuditCompressed {
		return nil, fmt.Errorf("cargo-auditable: %s section is %d bytes, over the %d-byte limit", auditSection, s.FileSize, maxAuditCompressed)
	}
	// The raw bytes, not s.Open: the data carries its own zlib framing and
	// must not be taken through ELF section decompression.
	raw := make([]byte, s.FileSize)
	if _, err := r.ReadAt(raw, int64(s.Offset)); err != nil {
		return nil, fmt.Errorf("cargo-auditable: reading %s: %w", auditSection, err)
	}
	return ParseAuditable(raw)
}

// ParseAuditable decodes the contents of a .dep-v0 section: zlib-compressed
// JSON as described by cargo-auditable's schema. Crates without a name or
// version are dropped.
func ParseAuditable(compressed []byte) ([]Dep, error) {
	zr, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, fmt.Errorf("cargo-auditable: %w", err)
	}
	js, err := io.ReadAll(io.LimitReader(zr, maxAuditJSON+1))
	if err != nil {
		return nil, fmt.Errorf("cargo-auditable: decompressing: %w", err)
	}
	if len(js) > maxAuditJSON {
		return nil, fmt.Errorf("cargo-auditable: data over the %d-byte limit", maxAuditJSON)
	}
	return parseAuditJSON(js)
}

func parseAuditJSON(js []byte) ([]Dep, error) {
	var doc struct {
		Packages []struct {
			Name    string          `json:"name"`
			Version string          `json:"version"`
			Source  json.RawMessage `json:"source"`
			Kind    string          `json:"kind"`
			Root    bool            `json:"root"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("cargo-auditable: invalid JSON: %w", err)
	}
	out := make([]Dep, 0, len(doc.Packages))
	for _, p := range doc.Packages {
		if p.Name == "" || p.Version == "" {
			continue
		}
		d := Dep{Name: p.Name, Version: p.Version, Source: auditSource(p.Source), Root: p.Root}
		if p.Kind != "" && p.Kind != "runtime" {
			d.Kind = p.Kind
		}
		out = append(out, d)
	}
	return out, nil
}

// auditSource reads a source that is a plain string ("crates.io") or, for
// origins the format does not name, an object {"Other": "..."}.
func auditSource(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct{ Other string }
	if json.Unmarshal(raw, &o) == nil {
		return o.Other
	}
	return ""
}

// AuditablePackages turns the crates read from the binary at location (an
// absolute path) into packages. Build-time-only crates are left out: they
// ran in build scripts or proc-macros and are not in the binary, which is
// also what Trivy and Syft do. The root crate is kept.
func AuditablePackages(deps []Dep, location string) []sbom.Package {
	type key struct{ name, version string }
	seen := map[key]bool{}
	var out []sbom.Package
	for _, d := range deps {
		if d.Kind == "build" || seen[key{d.Name, d.Version}] {
			continue
		}
		seen[key{d.Name, d.Version}] = true
		out = append(out, sbom.Package{
			Ecosystem: sbom.Cargo,
			Name:      d.Name,
			Version:   d.Version,
			PURL:      purl(d.Name, d.Version),
			Locations: []string{location},
			FoundBy:   AuditableFoundBy,
		})
	}
	sortPackages(out)
	return out
}

// purl builds pkg:cargo/NAME@VERSION; crate names are case-sensitive and
// cargo has no namespaces.
func purl(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeCargo, "", name, version, nil, "").ToString()
}

func sortPackages(pkgs []sbom.Package) {
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := &pkgs[i], &pkgs[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Locations[0] < b.Locations[0]
	})
}
