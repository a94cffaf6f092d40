package apk

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"slices"

	"github.com/package-url/packageurl-go"
	"github.com/vigilproject/vigil/internal/license"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// dbPath is where apk keeps its installed database, relative to the root.
const dbPath = "lib/apk/db/installed"

// defaultNamespace is the PURL namespace used when the distribution is not
// known: an installed database without os-release is almost always Alpine.
const defaultNamespace = "alpine"

// Cataloger finds the packages in apk's installed database.
type Cataloger struct{}

// New returns an apk cataloger.
func New() *Cataloger { return &Cataloger{} }

// Name returns "apk".
func (*Cataloger) Name() string { return "apk" }

// Version returns the version of the cataloger's output.
func (*Cataloger) Version() int { return 1 }

// Wants reports whether path is the installed database.
func (*Cataloger) Wants(path string, mode fs.FileMode, _ int64) bool {
	return path == dbPath && mode.IsRegular()
}

// Catalog returns the packages of the installed database, sorted by name,
// version and arch. Damaged lines and stanzas are reported through in.Warn
// and skipped; an unreadable database is an error.
func (c *Cataloger) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	warn := in.Warn
	if warn == nil {
		warn = func(string) {}
	}
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if p != dbPath {
			continue
		}
		loc := "/" + p
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			return nil, fmt.Errorf("apk: %s: %w", loc, err)
		}
		recs, err := parse(ctx, data, loc, warn)
		if err != nil {
			return nil, fmt.Errorf("apk: %s: %w", loc, err)
		}
		for i := range recs {
			pkgs = append(pkgs, toPackage(&recs[i], loc, in.Distro))
		}
	}
	slices.SortStableFunc(pkgs, func(a, b sbom.Package) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Arch, b.Arch))
	})
	return pkgs, nil
}

func toPackage(r *record, loc string, distro *sbom.Distro) sbom.Package {
	meta := r.meta
	p := sbom.Package{
		Ecosystem:  sbom.APK,
		Name:       r.name,
		Version:    r.version,
		Arch:       r.arch,
		SourceName: r.meta.Origin,
		PURL:       purl(r, distro),
		Locations:  []string{loc},
		Files:      r.files,
		FoundBy:    "apk",
		APK:        &meta,
	}
	if p.SourceName != "" {
		// An apk sub-package is always built together with its origin, so
		// the origin's version is the package's own.
		p.SourceVersion = r.version
	}
	if r.license != "" {
		p.Licenses = []sbom.License{{SPDX: spdx(r.license), Value: r.license}}
	}
	return p
}

// purl returns pkg:apk/<distro id>/<name>@<version>?arch=…&distro=…&upstream=…
// as the purl-spec apk type and the distributions' own scanners write it.
func purl(r *record, distro *sbom.Distro) string {
	ns := defaultNamespace
	q := map[string]string{"arch": r.arch}
	if distro != nil && distro.ID != "" {
		ns = distro.ID
		q["distro"] = distro.Release()
	}
	if r.meta.Origin != "" && r.meta.Origin != r.name {
		q["upstream"] = r.meta.Origin
	}
	u := packageurl.NewPackageURL(packageurl.TypeApk, ns, r.name, r.version, packageurl.QualifiersFromMap(q), "")
	// Normalize drops empty qualifiers, sorts them and lower-cases the
	// namespace and name as the apk type requires; it fails only for an
	// empty name, which parse never returns.
	_ = u.Normalize()
	return u.ToString()
}

// maxLicense bounds the licences checked against SPDX: real ones stay well
// under it, and the validator's cost grows faster than linearly, so a
// crafted megabyte-long value would stall the scan.
const maxLicense = 4 << 10

// spdx returns the canonical form of value when it is a valid SPDX licence
// expression, and "" otherwise. Current Alpine and Wolfi packages declare
// SPDX expressions; older Alpine ones used free-form names ("GPL2", "MIT BSD
// GPL2+") that are not guessed at, since a wrong SPDX identifier is worse
// than none.
func spdx(value string) string {
	if len(value) > maxLicense {
		return ""
	}
	if s, ok := license.Normalize(value); ok {
		return s
	}
	return ""
}
