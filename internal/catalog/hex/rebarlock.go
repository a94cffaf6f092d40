package hex

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

const rebarLockName = "rebar.lock"

// RebarLock finds the Hex packages pinned by rebar3's rebar.lock files.
//
// rebar.lock is a file of Erlang terms. Current rebar3 writes {"1.2.0",
// Deps} (the lock format's version; "1.1.0" before pkg_hash_ext was added)
// and a second term holding the package hashes; the oldest files hold the
// Deps list alone.
// Each dependency is {Name, Source, Level}; a Source {pkg, Name, Version}
// (more elements are allowed) is a Hex package, the name being the
// package's, which may differ from the application's. Other sources (git,
// hg) name no Hex release and are left out. Lockfiles under _build, deps,
// _checkouts and rebar3's cache belong to dependencies and plugins, not to
// the project, and are not read.
type RebarLock struct{}

// NewRebarLock returns the rebar.lock cataloger.
func NewRebarLock() *RebarLock { return &RebarLock{} }

// Name implements catalog.Cataloger.
func (*RebarLock) Name() string { return "hex-rebar-lock" }

// Version implements catalog.Cataloger.
func (*RebarLock) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*RebarLock) Wants(p string, mode fs.FileMode, size int64) bool {
	return size > 0 && size <= maxLockSize && mode.IsRegular() && baseIs(p, rebarLockName) &&
		!inDir(p, "_build") && !inDir(p, "deps") && !inDir(p, "_checkouts") &&
		!strings.Contains(p, ".cache/rebar3/") && !strings.HasPrefix(p, "usr/share/doc/")
}

// Catalog implements catalog.Cataloger.
func (c *RebarLock) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	return catalogFiles(ctx, in, c.Name(), parseRebarLock)
}

// parseRebarLock reads a rebar.lock. The error, when not nil, says what
// was skipped or why nothing could be read; the packages read are returned
// with it.
func parseRebarLock(data []byte) ([]dep, error) {
	terms, err := parseErlang(data)
	if err != nil {
		return nil, err
	}
	if len(terms) == 0 {
		return nil, errors.New("empty file")
	}
	list := &terms[0]
	if list.kind == tupleTerm {
		if len(list.elems) != 2 || list.elems[0].kind != stringTerm {
			return nil, errors.New("not a rebar.lock: the first term is neither {Version, Dependencies} nor a list")
		}
		list = &list.elems[1]
	}
	if list.kind != listTerm {
		return nil, fmt.Errorf("not a rebar.lock: the dependencies are %s, not a list", list.kind)
	}
	var (
		deps []dep
		skip skipped
	)
	for i := range list.elems {
		e := &list.elems[i]
		if e.kind != tupleTerm || len(e.elems) != 3 {
			skip.add("entry "+strconv.Itoa(i+1), e.line, "%s, not a {Name, Source, Level} tuple", e.kind)
			continue
		}
		label := "entry " + strconv.Itoa(i+1)
		if s, ok := e.elems[0].erlString(); ok {
			label = quote(s)
		}
		src := &e.elems[1]
		if src.kind != tupleTerm || len(src.elems) == 0 || src.elems[0].kind != atomTerm {
			skip.add(label, e.line, "source is %s, not a {Type, …} tuple", src.kind)
			continue
		}
		if !src.elems[0].isAtom("pkg") {
			continue // git, hg and other sources: not a Hex release
		}
		if len(src.elems) < 3 {
			skip.add(label, e.line, "a pkg source without a version")
			continue
		}
		name, okName := src.elems[1].erlString()
		vsn, okVsn := src.elems[2].erlString()
		switch {
		case !okName:
			skip.add(label, e.line, "package name is %s, not a string", src.elems[1].kind)
		case !okVsn:
			skip.add(label, e.line, "version is %s, not a string", src.elems[2].kind)
		case !validName(name):
			skip.add(label, e.line, "invalid package name %s", quote(name))
		case !validVersion(vsn):
			skip.add(label, e.line, "invalid version %s", quote(vsn))
		default:
			deps = append(deps, dep{name: name, version: vsn})
		}
	}
	return dedupe(deps), skip.err()
}
