// Package dpkg catalogs Debian packages from the dpkg database: the status
// file, distroless status.d stanzas, the installed-file lists and the
// machine-readable copyright files.
package dpkg

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/license"
	"github.com/vigilproject/vigil/internal/sbom"
)

const (
	statusFile = "var/lib/dpkg/status"
	statusDir  = "var/lib/dpkg/status.d/"
	infoDir    = "var/lib/dpkg/info/"
	docDir     = "usr/share/doc/"
)

// Cataloger finds dpkg packages.
type Cataloger struct{}

// New returns the dpkg cataloger.
func New() *Cataloger { return &Cataloger{} }

// Name implements catalog.Cataloger.
func (*Cataloger) Name() string { return "dpkg" }

// Version implements catalog.Cataloger.
func (*Cataloger) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*Cataloger) Wants(p string, mode fs.FileMode, size int64) bool {
	switch {
	case p == statusFile:
		return true
	case strings.HasPrefix(p, statusDir):
		return !strings.Contains(p[len(statusDir):], "/")
	case strings.HasPrefix(p, infoDir):
		rest := p[len(infoDir):]
		return !strings.Contains(rest, "/") && (strings.HasSuffix(rest, ".list") || strings.HasSuffix(rest, ".md5sums"))
	case strings.HasPrefix(p, docDir) && strings.HasSuffix(p, "/copyright"):
		return strings.Count(p[len(docDir):], "/") == 1
	}
	return false
}

// Catalog implements catalog.Cataloger.
func (c *Cataloger) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	type found struct {
		e   entry
		loc string
	}
	var entries []found
	for _, p := range in.Paths {
		var isDB bool
		switch {
		case p == statusFile:
			isDB = true
		case strings.HasPrefix(p, statusDir):
			// Distroless keeps one stanza file per package beside its
			// md5sums; only the stanza files are databases.
			isDB = !strings.HasSuffix(p, ".md5sums") && !strings.HasPrefix(path.Base(p), ".")
		}
		if !isDB {
			continue
		}
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			in.Warn(fmt.Sprintf("dpkg: /%s: %v", p, err))
			continue
		}
		for _, e := range parseStatus(data, "/"+p, in.Warn) {
			if e.installed() {
				entries = append(entries, found{e, "/" + p})
			}
		}
	}
	if len(entries) == 0 {
		return nil, nil
	}
	namespace := "debian"
	var distroQ string
	if in.Distro != nil {
		if in.Distro.ID != "" {
			namespace = in.Distro.ID
		}
		if in.Distro.VersionID != "" {
			distroQ = in.Distro.Release()
		}
	}
	pkgs := make([]sbom.Package, 0, len(entries))
	for _, f := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := f.e
		p := sbom.Package{
			Ecosystem:     sbom.Deb,
			Name:          e.Package,
			Version:       e.Version,
			Arch:          e.Architecture,
			SourceName:    e.Source,
			SourceVersion: e.SourceVersion,
			Locations:     []string{f.loc},
			FoundBy:       c.Name(),
			Dpkg: &sbom.DpkgMetadata{
				Maintainer:    e.Maintainer,
				InstalledSize: e.InstalledSize,
				Status:        e.Status,
				Section:       e.Section,
				Priority:      e.Priority,
				Depends:       e.Depends,
				PreDepends:    e.PreDepends,
				Provides:      e.Provides,
			},
		}
		if p.SourceName == "" {
			p.SourceName = e.Package
		}
		if p.SourceVersion == "" {
			p.SourceVersion = e.Version
		}
		p.Files = ownedFiles(in, e, f.loc)
		p.Licenses = licenses(in, e.Package)
		p.PURL = purl(namespace, distroQ, &p)
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// ownedFiles reads the package's file list: info/NAME.list (or
// NAME:ARCH.list for multi-arch packages), falling back to the md5sums
// file, which lists regular files only. Directories are left out.
func ownedFiles(in catalog.Input, e entry, loc string) []string {
	var candidates []string
	if strings.HasPrefix(loc, "/"+statusDir) {
		base := strings.TrimPrefix(loc, "/")
		candidates = append(candidates, base+".md5sums")
	}
	for _, n := range []string{e.Package + ":" + e.Architecture, e.Package} {
		candidates = append(candidates, infoDir+n+".list", infoDir+n+".md5sums")
	}
	for _, c := range candidates {
		data, err := fs.ReadFile(in.FS, c)
		if err != nil {
			continue
		}
		var files []string
		if strings.HasSuffix(c, ".md5sums") {
			files = parseMD5Sums(data)
		} else {
			files = dropDirs(parseList(data))
		}
		files = append(files, e.Conffiles...)
		slices.Sort(files)
		return slices.Compact(files)
	}
	return e.Conffiles
}

func parseList(data []byte) []string {
	var out []string
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		s := strings.TrimSpace(string(line))
		if s == "" || s == "/." {
			continue
		}
		out = append(out, s)
	}
	return out
}

// parseMD5Sums reads "md5  relative/path" lines.
func parseMD5Sums(data []byte) []string {
	var out []string
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		_, p, ok := strings.Cut(string(line), "  ")
		p = strings.TrimSpace(p)
		if !ok || p == "" {
			continue
		}
		out = append(out, "/"+strings.TrimPrefix(p, "/"))
	}
	return out
}

// dropDirs removes the entries that are parents of other entries: dpkg's
// lists name every directory a package touches, and those are not files it
// owns alone.
func dropDirs(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, p := range list {
		if i+1 < len(list) && strings.HasPrefix(list[i+1], p+"/") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// licenses reads /usr/share/doc/NAME/copyright.
func licenses(in catalog.Input, name string) []sbom.License {
	f, err := in.FS.Open(docDir + name + "/copyright")
	if err != nil {
		return nil
	}
	defer f.Close()
	decl, err := license.Debian(f)
	if err != nil {
		in.Warn(fmt.Sprintf("dpkg: /%s%s/copyright: %v", docDir, name, err))
	}
	var out []sbom.License
	for _, d := range decl {
		out = append(out, sbom.License{SPDX: d.SPDX, Value: d.Value})
	}
	return out
}

// purl builds pkg:deb/NAMESPACE/NAME@VERSION with qualifiers in the
// lexical order the purl spec asks for.
func purl(namespace, distro string, p *sbom.Package) string {
	q := map[string]string{}
	if p.Arch != "" {
		q["arch"] = p.Arch
	}
	if distro != "" {
		q["distro"] = distro
	}
	switch {
	case p.SourceVersion != p.Version:
		q["upstream"] = p.SourceName + "@" + p.SourceVersion
	case p.SourceName != p.Name:
		q["upstream"] = p.SourceName
	}
	return packageurl.NewPackageURL("deb", namespace, p.Name, p.Version, sortedQualifiers(q), "").ToString()
}

func sortedQualifiers(m map[string]string) packageurl.Qualifiers {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	q := make(packageurl.Qualifiers, 0, len(keys))
	for _, k := range keys {
		q = append(q, packageurl.Qualifier{Key: k, Value: m[k]})
	}
	return q
}
