package npm

import (
	"context"
	"fmt"

	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/sbom"
)

// lockFixtures are the directories of testdata/lock, each a real project
// locked by one tool (see testdata/README.md). The first group locks one
// project, the second one workspace project.
var lockFixtures = [][]string{
	{"v1", "v2", "v3", "shrink", "yarn1", "berry3", "berry4", "pnpm7", "pnpm8", "pnpm9"},
	{"wsnpm", "wsyarn1", "wsberry", "wspnpm"},
}

func catalogLockDir(t *testing.T, dir string) []sbom.Package {
	t.Helper()
	c := NewLock()
	pkgs, err := c.Catalog(context.Background(), mergedInput(t, filepath.Join("testdata", "lock", dir), c, failOnWarn(t)))
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestLockfiles(t *testing.T) {
	got := map[string][]sbom.Package{}
	for _, group := range lockFixtures {
		for _, dir := range group {
			got[dir] = catalogLockDir(t, dir)
		}
	}
	golden(t, "lock.golden.json", got)
}

// TestLockFormatsAgree: every tool locked the same project, so every
// lockfile must give the same packages and the same dev flags, however
// each format records them.
func TestLockFormatsAgree(t *testing.T) {
	for _, group := range lockFixtures {
		want := names(catalogLockDir(t, group[0]))
		if len(want) == 0 {
			t.Fatalf("%s: no packages", group[0])
		}
		for _, dir := range group[1:] {
			if diff := cmp.Diff(want, names(catalogLockDir(t, dir))); diff != "" {
				t.Errorf("%s differs from %s (-%s +%s):\n%s", dir, group[0], group[0], dir, diff)
			}
		}
	}
	// What the project's package.json says.
	pkgs := catalogLockDir(t, "pnpm9")
	dev := map[string]bool{}
	for _, p := range pkgs {
		dev[p.Name+"@"+p.Version] = p.Dev
		if p.FoundBy != "npm-lock" || !slices.Equal(p.Locations, []string{"/pnpm-lock.yaml"}) {
			t.Errorf("%s: %+v", p.Name, p)
		}
	}
	for key, want := range map[string]bool{
		"@babel/code-frame@7.0.0": true,  // a devDependency
		"@babel/highlight@7.25.9": true,  // only through one
		"minimist@0.0.8":          true,  // through mkdirp, a devDependency
		"minimist@1.2.0":          false, // a dependency
		"chalk@2.4.2":             false, // a dependency that a dev one also needs
		"js-tokens@4.0.0":         false, // needed by @babel/highlight (dev) and loose-envify (react)
		"react-dom@18.2.0":        false, // locked with a peer suffix
	} {
		if got, ok := dev[key]; !ok || got != want {
			t.Errorf("%s: dev = %v (found %v), want %v", key, got, ok, want)
		}
	}
}

// TestLockTree: lockfiles in several directories; those beside a
// node_modules tree are left alone, whatever its layout.
func TestLockTree(t *testing.T) {
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "lock", p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	fsys := fstest.MapFS{
		"srv/a/package-lock.json": {Data: read("v3/package-lock.json")},
		"srv/a/package.json":      {Data: read("v3/package.json")},
		"srv/b/yarn.lock":         {Data: read("yarn1/yarn.lock")},
		"srv/b/package.json":      {Data: read("yarn1/package.json")},
		"yarn.lock":               {Data: read("wsyarn1/yarn.lock")}, // at the root, without package.json: no dev flags
		"srv/installed/yarn.lock": {Data: read("yarn1/yarn.lock")},
		"srv/installed/node_modules/lodash/package.json": {Data: []byte(`{"name":"lodash","version":"4.17.15"}`)},
		"srv/pnpm/pnpm-lock.yaml":                        {Data: read("pnpm9/pnpm-lock.yaml")},
		"srv/pnpm/node_modules/lodash":                   {Mode: fs.ModeSymlink | 0o777, Data: []byte(".pnpm/lodash@4.17.15/node_modules/lodash")},
		"srv/shrink/npm-shrinkwrap.json":                 {Data: read("v1/package-lock.json")},
		"srv/shrink/package-lock.json":                   {Data: []byte("not even JSON: npm ignores it beside a shrinkwrap")},
		"srv/a/node_modules/x/yarn.lock":                 {Data: []byte("never read")},
		"srv/linked/yarn.lock":                           {Data: read("yarn1/yarn.lock")},
		"srv/linked/node_modules":                        {Mode: fs.ModeSymlink | 0o777, Data: []byte("/opt/deps/node_modules")},
	}
	c := NewLock()
	pkgs, err := c.Catalog(context.Background(), mapInput(fsys, c, failOnWarn(t)))
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]sbom.Package{}
	for _, p := range pkgs {
		byKey[p.Name+"@"+p.Version] = p
	}
	if diff := cmp.Diff([]string{"/srv/a/package-lock.json", "/srv/b/yarn.lock", "/srv/shrink/npm-shrinkwrap.json"}, byKey["lodash@4.17.15"].Locations); diff != "" {
		t.Errorf("lodash locations (-want +got):\n%s", diff)
	}
	if p := byKey["@babel/code-frame@7.0.0"]; !p.Dev || len(p.Locations) != 3 {
		t.Errorf("@babel/code-frame is dev in every project that has it: %+v", p)
	}
	if p := byKey["minimist@0.0.8"]; p.Dev || len(p.Locations) != 4 {
		// Dev where a package.json tells, but the root lockfile has none:
		// not known to be dev-only.
		t.Errorf("minimist 0.0.8: %+v", p)
	}
}

