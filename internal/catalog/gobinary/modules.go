package gobinary

import (
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/sbom"
)

// develVersion is what cmd/go records for a main module built from a
// source tree rather than fetched at a version.
const develVersion = "(devel)"

// goPackages turns the build info of the binary at loc into packages: the
// main module, every dependency and the toolchain as "stdlib". Module
// information that does not parse still yields the stdlib package, with
// the error.
//
// A dependency replaced by another module version is reported as the
// replacement, path and version, because that is the code in the binary:
// govulncheck looks vulnerabilities up by the replacement's path, and Trivy
// and Syft report the replacement too. GoMetadata.Replace records it as
// "path@version"; when the path changed (a fork), the package name is the
// fork's and the original path is lost to the inventory, which has no field
// for it. A dependency replaced by a local directory keeps its own path,
// with the version "(devel)" (what cmd/go records for the directory) and
// the directory in Replace: its code is not the published module's, so it
// must not match that module's advisories.
func goPackages(goVersion, modInfo, loc, foundBy string) ([]sbom.Package, error) {
	var pkgs []sbom.Package
	if v, ok := stdlibVersion(goVersion); ok {
		pkgs = append(pkgs, sbom.Package{
			Ecosystem: sbom.Golang,
			Name:      "stdlib",
			Version:   v,
			PURL:      packageurl.NewPackageURL(packageurl.TypeGolang, "", "stdlib", v, nil, "").ToString(),
			Locations: []string{loc},
			FoundBy:   foundBy,
			Go:        &sbom.GoMetadata{GoVersion: goVersion},
		})
	}
	if modInfo == "" {
		// Built outside module mode: only the toolchain is known.
		return pkgs, nil
	}
	bi, err := debug.ParseBuildInfo(modInfo)
	if err != nil {
		return pkgs, fmt.Errorf("invalid Go build info: %w", err)
	}
	if bi.Main.Path != "" {
		m := module(&bi.Main, goVersion, loc, foundBy)
		m.Go.Main = true
		if len(bi.Settings) > 0 {
			m.Go.Settings = make(map[string]string, len(bi.Settings))
			for _, s := range bi.Settings {
				m.Go.Settings[s.Key] = s.Value
			}
		}
		pkgs = append(pkgs, m)
	}
	for _, d := range bi.Deps {
		if d == nil || d.Path == "" {
			continue
		}
		pkgs = append(pkgs, module(d, goVersion, loc, foundBy))
	}
	return pkgs, nil
}

func module(m *debug.Module, goVersion, loc, foundBy string) sbom.Package {
	name, version, sum := m.Path, m.Version, m.Sum
	md := &sbom.GoMetadata{GoVersion: goVersion}
	if r := m.Replace; r != nil {
		if isLocalPath(r.Path) {
			version, sum = develVersion, ""
			md.Replace = r.Path
		} else {
			name, version, sum = r.Path, r.Version, r.Sum
			md.Replace = r.Path + "@" + r.Version
		}
	}
	if version == "" {
		version = develVersion
	}
	md.Sum = sum
	return sbom.Package{
		Ecosystem: sbom.Golang,
		Name:      name,
		Version:   version,
		PURL:      modulePURL(name, version),
		Locations: []string{loc},
		FoundBy:   foundBy,
		Go:        md,
	}
}

// isLocalPath reports whether a replacement is a directory: cmd/go accepts
// only paths starting with ./ or ../, or absolute ones, as such.
func isLocalPath(p string) bool {
	return p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") ||
		strings.HasPrefix(p, "/") || strings.HasPrefix(p, `.\`) || strings.HasPrefix(p, `..\`) ||
		(len(p) > 2 && p[1] == ':' && (p[2] == '\\' || p[2] == '/'))
}

// modulePURL builds pkg:golang/NAMESPACE/NAME@VERSION: the namespace is
// the module path up to its last slash. The purl spec asks for the
// namespace and name in lower case. A "(devel)" version is no version.
func modulePURL(path, version string) string {
	ns, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	if version == develVersion {
		version = ""
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, strings.ToLower(ns), strings.ToLower(name), version, nil, "").ToString()
}

// stdlibVersion converts a toolchain version to the semantic version that
// the OSV Go ecosystem uses for the standard library: go1.22.5 → 1.22.5,
// go1.20 → 1.20.0, go1.21rc2 → 1.21.0-rc.2, go1.9beta1 → 1.9.0-beta.1.
// What follows the version (" X:boringcrypto", "-bigcorp") is dropped.
// Development toolchains ("devel go1.23-abc…") have no release version.
func stdlibVersion(v string) (string, bool) {
	rest, ok := strings.CutPrefix(v, "go")
	if !ok {
		return "", false
	}
	nums := make([]int, 0, 3)
	for len(nums) < 3 {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 {
			return "", false
		}
		n, _ := strconv.Atoi(rest[:i])
		nums, rest = append(nums, n), rest[i:]
		if !strings.HasPrefix(rest, ".") {
			break
		}
		rest = rest[1:]
	}
	if len(nums) < 2 {
		return "", false
	}
	for len(nums) < 3 {
		nums = append(nums, 0)
	}
	out := fmt.Sprintf("%d.%d.%d", nums[0], nums[1], nums[2])
	for _, pre := range []string{"rc", "beta", "alpha"} {
		if after, ok := strings.CutPrefix(rest, pre); ok {
			i := 0
			for i < len(after) && after[i] >= '0' && after[i] <= '9' {
				i++
			}
			if i == 0 {
				return "", false
			}
			n, _ := strconv.Atoi(after[:min(i, 9)])
			return out + "-" + pre + "." + strconv.Itoa(n), true
		}
	}
	if rest != "" && (rest[0] >= '0' && rest[0] <= '9' || rest[0] >= 'a' && rest[0] <= 'z' || rest[0] == '.') {
		return "", false
	}
	return out, true
}
