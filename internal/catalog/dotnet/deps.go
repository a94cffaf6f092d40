package dotnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/sbom"
)

const depsSuffix = ".deps.json"

// Deps finds the NuGet packages of built .NET applications from their
// APP.deps.json, which the SDK writes beside APP.dll and which the host
// reads to load the application's dependencies.
//
// Libraries of type "package" are reported, and "runtimepack" ones (the
// runtime a self-contained application carries, reported under its NuGet
// ID, Microsoft.NETCore.App.Runtime.<rid>); projects of the solution and
// plain assembly references are not. When the file names its runtime
// target, only the libraries that target gives files to load (runtime,
// native, resource or RID-specific assets) are reported: a package without
// any brings no code of its own (meta-packages such as
// NETStandard.Library), as Trivy also judges.
type Deps struct{}

// NewDeps returns the deps.json cataloger.
func NewDeps() *Deps { return &Deps{} }

// Name implements catalog.Cataloger.
func (*Deps) Name() string { return "dotnet-deps" }

// Version implements catalog.Cataloger.
func (*Deps) Version() int { return 1 }

// Wants implements catalog.Cataloger.
func (*Deps) Wants(p string, mode fs.FileMode, size int64) bool {
	return size >= 0 && size <= maxFileSize && !mode.IsDir() && strings.HasSuffix(p, depsSuffix) &&
		len(p) > len(depsSuffix) && p[len(p)-len(depsSuffix)-1] != '/'
}

// Catalog implements catalog.Cataloger.
func (c *Deps) Catalog(ctx context.Context, in catalog.Input) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	for _, p := range in.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := fs.ReadFile(in.FS, p)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
			continue
		}
		libs, err := parseDeps(data)
		if err != nil {
			in.Warn(fmt.Sprintf("%s: /%s: %v", c.Name(), p, err))
		}
		for _, l := range libs {
			pkgs = append(pkgs, newPackage(l.name, l.version, "/"+p, c.Name()))
		}
	}
	return finish(pkgs), nil
}

// depsFile is the part of a deps.json Vigil reads.
type depsFile struct {
	RuntimeTarget struct {
		Name string `json:"name"`
	} `json:"runtimeTarget"`
	Targets   map[string]map[string]targetLibrary `json:"targets"`
	Libraries *map[string]struct {
		Type string `json:"type"`
	} `json:"libraries"`
}

// targetLibrary is a library's entry in a target: the files it brings.
// Only whether there are any matters, so the values are not decoded.
type targetLibrary struct {
	Runtime        map[string]json.RawMessage `json:"runtime"`
	Native         map[string]json.RawMessage `json:"native"`
	Resources      map[string]json.RawMessage `json:"resources"`
	RuntimeTargets map[string]json.RawMessage `json:"runtimeTargets"`
}

func (t targetLibrary) hasAssets() bool {
	return len(t.Runtime)+len(t.Native)+len(t.Resources)+len(t.RuntimeTargets) > 0
}

// library is a package read from a file.
type library struct {
	name, version string
}

// parseDeps reads the packages of a deps.json. The error, when not nil,
// says what was skipped or why nothing could be read; the packages read
// are returned with it.
func parseDeps(data []byte) ([]library, error) {
	data = trimBOM(data)
	if jsonStart(data) != '{' {
		if !json.Valid(data) {
			return nil, errors.New("invalid JSON")
		}
		return nil, errors.New("not a deps.json: not an object")
	}
	var f depsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if f.Libraries == nil {
		return nil, errors.New("not a deps.json: no \"libraries\"")
	}
	target, haveTarget := f.Targets[f.RuntimeTarget.Name]
	haveTarget = haveTarget && f.RuntimeTarget.Name != ""
	var (
		out      []library
		skipped  int
		firstBad string
	)
	for key, lib := range *f.Libraries {
		if lib.Type != "package" && lib.Type != "runtimepack" {
			continue // project, reference, msbuild …
		}
		if haveTarget && !target[key].hasAssets() {
			continue
		}
		i := strings.LastIndexByte(key, '/')
		if i < 0 {
			skipped++
			if firstBad == "" || key < firstBad {
				firstBad = key
			}
			continue
		}
		name, version := key[:i], key[i+1:]
		if lib.Type == "runtimepack" {
			name = strings.TrimPrefix(name, "runtimepack.")
		}
		if !validName(name) || !validVersion(version) {
			skipped++
			if firstBad == "" || key < firstBad {
				firstBad = key
			}
			continue
		}
		out = append(out, library{name: name, version: version})
	}
	if skipped > 0 {
		return out, fmt.Errorf("%d libraries without a valid name and version skipped, the first %q", skipped, clip(firstBad, 64))
	}
	return out, nil
}

// clip shortens s for a warning message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
