package hex

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

const (
	mixLockName = "mix.lock"
	// maxLockSize refuses absurd lockfiles: those of the largest umbrella
	// projects are a few hundred KiB.
	maxLockSize = 8 << 20
)

// MixLock finds the Hex packages pinned by Mix's mix.lock files.
//
// mix.lock is one Elixir map from application name to lock entry; a Hex
// entry is {:hex, :package, "version", …}. Its length grew with Hex (a
// bare name and version at first, then the checksum, the build tools and
// dependencies, the repository, the outer checksum); only the first three
// elements and the repository are read. Entries of other sources ({:git,
// …}) name no Hex release and are left out; Mix does not lock path and
// umbrella dependencies at all. Lockfiles under a deps directory belong to
// fetched dependencies, not to the project, and are not read.
type MixLock struct{}

// NewMixLock returns the mix.lock cataloger.
func NewMixLock() *MixLock { return &MixLock{} }

// Name implements catalog.Cataloger.
func (*MixLock) Name() string { return "hex-mix-lock" }

// Version implements catalog.Cataloger.
func (*MixLock) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*MixLock) Wants(p string, mode fs.FileMode, size int64) bool {
	return size > 0 && size <= maxLockSize && mode.IsRegular() && baseIs(p, mixLockName) &&
		!inDir(p, "deps") && !strings.HasPrefix(p, "usr/share/doc/")
}

// Catalog implements catalog.Cataloger.
func (c *MixLock) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	return catalogFiles(ctx, in, c.Name(), parseMixLock)
}

// parseMixLock reads a mix.lock. The error, when not nil, says what was
// skipped or why nothing could be read; the packages read are returned
// with it.
func parseMixLock(data []byte) ([]dep, error) {
	t, err := parseElixir(data)
	if err != nil {
		return nil, err
	}
	if t.kind != mapTerm {
		return nil, fmt.Errorf("not a mix.lock: %s, not a map", t.kind)
	}
	var (
		deps []dep
		skip skipped
	)
	for i := 0; i+1 < len(t.elems); i += 2 {
		key, v := &t.elems[i], &t.elems[i+1]
		label := "entry " + strconv.Itoa(i/2+1)
		if key.kind == atomTerm || key.kind == stringTerm {
			label = quote(key.text)
		}
		if v.kind != tupleTerm || len(v.elems) == 0 || v.elems[0].kind != atomTerm {
			skip.add(label, v.line, "%s, not a {:scm, …} tuple", v.kind)
			continue
		}
		if !v.elems[0].isAtom("hex") {
			continue // git and other sources: not a Hex release
		}
		if len(v.elems) < 3 {
			skip.add(label, v.line, "a :hex entry without a version")
			continue
		}
		name, vsn := &v.elems[1], &v.elems[2]
		switch {
		case name.kind != atomTerm:
			skip.add(label, v.line, "package name is %s, not an atom", name.kind)
		case vsn.kind != stringTerm:
			skip.add(label, v.line, "version is %s, not a string", vsn.kind)
		case !validName(name.text):
			skip.add(label, v.line, "invalid package name %s", quote(name.text))
		case !validVersion(vsn.text):
			skip.add(label, v.line, "invalid version %s", quote(vsn.text))
		default:
			org, err := mixOrg(v.elems)
			if err != nil {
				skip.add(label, v.line, "%v", err)
				continue
			}
			deps = append(deps, dep{name: name.text, version: vsn.text, org: org})
		}
	}
	return dedupe(deps), skip.err()
}

// mixOrg returns the hex.pm organisation of a Hex lock entry, from its
// seventh element, the repository: "hexpm" for public packages,
// "hexpm:org" for an organisation's. Another repository (a self-hosted
// one) has no PURL form and is reported like hexpm.
func mixOrg(elems []term) (string, error) {
	if len(elems) < 7 {
		return "", nil
	}
	repo := &elems[6]
	if repo.kind != stringTerm {
		return "", fmt.Errorf("repository is %s, not a string", repo.kind)
	}
	org, ok := strings.CutPrefix(repo.text, "hexpm:")
	if !ok {
		return "", nil
	}
	if !validName(org) {
		return "", fmt.Errorf("invalid repository %s", quote(repo.text))
	}
	return org, nil
}

// catalogFiles reads each wanted file with parse and reports its packages,
// warning about what parse says.
func catalogFiles(ctx context.Context, in catalog.Input, name string, parse func([]byte) ([]dep, error)) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		loc := "/" + p
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: %s: %v", name, loc, err))
			continue
		}
		deps, err := parse(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: %s: %v", name, loc, err))
		}
		for _, d := range deps {
			pkgs = append(pkgs, newPackage(d, loc, name))
		}
	}
	sortPackages(pkgs)
	return pkgs, nil
}

// baseIs reports whether the last element of p is name.
func baseIs(p, name string) bool {
	return p == name || strings.HasSuffix(p, name) && p[len(p)-len(name)-1] == '/'
}

// inDir reports whether p has a directory named dir among its elements.
func inDir(p, dir string) bool {
	for p != "" {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return false
		}
		if p[:i] == dir {
			return true
		}
		p = p[i+1:]
	}
	return false
}
