package dotnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

const lockName = "packages.lock.json"

// Lock finds the NuGet packages a project pins in its packages.lock.json
// (written when RestorePackagesWithLockFile is set): the Direct, Transitive
// and CentralTransitive dependencies of every target framework, merged.
// Project references are not packages and are left out. The lockfile does
// not say which packages are development-only (PrivateAssets), so Dev is
// never set.
type Lock struct{}

// NewLock returns the packages.lock.json cataloger.
func NewLock() *Lock { return &Lock{} }

// Name implements catalog.Cataloger.
func (*Lock) Name() string { return "dotnet-lock" }

// Version implements catalog.Cataloger.
func (*Lock) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*Lock) Wants(p string, mode fs.FileMode, size int64) bool {
	return size >= 0 && size <= maxFileSize && !mode.IsDir() &&
		(p == lockName || strings.HasSuffix(p, "/"+lockName)) && !strings.HasPrefix(p, "usr/share/doc/")
}

// Catalog implements catalog.Cataloger.
func (c *Lock) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
			continue
		}
		libs, err := parseLock(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
		}
		for _, l := range libs {
			pkgs = append(pkgs, newPackage(l.name, l.version, "/"+p, c.Name()))
		}
	}
	return finish(pkgs), nil
}

// lockFile is packages.lock.json: dependencies by target framework (and
// runtime identifier, "net8.0/linux-x64"), then by package ID.
type lockFile struct {
	Dependencies *map[string]map[string]struct {
		Type     string `json:"type"`
		Resolved string `json:"resolved"`
	} `json:"dependencies"`
}

// parseLock reads the packages of a packages.lock.json. The error, when
// not nil, says what was skipped or why nothing could be read; the packages
// read are returned with it.
func parseLock(data []byte) ([]library, error) {
	data = trimBOM(data)
	if jsonStart(data) != '{' {
		if !json.Valid(data) {
			return nil, errors.New("invalid JSON")
		}
		return nil, errors.New("not a packages.lock.json: not an object")
	}
	var f lockFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if f.Dependencies == nil {
		return nil, errors.New("not a packages.lock.json: no \"dependencies\"")
	}
	var (
		out      []library
		skipped  int
		firstBad string
	)
	for _, deps := range *f.Dependencies {
		for name, d := range deps {
			if d.Type == "Project" {
				continue
			}
			if !validName(name) || !validVersion(d.Resolved) {
				skipped++
				if firstBad == "" || name < firstBad {
					firstBad = name
				}
				continue
			}
			out = append(out, library{name: name, version: d.Resolved})
		}
	}
	if skipped > 0 {
		return out, fmt.Errorf("%d packages without a valid name and resolved version skipped, the first %q", skipped, clip(firstBad, 64))
	}
	return out, nil
}