func parseString(t *testing.T, kind, data string, files map[string]string) ([]string, []string, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, d := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(d)}
	}
	var warns []string
	w := newWarner("npm-lock", collectWarnings(&warns))
	probs := w.file("/" + kind)
	proj := &project{fsys: fsys}
	for p := range files {
		if isManifestName(p) {
			proj.manifests = append(proj.manifests, p)
		}
	}
	var entries []lockEntry
	var err error
	switch kind {
	case packageLock:
		entries, err = parsePackageLock([]byte(data), probs)
	case yarnLock:
		entries, err = parseYarnLock([]byte(data), proj, probs)
	case pnpmLockName:
		entries, err = parsePnpmLock([]byte(data), proj, probs)
	}
	probs.done()
	var out []string
	for _, e := range entries {
		s := e.name + "@" + e.version
		if e.dev {
			s += " dev"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out), warns, err
}

func TestLockEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name, kind, data string
		files            map[string]string
		want             []string
		warn, err        string
	}{
		{
			name: "npm v1 alias, local, git and nesting", kind: packageLock,
			data: `{"lockfileVersion":1,"dependencies":{
				"my-lodash":{"version":"npm:lodash@4.17.21"},
				"local":{"version":"file:../local","dependencies":{"inner":{"version":"1.0.0","dev":true}}},
				"from-git":{"version":"git+https://github.com/x/y.git#0123abc"},
				"noversion":{}}}`,
			want: []string{"from-git@git+https://github.com/x/y.git#0123abc", "inner@1.0.0 dev", "lodash@4.17.21"},
			warn: `entry skipped: "noversion" has no version`,
		},
		{
			name: "npm v1 nested too deep", kind: packageLock,
			data: `{"dependencies":` + strings.Repeat(`{"a":{"version":"1.0.0","dependencies":`, 70) + `{}` + strings.Repeat(`}}`, 70) + `}`,
			want: []string{"a@1.0.0"},
			warn: "nested deeper than 64 levels",
		},
		{
			name: "npm v3 aliases, links, platforms, devOptional", kind: packageLock,
			data: `{"lockfileVersion":3,"packages":{
				"":{"name":"root","version":"1.0.0"},
				"node_modules/my-lodash":{"name":"lodash","version":"4.17.21"},
				"node_modules/@esbuild/darwin-arm64":{"version":"0.19.0","optional":true,"os":["darwin"]},
				"node_modules/@esbuild/linux-x64":{"version":"0.19.0","optional":true,"os":["linux"]},
				"node_modules/fsevents":{"version":"2.3.3","dev":true,"optional":true,"os":["darwin"]},
				"node_modules/not-win":{"version":"1.0.0","optional":true,"os":["!win32"]},
				"node_modules/both":{"version":"1.0.0","devOptional":true},
				"node_modules/tool":{"resolved":"tools/tool","link":true},
				"tools/tool":{"version":"0.0.1"},
				"node_modules/a/node_modules/@s/b":{"version":"2.0.0","dev":true,"license":"MIT"},
				"node_modules/broken":{"version":""}}}`,
			want: []string{"@esbuild/linux-x64@0.19.0", "@s/b@2.0.0 dev", "both@1.0.0", "lodash@4.17.21", "not-win@1.0.0", "tool@0.0.1"},
			warn: `"node_modules/broken" has no version`,
		},
		{
			name: "npm type error keeps the rest", kind: packageLock,
			data: `{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0"},"node_modules/b":{"version":2}}}`,
			want: []string{"a@1.0.0"},
			warn: "cannot unmarshal number",
		},
		{name: "npm not an object", kind: packageLock, data: `[1,2]`, err: "not a JSON object"},
		{name: "npm truncated", kind: packageLock, data: `{"packages":{`, err: "invalid JSON"},
		{
			name: "yarn v1 quoting, aliases, CRLF", kind: yarnLock,
			data: "# yarn lockfile v1\r\n\r\n\"@s/a@^1.0.0\", \"@s/a@~1.1\":\r\n  version \"1.1.3\"\r\n  dependencies:\r\n    b \"^2\"\r\n\r\nb@^2:\r\n  version 2.0.1\r\n\r\n" +
				"my-lodash@npm:lodash@^4:\n  version \"4.17.21\"\n\nnoversion@1:\n  resolved \"x\"\n\n\"linked@link:../linked\":\n  version \"0.0.0\"\n",
			files: map[string]string{"package.json": `{"dependencies":{"@s/a":"^1.0.0"},"devDependencies":{"my-lodash":"npm:lodash@^4"}}`},
			want:  []string{"@s/a@1.1.3", "b@2.0.1", "lodash@4.17.21 dev"},
			warn:  `"noversion@1" has no version`,
		},
		{
			name: "yarn v1 garbage", kind: yarnLock,
			data: "a@1:\n  version \"1.0.0\"\nthis is not a header\n  version \"9\"\nb@2:\n  version \"2.0.0\"\n",
			want: []string{"a@1.0.0", "b@2.0.0"},
			warn: "line 3: not an entry header",
		},
		{name: "yarn v1 not a lockfile", kind: yarnLock, data: "{\"json\": true}\n", err: "no entries"},
		{
			name: "berry patch, link, portal", kind: yarnLock,
			data: `__metadata:
  version: 8
"resolve@patch:resolve@npm%3A1.22.0#optional!builtin<compat/resolve>":
  version: 1.22.0
  resolution: "resolve@patch:resolve@npm%3A1.22.0#optional!builtin<compat/resolve>::version=1.22.0&hash=c3c19d"
"lib@link:./lib::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "lib@link:./lib::locator=app%40workspace%3A."
"p@portal:../p::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "p@portal:../p::locator=app%40workspace%3A."
"@esbuild/darwin-arm64@npm:0.21.5":
  version: 0.21.5
  resolution: "@esbuild/darwin-arm64@npm:0.21.5"
  conditions: os=darwin & cpu=arm64
"@esbuild/linux-x64@npm:0.21.5":
  version: 0.21.5
  resolution: "@esbuild/linux-x64@npm:0.21.5"
  conditions: os=linux & cpu=x64
"x@npm:my-x@^1, x@npm:my-x@^1.1":
  version: 1.2.0
  resolution: "my-x@npm:1.2.0"
"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
`,
			want: []string{"@esbuild/linux-x64@0.21.5", "my-x@1.2.0", "resolve@1.22.0"},
		},
		{name: "berry invalid YAML", kind: yarnLock, data: "__metadata:\n  version: 8\n\"a@npm:1\": [\n", err: "invalid YAML"},
		{
			name: "pnpm v5 keys", kind: pnpmLockName,
			data: `lockfileVersion: 5.3
packages:
  /@s/a/1.0.0_react@18.2.0:
    resolution: {integrity: sha512-x}
    dev: true
  /b/2.0.0:
    resolution: {integrity: sha512-x}
    dev: false
  /c/3.0.0_@types+react@18.0.0:
    resolution: {integrity: sha512-x}
  registry.example.com/d/4.0.0:
    resolution: {integrity: sha512-x}
  github.com/u/e/0123abc:
    resolution: {tarball: https://codeload.github.com/u/e/tar.gz/0123abc}
    name: e
    version: 5.0.0
  file:local:
    resolution: {directory: local, type: directory}
    name: local
    version: file:local
  /broken:
    resolution: {integrity: sha512-x}
`,
			want: []string{"@s/a@1.0.0 dev", "b@2.0.0", "c@3.0.0", "d@4.0.0", "e@5.0.0"},
			warn: `"/broken": no name and version`,
		},
		{
			name: "pnpm v6 keys", kind: pnpmLockName,
			data: "lockfileVersion: '6.0'\npackages:\n  /@s/a@1.0.0(react@18.2.0)(b@2.0.0):\n    dev: true\n  /b@2.0.0:\n    dev: false\n",
			want: []string{"@s/a@1.0.0 dev", "b@2.0.0"},
		},
		{
			name: "pnpm v9 aliases, links, workspaces, env document", kind: pnpmLockName,
			data: `---
lockfileVersion: '9.0'
importers:
  .:
    configDependencies: {}
packages:
  config-dep@1.0.0: {}
---
lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      my-lodash:
        specifier: npm:lodash@^4
        version: lodash@4.17.21
      ws:
        specifier: workspace:*
        version: link:packages/ws
    devDependencies:
      tool:
        specifier: ^1
        version: 1.0.0(peer@2.0.0)
  packages/ws:
    dependencies:
      peer:
        specifier: ^2
        version: 2.0.0
packages:
  lodash@4.17.21:
    resolution: {integrity: sha512-x}
  tool@1.0.0:
    resolution: {integrity: sha512-x}
  peer@2.0.0:
    resolution: {integrity: sha512-x}
  helper@3.0.0:
    resolution: {integrity: sha512-x}
  tarball@https://example.com/t.tgz:
    resolution: {tarball: https://example.com/t.tgz}
    version: 0.3.0
  '@esbuild/darwin-arm64@0.21.5':
    resolution: {integrity: sha512-x}
    cpu: [arm64]
    os: [darwin]
  '@esbuild/linux-x64@0.21.5':
    resolution: {integrity: sha512-x}
    cpu: [x64]
    os: [linux]
snapshots:
  lodash@4.17.21: {}
  tool@1.0.0(peer@2.0.0):
    dependencies:
      helper: 3.0.0
      peer: 2.0.0
  peer@2.0.0: {}
  helper@3.0.0: {}
  tarball@https://example.com/t.tgz: {}
`,
			files: map[string]string{"packages/ws/package.json": `{"name":"ws","version":"0.1.0"}`},
			want:  []string{"@esbuild/linux-x64@0.21.5", "helper@3.0.0 dev", "lodash@4.17.21", "peer@2.0.0", "tarball@0.3.0", "tool@1.0.0 dev", "ws@0.1.0"},
		},
		{name: "pnpm unsupported", kind: pnpmLockName, data: "lockfileVersion: 3\npackages:\n  /a/1.0.0: {}\n", err: "unsupported lockfileVersion"},
		{name: "pnpm invalid YAML", kind: pnpmLockName, data: "lockfileVersion: '9.0'\npackages: [\n", err: "invalid YAML"},
		{
			name: "pnpm odd field is ignored", kind: pnpmLockName,
			data: "lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    dev: [true]\n  /b@2.0.0: {}\n",
			want: []string{"a@1.0.0", "b@2.0.0"},
		},
		{name: "pnpm empty", kind: pnpmLockName, data: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, warns, err := parseString(t, tc.kind, tc.data, tc.files)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			switch {
			case tc.warn == "" && len(warns) > 0:
				t.Errorf("warnings: %q", warns)
			case tc.warn != "" && !slices.ContainsFunc(warns, func(w string) bool { return strings.Contains(w, tc.warn) }):
				t.Errorf("warnings %q, want one with %q", warns, tc.warn)
			}
			for _, w := range warns {
				if !strings.HasPrefix(w, "npm-lock: /"+tc.kind+": ") {
					t.Errorf("warning %q does not name the file", w)
				}
			}
		})
	}
}

