package npm

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Lockfile names.
const (
	packageLock  = "package-lock.json"
	shrinkwrap   = "npm-shrinkwrap.json"
	yarnLock     = "yarn.lock"
	pnpmLockName = "pnpm-lock.yaml"
)

// Lock finds the packages pinned by the lockfiles of projects shipped
// without their node_modules: package-lock.json and npm-shrinkwrap.json
// (lockfileVersion 1, 2 and 3), yarn.lock (classic v1 and berry) and
// pnpm-lock.yaml (v5, v6 and v9).
//
// A lockfile beside a node_modules directory that holds packages is left
// alone: what was installed is the truth, and a lockfile often lists more
// (development dependencies pruned from the image, other platforms'
// optional dependencies). Lockfiles inside node_modules (published with
// some packages) are never read.
//
// The root project, links to local directories and other platforms'
// builds (optional dependencies such as @esbuild/darwin-arm64, which npm,
// yarn and pnpm skip on Linux) are left out; workspaces are reported with
// the version of their package.json, as the installed cataloger reports
// them through their node_modules symlink.
//
// Dev is set for packages needed only for development, from the lockfile
// (package-lock.json, pnpm v5/v6) or from the dependency graph and the
// project's package.json files (yarn, pnpm v9); when that cannot be told,
// packages are reported as not dev-only.
type Lock struct{}

// NewLock returns the lockfile cataloger.
func NewLock() *Lock { return &Lock{} }

// Name implements catalog.Cataloger.
func (*Lock) Name() string { return "npm-lock" }

// Version implements catalog.Cataloger.
func (*Lock) Version() int { return 1 }

// Wants implements catalog.Cataloger: lockfiles outside node_modules, the
// package.json files outside node_modules (project and workspace
// manifests, for dev dependencies), and what the installed cataloger
// wants of node_modules trees plus node_modules symlinks, to tell which
// projects have one. Those files
// are kept once whoever wants them, so wanting them twice costs nothing.
func (*Lock) Wants(p string, mode fs.FileMode, size int64) bool {
	if limit := lockfileLimit(p); limit > 0 {
		return mode&fs.ModeSymlink == 0 && size >= 0 && size <= limit && firstNodeModules(p) < 0
	}
	if mode&fs.ModeSymlink != 0 && isModulesLink(p) {
		return true
	}
	return wantsInstalled(p, mode, size)
}

// isModulesLink reports whether p is a project's node_modules directory
// itself (which, as a symlink, stands for a tree kept elsewhere).
func isModulesLink(p string) bool {
	return strings.HasSuffix(p, nodeModules) && firstNodeModules(p) == len(p)-len(nodeModules)
}

// lockfileLimit returns the largest lockfile worth reading at p, 0 when p
// is not named like a lockfile.
func lockfileLimit(p string) int64 {
	base := p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		base = p[i+1:]
	}
	switch base {
	case packageLock, shrinkwrap:
		return maxLockfile
	case yarnLock, pnpmLockName:
		return maxYAMLLockfile
	}
	return 0
}

// isLockfile reports whether p is named like a lockfile.
func isLockfile(p string) bool { return lockfileLimit(p) > 0 }

// lockEntry is one package a lockfile pins.
type lockEntry struct {
	name, version string
	licenses      []string
	dev           bool
}

// project is what a lockfile parser may consult beside the lockfile.
type project struct {
	fsys fs.FS
	dir  string // the lockfile's directory, "" at the root
	// manifests are the package.json files outside node_modules.
	manifests []string
}

// manifest reads the package.json at dir (relative to the image root).
func (p *project) manifest(dir string) (*projectManifest, bool) {
	data, err := fs.ReadFile(p.fsys, path.Join(dir, manifestName))
	if err != nil {
		return nil, false
	}
	return parseProjectManifest(data)
}

// Catalog implements catalog.Cataloger.
func (c *Lock) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	w := newWarner(c.Name(), in.Warn)
	defer w.flush()
	withModules := make(map[string]bool)
	var locks, manifests []string
	for _, p := range in.Paths {
		switch classify(p) {
		case treeManifest, treeDir:
			dir, _ := projectDir(p)
			withModules[dir] = true
		case treeOther:
			if isModulesLink(p) {
				withModules[dirOf(p)] = true
			}
		case notInTree:
			if isLockfile(p) {
				locks = append(locks, p)
			} else if isManifestName(p) {
				manifests = append(manifests, p)
			}
		}
	}
	shrinkwrapped := make(map[string]bool)
	for _, p := range locks {
		if path.Base(p) == shrinkwrap {
			shrinkwrapped[dirOf(p)] = true
		}
	}
	col := newCollector(c.Name())
	for _, p := range locks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir := dirOf(p)
		if withModules[dir] {
			continue
		}
		base := path.Base(p)
		if base == packageLock && shrinkwrapped[dir] {
			continue // npm ignores package-lock.json beside a shrinkwrap
		}
		loc := "/" + p
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			w.printf("%s: %v", loc, err)
			continue
		}
		proj := &project{fsys: in.FS, dir: dir, manifests: manifests}
		probs := w.file(loc)
		var entries []lockEntry
		switch base {
		case packageLock, shrinkwrap:
			entries, err = parsePackageLock(data, probs)
		case yarnLock:
			entries, err = parseYarnLock(data, proj, probs)
		case pnpmLockName:
			entries, err = parsePnpmLock(data, proj, probs)
		}
		probs.done()
		if err != nil {
			w.printf("%s: %v", loc, err)
			continue
		}
		for _, e := range entries {
			col.add(found{name: e.name, version: e.version, licenses: e.licenses, dev: e.dev, loc: loc})
		}
	}
	return col.packages(), nil
}

// dirOf returns the directory of p relative to the root, "" for the root.
func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}
