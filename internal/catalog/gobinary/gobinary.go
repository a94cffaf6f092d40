// Package gobinary finds what executables say about how they were built:
// the Go modules and toolchain recorded in a Go binary's build info, and
// the Rust crates that cargo-auditable records in an ELF section. It is the
// one extractor that streams executables, so that each is read once.
package gobinary

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/cargo"
	"github.com/vigilproject/vigil/internal/sbom"
)

const (
	// Executables smaller than this cannot hold build info; larger than
	// maxSize are passed over.
	minSize = 1 << 10
	maxSize = 1 << 30
)

// Cataloger finds Go modules in Go binaries and Rust crates in
// cargo-auditable binaries.
type Cataloger struct{}

// New returns the go-binary cataloger.
func New() *Cataloger { return &Cataloger{} }

// Name implements catalog.Cataloger.
func (*Cataloger) Name() string { return "go-binary" }

// Version implements catalog.Cataloger.
func (*Cataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger: regular files with an execute bit.
// Binaries copied into an image without one (rare: a build stage's output
// keeps its mode) are not looked at; wanting every file would stream every
// file of every layer through Extract.
func (*Cataloger) Wants(_ string, mode fs.FileMode, size int64) bool {
	return mode.IsRegular() && mode&0o111 != 0 && size >= minSize && size <= maxSize
}

// summary is what Extract keeps of a binary. It is JSON:
//
//	{"go":{"version":"go1.22.5","modinfo":"path\t…\nmod\t…\ndep\t…\n"}}
//	{"cargo":[{"name":"regex","version":"1.10.2","source":"crates.io"}, …]}
//
// modinfo is the module text as `go version -m` prints it (without its "go"
// line), which runtime/debug.ParseBuildInfo reads.
type summary struct {
	Go    *goSummary  `json:"go,omitempty"`
	Cargo []cargo.Dep `json:"cargo,omitempty"`
}

type goSummary struct {
	Version string `json:"version"`
	ModInfo string `json:"modinfo,omitempty"`
}

// Extract implements catalog.Extractor. It reads the first bytes of the
// file and stops there unless they start an ELF, Mach-O or PE executable.
// Go binaries are read up to their build info, which the Go linker puts at
// the start of the data; other ELF files are read to the end, keeping only
// their headers and unloaded tail, where cargo-auditable's section lives.
func (*Cataloger) Extract(ctx context.Context, _ string, r io.Reader, size int64) ([]byte, error) {
	res, err := scan(ctx, r, size)
	if err != nil || !res.isGo && len(res.crates) == 0 {
		return nil, err
	}
	var s summary
	if res.isGo {
		s.Go = &goSummary{Version: res.goVersion, ModInfo: res.modInfo}
	}
	s.Cargo = res.crates
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "=>" of replaced modules readable
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Catalog implements catalog.Cataloger.
func (c *Cataloger) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, ok := in.Extracted(p)
		if !ok {
			continue
		}
		loc := "/" + p
		var s summary
		if err := json.Unmarshal(data, &s); err != nil {
			in.Warn(fmt.Sprintf("go-binary: %s: unreadable summary: %v", loc, err))
			continue
		}
		if s.Go != nil {
			found, err := goPackages(s.Go.Version, s.Go.ModInfo, loc, c.Name())
			if err != nil {
				in.Warn(fmt.Sprintf("go-binary: %s: %v", loc, err))
			}
			pkgs = append(pkgs, found...)
		}
		pkgs = append(pkgs, cargo.AuditablePackages(s.Cargo, loc)...)
	}
	return mergeSorted(pkgs), nil
}

// mergeSorted sorts by name, version and location and merges packages
// found twice at the same place.
func mergeSorted(pkgs []sbom.Package) []sbom.Package {
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := &pkgs[i], &pkgs[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		if a.Locations[0] != b.Locations[0] {
			return a.Locations[0] < b.Locations[0]
		}
		return a.Ecosystem < b.Ecosystem
	})
	out := pkgs[:0]
	for _, p := range pkgs {
		if n := len(out); n > 0 {
			q := &out[n-1]
			if q.Ecosystem == p.Ecosystem && q.Name == p.Name && q.Version == p.Version && strings.Join(q.Locations, "\x00") == strings.Join(p.Locations, "\x00") {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}
