package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Installed finds the packages installed under node_modules directories,
// global ones (usr/lib/node_modules, usr/local/lib/node_modules) included,
// from each package's own package.json.
//
// Packages reached through a symlink in node_modules — npm and yarn
// workspaces (node_modules/ws → ../packages/ws), "file:" and "link:"
// dependencies, pnpm's virtual store — are reported at the real path of
// their package.json, which is where the files are in the image. A
// workspace is usually the project's own code, but npm installs it like any
// dependency and a vendored third-party directory looks the same, so it is
// reported (as Syft does); its name may then collide with a public package.
//
// The same name and version found at several paths is one package with
// every path as a location.
type Installed struct{}

// NewInstalled returns the cataloger of installed npm packages.
func NewInstalled() *Installed { return &Installed{} }

// Name implements catalog.Cataloger.
func (*Installed) Name() string { return "npm" }

// Version implements catalog.Cataloger.
func (*Installed) Version() int { return 1 }

// Wants implements catalog.Cataloger: the package.json of each package in
// a node_modules tree, the symlinks that stand for packages there, and the
// package.json files outside node_modules, which such symlinks may point at
// (workspaces).
func (*Installed) Wants(p string, mode fs.FileMode, size int64) bool {
	return wantsInstalled(p, mode, size)
}

func wantsInstalled(p string, mode fs.FileMode, size int64) bool {
	if mode&fs.ModeSymlink != 0 {
		// Cheap test first: most symlinks of an image are not in node_modules.
		return strings.Contains(p, nodeModules) && classify(p) == treeDir
	}
	if !isManifestName(p) || size > maxManifest || size < 0 {
		return false
	}
	k := classify(p)
	return k == treeManifest || k == notInTree
}

// resolver is implemented by the core's merged view of an image
// (layerfs.Merged): it follows every symlink of a path inside the image
// root. Without it, a package reached through a symlink is reported at the
// symlink's path.
type resolver interface {
	Resolve(p string) (string, error)
}

// Catalog implements catalog.Cataloger.
func (c *Installed) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	w := newWarner(c.Name(), in.Warn)
	defer w.flush()
	col := newCollector(c.Name())
	seen := make(map[string]bool)
	var links []string
	for i, p := range in.Paths {
		if i&255 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		switch classify(p) {
		case treeManifest:
			seen[p] = true
			readManifest(in.FS, p, "/"+p, false, col, w)
		case treeDir:
			links = append(links, p)
		}
	}
	res, _ := in.FS.(resolver)
	for i, l := range links {
		if i&255 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		target := l + "/" + manifestName
		loc := target
		if res != nil {
			r, err := res.Resolve(target)
			if err != nil {
				w.printf("/%s: %v", l, err)
				continue
			}
			if seen[r] || classify(r) == treeManifest {
				// Already counted, or a tree manifest that was not kept
				// (too large): the link adds nothing.
				continue
			}
			loc = r
		}
		readManifest(in.FS, target, "/"+loc, true, col, w)
	}
	return col.packages(), nil
}

// readManifest reads the package.json at p and adds its package, located
// at loc. When viaLink is set, a missing file is not worth a warning: the
// symlink points at something that is not a package (or was not kept).
func readManifest(fsys fs.FS, p, loc string, viaLink bool, col *collector, w *warner) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		if viaLink && errors.Is(err, fs.ErrNotExist) {
			return
		}
		w.printf("%s: %v", loc, err)
		return
	}
	m, err := parseManifest(data)
	if err != nil {
		w.printf("%s: %v", loc, err)
		return
	}
	col.add(found{name: m.name, version: m.version, licenses: m.licenses, loc: loc})
}

// manifestInfo is what the inventory takes from a package.json.
type manifestInfo struct {
	name, version string
	licenses      []string
}

// rawManifest holds the fields of a package.json undecoded, so that a
// field of an unexpected type is reported as such instead of failing the
// whole decoding.
type rawManifest struct {
	Name     json.RawMessage `json:"name"`
	Version  json.RawMessage `json:"version"`
	License  json.RawMessage `json:"license"`
	Licenses json.RawMessage `json:"licenses"`
}

var utf8BOM = []byte("\xef\xbb\xbf")

// parseManifest reads the name, version and declared licences of a
// package.json.
func parseManifest(data []byte) (manifestInfo, error) {
	data = bytes.TrimPrefix(data, utf8BOM) // npm strips it too
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		if !json.Valid(data) {
			return manifestInfo{}, errors.New("invalid JSON")
		}
		return manifestInfo{}, errors.New("not a JSON object")
	}
	var raw rawManifest
	if err := json.Unmarshal(data, &raw); err != nil {
		return manifestInfo{}, fmt.Errorf("invalid JSON: %w", err)
	}
	var m manifestInfo
	var err error
	if m.name, err = stringField("name", raw.Name); err != nil {
		return manifestInfo{}, err
	}
	if m.version, err = stringField("version", raw.Version); err != nil {
		return manifestInfo{}, err
	}
	if !validName(m.name) {
		return manifestInfo{}, fmt.Errorf("invalid name %q", m.name)
	}
	if !validVersion(m.version) {
		return manifestInfo{}, fmt.Errorf("package %s: invalid version %q", m.name, m.version)
	}
	m.licenses = declaredLicenses(nil, raw.License)
	m.licenses = declaredLicenses(m.licenses, raw.Licenses)
	return m, nil
}

// stringField decodes a required string field.
func stringField(field string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", fmt.Errorf("no %s", field)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s is not a string", field)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("no %s", field)
	}
	return s, nil
}

// declaredLicenses appends the licences a "license" or "licenses" field
// declares: a string ("MIT", "(MIT OR Apache-2.0)"), the legacy object
// ({"type": "MIT", "url": …}) or a list of either. Anything else declares
// nothing.
func declaredLicenses(out []string, raw json.RawMessage) []string {
	if len(raw) == 0 {
		return out
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out = append(out, s)
		}
	case '{':
		var o struct {
			Type json.RawMessage `json:"type"`
			Name json.RawMessage `json:"name"`
		}
		if json.Unmarshal(raw, &o) != nil {
			return out
		}
		for _, f := range []json.RawMessage{o.Type, o.Name} {
			var s string
			if len(f) > 0 && json.Unmarshal(f, &s) == nil && s != "" {
				return append(out, s)
			}
		}
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return out
		}
		for _, e := range list {
			if len(e) > 0 && e[0] != '[' { // one level of nesting only
				out = declaredLicenses(out, e)
			}
		}
	}
	return out
}
