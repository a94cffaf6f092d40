package npm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigilproject/vigil/internal/catalog/internal/yamlnode"
)

// maxYAMLDocuments bounds the documents read from a pnpm-lock.yaml: pnpm
// 10 may put an "env" lockfile document before the main one.
const maxYAMLDocuments = 4

// parsePnpmLock reads a pnpm-lock.yaml. Packages are keyed
// "/name/1.2.3_peer@1.0.0" in v5, "/name@1.2.3(peer@1.0.0)" in v6 and
// "name@1.2.3" in v9, whose snapshots section holds the peer-suffixed
// instances and their dependencies. Workspaces are the importers.
func parsePnpmLock(data []byte, proj *project, probs *fileProblems) ([]lockEntry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var top *yaml.Node
	for i := 0; i < maxYAMLDocuments; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
		top = yamlnode.Root(&doc) // the main lockfile is the last document
	}
	if top == nil {
		return nil, nil
	}
	if top.Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	packages := yamlnode.Field(top, "packages")
	importers := yamlnode.Field(top, "importers")
	if packages == nil && importers == nil {
		return nil, nil
	}
	v := yamlnode.Scalar(yamlnode.Field(top, "lockfileVersion"))
	major := lockMajor(v)
	if major < 5 {
		return nil, fmt.Errorf("unsupported lockfileVersion %q", v)
	}
	var dev map[string]bool
	if major >= 9 {
		dev = pnpmDev(importers, yamlnode.Field(top, "snapshots"))
	}
	var out []lockEntry
	yamlnode.Pairs(packages, func(k string, p *yaml.Node) {
		name, version, _ := pnpmKey(k, major)
		if n := yamlnode.Scalar(yamlnode.Field(p, "name")); n != "" {
			name = n
		}
		if v := yamlnode.Scalar(yamlnode.Field(p, "version")); v != "" {
			version = v
		}
		name, version = strings.TrimSpace(name), strings.TrimSpace(version)
		if strings.HasPrefix(version, "link:") || strings.HasPrefix(version, "file:") {
			return // a local directory
		}
		if !allowsLinux(scalars(yamlnode.Field(p, "os"))) {
			return // another platform's build, never installed on Linux
		}
		if name == "" || version == "" {
			probs.skip("%q: no name and version", k)
			return
		}
		if !validName(name) || !validVersion(version) {
			probs.skip("%q: invalid name or version", k)
			return
		}
		e := lockEntry{name: name, version: version}
		if major >= 9 {
			e.dev = dev[k]
		} else {
			e.dev = yamlnode.Scalar(yamlnode.Field(p, "dev")) == "true"
		}
		out = append(out, e)
	})
	// Workspaces are importers, keyed by directory; their own package.json
	// has their name and version.
	yamlnode.Pairs(importers, func(dir string, _ *yaml.Node) {
		d := joinDir(proj.dir, dir)
		if d == proj.dir {
			return // the root project
		}
		if m, ok := proj.manifest(d); ok && m.name != "" {
			out = append(out, lockEntry{name: m.name, version: m.version})
		}
	})
	return out, nil
}

// lockMajor returns the major number of a lockfileVersion ("5.4", "6.0",
// "9.0"), or 0.
func lockMajor(v string) int {
	v, _, _ = strings.Cut(strings.Trim(v, `'" `), ".")
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// pnpmKey splits a packages key into name and version, peer suffix
// removed. Keys of packages from elsewhere than the default registry may
// start with a host ("registry.example.com/name/1.0.0"), which is dropped;
// git and tarball keys do not parse, but their entries name the package.
func pnpmKey(key string, major int) (name, version string, ok bool) {
	k := key
	if major < 9 {
		var slash bool
		if k, slash = strings.CutPrefix(k, "/"); !slash {
			host, rest, found := strings.Cut(k, "/")
			if !found || !strings.Contains(host, ".") {
				return "", "", false
			}
			k = rest
		}
	}
	if major >= 6 {
		name, version, ok = splitSpec(k)
		if !ok {
			return "", "", false
		}
		version, _, _ = strings.Cut(version, "(")
		return name, version, name != "" && version != ""
	}
	// v5: name/version with an "_" before the peer suffix.
	i := 0
	if strings.HasPrefix(k, "@") {
		j := strings.IndexByte(k, '/')
		if j < 0 {
			return "", "", false
		}
		i = j + 1
	}
	j := strings.IndexByte(k[i:], '/')
	if j < 0 {
		return "", "", false
	}
	name, version = k[:i+j], k[i+j+1:]
	version, _, _ = strings.Cut(version, "_")
	return name, version, name != "" && version != "" && !strings.Contains(version, "/")
}

// pnpmDev tells, for lockfile v9, which packages keys only development
// needs: the importers name their dependencies by kind, and the snapshots
// link each package instance to its own.
func pnpmDev(importers, snapshots *yaml.Node) map[string]bool {
	if importers == nil || snapshots == nil {
		return nil
	}
	var keys []string
	var deps [][][2]string
	yamlnode.Pairs(snapshots, func(k string, s *yaml.Node) {
		keys = append(keys, k)
		deps = append(deps, append(stringMap(yamlnode.Field(s, "dependencies")), stringMap(yamlnode.Field(s, "optionalDependencies"))...))
	})
	index := make(map[string]int, len(keys))
	for i, k := range keys {
		index[k] = i
	}
	// A dependency is written "version(peers)", or "real-name@version" for
	// an alias, or "link:dir" for a workspace.
	find := func(name, ref string) int {
		if strings.HasPrefix(ref, "link:") {
			return -1
		}
		if i, ok := index[name+"@"+ref]; ok {
			return i
		}
		if i, ok := index[ref]; ok {
			return i
		}
		return -1
	}
	var prod, dev []int
	yamlnode.Pairs(importers, func(_ string, imp *yaml.Node) {
		for _, kind := range []string{"dependencies", "optionalDependencies", "devDependencies"} {
			yamlnode.Pairs(yamlnode.Field(imp, kind), func(name string, r *yaml.Node) {
				ref := yamlnode.Scalar(r) // v5: the version; since v6: {specifier, version}
				if r.Kind == yaml.MappingNode {
					ref = yamlnode.Scalar(yamlnode.Field(r, "version"))
				}
				if kind == "devDependencies" {
					dev = append(dev, find(name, ref))
				} else {
					prod = append(prod, find(name, ref))
				}
			})
		}
	})
	next := func(i int) []int {
		out := make([]int, 0, len(deps[i]))
		for _, d := range deps[i] {
			out = append(out, find(d[0], d[1]))
		}
		return out
	}
	inProd := reach(len(keys), prod, next)
	inDev := reach(len(keys), dev, next)
	// A package is dev-only when every instance of it (one per set of
	// peers) is reached only from development dependencies.
	prodBase := make(map[string]bool)
	devBase := make(map[string]bool)
	for i, k := range keys {
		base, _, _ := strings.Cut(k, "(")
		prodBase[base] = prodBase[base] || inProd[i]
		devBase[base] = devBase[base] || inDev[i]
	}
	out := make(map[string]bool)
	for base, d := range devBase {
		if d && !prodBase[base] {
			out[base] = true
		}
	}
	return out
}
