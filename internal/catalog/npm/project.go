package npm

import (
	"bytes"
	"encoding/json"
	"path"
	"strings"
)

// projectManifest is what a project's (or workspace's) package.json says
// about its dependencies.
type projectManifest struct {
	name, version                    string // when both are strings
	deps, devDeps, optDeps, peerDeps map[string]string
	// workspaces are the workspace patterns of a root project.
	workspaces    []string
	hasWorkspaces bool
}

// parseProjectManifest reads the dependency fields of a package.json; ok
// is false when they cannot be trusted.
func parseProjectManifest(data []byte) (*projectManifest, bool) {
	data = bytes.TrimPrefix(data, utf8BOM)
	var raw struct {
		Name                 json.RawMessage `json:"name"`
		Version              json.RawMessage `json:"version"`
		Dependencies         json.RawMessage `json:"dependencies"`
		DevDependencies      json.RawMessage `json:"devDependencies"`
		OptionalDependencies json.RawMessage `json:"optionalDependencies"`
		PeerDependencies     json.RawMessage `json:"peerDependencies"`
		Workspaces           json.RawMessage `json:"workspaces"`
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' || json.Unmarshal(data, &raw) != nil {
		return nil, false
	}
	m := &projectManifest{}
	name, errN := stringField("name", raw.Name)
	version, errV := stringField("version", raw.Version)
	if errN == nil && errV == nil && validName(name) && validVersion(version) {
		m.name, m.version = name, version
	}
	for _, f := range []struct {
		raw json.RawMessage
		dst *map[string]string
	}{
		{raw.Dependencies, &m.deps},
		{raw.DevDependencies, &m.devDeps},
		{raw.OptionalDependencies, &m.optDeps},
		{raw.PeerDependencies, &m.peerDeps},
	} {
		if len(f.raw) == 0 || string(f.raw) == "null" {
			continue
		}
		if json.Unmarshal(f.raw, f.dst) != nil {
			return nil, false
		}
	}
	if len(raw.Workspaces) > 0 && string(raw.Workspaces) != "null" {
		m.hasWorkspaces = true
		// Either a list of patterns or yarn's {"packages": [...], "nohoist": [...]}.
		var obj struct {
			Packages []string `json:"packages"`
		}
		if json.Unmarshal(raw.Workspaces, &m.workspaces) != nil {
			if json.Unmarshal(raw.Workspaces, &obj) != nil {
				return nil, false
			}
			m.workspaces = obj.Packages
		}
	}
	return m, true
}

// devOnly reports whether the project needs name only for development.
func (m *projectManifest) devOnly(name string) bool {
	if _, ok := m.devDeps[name]; !ok {
		return false
	}
	for _, d := range []map[string]string{m.deps, m.optDeps, m.peerDeps} {
		if _, ok := d[name]; ok {
			return false
		}
	}
	return true
}

// workspaceManifests returns the package.json of every workspace of the
// root project in p.dir, matched among p.manifests by its workspace
// patterns; ok is false when a pattern is beyond path.Match ("**",
// negations) or a workspace manifest cannot be read.
func (p *project) workspaceManifests(root *projectManifest) ([]*projectManifest, bool) {
	if len(root.workspaces) == 0 {
		return nil, true
	}
	var patterns []string
	for _, pat := range root.workspaces {
		pat = strings.TrimSuffix(strings.TrimPrefix(pat, "./"), "/")
		if pat == "" || strings.Contains(pat, "**") || strings.HasPrefix(pat, "!") {
			return nil, false
		}
		patterns = append(patterns, path.Clean(pat))
	}
	prefix := ""
	if p.dir != "" {
		prefix = p.dir + "/"
	}
	var out []*projectManifest
	for _, mp := range p.manifests {
		if !strings.HasPrefix(mp, prefix) {
			continue
		}
		rel := dirOf(mp[len(prefix):])
		if rel == "" {
			continue // the root itself
		}
		for _, pat := range patterns {
			matched, err := path.Match(pat, rel)
			if err != nil {
				return nil, false
			}
			if matched {
				m, ok := p.manifest(dirOf(mp))
				if !ok {
					return nil, false
				}
				out = append(out, m)
				break
			}
		}
	}
	return out, true
}

// devOnlyNodes marks the nodes of a dependency graph reachable from the
// development roots but not from the others. next returns a node's
// dependencies; nodes are 0..n-1 and out-of-range values are ignored.
func devOnlyNodes(n int, prodRoots, devRoots []int, next func(int) []int) []bool {
	prod := reach(n, prodRoots, next)
	dev := reach(n, devRoots, next)
	for i := range dev {
		dev[i] = dev[i] && !prod[i]
	}
	return dev
}

func reach(n int, roots []int, next func(int) []int) []bool {
	seen := make([]bool, n)
	stack := append([]int(nil), roots...)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i < 0 || i >= n || seen[i] {
			continue
		}
		seen[i] = true
		for _, j := range next(i) {
			if j >= 0 && j < n && !seen[j] {
				stack = append(stack, j)
			}
		}
	}
	return seen
}
