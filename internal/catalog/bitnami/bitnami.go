// Package bitnami catalogs the components Bitnami installs under
// /opt/bitnami in its container images, from the SPDX documents it puts
// beside them and, in images older than those, from
// /opt/bitnami/.bitnami_components.json.
package bitnami

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/license"
	"github.com/vigilproject/vigil/internal/sbom"
)

const (
	root           = "opt/bitnami/"
	componentsName = ".bitnami_components.json"
	docPrefix      = ".spdx-"
)

// Size bounds of the files kept in memory. Real SPDX documents are a few
// KiB to a few hundred KiB (one with hundreds of bundled jars stays under
// 1 MiB); real .bitnami_components.json files are under 1 KiB.
const (
	maxDocSize        = 8 << 20
	maxComponentsSize = 1 << 20
)

// Cataloger finds Bitnami components. Each Bitnami package (a tarball
// unpacked into /opt/bitnami) carries an SPDX 2.3 JSON document,
// /opt/bitnami/<dir>/.spdx-<component>.spdx, listing the component and the
// components built into it, each with a pkg:bitnami PURL; only those are
// reported: entries with other PURL types (the jars, Go modules … that
// Bitnami's own scan found) are left to the catalogers that read the files
// themselves. Older images have only .bitnami_components.json, which names
// each component with its version, architecture and distribution; its
// entries are reported only for components no SPDX document names, since
// the file is copied into the image from the build context and can lag
// behind what was installed.
type Cataloger struct{}

// New returns the Bitnami cataloger.
func New() *Cataloger { return &Cataloger{} }

// Name implements catalog.Cataloger.
func (*Cataloger) Name() string { return "bitnami" }

// Version implements catalog.Cataloger.
func (*Cataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger: opt/bitnami/.bitnami_components.json
// and the .spdx-<component>.spdx documents directly inside a directory of
// opt/bitnami. Documents named .spdx-<component>.json are wanted too:
// images built around June 2025 hold the document under that name, with the
// .spdx name a symlink to it (or the other way round), and a symlink is
// read through only when its target was kept.
func (*Cataloger) Wants(p string, mode fs.FileMode, size int64) bool {
	if size < 0 || !(mode.IsRegular() || mode&fs.ModeSymlink != 0) || !strings.HasPrefix(p, root) {
		return false
	}
	rest := p[len(root):]
	if rest == componentsName {
		return size <= maxComponentsSize
	}
	return size <= maxDocSize && docStem(rest) != ""
}

// docStem returns the component a document path below opt/bitnami names,
// "postgresql" for "postgresql/.spdx-postgresql.spdx", and "" when rest is
// not a document directly inside a directory.
func docStem(rest string) string {
	dir, base, ok := strings.Cut(rest, "/")
	if !ok || dir == "" || strings.IndexByte(base, '/') >= 0 || !strings.HasPrefix(base, docPrefix) {
		return ""
	}
	stem, ok := strings.CutSuffix(base[len(docPrefix):], ".spdx")
	if !ok {
		stem, ok = strings.CutSuffix(base[len(docPrefix):], ".json")
	}
	if !ok {
		return ""
	}
	return stem
}

// Catalog implements catalog.Cataloger.
func (c *Cataloger) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	// One document per directory and component: under the two names a
	// document may have, the .spdx one comes first.
	var (
		docs       [][]string
		byStem     = map[string]int{}
		components string
	)
	for _, p := range in.Paths {
		if !strings.HasPrefix(p, root) {
			continue
		}
		rest := p[len(root):]
		if rest == componentsName {
			components = p
			continue
		}
		stem := docStem(rest)
		if stem == "" {
			continue
		}
		key := path.Dir(p) + "/" + stem
		if i, ok := byStem[key]; ok {
			docs[i] = append(docs[i], p)
			continue
		}
		byStem[key] = len(docs)
		docs = append(docs, []string{p})
	}

	var pkgs []sbom.Package
	// covered holds the components some SPDX document stood for.
	covered := map[string]bool{}
	for _, names := range docs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		slices.SortFunc(names, func(a, b string) int {
			return cmp.Or(cmp.Compare(nameRank(a), nameRank(b)), strings.Compare(a, b))
		})
		p, data, err := readFirst(in.FS, names, maxDocSize)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
			continue
		}
		comps, err := parseDocument(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
		}
		if len(comps) > 0 {
			covered[strings.ToLower(docStem(p[len(root):]))] = true
		}
		for _, d := range comps {
			covered[d.name] = true
			pkgs = append(pkgs, c.newPackage(d, "/"+p))
		}
	}

	if components != "" {
		data, err := readFile(in.FS, components, maxComponentsSize)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), components, err))
			return finish(pkgs), nil
		}
		comps, err := parseComponents(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), components, err))
		}
		for _, d := range comps {
			if !covered[d.name] {
				pkgs = append(pkgs, c.newPackage(d, "/"+components))
			}
		}
	}
	return finish(pkgs), nil
}

// nameRank orders the names of one document: .spdx first.
func nameRank(p string) int {
	if strings.HasSuffix(p, ".spdx") {
		return 0
	}
	return 1
}

// component is a Bitnami component read from a file, checked and ready to
// report.
type component struct {
	name, version string
	arch          string
	purl          string // canonical
	license       string // as declared, "" when none
}

func (c *Cataloger) newPackage(d component, location string) sbom.Package {
	p := sbom.Package{
		Ecosystem: sbom.Bitnami,
		Name:      d.name,
		Version:   d.version,
		Arch:      d.arch,
		PURL:      d.purl,
		Locations: []string{location},
		FoundBy:   c.Name(),
	}
	if d.license != "" {
		l := sbom.License{Value: d.license}
		if s, ok := license.Normalize(d.license); ok {
			l.SPDX = s
		}
		p.Licenses = []sbom.License{l}
	}
	return p
}

// finish sorts packages by name, version, location and PURL, and drops a
// package listed twice in one file.
func finish(pkgs []sbom.Package) []sbom.Package {
	slices.SortStableFunc(pkgs, func(a, b sbom.Package) int {
		return cmp.Or(
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version),
			strings.Compare(a.Locations[0], b.Locations[0]),
			strings.Compare(a.PURL, b.PURL),
		)
	})
	return slices.CompactFunc(pkgs, func(a, b sbom.Package) bool {
		return a.PURL == b.PURL && a.Locations[0] == b.Locations[0]
	})
}

// readFirst reads the first of names that can be read, returning its path.
// When none can, it returns the first name and its error.
func readFirst(fsys fs.FS, names []string, limit int64) (string, []byte, error) {
	var first error
	for _, p := range names {
		data, err := readFile(fsys, p, limit)
		if err == nil {
			return p, data, nil
		}
		if first == nil {
			first = err
		}
	}
	return names[0], nil, first
}

// readFile reads the file at p, refusing one larger than limit: the core
// keeps only files Wants accepted, but a view may hold more. Errors do not
// repeat the path, which the caller's warning names.
func readFile(fsys fs.FS, p string, limit int64) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes, not read", limit)
	}
	return data, nil
}
