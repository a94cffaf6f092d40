package hex

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Bounds on the files of a release: an .app file lists the modules of its
// application, a few thousand for the largest generated API clients; a
// .rel file lists the applications of the release.
const (
	maxAppSize = 4 << 20
	maxRelSize = 1 << 20
)

// Release finds the Hex packages installed in built releases.
//
// Both `mix release` and rebar3 (relx) copy every application of a release
// into <root>/lib/<app>-<vsn>/ (RabbitMQ: <root>/plugins/<app>-<vsn>/), its application resource file being
// ebin/<app>.app, an Erlang term {application, App, [{vsn, "…"}, …]}. In
// an image this is usually the only trace of the Hex dependencies, the
// project's mix.lock or rebar.lock staying in the build stage. Each
// application is reported as the Hex package of the same name, which is
// what hex.pm requires of nearly all packages, with the vsn of its .app
// file; a vsn that is not a string (git, {cmd, …}: never left so by a
// build) is not a version and the application is left out.
//
// Left out as well: the applications of Erlang/OTP and Elixir (otpApps);
// those of an OTP installation (<prefix>/erlang/lib, whose applications an
// OS package or the runtime's own installer put there) and under erts-*;
// and the release's own application, recognised as the one named like the
// release in <root>/releases/<vsn>/<name>.rel. The other applications of
// an umbrella project cannot be told from dependencies and are kept.
type Release struct{}

// NewRelease returns the release cataloger.
func NewRelease() *Release { return &Release{} }

// Name implements catalog.Cataloger.
func (*Release) Name() string { return "hex-release" }

// Version implements catalog.Cataloger.
func (*Release) Version() int { return 1 }

// Wants implements catalog.Cataloger: .app files of release applications
// and the .rel files that name the releases.
func (*Release) Wants(p string, mode fs.FileMode, size int64) bool {
	if size <= 0 || !mode.IsRegular() {
		return false
	}
	switch {
	case strings.HasSuffix(p, ".app"):
		_, _, ok := splitAppPath(p)
		return ok && size <= maxAppSize
	case strings.HasSuffix(p, ".rel"):
		_, ok := splitRelPath(p)
		return ok && size <= maxRelSize
	}
	return false
}

// Catalog implements catalog.Cataloger.
func (c *Release) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	// The releases' names first: .rel files sort after the lib directory.
	releases := map[string][]string{} // root → release names
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		root, ok := splitRelPath(p)
		if !ok {
			continue
		}
		rel, err := c.read(in, p, parseRel)
		if err != nil {
			in.Warn(err.Error())
			continue
		}
		releases[root] = append(releases[root], rel.name)
	}
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		root, app, ok := splitAppPath(p)
		if !ok || otpApps[app] || slices.Contains(releases[root], app) {
			continue
		}
		d, err := c.read(in, p, func(data []byte) (dep, error) { return parseApp(data, app) })
		if err != nil {
			in.Warn(err.Error())
			continue
		}
		if d.version != "" {
			pkgs = append(pkgs, newPackage(d, "/"+p, c.Name()))
		}
	}
	sortPackages(pkgs)
	return pkgs, nil
}

// read reads the file at p with parse, the error naming the file.
func (c *Release) read(in catalog.Input, p string, parse func([]byte) (dep, error)) (dep, error) {
	data, err := fs.ReadFile(in.FS, p)
	if err == nil {
		var d dep
		if d, err = parse(data); err == nil {
			return d, nil
		}
	}
	return dep{}, fmt.Errorf("%s: /%s: %w", c.Name(), p, err)
}

