package npm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// maxLockDepth bounds the nesting of a lockfileVersion 1 dependency tree
// walked; npm's own trees are a few levels deep.
const maxLockDepth = 64

// npmLock is package-lock.json and npm-shrinkwrap.json: "packages" keyed
// by install path in lockfileVersion 2 and 3, the nested "dependencies"
// tree in version 1 (kept in version 2 for old npm).
type npmLock struct {
	LockfileVersion json.RawMessage        `json:"lockfileVersion"`
	Packages        map[string]npmLockPkg  `json:"packages"`
	Dependencies    map[string]*npmLockDep `json:"dependencies"`
}

type npmLockPkg struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Dev     bool            `json:"dev"`
	OS      json.RawMessage `json:"os"`
	Link    bool            `json:"link"`
	// Resolved is, for a link, the target's key.
	Resolved string          `json:"resolved"`
	License  json.RawMessage `json:"license"`
}

type npmLockDep struct {
	Version      string                 `json:"version"`
	Dev          bool                   `json:"dev"`
	Dependencies map[string]*npmLockDep `json:"dependencies"`
}

// parsePackageLock reads a package-lock.json or npm-shrinkwrap.json.
func parsePackageLock(data []byte, probs *fileProblems) ([]lockEntry, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var lock npmLock
	if err := json.Unmarshal(data, &lock); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		// A field of an unexpected type is left empty; the rest stands.
		probs.warn("%v", err)
	}
	if len(lock.Packages) > 0 {
		return packagesEntries(lock.Packages, probs), nil
	}
	var out []lockEntry
	walkV1(lock.Dependencies, 1, &out, probs)
	return out, nil
}

// packagesEntries reads the "packages" map of lockfileVersion 2 and 3.
// Keys are install paths: "node_modules/a", "node_modules/a/node_modules/@s/b",
// a workspace's own directory ("packages/ws"), and "" for the root project.
func packagesEntries(pkgs map[string]npmLockPkg, probs *fileProblems) []lockEntry {
	keys := make([]string, 0, len(pkgs))
	// A link entry (node_modules/ws → packages/ws) names the package in its
	// target directory, whose own entry need not repeat the name.
	linkName := make(map[string]string)
	for k, p := range pkgs {
		keys = append(keys, k)
		if p.Link {
			if n, ok := installName(k); ok {
				linkName[path.Clean(p.Resolved)] = n
			}
		}
	}
	slices.Sort(keys)
	var out []lockEntry
	for _, k := range keys {
		p := pkgs[k]
		if k == "" || p.Link {
			continue // the root project; links are counted at their target
		}
		name := p.Name
		if name == "" {
			if n, ok := installName(k); ok {
				name = n
			} else if n, ok := linkName[k]; ok {
				name = n
			} else {
				name = path.Base(k)
			}
		}
		if !allowsLinux(jsonStrings(p.OS)) {
			// Another platform's build (@esbuild/darwin-arm64, an optional
			// dependency): npm does not install it on Linux, where images
			// run.
			continue
		}
		version := strings.TrimSpace(p.Version)
		if version == "" {
			probs.skip("%q has no version", k)
			continue
		}
		if !validName(name) || !validVersion(version) {
			probs.skip("%q: invalid name or version", k)
			continue
		}
		out = append(out, lockEntry{name: name, version: version, dev: p.Dev, licenses: declaredLicenses(nil, p.License)})
	}
	return out
}

// installName returns the package name an install path ends with:
// "@s/b" for "node_modules/a/node_modules/@s/b".
func installName(key string) (string, bool) {
	i := strings.LastIndex(key, nodeModules+"/")
	if i < 0 || (i > 0 && key[i-1] != '/') {
		return "", false
	}
	n := key[i+len(nodeModules)+1:]
	return n, n != ""
}

// walkV1 reads the nested "dependencies" of lockfileVersion 1.
func walkV1(deps map[string]*npmLockDep, depth int, out *[]lockEntry, probs *fileProblems) {
	if len(deps) == 0 {
		return
	}
	if depth > maxLockDepth {
		probs.skip("dependencies nested deeper than %d levels", maxLockDepth)
		return
	}
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		d := deps[n]
		if d == nil {
			continue
		}
		name, version := n, strings.TrimSpace(d.Version)
		switch {
		case version == "":
			probs.skip("%q has no version", n)
		case strings.HasPrefix(version, "file:"):
			// A local directory or tarball: no version is known.
		case strings.HasPrefix(version, "npm:"):
			// An alias: "npm:real-name@1.2.3".
			if rn, rv, ok := splitSpec(version[len("npm:"):]); ok {
				name, version = rn, rv
			}
			fallthrough
		default:
			if validName(name) && validVersion(version) {
				*out = append(*out, lockEntry{name: name, version: version, dev: d.Dev})
			} else {
				probs.skip("%q: invalid name or version", n)
			}
		}
		walkV1(d.Dependencies, depth+1, out, probs)
	}
}

// splitSpec splits "name@range" (name possibly scoped) at the @ that ends
// the name.
func splitSpec(s string) (name, rng string, ok bool) {
	i := 0
	if strings.HasPrefix(s, "@") {
		i = 1
	}
	j := strings.IndexByte(s[i:], '@')
	if j < 0 {
		return "", "", false
	}
	j += i
	if j == 0 {
		return "", "", false
	}
	return s[:j], s[j+1:], true
}

// jsonStrings decodes a list of strings, nil when it is not one.
func jsonStrings(raw json.RawMessage) []string {
	var list []string
	if len(raw) == 0 || json.Unmarshal(raw, &list) != nil {
		return nil
	}
	return list
}

// allowsLinux reports whether an "os" list (["darwin"], ["!win32"]) admits
// Linux; an empty list admits everything.
func allowsLinux(list []string) bool {
	positive, linux := false, false
	for _, o := range list {
		switch {
		case o == "!linux":
			return false
		case strings.HasPrefix(o, "!"):
		default:
			positive = true
			linux = linux || o == "linux"
		}
	}
	return !positive || linux
}