// TestLockBadFile: a lockfile that cannot be read is one warning naming it.
func TestLockBadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"a/package-lock.json": {Data: []byte(`{"packages":`)},
		"b/pnpm-lock.yaml":    {Data: []byte("packages: [")},
		"c/yarn.lock":         {Data: []byte("a@1:\n  version \"1.0.0\"\n")},
	}
	var warns []string
	c := NewLock()
	pkgs, err := c.Catalog(context.Background(), mapInput(fsys, c, collectWarnings(&warns)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a@1.0.0"}, names(pkgs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	slices.Sort(warns)
	if len(warns) != 2 || !strings.HasPrefix(warns[0], "npm-lock: /a/package-lock.json: invalid JSON") || !strings.HasPrefix(warns[1], "npm-lock: /b/pnpm-lock.yaml: invalid YAML") {
		t.Errorf("warnings = %q", warns)
	}
}

// BenchmarkCatalogLock parses each fixture lockfile format.
func BenchmarkCatalogLock(b *testing.B) {
	for _, dir := range lockFixtures[0] {
		b.Run(dir, func(b *testing.B) {
			c := NewLock()
			in := mergedInput(b, filepath.Join("testdata", "lock", dir), c, func(s string) { b.Fatal(s) })
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Catalog(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// lockSeeds adds the lockfiles of the workspace fixtures: real and small,
// as the fuzzer spends up to a minute minimising each new input.
func lockSeeds(f *testing.F, names ...string) {
	for _, group := range lockFixtures[1:] {
		for _, dir := range group {
			for _, n := range names {
				if b, err := os.ReadFile(filepath.Join("testdata", "lock", dir, n)); err == nil {
					f.Add(b)
				}
			}
		}
	}
}

// fuzzProject is a project whose package.json says something about
// every dependency a lockfile seed has.
func fuzzProject() *project {
	fsys := fstest.MapFS{
		"package.json":               {Data: []byte(`{"dependencies":{"a":"1","chalk":"2.4.2"},"devDependencies":{"mkdirp":"0.5.1"},"workspaces":["packages/*"]}`)},
		"packages/ws-a/package.json": {Data: []byte(`{"name":"ws-a","version":"0.1.0","devDependencies":{"abbrev":"1.0.4"}}`)},
	}
	return &project{fsys: fsys, manifests: []string{"package.json", "packages/ws-a/package.json"}}
}

func checkEntries(t *testing.T, entries []lockEntry) {
	for _, e := range entries {
		if !validName(e.name) || !validVersion(e.version) {
			t.Fatalf("invalid entry %+v", e)
		}
		purl(e.name, e.version)
	}
}

func FuzzPackageLock(f *testing.F) {
	lockSeeds(f, packageLock, shrinkwrap)
	f.Add([]byte(`{"lockfileVersion":1,"dependencies":{"a":{"version":"npm:@s/b@1","dev":true,"dependencies":{"c":{"version":"file:x"}}}}}`))
	f.Add([]byte(`{"packages":{"node_modules/a":{"version":"1","optional":true,"os":["!linux"]},"node_modules/l":{"link":true,"resolved":"w"},"w":{"version":"2"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		w := newWarner("fuzz", nil)
		entries, _ := parsePackageLock(data, w.file("fuzz"))
		checkEntries(t, entries)
	})
}

func FuzzYarnLock(f *testing.F) {
	lockSeeds(f, yarnLock)
	f.Add([]byte("\"a@npm:b@1\", c@\"2\":\n  version \"1\"\n  dependencies:\n    \"x\" y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w := newWarner("fuzz", nil)
		entries, _ := parseYarnLock(data, fuzzProject(), w.file("fuzz"))
		checkEntries(t, entries)
	})
}

func FuzzPnpmLock(f *testing.F) {
	lockSeeds(f, pnpmLockName)
	f.Add([]byte("lockfileVersion: 5.4\npackages:\n  /@a/b/1_c@2:\n    dev: true\n  h.com/d/1:\n    name: d\n"))
	f.Add([]byte("lockfileVersion: '6.0'\npackages:\n  /@a/b@1(c@2):\n    dev: false\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w := newWarner("fuzz", nil)
		entries, _ := parsePnpmLock(data, fuzzProject(), w.file("fuzz"))
		checkEntries(t, entries)
	})
}

// TestLargeYAMLLockfiles: reading a YAML lockfile takes time linear in
// its size (decoding YAML mappings into Go maps is quadratic in yaml.v3,
// minutes for a hostile file of a few MiB).
func TestLargeYAMLLockfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("times lockfiles of up to 1 MiB")
	}
	gen := map[string]func(n int) []byte{
		pnpmLockName: func(n int) []byte {
			var b strings.Builder
			b.WriteString("lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      p0:\n        specifier: 1.0.0\n        version: 1.0.0\npackages:\n")
			for i := range n {
				fmt.Fprintf(&b, "  p%d@1.0.0:\n    resolution: {integrity: sha512-x}\n", i)
			}
			b.WriteString("snapshots:\n")
			for i := range n {
				fmt.Fprintf(&b, "  p%d@1.0.0:\n    dependencies:\n      p%d: 1.0.0\n", i, i+1)
			}
			return []byte(b.String())
		},
		yarnLock: func(n int) []byte {
			var b strings.Builder
			b.WriteString("__metadata:\n  version: 8\n")
			for i := range n {
				fmt.Fprintf(&b, "\"p%d@npm:^1.0.0\":\n  version: 1.0.0\n  resolution: \"p%d@npm:1.0.0\"\n  dependencies:\n    p%d: \"npm:^1.0.0\"\n", i, i, i+1)
			}
			return []byte(b.String())
		},
	}
	for kind, g := range gen {
		t.Run(kind, func(t *testing.T) {
			timeFor := func(n int) time.Duration {
				data := g(n)
				best := time.Duration(1<<63 - 1)
				for range 3 {
					w := newWarner("t", nil)
					start := time.Now()
					var entries []lockEntry
					var err error
					if kind == yarnLock {
						entries, err = parseYarnLock(data, &project{fsys: fstest.MapFS{}}, w.file("t"))
					} else {
						entries, err = parsePnpmLock(data, &project{fsys: fstest.MapFS{}}, w.file("t"))
					}
					best = min(best, time.Since(start))
					if err != nil || len(entries) != n {
						t.Fatalf("%d entries, %v", len(entries), err)
					}
				}
				return best
			}
			small, large := timeFor(2000), timeFor(8000)
			if ratio := float64(large) / float64(small); ratio > 9 {
				t.Errorf("4 times the entries take %.1f times as long (%v, %v): not linear", ratio, small, large)
			}
		})
	}
}
