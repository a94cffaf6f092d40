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

// Size bounds on the files the installed cataloger keeps in memory. A
// larger file is not wanted at all.
const (
	// maxMetadataSize bounds METADATA, PKG-INFO and file-form .egg-info;
	// only their header is read, but the long description that follows
	// it is in the same file.
	maxMetadataSize = 8 << 20
	// maxListSize bounds RECORD, installed-files.txt, SOURCES.txt and
	// top_level.txt.
	maxListSize = 16 << 20
	// maxEggSize bounds a zipped egg, which is kept whole to read its
	// EGG-INFO/PKG-INFO.
	maxEggSize = 32 << 20
)

// Installed finds the Python distributions installed in an image, wherever
// they are (site-packages, Debian's dist-packages, virtual environments):
// *.dist-info/METADATA, *.egg-info/PKG-INFO, file-form *.egg-info (as
// distutils writes them), zipped *.egg files and unpacked
// *.egg/EGG-INFO/PKG-INFO.
type Installed struct{}

// NewInstalled returns the installed-distribution cataloger.
func NewInstalled() *Installed { return &Installed{} }

// Name implements catalog.Cataloger.
func (*Installed) Name() string { return "python-installed" }

// Version implements catalog.Cataloger.
func (*Installed) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*Installed) Wants(p string, mode fs.FileMode, size int64) bool {
	if size < 0 || size > maxEggSize {
		return false
	}
	dir, base := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, base = p[:i], p[i+1:]
	}
	switch base {
	case "METADATA":
		return size <= maxMetadataSize && strings.HasSuffix(dir, ".dist-info")
	case "RECORD":
		return size <= maxListSize && strings.HasSuffix(dir, ".dist-info")
	case "PKG-INFO":
		return size <= maxMetadataSize && eggInfoDir(dir)
	case "installed-files.txt", "SOURCES.txt", "top_level.txt":
		return size <= maxListSize && eggInfoDir(dir)
	}
	// The file forms: a symlink by these names may well point at a
	// directory, which holds nothing to read.
	if !mode.IsRegular() {
		return false
	}
	if strings.HasSuffix(base, ".egg-info") {
		return size <= maxMetadataSize
	}
	// An egg is named NAME-VERSION[-pyX.Y[-PLATFORM]].egg.
	return strings.HasSuffix(base, ".egg") && strings.IndexByte(base, '-') > 0
}

// eggInfoDir reports whether dir holds egg metadata: "x.egg-info" beside
// the modules, or "x.egg/EGG-INFO" inside an unpacked egg.
func eggInfoDir(dir string) bool {
	return strings.HasSuffix(dir, ".egg-info") || strings.HasSuffix(dir, ".egg/EGG-INFO")
}

// Catalog implements catalog.Cataloger.
func (c *Installed) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		var kind string
		switch {
		case base == "METADATA":
			kind = "dist-info"
		case base == "PKG-INFO":
			kind = "egg-info"
		case strings.HasSuffix(base, ".egg-info"):
			kind = "egg-info file"
		case strings.HasSuffix(base, ".egg"):
			kind = "egg"
		default:
			continue // lists read on behalf of their metadata file
		}
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
			continue
		}
		if kind == "egg" {
			if data, err = readEgg(data); err != nil {
				in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
				continue
			}
		}
		m := parseMetadata(data)
		if !validName(m.Name) || !validVersion(m.Version) {
			in.Warn(fmt.Sprintf("%s: /%s: no valid Name and Version (%q, %q)", c.Name(), p, clip(m.Name, 64), clip(m.Version, 64)))
			continue
		}
		pkg := newPackage(normalize(m.Name), m.Version, "/"+p, c.Name())
		pkg.Licenses = licenses(m)
		switch kind {
		case "dist-info":
			pkg.Files = c.recordFiles(in, dir)
		case "egg-info":
			pkg.Files = eggFiles(in, dir)
		}
		pkgs = append(pkgs, pkg)
	}
	return finish(pkgs), nil
}

// recordFiles lists the files a dist-info's RECORD names.
func (c *Installed) recordFiles(in catalog.Input, distInfo string) []string {
	record := distInfo + "/RECORD"
	data, err := fs.ReadFile(in.FS, record)
	if err != nil {
		return nil // RECORD is optional (and Debian drops it at times)
	}
	files, err := parseRecord(data, path.Dir(distInfo))
	if err != nil {
		in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), record, err))
	}
	return files
}

// eggFiles lists the files of an egg-info directory's distribution: from
// installed-files.txt when pip wrote one, else from SOURCES.txt narrowed to
// the top-level modules.
func eggFiles(in catalog.Input, eggInfo string) []string {
	if data, err := fs.ReadFile(in.FS, eggInfo+"/installed-files.txt"); err == nil {
		return parseInstalledFiles(data, eggInfo)
	}
	sources, err := fs.ReadFile(in.FS, eggInfo+"/SOURCES.txt")
	if err != nil {
		return nil
	}
	top, err := fs.ReadFile(in.FS, eggInfo+"/top_level.txt")
	if err != nil {
		return nil
	}
	return parseSources(sources, top, path.Dir(eggInfo))
}
