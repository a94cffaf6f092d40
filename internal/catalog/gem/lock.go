package gem

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// maxLockSize bounds the lockfiles kept in memory; the largest real ones
// are a few hundred KiB.
const maxLockSize = 16 << 20

// Lock finds the gems an application pins in its Gemfile.lock (or
// gems.locked, the name Bundler uses beside a gems.rb).
//
// A lockfile whose project has its gems installed under vendor/bundle
// (bundle install --deployment, or BUNDLE_PATH=vendor/bundle) is left
// alone: what was installed is the truth, reported by the installed
// cataloger, and the lockfile often lists more (gems of groups left out,
// other platforms' variants). Lockfiles inside installed gems (a gem's own
// development lockfile, shipped in its directory) and under /usr/share/doc
// are never read.
//
// Gemfile.lock does not record groups, so Dev is never set. Gems from git
// sources are reported with their version; gems from local paths (the
// project itself, vendored gems) are not.
type Lock struct{}

// NewLock returns the Gemfile.lock cataloger.
func NewLock() *Lock { return &Lock{} }

// Name implements catalog.Cataloger.
func (*Lock) Name() string { return "gem-lock" }

// Version implements catalog.Cataloger.
func (*Lock) Version() int { return 1 }

// Wants implements catalog.Cataloger: lockfiles, and the specifications the
// installed cataloger wants too (kept once whoever wants them), to tell
// which projects have their gems in vendor/bundle.
func (*Lock) Wants(p string, mode fs.FileMode, size int64) bool {
	if isLockfile(p) {
		return size >= 0 && size <= maxLockSize && !mode.IsDir() &&
			!strings.HasPrefix(p, "usr/share/doc/") && !insideInstalledGem(p)
	}
	return strings.HasSuffix(p, ".gemspec") && strings.Contains(p, "vendor/bundle/") && wantsSpec(p, mode, size)
}

func isLockfile(p string) bool {
	base := p[strings.LastIndexByte(p, '/')+1:]
	return base == "Gemfile.lock" || base == "gems.locked"
}

// insideInstalledGem reports whether p lies in the directory of an
// installed gem: under a "gems" directory of a gem home, whose parent is
// named for a Ruby version (ruby/3.2.0/gems, gems/3.1.0/gems), is Docker's
// /usr/local/bundle or Debian's rubygems-integration/all, or is Bundler's
// directory of git checkouts (bundler/gems).
func insideInstalledGem(p string) bool {
	for i := 0; ; {
		j := strings.Index(p[i:], "/gems/")
		if j < 0 {
			return false
		}
		j += i
		parent := p[strings.LastIndexByte(p[:j], '/')+1 : j]
		switch {
		case parent == "bundle", parent == "bundler", parent == "all":
			return true
		case parent != "" && '0' <= parent[0] && parent[0] <= '9':
			return true
		}
		i = j + 1
	}
}

// Catalog implements catalog.Cataloger.
func (c *Lock) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	// Projects with gems installed in their vendor/bundle.
	vendored := map[string]bool{}
	for _, p := range in.Paths {
		if i := strings.Index(p, "vendor/bundle/"); i >= 0 && !isLockfile(p) && (i == 0 || p[i-1] == '/') {
			vendored[strings.TrimSuffix(p[:i], "/")] = true
		}
	}
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !isLockfile(p) || vendored[dirOf(p)] {
			continue
		}
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
			continue
		}
		gems, err := parseGemfileLock(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
		}
		for _, g := range gems {
			pkgs = append(pkgs, newPackage(g.name, g.version, g.platform, "/"+p, c.Name()))
		}
	}
	return finish(pkgs), nil
}

// dirOf returns the directory of p, "" at the root.
func dirOf(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}
