// Package npm catalogs JavaScript packages: those installed under
// node_modules (each package's own package.json, the truth in an image) and,
// for projects shipped without node_modules, those their lockfiles pin
// (package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml).
package npm

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/license"
	"github.com/vigilproject/vigil/internal/sbom"
)

const (
	manifestName = "package.json"
	nodeModules  = "node_modules"

	// maxManifest bounds a package.json worth reading; real ones are a few
	// KiB (old npm versions embedded the readme, still far below this).
	maxManifest = 16 << 20
	// maxLockfile bounds a JSON lockfile worth reading: lockfiles of very
	// large monorepos reach tens of MiB, and the whole file is kept in
	// memory.
	maxLockfile = 64 << 20
	// maxYAMLLockfile bounds yarn.lock and pnpm-lock.yaml, whose YAML node
	// trees take some twenty times the size of the file while they are
	// read. 16 MiB is some 30,000 packages.
	maxYAMLLockfile = 16 << 20
	// maxWarnings bounds the warnings one Catalog call emits, so that a
	// tree of broken manifests cannot flood the inventory.
	maxWarnings = 50
)

// treeKind says what a path is inside a node_modules tree.
type treeKind int

const (
	notInTree    treeKind = iota // no node_modules segment
	treeOther                    // under node_modules, but not a package
	treeDir                      // a package's directory: node_modules/[@scope/]name
	treeManifest                 // a package's manifest: node_modules/[@scope/]name/package.json
)

// firstNodeModules returns the index of the first "node_modules" path
// segment of p, or -1.
func firstNodeModules(p string) int {
	for i := 0; ; {
		j := strings.Index(p[i:], nodeModules)
		if j < 0 {
			return -1
		}
		j += i
		end := j + len(nodeModules)
		if (j == 0 || p[j-1] == '/') && (end == len(p) || p[end] == '/') {
			return j
		}
		i = end
	}
}

// classify tells what p is in the npm tree. From the first node_modules
// segment on, an installed tree alternates "node_modules/" and a package
// directory ("name" or "@scope/name"): a package.json anywhere else — the
// test fixtures some packages ship (resolve's test/resolver/…/package.json,
// even test/…/node_modules/x/package.json) or the per-directory manifests
// of dual ESM/CommonJS packages (date-fns/add/package.json) — is not an
// installed package. The virtual stores of pnpm, bun and deno add one
// hidden directory and one store entry between two node_modules levels
// (node_modules/.pnpm/lodash@4.17.21/node_modules/lodash) or just the
// hidden directory (node_modules/.pnpm/node_modules/lodash).
//
// It does not allocate: it is called for every file of every layer.
func classify(p string) treeKind {
	i := firstNodeModules(p)
	if i < 0 {
		return notInTree
	}
	s := segments{p: p, i: i}
	s.next() // the first node_modules
	for {
		// The previous segment was a node_modules directory.
		seg, ok := s.next()
		if !ok || seg == "" {
			return treeOther
		}
		if seg[0] == '.' {
			// A virtual store: .pnpm/<entry>/node_modules or .pnpm/node_modules.
			if seg, ok = s.next(); !ok {
				return treeOther
			}
			if seg != nodeModules {
				if seg, ok = s.next(); !ok || seg != nodeModules {
					return treeOther
				}
			}
			continue
		}
		if seg[0] == '@' {
			if len(seg) == 1 {
				return treeOther
			}
			if seg, ok = s.next(); !ok || seg == "" || seg[0] == '.' || seg[0] == '@' {
				return treeOther
			}
		}
		seg, ok = s.next()
		switch {
		case !ok:
			return treeDir
		case seg == manifestName:
			if s.i < 0 {
				return treeManifest
			}
			return treeOther
		case seg != nodeModules:
			return treeOther
		}
	}
}

// segments walks the slash-separated elements of p from byte i on.
type segments struct {
	p string
	i int // start of the next element; -1 once all are read
}

func (s *segments) next() (string, bool) {
	if s.i < 0 {
		return "", false
	}
	rest := s.p[s.i:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		s.i += j + 1
		return rest[:j], true
	}
	s.i = -1
	return rest, true
}

// isManifestName reports whether the last element of p is package.json.
func isManifestName(p string) bool {
	return p == manifestName || strings.HasSuffix(p, "/"+manifestName)
}

// projectDir returns the directory that holds the node_modules tree p is
// in ("app" for "app/node_modules/x/package.json", "" at the root), and
// false when p is in no such tree.
func projectDir(p string) (string, bool) {
	i := firstNodeModules(p)
	if i < 0 {
		return "", false
	}
	return strings.TrimSuffix(p[:i], "/"), true
}

