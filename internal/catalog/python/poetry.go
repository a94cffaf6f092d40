package python

import (
	"fmt"
	"slices"

	"github.com/BurntSushi/toml"
)

// poetryLock is the part of poetry.lock Vigil reads.
type poetryLock struct {
	Package []struct {
		Name    string `toml:"name"`
		Version string `toml:"version"`
		// Category is "main" or "dev" in lock format 1.x.
		Category string `toml:"category"`
		// Groups name the dependency groups that need the package
		// (lock format 2.1, Poetry 2). Format 2.0 records neither.
		Groups       []string                  `toml:"groups"`
		Dependencies map[string]toml.Primitive `toml:"dependencies"`
	} `toml:"package"`
}

// parsePoetry reads a poetry.lock. A package is a development one when its
// category is "dev" (lock 1.x) or "main" is not among its groups (lock
// 2.1). Lock 2.0 says neither, so the project's direct dependencies, when
// its pyproject.toml was read, decide: a package only reachable from
// development groups is a development one.
func parsePoetry(data []byte, project *roots) ([]dep, error) {
	var lock poetryLock
	if _, err := decodeTOML(data, &lock); err != nil {
		return nil, err
	}
	var devOnly map[string]bool
	if project != nil {
		edges := make(map[string][]string, len(lock.Package))
		for _, p := range lock.Package {
			n := normalize(p.Name)
			for d := range p.Dependencies {
				edges[n] = append(edges[n], normalize(d))
			}
		}
		devOnly = project.devOnly(edges)
	}
	var out []dep
	skipped := 0
	for _, p := range lock.Package {
		if !validName(p.Name) || !validVersion(p.Version) {
			skipped++
			continue
		}
		d := dep{name: normalize(p.Name), version: p.Version}
		switch {
		case p.Category != "":
			d.dev = p.Category == "dev"
		case len(p.Groups) > 0:
			d.dev = !slices.Contains(p.Groups, "main")
		default:
			d.dev = devOnly[d.name]
		}
		out = append(out, d)
	}
	if skipped > 0 {
		return out, fmt.Errorf("packages without a valid name and version skipped: %d", skipped)
	}
	return out, nil
}

// pyproject is the part of pyproject.toml that names a project's direct
// dependencies.
type pyproject struct {
	Project struct {
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
	} `toml:"project"`
	// DependencyGroups are PEP 735 groups: development needs by
	// definition, as they are never part of the published project.
	DependencyGroups map[string][]toml.Primitive `toml:"dependency-groups"`
	Tool             struct {
		Poetry struct {
			Dependencies    map[string]toml.Primitive `toml:"dependencies"`
			DevDependencies map[string]toml.Primitive `toml:"dev-dependencies"`
			Group           map[string]struct {
				Dependencies map[string]toml.Primitive `toml:"dependencies"`
			} `toml:"group"`
		} `toml:"poetry"`
	} `toml:"tool"`
}

// parsePyproject returns the direct dependencies of a project, production
// and development, as PEP 621 ([project]), PEP 735 ([dependency-groups])
// and Poetry ([tool.poetry.*]) write them.
func parsePyproject(data []byte) (roots, error) {
	var pp pyproject
	md, err := decodeTOML(data, &pp)
	if err != nil {
		return roots{}, err
	}
	var r roots
	for _, req := range pp.Project.Dependencies {
		r.addMain(requirementName(req))
	}
	for _, reqs := range pp.Project.OptionalDependencies {
		for _, req := range reqs {
			r.addMain(requirementName(req))
		}
	}
	for name := range pp.Tool.Poetry.Dependencies {
		if name != "python" {
			r.addMain(name)
		}
	}
	for name := range pp.Tool.Poetry.DevDependencies {
		r.addDev(name)
	}
	for group, g := range pp.Tool.Poetry.Group {
		for name := range g.Dependencies {
			if group == "main" {
				r.addMain(name)
			} else {
				r.addDev(name)
			}
		}
	}
	for _, entries := range pp.DependencyGroups {
		for _, e := range entries {
			// An entry is a requirement string or {include-group = …},
			// whose members are listed in their own group anyway.
			var req string
			if md.PrimitiveDecode(e, &req) == nil {
				r.addDev(requirementName(req))
			}
		}
	}
	return r, nil
}

// roots are a project's direct dependencies, normalised.
type roots struct {
	main, dev []string
}

func (r *roots) addMain(name string) {
	if validName(name) {
		r.main = append(r.main, normalize(name))
	}
}

func (r *roots) addDev(name string) {
	if validName(name) {
		r.dev = append(r.dev, normalize(name))
	}
}

// devOnly returns the packages reachable from the development roots but
// not from the production ones, following edges (package → dependencies).
// A package reachable from neither is left as production: wrongly calling
// it development would hide its vulnerabilities.
func (r roots) devOnly(edges map[string][]string) map[string]bool {
	prod := reach(edges, r.main)
	out := map[string]bool{}
	for n := range reach(edges, r.dev) {
		if !prod[n] {
			out[n] = true
		}
	}
	return out
}

// reach returns the names reachable from start, start included.
func reach(edges map[string][]string, start []string) map[string]bool {
	seen := map[string]bool{}
	stack := slices.Clone(start)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, edges[n]...)
	}
	return seen
}
