package composer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

const lockName = "composer.lock"

// Lock finds the packages pinned by composer.lock files: "packages" and
// "packages-dev" (Dev set).
//
// A composer.lock whose project has its vendor/composer/installed.json is
// left alone: what was installed is the truth, and the lockfile lists more
// when the image was built with `composer install --no-dev`. Lockfiles
// inside a vendor directory (shipped by some packages) and under
// /usr/share/doc are never read.
type Lock struct{}

// NewLock returns the composer.lock cataloger.
func NewLock() *Lock { return &Lock{} }

// Name implements catalog.Cataloger.
func (*Lock) Name() string { return "composer-lock" }

// Version implements catalog.Cataloger.
func (*Lock) Version() int { return 1 }

// Wants implements catalog.Cataloger: composer.lock files, and the
// installed.json files the installed cataloger wants too (kept once
// whoever wants them), to tell which projects have their vendor directory.
func (*Lock) Wants(p string, mode fs.FileMode, size int64) bool {
	if p == lockName || strings.HasSuffix(p, "/"+lockName) {
		return size >= 0 && size <= maxFileSize && !mode.IsDir() &&
			!strings.HasPrefix(p, "vendor/") && !strings.Contains(p, "/vendor/") && !strings.HasPrefix(p, "usr/share/doc/")
	}
	return wantsInstalled(p, mode, size)
}

// Catalog implements catalog.Cataloger.
func (c *Lock) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if path.Base(p) != lockName || c.installedBeside(in, p) {
			continue
		}
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
			continue
		}
		deps, err := parseLock(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
		}
		for _, d := range deps {
			pkgs = append(pkgs, newPackage(d, "/"+p, c.Name()))
		}
	}
	return finish(pkgs), nil
}

// installedBeside reports whether the project of the lockfile at p has a
// readable vendor/composer/installed.json, which the installed cataloger
// reports instead. A broken one does not count, so that the lockfile still
// speaks for the project.
func (c *Lock) installedBeside(in catalog.Input, p string) bool {
	inst := path.Join(path.Dir(p), "vendor", installedSuffix)
	data, err := fs.ReadFile(in.FS, inst)
	if err != nil {
		return false
	}
	deps, err := parseInstalled(data)
	return err == nil || len(deps) > 0
}

// lockFile is the part of composer.lock Vigil reads.
type lockFile struct {
	Packages    *[]entry `json:"packages"`
	PackagesDev []entry  `json:"packages-dev"`
}

// parseLock reads a composer.lock. The error, when not nil, says what was
// skipped or why nothing could be read; the packages read are returned
// with it.
func parseLock(data []byte) ([]dep, error) {
	data = trimBOM(data)
	if jsonStart(data) != '{' {
		if !json.Valid(data) {
			return nil, errors.New("invalid JSON")
		}
		return nil, errors.New("not a composer.lock: not an object")
	}
	var f lockFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if f.Packages == nil {
		return nil, errors.New("not a composer.lock: no \"packages\"")
	}
	deps, skipped := checkEntries(*f.Packages, false, nil, nil)
	deps, skippedDev := checkEntries(f.PackagesDev, true, nil, deps)
	return deps, skippedError(skipped + skippedDev)
}
