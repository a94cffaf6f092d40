package npm

import (
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/layerfs"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		path string
		want treeKind
	}{
		{"package.json", notInTree},
		{"app/package.json", notInTree},
		{"app/node_modules_old/x/package.json", notInTree},
		{"app/my_node_modules/x/package.json", notInTree},
		{"node_modules/x/package.json", treeManifest},
		{"app/node_modules/lodash/package.json", treeManifest},
		{"app/node_modules/@babel/code-frame/package.json", treeManifest},
		{"app/node_modules/mkdirp/node_modules/minimist/package.json", treeManifest},
		{"app/node_modules/a/node_modules/@s/b/node_modules/c/package.json", treeManifest},
		{"usr/lib/node_modules/npm/package.json", treeManifest},
		{"usr/local/lib/node_modules/npm/node_modules/semver/package.json", treeManifest},
		{"srv/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json", treeManifest},
		{"srv/node_modules/.pnpm/@babel+code-frame@7.0.0/node_modules/@babel/code-frame/package.json", treeManifest},
		{"srv/node_modules/.pnpm/node_modules/lodash", treeDir},
		{"app/node_modules/ws-a", treeDir},
		{"app/node_modules/@babel/code-frame", treeDir},
		// Test fixtures and per-directory manifests inside packages.
		{"app/node_modules/resolve/test/resolver/baz/package.json", treeOther},
		{"app/node_modules/resolve/test/subdirs/node_modules/a/package.json", treeOther},
		{"app/node_modules/date-fns/add/package.json", treeOther},
		{"app/node_modules/@babel/runtime/helpers/esm/package.json", treeOther},
		{"app/node_modules/resolve/test/resolver/baz", treeOther},
		// Not packages.
		{"app/node_modules/package.json", treeDir}, // a path shape, never a wanted file
		{"app/node_modules/@babel/package.json", treeDir},
		{"app/node_modules/@/x/package.json", treeOther},
		{"app/node_modules/.bin/tsc", treeOther},
		{"app/node_modules/.package-lock.json", treeOther},
		{"app/node_modules/.cache/x/package.json", treeOther},
		{"app/node_modules/.pnpm/lock.yaml", treeOther},
		{"app/node_modules/x/index.js", treeOther},
		{"app/node_modules/x/package.json/y", treeOther},
		{"app/node_modules", treeOther},
		{"app/node_modules/", treeOther},
		{"app/node_modules//package.json", treeOther},
	} {
		if got := classify(tc.path); got != tc.want {
			t.Errorf("classify(%q) = %d, want %d", tc.path, got, tc.want)
		}
	}
}

func TestWants(t *testing.T) {
	const reg, link = fs.FileMode(0o644), fs.ModeSymlink | 0o777
	for _, tc := range []struct {
		path            string
		mode            fs.FileMode
		size            int64
		installed, lock bool
	}{
		{"app/node_modules/lodash/package.json", reg, 600, true, true},
		{"app/node_modules/lodash/package.json", reg, maxManifest + 1, false, false},
		{"app/node_modules/lodash/lodash.js", reg, 600, false, false},
		{"app/node_modules/resolve/test/resolver/baz/package.json", reg, 100, false, false},
		{"app/package.json", reg, 200, true, true}, // a possible workspace or project manifest
		{"app/node_modules/ws-a", link, 0, true, true},
		{"app/node_modules/ws-a", reg, 10, false, false},
		{"usr/bin/node", link, 0, false, false},
		{"app/package-lock.json", reg, 5000, false, true},
		{"app/npm-shrinkwrap.json", reg, 5000, false, true},
		{"app/yarn.lock", reg, 5000, false, true},
		{"pnpm-lock.yaml", reg, 5000, false, true},
		{"app/yarn.lock", reg, maxYAMLLockfile + 1, false, false},
		{"app/package-lock.json", reg, maxYAMLLockfile + 1, false, true},
		{"app/package-lock.json", reg, maxLockfile + 1, false, false},
		{"app/yarn.lock", link, 0, false, false},
		{"app/node_modules/x/yarn.lock", reg, 100, false, false},
		{"app/node_modules/.package-lock.json", reg, 100, false, false},
		{"app/node_modules/x/npm-shrinkwrap.json", reg, 100, false, false},
		{"app/notyarn.lock", reg, 100, false, false},
		{"app/node_modules", link, 0, false, true},
		{"node_modules", link, 0, false, true},
		{"app/node_modules", reg, 0, false, false},
		{"app/node_modules/x/node_modules", link, 0, false, false},
		{"app/my_node_modules", link, 0, false, false},
		{"etc/passwd", reg, 100, false, false},
	} {
		if got := NewInstalled().Wants(tc.path, tc.mode, tc.size); got != tc.installed {
			t.Errorf("Installed.Wants(%q, %v, %d) = %v", tc.path, tc.mode, tc.size, got)
		}
		if got := NewLock().Wants(tc.path, tc.mode, tc.size); got != tc.lock {
			t.Errorf("Lock.Wants(%q, %v, %d) = %v", tc.path, tc.mode, tc.size, got)
		}
	}
}

