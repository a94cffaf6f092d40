package gem

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// maxGemspecSize bounds the specifications kept in memory. Generated ones
// are a few KiB; the largest list every file of the gem.
const maxGemspecSize = 4 << 20

// Installed finds the gems installed in an image from the specification
// RubyGems keeps for each one, NAME-VERSION[-PLATFORM].gemspec in a
// "specifications" directory of a gem home: Ruby's own
// (/usr/lib/ruby/gems/3.1.0, /usr/local/lib/ruby/gems/3.3.0, including the
// default gems under specifications/default), `gem install`'s
// (/var/lib/gems/3.1.0, /usr/local/bundle), Bundler's vendor/bundle, and
// Debian's ruby-* packages (/usr/share/rubygems-integration/all,
// /usr/lib/<triplet>/rubygems-integration/<ruby version>).
//
// Gems Bundler checked out from git are not in a specifications directory
// and are not found here; the lock cataloger reports them from
// Gemfile.lock.
type Installed struct{}

// NewInstalled returns the installed-gem cataloger.
func NewInstalled() *Installed { return &Installed{} }

// Name implements catalog.Cataloger.
func (*Installed) Name() string { return "gem-installed" }

// Version implements catalog.Cataloger.
func (*Installed) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*Installed) Wants(p string, mode fs.FileMode, size int64) bool {
	return wantsSpec(p, mode, size)
}

// wantsSpec reports whether p is a gemspec in a specifications directory.
func wantsSpec(p string, mode fs.FileMode, size int64) bool {
	if size < 0 || size > maxGemspecSize || mode.IsDir() || !strings.HasSuffix(p, ".gemspec") {
		return false
	}
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return false
	}
	dir := p[:i]
	dir = strings.TrimSuffix(dir, "/default")
	return strings.HasSuffix(dir, "/specifications") || dir == "specifications"
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
		g, err := parseGemspec(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
			continue
		}
		if !validName(g.name) || !validVersion(g.version) {
			in.Warn(fmt.Sprintf("%s: /%s: no valid name and version (%q, %q)", c.Name(), p, clip(g.name, 64), clip(g.version, 64)))
			continue
		}
		platform := g.platform
		if platform != "" && !validPlatform(platform) {
			in.Warn(fmt.Sprintf("%s: /%s: platform %q ignored", c.Name(), p, clip(platform, 64)))
			platform = ""
		}
		pkg := newPackage(g.name, g.version, platform, "/"+p, c.Name())
		pkg.Licenses = licenses(g.licenses)
		pkgs = append(pkgs, pkg)
	}
	return finish(pkgs), nil
}
