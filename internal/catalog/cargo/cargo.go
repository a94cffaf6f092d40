// Package cargo finds Rust crates: in Cargo.lock files (the "cargo-lock"
// cataloger) and, through AuditableFromELF, in the dependency list that
// cargo-auditable embeds in binaries (read by the go-binary cataloger, which
// is the one extractor that streams executables).
package cargo

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

const (
	lockName = "Cargo.lock"
	// maxLockSize refuses absurd files: real lockfiles of the largest
	// workspaces are a few hundred KiB.
	maxLockSize = 16 << 20
)

// Cataloger finds crates in Cargo.lock files.
type Cataloger struct{}

// New returns the Cargo.lock cataloger.
func New() *Cataloger { return &Cataloger{} }

// Name implements catalog.Cataloger.
func (*Cataloger) Name() string { return "cargo-lock" }

// Version implements catalog.Cataloger.
func (*Cataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger. Lockfiles inside cargo's own caches
// (crate sources unpacked in ~/.cargo/registry/src, git checkouts) belong to
// the sources of dependencies, not to anything built in the image, and are
// left out.
func (*Cataloger) Wants(p string, mode fs.FileMode, size int64) bool {
	if size <= 0 || size > maxLockSize || !mode.IsRegular() {
		return false
	}
	if p != lockName && !strings.HasSuffix(p, "/"+lockName) {
		return false
	}
	return !strings.Contains(p, ".cargo/registry/") && !strings.Contains(p, ".cargo/git/")
}

// Catalog implements catalog.Cataloger.
func (c *Cataloger) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		loc := "/" + p
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			in.Warn(fmt.Sprintf("cargo-lock: %s: %v", loc, err))
			continue
		}
		crates, err := parseLock(data)
		if err != nil {
			in.Warn(fmt.Sprintf("cargo-lock: %s: %v", loc, err))
			continue
		}
		for _, cr := range crates {
			pkgs = append(pkgs, sbom.Package{
				Ecosystem: sbom.Cargo,
				Name:      cr.Name,
				Version:   cr.Version,
				PURL:      purl(cr.Name, cr.Version),
				Locations: []string{loc},
				FoundBy:   c.Name(),
			})
		}
	}
	sortPackages(pkgs)
	return pkgs, nil
}

// crate is one [[package]] entry of a lockfile.
type crate struct {
	Name     string `toml:"name"`
	Version  string `toml:"version"`
	Source   string `toml:"source"`
	Checksum string `toml:"checksum"`
}

// parseLock reads every lockfile format cargo has written: v1 (checksums in
// [metadata], and before 2017 the root crate in a [root] table), v2 (no
// version key, checksums inline) and the explicit "version = 3" and
// "version = 4". Crates without a source are workspace members, the
// project's own crates; they are kept, as Syft does, since they are what
// the lockfile describes. Duplicate name@version pairs (the same crate from
// two sources) are reported once.
func parseLock(data []byte) ([]crate, error) {
	// The format version needs no branching: every version keeps name,
	// version and source in [[package]] tables.
	var lock struct {
		Package []crate `toml:"package"`
		Root    *crate  `toml:"root"`
	}
	if err := toml.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("invalid TOML: %w", err)
	}
	all := lock.Package
	if lock.Root != nil {
		all = append(all, *lock.Root)
	}
	type key struct{ name, version string }
	seen := make(map[key]bool, len(all))
	out := make([]crate, 0, len(all))
	for _, c := range all {
		if c.Name == "" || c.Version == "" || seen[key{c.Name, c.Version}] {
			continue
		}
		seen[key{c.Name, c.Version}] = true
		out = append(out, c)
	}
	return out, nil
}
