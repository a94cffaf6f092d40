package python

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// uvDep is one dependency edge in uv.lock.
type uvDep struct {
	Name string `toml:"name"`
}

// uvLock is the part of uv.lock Vigil reads.
type uvLock struct {
	Package []struct {
		Name    string `toml:"name"`
		Version string `toml:"version"`
		// Source says where the package comes from: registry, git, url,
		// path, directory, editable or virtual. The last two are the
		// project itself and its workspace members.
		Source               map[string]toml.Primitive `toml:"source"`
		Dependencies         []uvDep                   `toml:"dependencies"`
		OptionalDependencies map[string][]uvDep        `toml:"optional-dependencies"`
		DevDependencies      map[string][]uvDep        `toml:"dev-dependencies"`
	} `toml:"package"`
}

// parseUV reads a uv.lock. The project and its workspace members (sources
// "editable" and "virtual") are not reported: they are the application's
// own code, and a pypi PURL for them would match advisories of whatever
// unrelated project owns the name on PyPI. Their dependencies and
// optional dependencies are the production roots, their dev-dependencies
// the development roots; a package reachable only from the latter is a
// development one.
func parseUV(data []byte) ([]dep, error) {
	var lock uvLock
	if _, err := decodeTOML(data, &lock); err != nil {
		return nil, err
	}
	edges := make(map[string][]string, len(lock.Package))
	var r roots
	for _, p := range lock.Package {
		n := normalize(p.Name)
		local := isLocalSource(p.Source)
		for _, d := range p.Dependencies {
			edges[n] = append(edges[n], normalize(d.Name))
			if local {
				r.addMain(d.Name)
			}
		}
		for _, ds := range p.OptionalDependencies {
			for _, d := range ds {
				edges[n] = append(edges[n], normalize(d.Name))
				if local {
					r.addMain(d.Name)
				}
			}
		}
		if local {
			for _, ds := range p.DevDependencies {
				for _, d := range ds {
					r.addDev(d.Name)
				}
			}
		}
	}
	devOnly := r.devOnly(edges)
	var out []dep
	skipped := 0
	for _, p := range lock.Package {
		if isLocalSource(p.Source) {
			continue
		}
		if p.Version == "" {
			continue // a local directory whose version is dynamic
		}
		if !validName(p.Name) || !validVersion(p.Version) {
			skipped++
			continue
		}
		n := normalize(p.Name)
		out = append(out, dep{name: n, version: p.Version, dev: devOnly[n]})
	}
	if skipped > 0 {
		return out, fmt.Errorf("packages without a valid name and version skipped: %d", skipped)
	}
	return out, nil
}

func isLocalSource(src map[string]toml.Primitive) bool {
	_, editable := src["editable"]
	_, virtual := src["virtual"]
	return editable || virtual
}
