package rpm

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// isDBPath reports whether p, relative to the image root, is where some rpm
// version keeps its package database.
func isDBPath(p string) bool {
	switch p {
	case "var/lib/rpm/rpmdb.sqlite", // rpm 4.16+ (Fedora 33–35, RHEL 9)
		"usr/lib/sysimage/rpm/rpmdb.sqlite", // rpm 4.16+ (Fedora 36+)
		"usr/lib/sysimage/rpm/Packages.db",  // NDB (SUSE)
		"var/lib/rpm/Packages.db",           // NDB
		"var/lib/rpm/Packages":              // Berkeley DB (RHEL ≤ 8, CentOS, Amazon Linux 2)
		return true
	}
	return false
}

// Cataloger finds the packages in rpm databases.
type Cataloger struct{}

// New returns an rpm cataloger.
func New() *Cataloger { return &Cataloger{} }

// Name returns "rpm".
func (*Cataloger) Name() string { return "rpm" }

// Version returns the version of the cataloger's output.
func (*Cataloger) Version() int { return 2 }

// Wants reports whether path is an rpm database or an Azure Linux
// distroless image's package manifest.
func (*Cataloger) Wants(path string, mode fs.FileMode, size int64) bool {
	return mode.IsRegular() && (isDBPath(path) || path == manifestPath && size <= maxManifestSize)
}

// Catalog returns the packages of the rpm databases in in.Paths, sorted by
// name, version and arch, leaving out the gpg-pubkey pseudo-packages. A
// package found in two databases (an image that kept its old database beside
// the new one) is listed once with both locations. A damaged database is an
// error naming it; a single package header that cannot be decoded is
// reported through in.Warn and skipped.
func (c *Cataloger) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	warn := in.Warn
	if warn == nil {
		warn = func(string) {}
	}
	var pkgs []sbom.Package
	seen := make(map[string]int) // Key → index in pkgs
	for _, p := range in.Paths {
		if !isDBPath(p) && p != manifestPath {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		loc := "/" + p
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			return nil, fmt.Errorf("rpm: %s: %w", loc, err)
		}
		var headers []*header
		if p == manifestPath {
			// A manifest lists no files; a bad line costs only itself.
			if headers, err = parseManifest(data); err != nil {
				warn("rpm: " + loc + ": " + err.Error())
			}
		} else if headers, err = readDB(ctx, data, func(msg string) { warn("rpm: " + loc + ": " + msg) }); err != nil {
			return nil, fmt.Errorf("rpm: %s: %w", loc, err)
		}
		for _, h := range headers {
			if h.name == "gpg-pubkey" {
				// Imported signing keys are recorded as pseudo-packages.
				continue
			}
			pkg := toPackage(h, loc, in.Distro, warn)
			if i, ok := seen[pkg.Key()]; ok {
				if !slices.Contains(pkgs[i].Locations, loc) {
					pkgs[i].Locations = append(pkgs[i].Locations, loc)
				}
				continue
			}
			seen[pkg.Key()] = len(pkgs)
			pkgs = append(pkgs, pkg)
		}
	}
	slices.SortStableFunc(pkgs, func(a, b sbom.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Arch, b.Arch))
	})
	return pkgs, nil
}