// wantsMix is a realistic mix of the paths of a Node.js image.
var wantsMix = []struct {
	p    string
	mode fs.FileMode
	size int64
}{
	{"usr/lib/x86_64-linux-gnu/libssl.so.3", 0o644, 700000},
	{"usr/share/doc/libssl3/copyright", 0o644, 9000},
	{"usr/local/bin/node", 0o755, 90 << 20},
	{"usr/local/bin/npm", fs.ModeSymlink | 0o777, 0},
	{"usr/local/lib/node_modules/npm/package.json", 0o644, 2500},
	{"usr/local/lib/node_modules/npm/node_modules/semver/package.json", 0o644, 1500},
	{"usr/local/lib/node_modules/npm/node_modules/semver/functions/parse.js", 0o644, 300},
	{"app/node_modules/lodash/fp/where.js", 0o644, 40},
	{"app/node_modules/lodash/package.json", 0o644, 600},
	{"app/node_modules/@babel/core/lib/index.js", 0o644, 5000},
	{"app/node_modules/@babel/core/package.json", 0o644, 2000},
	{"app/node_modules/.bin/tsc", fs.ModeSymlink | 0o777, 0},
	{"app/node_modules/resolve/test/resolver/baz/package.json", 0o644, 100},
	{"app/package.json", 0o644, 500},
	{"app/package-lock.json", 0o644, 300000},
	{"app/src/index.ts", 0o644, 4000},
	{"etc/os-release", 0o644, 300},
	{"var/lib/dpkg/status", 0o644, 400000},
}

func TestWantsDoesNotAllocate(t *testing.T) {
	inst, lock := NewInstalled(), NewLock()
	allocs := testing.AllocsPerRun(100, func() {
		for _, f := range wantsMix {
			inst.Wants(f.p, f.mode, f.size)
			lock.Wants(f.p, f.mode, f.size)
		}
	})
	if allocs != 0 {
		t.Errorf("Wants allocates %v times per run", allocs)
	}
}

func BenchmarkWants(b *testing.B) {
	inst, lock := NewInstalled(), NewLock()
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range wantsMix {
			inst.Wants(f.p, f.mode, f.size)
			lock.Wants(f.p, f.mode, f.size)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(wantsMix)*2), "ns/path")
}

// mergedInput indexes the directory root the way the core does for a dir:
// target, and returns what c would be given: the real merged view, which
// follows symlinks.
func mergedInput(t testing.TB, root string, c catalog.Cataloger, warn func(string)) catalog.Input {
	t.Helper()
	sel := &layerfs.Selector{Want: func(p string, mode fs.FileMode, size int64) uint64 {
		if c.Wants(p, mode, size) {
			return 1
		}
		return 0
	}}
	ix, err := layerfs.IndexDir(context.Background(), root, sel, layerfs.NewBudget(layerfs.Limits{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Warnings) > 0 {
		t.Fatalf("index warnings: %q", ix.Warnings)
	}
	m := layerfs.NewMerged()
	m.Apply(ix)
	return catalog.Input{FS: m, Paths: m.Paths(1), Warn: warn}
}

// mapInput returns the input c would be given for the files of fsys.
func mapInput(fsys fstest.MapFS, c catalog.Cataloger, warn func(string)) catalog.Input {
	var paths []string
	for p, f := range fsys {
		if c.Wants(p, f.Mode, int64(len(f.Data))) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	return catalog.Input{FS: fsys, Paths: paths, Warn: warn}
}

// golden compares got with the JSON in testdata/name, rewriting it with
// -update.
func golden[T any](t *testing.T, name string, got T) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want T
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func failOnWarn(t *testing.T) func(string) {
	return func(s string) { t.Errorf("unexpected warning: %s", s) }
}

func collectWarnings(dst *[]string) func(string) {
	return func(s string) { *dst = append(*dst, s) }
}

func names(pkgs []sbom.Package) []string {
	var out []string
	for _, p := range pkgs {
		s := p.Name + "@" + p.Version
		if p.Dev {
			s += " dev"
		}
		out = append(out, s)
	}
	return out
}

func FuzzClassify(f *testing.F) {
	for _, tc := range wantsMix {
		f.Add(tc.p)
	}
	f.Add("a/node_modules/.pnpm/x@1/node_modules/@s/y/node_modules/z/package.json")
	f.Fuzz(func(t *testing.T, p string) {
		k := classify(p)
		if k == treeManifest && !isManifestName(p) {
			t.Fatalf("%q: manifest without the name", p)
		}
		if k == notInTree && firstNodeModules(p) >= 0 {
			t.Fatalf("%q: in a tree but notInTree", p)
		}
		if k == treeDir {
			if classify(p+"/package.json") != treeManifest {
				t.Fatalf("%q is a package dir but its package.json is not a manifest", p)
			}
		}
	})
}
