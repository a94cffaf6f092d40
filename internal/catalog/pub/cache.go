package pub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"

	"github.com/vigilproject/vigil/internal/catalog/internal/yamlnode"
)

const (
	pubspecSuffix = "/pubspec.yaml"
	hostedDir     = ".pub-cache/hosted"
)

// Cache finds the packages unpacked in a pub cache, where `dart pub get`
// keeps every hosted package it downloads, one directory per repository
// and one per package version:
//
//	.pub-cache/hosted/pub.dev/async-2.11.0/pubspec.yaml
//	.pub-cache/hosted/pub.dartlang.org/async-2.8.2/pubspec.yaml    (before Dart 2.19)
//	.pub-cache/hosted/dart.cloudsmith.io%47acme%47repo%47/x-1.0.0/pubspec.yaml
//
// An image whose last stage ran `dart pub get` carries them, usually in
// /root/.pub-cache. Name and version are read from the pubspec.yaml and
// must agree with the directory's name; the repository is told by the
// directory above, whose name is the repository's URL without https://
// and with pub's own escapes ("%47" for "/", "%58" for ":").
//
// Only a cache in a directory named .pub-cache is looked at (a cache moved
// elsewhere with PUB_CACHE is not found). Git dependencies, checked out in
// .pub-cache/git, are not pub.dev releases and are left out.
type Cache struct{}

// NewCache returns the pub cache cataloger.
func NewCache() *Cache { return &Cache{} }

// Name implements catalog.Cataloger.
func (*Cache) Name() string { return "pub-cache" }

// Version implements catalog.Cataloger.
func (*Cache) Version() int { return 1 }

// Wants implements catalog.Cataloger: the pubspec.yaml at the top of a
// package directory of a hosted cache.
func (*Cache) Wants(p string, mode fs.FileMode, size int64) bool {
	if size <= 0 || size > maxPubspecSize || !mode.IsRegular() {
		return false
	}
	_, _, ok := cachePath(p)
	return ok
}

// cachePath splits p, ".pub-cache/hosted/<host>/<name>-<version>/pubspec.yaml"
// at the root or under some directory, into its host and package
// directory names. It does not allocate: Wants calls it for every file.
func cachePath(p string) (host, pkgDir string, ok bool) {
	rest, found := strings.CutSuffix(p, pubspecSuffix)
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", "", false
	}
	pkgDir, rest = rest[i+1:], rest[:i]
	i = strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", "", false
	}
	host, rest = rest[i+1:], rest[:i]
	rest, found = strings.CutSuffix(rest, hostedDir)
	if !found || rest != "" && rest[len(rest)-1] != '/' || host == "" || host[0] == '.' {
		return "", "", false
	}
	name, version, found := strings.Cut(pkgDir, "-")
	if !found || !validName(name) || version == "" {
		return "", "", false
	}
	return host, pkgDir, true
}

// Catalog implements catalog.Cataloger.
func (c *Cache) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := c.read(in.FS, p)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
			continue
		}
		pkgs = append(pkgs, newPackage(d, "/"+p, c.Name()))
	}
	sortPackages(pkgs)
	return pkgs, nil
}

// read reads the package whose pubspec.yaml is at p.
func (c *Cache) read(fsys fs.FS, p string) (dep, error) {
	host, pkgDir, ok := cachePath(p)
	if !ok {
		return dep{}, errors.New("not in a hosted pub cache")
	}
	repo, err := cacheRepository(host)
	if err != nil {
		return dep{}, err
	}
	data, err := readFile(fsys, p, maxPubspecSize)
	if err != nil {
		return dep{}, err
	}
	d, err := parsePubspec(data)
	if err != nil {
		return dep{}, err
	}
	if pkgDir != d.name+"-"+d.version {
		return dep{}, fmt.Errorf("package %s %s does not match its directory %q", d.name, d.version, short(pkgDir))
	}
	d.repo = repo
	return d, nil
}

// parsePubspec reads the name and version of a package's pubspec.yaml.
func parsePubspec(data []byte) (dep, error) {
	top, err := decodeYAML(data)
	if err != nil {
		return dep{}, err
	}
	if top == nil || top.Kind != yaml.MappingNode {
		return dep{}, errors.New("not a pubspec.yaml: not a YAML mapping")
	}
	name, ok := str(yamlnode.Field(top, "name"))
	if !ok {
		return dep{}, fmt.Errorf("name is %s, not a string", kind(yamlnode.Field(top, "name")))
	}
	if !validName(name) {
		return dep{}, fmt.Errorf("invalid package name %q", short(name))
	}
	version, ok := str(yamlnode.Field(top, "version"))
	if !ok {
		return dep{}, fmt.Errorf("version is %s, not a string", kind(yamlnode.Field(top, "version")))
	}
	if !validVersion(version) {
		return dep{}, fmt.Errorf("invalid version %q", short(version))
	}
	return dep{name: name, version: version}, nil
}

// cacheEscapes are the characters pub writes as "%" and their decimal
// code in a cache directory name.
var cacheEscapes = map[string]byte{
	"34": '"', "37": '%', "42": '*', "47": '/', "58": ':',
	"60": '<', "62": '>', "63": '?', "92": '\\', "124": '|',
}

// cacheRepository turns the name of a hosted cache directory back into
// its repository's URL, "" for pub.dev. Pub drops the scheme for https and
// for loopback hosts, which it reaches over http.
func cacheRepository(dir string) (string, error) {
	if dir == pubDev || dir == pubDartlang {
		return "", nil
	}
	var b strings.Builder
	for i := 0; i < len(dir); i++ {
		if dir[i] == '%' {
			if i+4 <= len(dir) && dir[i+1:i+4] == "124" {
				b.WriteByte('|')
				i += 3
				continue
			}
			if i+3 <= len(dir) {
				if c, ok := cacheEscapes[dir[i+1:i+3]]; ok {
					b.WriteByte(c)
					i += 2
					continue
				}
			}
		}
		b.WriteByte(dir[i])
	}
	u := b.String()
	if !strings.Contains(u, "://") {
		if u == "localhost" || strings.HasPrefix(u, "localhost:") || strings.HasPrefix(u, "localhost/") {
			u = "http://" + u
		} else {
			u = "https://" + u
		}
	}
	repo, err := hostedRepository(u)
	if err != nil {
		return "", fmt.Errorf("cache directory %q names no repository", short(dir))
	}
	return repo, nil
}