func toPackage(h *header, loc string, distro *sbom.Distro, warn func(string)) sbom.Package {
	vr := h.version + "-" + h.release
	meta := &sbom.RPMMetadata{
		Epoch:      h.epoch,
		Version:    h.version,
		Release:    h.release,
		SourceRPM:  h.sourceRPM,
		Vendor:     h.vendor,
		Modularity: h.modularityLabel,
		Size:       h.size,
	}
	p := sbom.Package{
		Ecosystem: sbom.RPM,
		Name:      h.name,
		Version:   evr(h.epoch, vr),
		Arch:      h.arch,
		PURL:      purl(h, vr, distro),
		Locations: []string{loc},
		FoundBy:   "rpm",
		RPM:       meta,
	}
	if h.sourceRPM != "" {
		name, srcVR, ok := parseSourceRPM(h.sourceRPM)
		if ok {
			p.SourceName = name
			// The file name of a source rpm carries no epoch, but the
			// source package has the binary's: advisories state fixed
			// versions with it, so it must be here to compare right.
			p.SourceVersion = evr(h.epoch, srcVR)
		} else {
			warn(fmt.Sprintf("rpm: %s: package %s: source rpm %q is not NAME-VERSION-RELEASE.src.rpm, ignored", loc, h.name, h.sourceRPM))
		}
	}
	if h.license != "" {
		p.Licenses = []sbom.License{{SPDX: licenseSPDX(h.license), Value: h.license}}
	}
	files, err := ownedFiles(h)
	if err != nil {
		warn(fmt.Sprintf("rpm: %s: package %s: %v; its files are not listed", loc, h.name, err))
	}
	p.Files = files
	return p
}

// ownedFiles returns the absolute paths of the files h owns, leaving out
// the directories it owns so that, as for apk, Files lists only what could
// be a program or a library.
func ownedFiles(h *header) ([]string, error) {
	names := h.oldFileNames
	if len(h.baseNames) > 0 {
		if len(h.dirIndexes) != len(h.baseNames) {
			return nil, fmt.Errorf("%d file names but %d directory indexes", len(h.baseNames), len(h.dirIndexes))
		}
		names = make([]string, len(h.baseNames))
		for i, base := range h.baseNames {
			d := h.dirIndexes[i]
			if d < 0 || int(d) >= len(h.dirNames) {
				return nil, fmt.Errorf("file %q: directory index %d out of range", base, d)
			}
			names[i] = h.dirNames[d] + base
		}
	}
	modes := h.fileModes
	if len(modes) != len(names) {
		modes = nil // without a mode for every file, keep every file
	}
	var files []string
	for i, name := range names {
		if modes != nil && modes[i]&0o170000 == 0o040000 {
			continue
		}
		// path.Join cleans the result, so odd entries ("..") stay inside
		// the image root rather than naming paths outside it.
		files = append(files, path.Join("/", name))
	}
	return files, nil
}

// purl returns pkg:rpm/<vendor>/<name>@<version>-<release> with the arch,
// epoch (when not zero), distro and upstream (source rpm) qualifiers, as the
// purl-spec rpm type and the distributions' own tools write it.
func purl(h *header, versionRelease string, distro *sbom.Distro) string {
	q := map[string]string{
		"arch":     h.arch,
		"upstream": h.sourceRPM,
	}
	if h.epoch != nil && *h.epoch != 0 {
		q["epoch"] = strconv.Itoa(*h.epoch)
	}
	var ns string
	if distro != nil && distro.ID != "" {
		ns = namespace(distro.ID)
		q["distro"] = distro.Release()
	}
	u := packageurl.NewPackageURL(packageurl.TypeRPM, ns, h.name, versionRelease, packageurl.QualifiersFromMap(q), "")
	// Normalize drops empty qualifiers, sorts them and lower-cases the
	// namespace; it fails only for an empty name, which rpm does not allow.
	_ = u.Normalize()
	return u.ToString()
}

// namespace maps an os-release ID to the vendor name used as the PURL
// namespace of its rpms. Vendors are named, not products: RHEL's packages are
// "redhat"'s, SLES's are "suse"'s.
func namespace(id string) string {
	id = strings.ToLower(id)
	switch id {
	case "rhel":
		return "redhat"
	case "ol":
		return "oracle"
	case "amzn":
		return "amazon"
	case "sles", "sled", "sles_sap", "sle_hpc", "sle-micro", "suse":
		return "suse"
	}
	if strings.HasPrefix(id, "opensuse") { // opensuse-leap, opensuse-tumbleweed, …
		return "opensuse"
	}
	// centos, fedora, rocky, almalinux, mariner, azurelinux, photon, … are
	// their own vendors' names.
	return id
}
