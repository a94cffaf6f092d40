package pub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"

	"github.com/vigilproject/vigil/internal/catalog/internal/yamlnode"
)

const lockName = "pubspec.lock"

// Lock finds the packages pinned by pubspec.lock files, which `dart pub
// get` and `flutter pub get` write beside a project's pubspec.yaml.
//
// Only packages of source "hosted" are reported: those of pub.dev (url
// https://pub.dev, or https://pub.dartlang.org in lockfiles written before
// Dart 2.19, or no url at all in the oldest ones) with a plain pkg:pub PURL,
// those of another repository with its URL in a repository_url qualifier.
// Packages of sources "sdk" (flutter, flutter_test, sky_engine: parts of
// the SDK, locked at the placeholder version 0.0.0), "path" (the
// project's own packages, or copies kept beside it) and "git" (a
// repository at some commit, often a fork) are not pub.dev releases:
// their names may be taken on pub.dev by other code, so they are left
// out rather than matched against its advisories.
//
// Lockfiles inside a pub cache (those some packages publish with their
// sources) are not read: they describe the packages' own development, not
// anything built in the image.
//
// The lockfile's "dependency" field is not reported as Dev: "direct dev"
// only says a package is listed in dev_dependencies, even when a main
// dependency needs it too, and the development-only packages it pulls in
// are written "transitive" like all others.
type Lock struct{}

// NewLock returns the pubspec.lock cataloger.
func NewLock() *Lock { return &Lock{} }

// Name implements catalog.Cataloger.
func (*Lock) Name() string { return "pub-lock" }

// Version implements catalog.Cataloger.
func (*Lock) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*Lock) Wants(p string, mode fs.FileMode, size int64) bool {
	if size <= 0 || size > maxLockSize || !mode.IsRegular() {
		return false
	}
	if p != lockName && !strings.HasSuffix(p, "/"+lockName) {
		return false
	}
	return !strings.HasPrefix(p, ".pub-cache/") && !strings.Contains(p, "/.pub-cache/")
}

// Catalog implements catalog.Cataloger.
func (c *Lock) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := readFile(in.FS, p, maxLockSize)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
			continue
		}
		deps, err := parseLock(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
		}
		for _, d := range deps {
			pkgs = append(pkgs, newPackage(d, "/"+p, c.Name()))
		}
	}
	sortPackages(pkgs)
	return pkgs, nil
}

// parseLock reads a pubspec.lock:
//
//	packages:
//	  async:
//	    dependency: transitive
//	    description:
//	      name: async
//	      sha256: "947bfcf1…"
//	      url: "https://pub.dev"
//	    source: hosted
//	    version: "2.11.0"
//	sdks:
//	  dart: ">=3.0.0 <4.0.0"
//
// The oldest lockfiles (Dart 1) wrote a hosted description as the bare
// package name ("description: async"), meaning the default repository, and
// descriptions without a url mean it too.
// The error, when not nil, says what was skipped or why nothing could be
// read; the packages read are returned with it, each name, version and
// repository once.
func parseLock(data []byte) ([]dep, error) {
	top, err := decodeYAML(data)
	if err != nil || top == nil {
		return nil, err // an empty lockfile is one pub accepts
	}
	if top.Kind != yaml.MappingNode {
		return nil, errors.New("not a pubspec.lock: not a YAML mapping")
	}
	pkgs := yamlnode.Field(top, "packages")
	switch {
	case pkgs == nil && yamlnode.Field(top, "sdks") == nil && yamlnode.Field(top, "sdk") == nil:
		return nil, errors.New(`not a pubspec.lock: no "packages"`)
	case pkgs == nil || isNull(pkgs):
		return nil, nil
	case pkgs.Kind != yaml.MappingNode:
		return nil, fmt.Errorf(`not a pubspec.lock: "packages" is %s, not a mapping`, kind(pkgs))
	}
	var (
		out   []dep
		probs catalog.Skips
		seen  = make(map[dep]bool)
	)
	yamlnode.Pairs(pkgs, func(name string, spec *yaml.Node) {
		d, ok, err := lockEntry(name, spec)
		switch {
		case err != nil:
			probs.Add(strconv.Quote(short(name)), err)
		case ok && !seen[d]:
			seen[d] = true
			out = append(out, d)
		}
	})
	return out, probs.Err("package", "packages")
}

// lockEntry reads one entry of "packages". ok is false, without an error,
// for packages that are not hosted ones.
func lockEntry(name string, spec *yaml.Node) (d dep, ok bool, err error) {
	if !validName(name) {
		return d, false, errors.New("invalid package name")
	}
	if spec.Kind != yaml.MappingNode {
		return d, false, fmt.Errorf("entry is %s, not a mapping", kind(spec))
	}
	source, isStr := str(yamlnode.Field(spec, "source"))
	if !isStr {
		return d, false, fmt.Errorf("source is %s, not a string", kind(yamlnode.Field(spec, "source")))
	}
	switch source {
	case "sdk", "path", "git":
		return d, false, nil
	case "hosted":
	default:
		return d, false, fmt.Errorf("unknown source %q", short(source))
	}
	version, isStr := str(yamlnode.Field(spec, "version"))
	if !isStr {
		return d, false, fmt.Errorf("version is %s, not a string", kind(yamlnode.Field(spec, "version")))
	}
	if !validVersion(version) {
		return d, false, fmt.Errorf("invalid version %q", short(version))
	}
	repo, err := hostedDescription(name, yamlnode.Field(spec, "description"))
	if err != nil {
		return d, false, err
	}
	return dep{name: name, version: version, repo: repo}, true, nil
}

// hostedDescription reads the description of a hosted package: its name
// and, unless it is the default, its repository's URL. Pub refuses a
// description naming another package than the entry's key.
func hostedDescription(name string, desc *yaml.Node) (string, error) {
	if s, ok := str(desc); ok {
		if s != name {
			return "", fmt.Errorf("description names %q", short(s))
		}
		return "", nil
	}
	if desc == nil || desc.Kind != yaml.MappingNode {
		return "", fmt.Errorf("description is %s, neither a name nor a mapping", kind(desc))
	}
	n, ok := str(yamlnode.Field(desc, "name"))
	if !ok {
		return "", fmt.Errorf("description name is %s, not a string", kind(yamlnode.Field(desc, "name")))
	}
	if n != name {
		return "", fmt.Errorf("description names %q", short(n))
	}
	u := yamlnode.Field(desc, "url")
	if u == nil {
		return "", nil
	}
	raw, ok := str(u)
	if !ok {
		return "", fmt.Errorf("description url is %s, not a string", kind(u))
	}
	return hostedRepository(raw)
}
