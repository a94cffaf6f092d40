package python

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// maxLockSize bounds the lockfiles and manifests the lock cataloger keeps
// in memory.
const maxLockSize = 16 << 20

// Lock finds the Python packages an application pins in its lockfiles:
// poetry.lock, Pipfile.lock, uv.lock and requirements files (only exact
// "name==version" pins count). Files under site-packages or dist-packages
// belong to installed distributions, not to an application, and are left
// out, as are the examples under /usr/share/doc.
type Lock struct{}

// NewLock returns the lockfile cataloger.
func NewLock() *Lock { return &Lock{} }

// Name implements catalog.Cataloger.
func (*Lock) Name() string { return "python-lock" }

// Version implements catalog.Cataloger.
func (*Lock) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*Lock) Wants(p string, mode fs.FileMode, size int64) bool {
	if size < 0 || size > maxLockSize {
		return false
	}
	dir, base := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, base = p[:i], p[i+1:]
	}
	switch base {
	case "poetry.lock", "Pipfile.lock", "uv.lock", "pyproject.toml":
	default:
		if !isRequirements(dir, base) {
			return false
		}
	}
	return !strings.Contains(p, "site-packages/") && !strings.Contains(p, "dist-packages/") && !strings.HasPrefix(p, "usr/share/doc/")
}

// isRequirements reports whether a file is named like a pip requirements
// file: "*requirements*.txt", or any .txt file in a "requirements*"
// directory (requirements/base.txt), where projects keep the files their
// main requirements file includes.
func isRequirements(dir, base string) bool {
	if !strings.HasSuffix(base, ".txt") {
		return false
	}
	if strings.Contains(base, "requirements") {
		return true
	}
	parent := dir[strings.LastIndexByte(dir, '/')+1:]
	return strings.HasPrefix(parent, "requirements")
}

// Catalog implements catalog.Cataloger.
func (c *Lock) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	add := func(file string, deps []dep) {
		for _, d := range deps {
			p := newPackage(d.name, d.version, "/"+file, c.Name())
			p.Dev = d.dev
			pkgs = append(pkgs, p)
		}
	}
	warn := func(file string, err error) {
		in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), file, err))
	}
	reqs := newRequirementsWalk(in.FS, warn)
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		base := path.Base(p)
		switch base {
		case "pyproject.toml":
			continue // read beside its poetry.lock
		case "poetry.lock", "Pipfile.lock", "uv.lock":
		default:
			for file, deps := range reqs.walk(p) {
				add(file, deps)
			}
			continue
		}
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			warn(p, err)
			continue
		}
		var deps []dep
		switch base {
		case "poetry.lock":
			var project *roots
			pp := path.Join(path.Dir(p), "pyproject.toml")
			if b, err := fs.ReadFile(in.FS, pp); err == nil {
				if r, err := parsePyproject(b); err != nil {
					warn(pp, err)
				} else {
					project = &r
				}
			}
			deps, err = parsePoetry(data, project)
		case "Pipfile.lock":
			deps, err = parsePipfile(data)
		case "uv.lock":
			deps, err = parseUV(data)
		}
		if err != nil {
			warn(p, err)
		}
		add(p, deps)
	}
	return finish(pkgs), nil
}

// dep is one pinned package of a lockfile.
type dep struct {
	name    string // normalised
	version string
	dev     bool
}
