package dotnet

import (
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

// checkLibraries holds what both parsers promise.
func checkLibraries(t *testing.T, libs []library) {
	t.Helper()
	for _, l := range libs {
		if !validName(l.name) || !validVersion(l.version) {
			t.Fatalf("bad library %+v", l)
		}
		if purl := newPackage(l.name, l.version, "/x", "test").PURL; !strings.HasPrefix(purl, "pkg:nuget/"+l.name+"@") {
			t.Fatalf("PURL %q for %+v", purl, l)
		}
	}
}

func FuzzParseDeps(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", ".deps.json")
	f.Add([]byte(`{"runtimeTarget": {"name": "t"}, "targets": {"t": {"A/1": {"native": {"x": {}}}}}, "libraries": {"A/1": {"type": "package"}, "runtimepack.B/2": {"type": "runtimepack"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		libs, _ := parseDeps(data)
		checkLibraries(t, libs)
	})
}

func FuzzParseLock(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "packages.lock.json")
	f.Add([]byte(`{"version": 1, "dependencies": {"net8.0": {"A": {"type": "Project"}, "B": {"type": "Direct", "resolved": "1.0.0"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		libs, _ := parseLock(data)
		checkLibraries(t, libs)
	})
}
