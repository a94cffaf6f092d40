package npm

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigilproject/vigil/internal/catalog/internal/yamlnode"
)

// parseYarnLock reads a yarn.lock, classic (v1, yarn's own format) or
// berry (yarn 2 and later, YAML with a __metadata entry).
func parseYarnLock(data []byte, proj *project, probs *fileProblems) ([]lockEntry, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if bytes.HasPrefix(data, []byte("__metadata:")) || bytes.Contains(data, []byte("\n__metadata:")) {
		return parseBerry(data, proj, probs)
	}
	return parseYarnV1(data, proj, probs)
}

// yarnEntry is one entry of a yarn.lock: the descriptors it answers
// ("chalk@^2.4.1", "chalk@^2.4.2") and what they resolve to.
type yarnEntry struct {
	descriptors   []string
	name, version string
	protocol      string   // of the resolution: "npm", "workspace", "patch" …; "" for classic registry entries
	wsPath        string   // for a berry workspace, its directory relative to the lockfile
	deps          []string // descriptors of its dependencies
}

// local reports whether the entry is the project's own code rather than a
// fetched package.
func (e *yarnEntry) local() bool {
	switch e.protocol {
	case "workspace", "link", "portal":
		return true
	}
	return false
}

// parseYarnV1 reads the classic format:
//
//	"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
//	  version "7.12.13"
//	  resolved "https://registry.yarnpkg.com/…"
//	  dependencies:
//	    "@babel/highlight" "^7.12.13"
func parseYarnV1(data []byte, proj *project, probs *fileProblems) ([]lockEntry, error) {
	var entries []*yarnEntry
	var cur *yarnEntry
	inDeps := false
	content := false
	for n := 1; len(data) > 0; n++ {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte{'\n'})
		line := strings.TrimRight(string(raw), "\r")
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		content = true
		indent := len(line) - len(trimmed)
		switch {
		case indent == 0:
			cur, inDeps = nil, false
			descs, ok := splitYarnHeader(trimmed)
			if !ok {
				probs.skip("line %d: not an entry header", n)
				continue
			}
			cur = &yarnEntry{descriptors: descs}
			entries = append(entries, cur)
		case cur == nil:
			// The body of a header that could not be read.
		case indent <= 2:
			key, val, block, ok := yarnKeyValue(trimmed)
			if !ok {
				continue
			}
			inDeps = block && (key == "dependencies" || key == "optionalDependencies")
			if key == "version" && !block {
				cur.version = val
			}
		case inDeps:
			if key, val, block, ok := yarnKeyValue(trimmed); ok && !block {
				cur.deps = append(cur.deps, key+"@"+val)
			}
		}
	}
	if content && len(entries) == 0 {
		return nil, errors.New("not a yarn lockfile: no entries")
	}
	for _, e := range entries {
		name, rng, ok := splitSpec(e.descriptors[0])
		if !ok {
			probs.skip("%q is not name@range", e.descriptors[0])
			continue
		}
		if target, ok := strings.CutPrefix(rng, "npm:"); ok {
			// An alias: "my-lodash@npm:lodash@^4.17.0" installs lodash.
			if rn, _, ok := splitSpec(target); ok {
				name = rn
			}
		}
		e.name = name
		if p, _, ok := strings.Cut(rng, ":"); ok && !strings.Contains(p, "/") {
			e.protocol = p
		}
	}
	// Classic lockfiles do not list workspaces; their package.json files
	// tell them and, with the root's, which dependencies are for
	// development.
	var dev []bool
	var workspaces []*projectManifest
	if root, ok := proj.manifest(proj.dir); ok {
		ws, ok := proj.workspaceManifests(root)
		if ok || !root.hasWorkspaces {
			dev = yarnDev(entries, append([]*projectManifest{root}, ws...))
		}
		workspaces = ws
	}
	out := yarnEntries(entries, dev, probs)
	for _, m := range workspaces {
		if m.name != "" {
			out = append(out, lockEntry{name: m.name, version: m.version})
		}
	}
	return out, nil
}