// validName reports whether s can be a package name: npm's own rules have
// changed over time, so only what would make the inventory misleading is
// refused.
func validName(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// validVersion is validName for versions; git and tarball dependencies of
// old lockfiles carry URLs as versions, which are kept.
func validVersion(s string) bool { return validName(s) }

// purl builds pkg:npm/[%40scope/]name@version.
func purl(name, version string) string {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if s, rest, ok := strings.Cut(name, "/"); ok {
			ns, n = s, rest
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, n, version, nil, "").ToString()
}

// licenses turns declared licences into sbom licences, dropping empty and
// repeated ones.
func licenses(declared []string) []sbom.License {
	var out []sbom.License
	for _, d := range declared {
		if strings.TrimSpace(d) == "" || slices.ContainsFunc(out, func(l sbom.License) bool { return l.Value == d }) {
			continue
		}
		l := sbom.License{Value: d}
		if s, ok := license.Normalize(d); ok {
			l.SPDX = s
		}
		out = append(out, l)
	}
	return out
}

// found is one package seen at one location.
type found struct {
	name, version string
	licenses      []string
	dev           bool
	loc           string // absolute path
}

// collector merges what was found into one package per name and version,
// with every location: the same package installed (or locked) in several
// places is one component with several pieces of evidence, as the core
// merges packages across catalogers.
type collector struct {
	foundBy string
	byKey   map[string]*sbom.Package
}

func newCollector(foundBy string) *collector {
	return &collector{foundBy: foundBy, byKey: make(map[string]*sbom.Package)}
}

func (c *collector) add(f found) {
	key := f.name + "\x00" + f.version
	p, ok := c.byKey[key]
	if !ok {
		c.byKey[key] = &sbom.Package{
			Ecosystem: sbom.NPM,
			Name:      f.name,
			Version:   f.version,
			PURL:      purl(f.name, f.version),
			Licenses:  licenses(f.licenses),
			Locations: []string{f.loc},
			FoundBy:   c.foundBy,
			Dev:       f.dev,
		}
		return
	}
	// A package needed outside development anywhere is not dev-only.
	p.Dev = p.Dev && f.dev
	if len(p.Licenses) == 0 {
		p.Licenses = licenses(f.licenses)
	}
	if !slices.Contains(p.Locations, f.loc) {
		p.Locations = append(p.Locations, f.loc)
	}
}

// packages returns the packages sorted by name, version and location.
func (c *collector) packages() []sbom.Package {
	if len(c.byKey) == 0 {
		return nil
	}
	out := make([]sbom.Package, 0, len(c.byKey))
	for _, p := range c.byKey {
		slices.Sort(p.Locations)
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b sbom.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Locations[0], b.Locations[0]))
	})
	return out
}

// warner reports at most maxWarnings problems, then counts the rest.
type warner struct {
	prefix string
	warn   func(string)
	n      int
}

func newWarner(prefix string, warn func(string)) *warner {
	if warn == nil {
		warn = func(string) {}
	}
	return &warner{prefix: prefix, warn: warn}
}

func (w *warner) printf(format string, args ...any) {
	w.n++
	if w.n <= maxWarnings {
		w.warn(w.prefix + ": " + fmt.Sprintf(format, args...))
	}
}

// flush reports how many warnings were held back.
func (w *warner) flush() {
	if w.n > maxWarnings {
		w.warn(fmt.Sprintf("%s: %d more warnings not shown", w.prefix, w.n-maxWarnings))
	}
}

// fileProblems gathers the problems met in the entries of one file, which
// are reported as one warning: a damaged lockfile of thousands of entries
// is one problem.
type fileProblems struct {
	w       *warner
	loc     string
	skipped int
	first   string
}

// file returns the problem gatherer for the file at loc.
func (w *warner) file(loc string) *fileProblems { return &fileProblems{w: w, loc: loc} }

// skip records an entry left out.
func (p *fileProblems) skip(format string, args ...any) {
	p.skipped++
	if p.first == "" {
		p.first = fmt.Sprintf(format, args...)
	}
}

// warn reports a problem with the file that did not stop its reading.
func (p *fileProblems) warn(format string, args ...any) {
	p.w.printf("%s: %s", p.loc, fmt.Sprintf(format, args...))
}

// done reports the entries left out.
func (p *fileProblems) done() {
	switch {
	case p.skipped == 1:
		p.w.printf("%s: entry skipped: %s", p.loc, p.first)
	case p.skipped > 1:
		p.w.printf("%s: %d entries skipped, the first: %s", p.loc, p.skipped, p.first)
	}
}
