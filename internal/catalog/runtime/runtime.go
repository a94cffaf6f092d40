// Package runtime finds language runtimes and servers installed without a
// package manager — Node.js, Python, OpenJDK, the Go toolchain, PHP, Ruby,
// nginx, Apache httpd, Redis, PostgreSQL, BusyBox and OpenSSL — from their
// version files or from the version strings in their binaries.
//
// Files are chosen by name only. Binaries are streamed once and searched,
// in bounded reads, for a version string whose shape is particular to the
// product; a binary whose strings are unclear yields nothing rather than a
// guess. Every runtime found is reported, whoever installed it: the
// inventory drops those whose file an OS package owns, as the OS package
// already stands for them.
package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

const (
	// Binaries smaller than minBinary hold no runtime (launcher scripts
	// and stubs do not say their version); larger than maxBinary are
	// passed over.
	minBinary = 1 << 10
	maxBinary = 2 << 30
)

// Cataloger finds runtimes installed without a package manager.
type Cataloger struct{}

// New returns the runtime-binary cataloger.
func New() *Cataloger { return &Cataloger{} }

// Name implements catalog.Cataloger.
func (*Cataloger) Name() string { return "runtime-binary" }

// Version implements catalog.Cataloger.
func (*Cataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger: the known file names. Executables
// need an execute bit, shared libraries a .so name; version files must be
// small. Symbolic links are not wanted: the file they point to is, under
// its own name, so each binary is read once.
func (*Cataloger) Wants(p string, mode fs.FileMode, size int64) bool {
	if !mode.IsRegular() {
		return false
	}
	_, kind := classify(p[strings.LastIndexByte(p, '/')+1:])
	switch kind {
	case executable:
		return mode&0o111 != 0 && size >= minBinary && size <= maxBinary
	case library:
		return size >= minBinary && size <= maxBinary
	case versionFile:
		return size > 0 && size <= maxVersionFile
	}
	return false
}

// summary is what Extract keeps of a binary, as JSON: the product, and
// either its version and the string that showed it, or the distinct
// versions that made it unclear.
type summary struct {
	Name     string   `json:"name"`
	Version  string   `json:"version,omitempty"`
	Evidence string   `json:"evidence,omitempty"`
	Conflict []string `json:"conflict,omitempty"`
}

// Extract implements catalog.Extractor. A version file is kept whole when
// it looks like one; a binary is searched and only what was found is kept.
func (*Cataloger) Extract(ctx context.Context, p string, r io.Reader, size int64) ([]byte, error) {
	base := p[strings.LastIndexByte(p, '/')+1:]
	prod, kind := classify(base)
	switch kind {
	case notWanted:
		return nil, nil
	case versionFile:
		b, err := io.ReadAll(io.LimitReader(r, maxVersionFile+1))
		if err != nil {
			return nil, err
		}
		if len(b) > maxVersionFile || !looksLikeVersionFile(prod, b) {
			return nil, nil
		}
		return b, nil
	}
	var f finder
	switch prod {
	case python:
		f = newPythonFinder(pythonMinor(base))
	case redis:
		f = &redisFinder{}
	default:
		f = newAnchored(prod)
	}
	s, err := scan(ctx, r, size, f)
	if err != nil || s.Name == "" {
		return nil, err
	}
	return json.Marshal(s)
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
		prod, kind := classify(p[strings.LastIndexByte(p, '/')+1:])
		var name, version, evidence string
		var err error
		switch kind {
		case versionFile:
			name = prod.String()
			if prod == javaRelease {
				version, evidence, err = parseJavaRelease(data)
			} else {
				version, evidence, err = parseGoVersion(data)
			}
		case executable, library:
			var s summary
			if err = json.Unmarshal(data, &s); err != nil {
				err = fmt.Errorf("unreadable summary: %w", err)
				break
			}
			if len(s.Conflict) > 0 {
				err = fmt.Errorf("%s: the binary holds several version strings (%s): none is reported", s.Name, strings.Join(s.Conflict, ", "))
				break
			}
			if s.Name != prod.String() || s.Version == "" {
				err = fmt.Errorf("summary for %q names %q", prod, s.Name)
				break
			}
			name, version, evidence = s.Name, s.Version, s.Evidence
		default:
			continue
		}
		if err != nil {
			in.Warn(fmt.Sprintf("%s: %s: %v", c.Name(), loc, err))
			continue
		}
		pkgs = append(pkgs, sbom.Package{
			Ecosystem: sbom.Generic,
			Name:      name,
			Version:   version,
			PURL:      packageurl.NewPackageURL(packageurl.TypeGeneric, "", name, version, nil, "").ToString(),
			Locations: []string{loc},
			FoundBy:   c.Name(),
			Binary:    &sbom.BinaryMetadata{Evidence: loc + ": " + evidence},
		})
	}
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
	return pkgs, nil
}
