package composer

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

const installedSuffix = "composer/installed.json"

// Installed finds the packages installed in a Composer vendor directory,
// from the vendor/composer/installed.json Composer maintains there: a JSON
// array in Composer 1, an object whose "packages" holds them in Composer 2,
// which also lists the development packages in "dev-package-names" (Dev is
// set for those; Composer 1 does not say).
type Installed struct{}

// NewInstalled returns the installed-package cataloger.
func NewInstalled() *Installed { return &Installed{} }

// Name implements catalog.Cataloger.
func (*Installed) Name() string { return "composer-installed" }

// Version implements catalog.Cataloger.
func (*Installed) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*Installed) Wants(p string, mode fs.FileMode, size int64) bool {
	return wantsInstalled(p, mode, size)
}

// wantsInstalled reports whether p is a composer/installed.json. The vendor
// directory may be renamed (config.vendor-dir), so only "composer/" is
// required of the parent.
func wantsInstalled(p string, mode fs.FileMode, size int64) bool {
	return size >= 0 && size <= maxFileSize && !mode.IsDir() && strings.HasSuffix(p, installedSuffix) &&
		(len(p) == len(installedSuffix) || p[len(p)-len(installedSuffix)-1] == '/')
}

// Catalog implements catalog.Cataloger.
func (c *Installed) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
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
		deps, err := parseInstalled(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
		}
		for _, d := range deps {
			pkgs = append(pkgs, newPackage(d, "/"+p, c.Name()))
		}
	}
	return finish(pkgs), nil
}

// installed2 is Composer 2's installed.json.
type installed2 struct {
	Packages        *[]entry `json:"packages"`
	DevPackageNames []string `json:"dev-package-names"`
}

var errNotInstalled = errors.New("not a Composer installed.json: neither an array of packages nor an object with \"packages\"")

// parseInstalled reads an installed.json of either format. The error, when
// not nil, says what was skipped or why nothing could be read; the packages
// read are returned with it.
func parseInstalled(data []byte) ([]dep, error) {
	var (
		entries []entry
		devs    map[string]bool
	)
	data = trimBOM(data)
	switch jsonStart(data) {
	case '[':
		if err := json.Unmarshal(data, &entries); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
	case '{':
		var f installed2
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		if f.Packages == nil {
			return nil, errNotInstalled
		}
		entries = *f.Packages
		devs = make(map[string]bool, len(f.DevPackageNames))
		for _, n := range f.DevPackageNames {
			devs[strings.ToLower(n)] = true
		}
	default:
		if !json.Valid(data) {
			return nil, errors.New("invalid JSON")
		}
		return nil, errNotInstalled
	}
	deps, skipped := checkEntries(entries, false, devs, nil)
	return deps, skippedError(skipped)
}