// parseApp reads the application resource file of app. An application
// whose vsn is not a string comes back without a version.
func parseApp(data []byte, app string) (dep, error) {
	terms, err := parseErlang(data)
	if err != nil {
		return dep{}, err
	}
	if len(terms) != 1 {
		return dep{}, fmt.Errorf("not an application resource file: %d terms, want one", len(terms))
	}
	t := &terms[0]
	if t.kind != tupleTerm || len(t.elems) != 3 || !t.elems[0].isAtom("application") {
		return dep{}, errors.New("not an application resource file: not {application, Name, Properties}")
	}
	name, props := &t.elems[1], &t.elems[2]
	switch {
	case name.kind != atomTerm:
		return dep{}, fmt.Errorf("application name is %s, not an atom", name.kind)
	case name.text != app:
		return dep{}, fmt.Errorf("application %s in %s.app", quote(name.text), app)
	case props.kind != listTerm:
		return dep{}, fmt.Errorf("application properties are %s, not a list", props.kind)
	case !validName(app):
		return dep{}, fmt.Errorf("application name %s is not a Hex package name", quote(app))
	}
	for i := range props.elems {
		prop := &props.elems[i]
		if prop.kind != tupleTerm || len(prop.elems) != 2 || !prop.elems[0].isAtom("vsn") {
			continue
		}
		vsn, ok := prop.elems[1].erlString()
		if !ok {
			return dep{name: app}, nil
		}
		if !validVersion(vsn) {
			return dep{}, fmt.Errorf("invalid vsn %s", quote(vsn))
		}
		return dep{name: app, version: vsn}, nil
	}
	return dep{name: app}, nil
}

// parseRel reads the name of a release from its .rel file,
// {release, {Name, Vsn}, {erts, Vsn}, Applications}. Only name is set.
func parseRel(data []byte) (dep, error) {
	terms, err := parseErlang(data)
	if err != nil {
		return dep{}, err
	}
	if len(terms) != 1 {
		return dep{}, fmt.Errorf("not a release resource file: %d terms, want one", len(terms))
	}
	t := &terms[0]
	if t.kind != tupleTerm || len(t.elems) != 4 || !t.elems[0].isAtom("release") ||
		t.elems[1].kind != tupleTerm || len(t.elems[1].elems) != 2 {
		return dep{}, errors.New("not a release resource file: not {release, {Name, Vsn}, {erts, Vsn}, Applications}")
	}
	name, ok := t.elems[1].elems[0].erlString()
	if !ok || name == "" {
		return dep{}, errors.New("release name is not a string")
	}
	return dep{name: name}, nil
}

// splitAppPath splits <root>/lib/<app>-<vsn>/ebin/<app>.app, root being
// empty for a lib directory at the image root, or the same under a plugins
// directory (RabbitMQ installs its plugins and their dependencies, cowboy
// or ranch, as /opt/rabbitmq/plugins/<app>-<vsn>). It refuses the lib
// directory of an OTP installation (<prefix>/erlang/lib) and anything
// under an erts-* directory. It does not allocate: Wants calls it for
// every .app file of every layer.
func splitAppPath(p string) (root, app string, ok bool) {
	rest, file := cutLast(p)
	app = strings.TrimSuffix(file, ".app")
	if app == "" || len(app) == len(file) {
		return "", "", false
	}
	rest, ebin := cutLast(rest)
	rest, appDir := cutLast(rest)
	root, lib := cutLast(rest)
	if ebin != "ebin" || (lib != "lib" && lib != "plugins") || len(appDir) < len(app)+2 || appDir[:len(app)] != app || appDir[len(app)] != '-' {
		return "", "", false
	}
	if _, parent := cutLast(root); parent == "erlang" || strings.HasPrefix(p, "erts-") || strings.Contains(p, "/erts-") {
		return "", "", false
	}
	return root, app, true
}

// splitRelPath splits <root>/releases/<vsn>/<name>.rel, returning root.
func splitRelPath(p string) (string, bool) {
	rest, file := cutLast(p)
	if len(file) <= len(".rel") {
		return "", false
	}
	rest, vsn := cutLast(rest)
	root, releases := cutLast(rest)
	if vsn == "" || releases != "releases" {
		return "", false
	}
	if _, parent := cutLast(root); parent == "erlang" {
		return "", false
	}
	return root, true
}

// cutLast splits p at its last slash; dir is empty when there is none.
func cutLast(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}