// yarnEntries turns entries into packages, leaving out local ones.
func yarnEntries(entries []*yarnEntry, dev []bool, probs *fileProblems) []lockEntry {
	var out []lockEntry
	for i, e := range entries {
		if e.name == "" || e.local() {
			continue
		}
		v := strings.TrimSpace(e.version)
		if v == "" {
			probs.skip("%q has no version", e.descriptors[0])
			continue
		}
		if !validName(e.name) || !validVersion(v) {
			probs.skip("%q: invalid name or version", e.descriptors[0])
			continue
		}
		out = append(out, lockEntry{name: e.name, version: v, dev: dev != nil && dev[i]})
	}
	return out
}

// yarnDev marks the entries only development needs, from the projects'
// manifests.
func yarnDev(entries []*yarnEntry, manifests []*projectManifest) []bool {
	index := make(map[string]int)
	for i, e := range entries {
		for _, d := range e.descriptors {
			index[d] = i
		}
	}
	find := func(desc string) int {
		if i, ok := index[desc]; ok {
			return i
		}
		return -1
	}
	var prod, dev []int
	for _, m := range manifests {
		for _, deps := range []map[string]string{m.deps, m.optDeps, m.peerDeps} {
			for name, rng := range deps {
				prod = append(prod, find(name+"@"+rng))
			}
		}
		for name, rng := range m.devDeps {
			if m.devOnly(name) {
				dev = append(dev, find(name+"@"+rng))
			}
		}
	}
	return devOnlyNodes(len(entries), prod, dev, func(i int) []int {
		e := entries[i]
		if e.local() {
			return nil // a workspace is a root of its own
		}
		out := make([]int, 0, len(e.deps))
		for _, d := range e.deps {
			out = append(out, find(d))
		}
		return out
	})
}

// splitYarnHeader splits `"a@^1", a@~1.1:` into its descriptors.
func splitYarnHeader(s string) ([]string, bool) {
	s, ok := strings.CutSuffix(s, ":")
	if !ok {
		return nil, false
	}
	var out []string
	for s != "" {
		s = strings.TrimLeft(s, " ")
		tok, rest, ok := yarnToken(s, ',')
		if !ok || tok == "" {
			return nil, false
		}
		out = append(out, tok)
		s = strings.TrimLeft(rest, " ")
		if s != "" {
			if s[0] != ',' {
				return nil, false
			}
			s = s[1:]
		}
	}
	return out, len(out) > 0
}

// yarnKeyValue splits `key "value"`, `key value` and `key:` (a block).
func yarnKeyValue(s string) (key, val string, block, ok bool) {
	key, rest, ok := yarnToken(s, ' ')
	if !ok || key == "" {
		return "", "", false, false
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		if k, isBlock := strings.CutSuffix(key, ":"); isBlock {
			return k, "", true, true
		}
		return "", "", false, false
	}
	if rest == ":" {
		return key, "", true, true
	}
	val, tail, ok := yarnToken(rest, ' ')
	if !ok || strings.TrimSpace(tail) != "" {
		return "", "", false, false
	}
	return key, val, false, true
}

// yarnToken reads a quoted string or a bare word ending at stop or a
// space, and returns the rest.
func yarnToken(s string, stop byte) (tok, rest string, ok bool) {
	if s == "" {
		return "", "", false
	}
	if s[0] != '"' {
		i := 0
		for i < len(s) && s[i] != stop && s[i] != ' ' {
			i++
		}
		return s[:i], s[i:], true
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			q := s[:i+1]
			if u, err := strconv.Unquote(q); err == nil {
				return u, s[i+1:], true
			}
			return q[1 : len(q)-1], s[i+1:], true
		}
	}
	return "", "", false
}

// parseBerry reads the lockfile of yarn 2 and later:
//
//	"@babel/code-frame@npm:7.0.0, @babel/code-frame@npm:^7.0.0":
//	  version: 7.0.0
//	  resolution: "@babel/code-frame@npm:7.0.0"
//	  dependencies:
//	    "@babel/highlight": "npm:^7.0.0"
func parseBerry(data []byte, proj *project, probs *fileProblems) ([]lockEntry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	top := yamlnode.Root(&doc)
	if top.Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	var entries []*yarnEntry
	yamlnode.Pairs(top, func(k string, v *yaml.Node) {
		if k == "__metadata" {
			return
		}
		if !allowsLinux(berryOS(yamlnode.Scalar(yamlnode.Field(v, "conditions")))) {
			return // another platform's build, never installed on Linux
		}
		e := &yarnEntry{version: yamlnode.Scalar(yamlnode.Field(v, "version"))}
		for _, d := range strings.Split(k, ",") {
			if d = strings.TrimSpace(d); d != "" {
				e.descriptors = append(e.descriptors, d)
			}
		}
		if len(e.descriptors) == 0 {
			return
		}
		res := yamlnode.Scalar(yamlnode.Field(v, "resolution"))
		if res == "" {
			res = e.descriptors[0]
		}
		name, ref, ok := splitSpec(res)
		if !ok {
			probs.skip("%q is not name@reference", res)
			return
		}
		e.name = name
		if p, rest, ok := strings.Cut(ref, ":"); ok {
			e.protocol = p
			if p == "workspace" {
				e.wsPath = rest
			}
		}
		for _, d := range stringMap(yamlnode.Field(v, "dependencies")) {
			e.deps = append(e.deps, d[0]+"@"+d[1])
		}
		entries = append(entries, e)
	})
	out := yarnEntries(entries, berryDev(entries, proj), probs)
	// Workspaces are recorded with version 0.0.0-use.local; their own
	// package.json has the version.
	for _, e := range entries {
		if e.protocol != "workspace" {
			continue
		}
		dir := joinDir(proj.dir, e.wsPath)
		if dir == proj.dir {
			continue // the root project
		}
		if m, ok := proj.manifest(dir); ok && m.name != "" {
			out = append(out, lockEntry{name: m.name, version: m.version})
		}
	}
	return out, nil
}

// berryDev marks the development-only entries. A berry lockfile lists each
// workspace with its dependencies and development dependencies merged, so
// the workspaces' package.json files tell them apart; without all of them
// nothing is marked.
func berryDev(entries []*yarnEntry, proj *project) []bool {
	index := make(map[string]int)
	for i, e := range entries {
		for _, d := range e.descriptors {
			index[d] = i
		}
	}
	find := func(desc string) int {
		if i, ok := index[desc]; ok {
			return i
		}
		// Lockfiles before version 8 omit the default npm: protocol in
		// dependencies but not in descriptors.
		if name, rng, ok := splitSpec(desc); ok {
			if i, ok := index[name+"@npm:"+rng]; ok {
				return i
			}
		}
		return -1
	}
	var prod, dev []int
	workspaces := 0
	for _, e := range entries {
		if e.protocol != "workspace" {
			continue
		}
		workspaces++
		m, ok := proj.manifest(joinDir(proj.dir, e.wsPath))
		if !ok {
			return nil
		}
		for _, d := range e.deps {
			name, _, _ := splitSpec(d)
			if m.devOnly(name) {
				dev = append(dev, find(d))
			} else {
				prod = append(prod, find(d))
			}
		}
	}
	if workspaces == 0 {
		return nil
	}
	return devOnlyNodes(len(entries), prod, dev, func(i int) []int {
		e := entries[i]
		if e.local() {
			return nil
		}
		out := make([]int, 0, len(e.deps))
		for _, d := range e.deps {
			out = append(out, find(d))
		}
		return out
	})
}

// joinDir joins a directory relative to the image root and a path
// relative to it; the result never climbs above the root.
func joinDir(dir, rel string) string {
	return strings.TrimPrefix(path.Clean("/"+dir+"/"+rel), "/")
}

// berryOS returns the operating systems a berry "conditions" field
// ("os=darwin & cpu=arm64") names.
func berryOS(cond string) []string {
	var out []string
	for cond != "" {
		i := strings.Index(cond, "os=")
		if i < 0 {
			break
		}
		cond = cond[i+len("os="):]
		j := strings.IndexAny(cond, " &|)")
		if j < 0 {
			j = len(cond)
		}
		out = append(out, cond[:j])
		cond = cond[j:]
	}
	return out
}
