package npm

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/sbom"
)

// TestInstalled catalogs testdata/installed (see testdata/README.md): an
// npm project with nested, scoped and workspace packages, a pnpm project
// and a global install.
func TestInstalled(t *testing.T) {
	c := NewInstalled()
	pkgs, err := c.Catalog(context.Background(), mergedInput(t, "testdata/installed", c, failOnWarn(t)))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "installed.golden.json", pkgs)

	// What the golden file must show, whatever it was rewritten to.
	byName := map[string]sbom.Package{}
	for _, p := range pkgs {
		byName[p.Name+"@"+p.Version] = p
		if p.FoundBy != "npm" || p.Ecosystem != sbom.NPM || p.Dev {
			t.Errorf("%s: %+v", p.Name, p)
		}
	}
	for key, locs := range map[string][]string{
		"@babel/code-frame@7.0.0": {
			"/app/node_modules/@babel/code-frame/package.json",
			"/srv/pnpm-app/node_modules/.pnpm/@babel+code-frame@7.0.0/node_modules/@babel/code-frame/package.json",
		},
		"minimist@0.0.8": {"/app/node_modules/mkdirp/node_modules/minimist/package.json"},
		"ws-a@0.1.0":     {"/app/packages/ws-a/package.json"},
		"semver@5.7.1":   {"/usr/local/lib/node_modules/semver/package.json"},
	} {
		if diff := cmp.Diff(locs, byName[key].Locations); diff != "" {
			t.Errorf("%s locations (-want +got):\n%s", key, diff)
		}
	}
	if p := byName["@babel/code-frame@7.0.0"]; p.PURL != "pkg:npm/%40babel/code-frame@7.0.0" {
		t.Errorf("scoped purl = %s", p.PURL)
	}
	for _, absent := range []string{"deep@", "garply@", "a@", "baz@", "vigil-fixture@", "pnpm-app@"} {
		for key := range byName {
			if strings.HasPrefix(key, absent) {
				t.Errorf("%s reported: not an installed package", key)
			}
		}
	}
	wantLicenses := map[string][]sbom.License{
		"abbrev@1.0.4":            {{SPDX: "MIT", Value: "MIT"}},               // {"type": "MIT", "url": …}
		"underscore.string@2.3.3": {{SPDX: "MIT", Value: "MIT"}},               // "licenses": [{"type": "MIT"}]
		"json-schema@0.2.3":       {{Value: "AFLv2.1"}, {Value: "BSD"}},        // neither maps to one SPDX licence
		"ws-a@0.1.0":              {{SPDX: "Apache-2.0", Value: "Apache-2.0"}}, // a workspace
		"lodash@4.17.15":          {{SPDX: "MIT", Value: "MIT"}},               // the common case
		"semver@5.7.1":            {{SPDX: "ISC", Value: "ISC"}},               // global
		"@babel/highlight@7.25.9": {{SPDX: "MIT", Value: "MIT"}},               // scoped
	}
	for key, want := range wantLicenses {
		if diff := cmp.Diff(want, byName[key].Licenses); diff != "" {
			t.Errorf("%s licences (-want +got):\n%s", key, diff)
		}
	}

	// The lockfiles there sit beside node_modules: the installed packages
	// are the truth.
	l := NewLock()
	lpkgs, err := l.Catalog(context.Background(), mergedInput(t, "testdata/installed", l, failOnWarn(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(lpkgs) != 0 {
		t.Errorf("lockfiles beside node_modules were read: %v", names(lpkgs))
	}
}

// TestInstalledInventory runs both catalogers through the core on the
// same directory, as `vigil sbom dir:` would.
func TestInstalledInventory(t *testing.T) {
	im, err := image.Open(context.Background(), "dir:testdata/installed", image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	inv, err := catalog.Inventory(context.Background(), im, catalog.Options{Catalogers: []catalog.Cataloger{NewInstalled(), NewLock()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Warnings) > 0 {
		t.Errorf("warnings: %q", inv.Warnings)
	}
	c := NewInstalled()
	want, err := c.Catalog(context.Background(), mergedInput(t, "testdata/installed", c, failOnWarn(t)))
	if err != nil {
		t.Fatal(err)
	}
	got := inv.Packages
	for i := range got {
		got[i].Layer = sbom.LayerRef{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inventory differs from the cataloger alone (-want +got):\n%s", diff)
	}
}

// TestInstalledWithoutResolver: a view that cannot tell where a symlink
// leads reports the package at the symlink's path.
func TestInstalledWithoutResolver(t *testing.T) {
	fsys := fstest.MapFS{
		"app/node_modules/ws-a":          {Mode: fs.ModeSymlink | 0o777, Data: []byte("../packages/ws-a")},
		"app/packages/ws-a/package.json": {Data: []byte(`{"name":"ws-a","version":"0.1.0"}`)},
		"app/node_modules/gone":          {Mode: fs.ModeSymlink | 0o777, Data: []byte("../nowhere")},
	}
	c := NewInstalled()
	pkgs, err := c.Catalog(context.Background(), mapInput(fsys, c, failOnWarn(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || !slices.Equal(pkgs[0].Locations, []string{"/app/node_modules/ws-a/package.json"}) {
		t.Errorf("got %+v", pkgs)
	}
}

func TestParseManifest(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       manifestInfo
		err        string
	}{
		{"plain", `{"name":"a","version":"1.0.0","license":"MIT"}`, manifestInfo{"a", "1.0.0", []string{"MIT"}}, ""},
		{"bom and spaces", "\xef\xbb\xbf {\"name\":\" a \",\"version\":\"1.0.0 \"}", manifestInfo{"a", "1.0.0", nil}, ""},
		{"expression", `{"name":"a","version":"1","license":"(MIT OR Apache-2.0)"}`, manifestInfo{"a", "1", []string{"(MIT OR Apache-2.0)"}}, ""},
		{"legacy object", `{"name":"a","version":"1","license":{"type":"BSD-3-Clause","url":"x"}}`, manifestInfo{"a", "1", []string{"BSD-3-Clause"}}, ""},
		{"legacy list", `{"name":"a","version":"1","licenses":[{"type":"MIT"},"ISC",{"name":"X"},{"url":"u"},42,[["no"]]]}`, manifestInfo{"a", "1", []string{"MIT", "ISC", "X"}}, ""},
		{"license list", `{"name":"a","version":"1","license":["MIT","Apache-2.0"]}`, manifestInfo{"a", "1", []string{"MIT", "Apache-2.0"}}, ""},
		{"both fields", `{"name":"a","version":"1","license":"MIT","licenses":[{"type":"MIT"}]}`, manifestInfo{"a", "1", []string{"MIT", "MIT"}}, ""},
		{"odd license", `{"name":"a","version":"1","license":12,"licenses":{"type":"MIT"}}`, manifestInfo{"a", "1", []string{"MIT"}}, ""},
		{"private kept", `{"name":"a","version":"1","private":true}`, manifestInfo{"a", "1", nil}, ""},
		{"scoped", `{"name":"@s/a","version":"1"}`, manifestInfo{"@s/a", "1", nil}, ""},
		{"no name", `{"version":"1"}`, manifestInfo{}, "no name"},
		{"empty name", `{"name":"","version":"1"}`, manifestInfo{}, "no name"},
		{"name not a string", `{"name":["a"],"version":"1"}`, manifestInfo{}, "name is not a string"},
		{"no version", `{"name":"a"}`, manifestInfo{}, "no version"},
		{"null version", `{"name":"a","version":null}`, manifestInfo{}, "no version"},
		{"version not a string", `{"name":"a","version":1.2}`, manifestInfo{}, "version is not a string"},
		{"control characters", `{"name":"a\nb","version":"1"}`, manifestInfo{}, "invalid name"},
		{"array", `[{"name":"a","version":"1"}]`, manifestInfo{}, "not a JSON object"},
		{"string", `"a"`, manifestInfo{}, "not a JSON object"},
		{"empty", ``, manifestInfo{}, "invalid JSON"},
		{"truncated", `{"name":"a","version":"1"`, manifestInfo{}, "invalid JSON"},
		{"garbage", `{"name":"a",}`, manifestInfo{}, "invalid JSON"},
		{"deep", `{"name":"a","version":"1","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, manifestInfo{}, "invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseManifest([]byte(tc.json))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(manifestInfo{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestInstalledBadInput: each broken manifest is a warning naming its file,
// and the others are still reported.
func TestInstalledBadInput(t *testing.T) {
	root := t.TempDir()
	for p, data := range map[string]string{
		"app/node_modules/good/package.json":      `{"name":"good","version":"1.0.0"}`,
		"app/node_modules/broken/package.json":    `{"name":"broken",`,
		"app/node_modules/noversion/package.json": `{"name":"noversion"}`,
		"app/node_modules/array/package.json":     `[]`,
	} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink loop and a dangling link: the first is worth a warning.
	for link, target := range map[string]string{"loop": "loop", "dangling": "../nowhere"} {
		if err := os.Symlink(target, filepath.Join(root, "app/node_modules", link)); err != nil {
			t.Fatal(err)
		}
	}
	var warns []string
	c := NewInstalled()
	pkgs, err := c.Catalog(context.Background(), mergedInput(t, root, c, collectWarnings(&warns)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"good@1.0.0"}, names(pkgs)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	slices.Sort(warns)
	want := []string{
		"npm: /app/node_modules/array/package.json: not a JSON object",
		"npm: /app/node_modules/broken/package.json: invalid JSON",
		"npm: /app/node_modules/loop: too many levels of symbolic links",
		"npm: /app/node_modules/noversion/package.json: no version",
	}
	if len(warns) != len(want) {
		t.Fatalf("warnings = %q", warns)
	}
	for i := range want {
		if !strings.HasPrefix(warns[i], want[i]) {
			t.Errorf("warning %q, want it to start with %q", warns[i], want[i])
		}
	}
}

// TestWarningsBounded: a tree of broken manifests is a bounded number of
// warnings.
func TestWarningsBounded(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range 500 {
		fsys[fmt.Sprintf("app/node_modules/p%d/package.json", i)] = &fstest.MapFile{Data: []byte("{")}
	}
	var warns []string
	c := NewInstalled()
	if _, err := c.Catalog(context.Background(), mapInput(fsys, c, collectWarnings(&warns))); err != nil {
		t.Fatal(err)
	}
	if len(warns) != maxWarnings+1 || !strings.Contains(warns[maxWarnings], "450 more warnings") {
		t.Errorf("%d warnings, last %q", len(warns), warns[len(warns)-1])
	}
}

// sharedImages returns ../shared/images, or skips.
func sharedImages(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = "../../../../shared"
	}
	dir = filepath.Join(dir, "images")
	if _, err := os.Stat(filepath.Join(dir, "debian-app", "index.json")); err != nil {
		t.Skipf("shared test images not found at %s (set VIGIL_SHARED): %v", dir, err)
	}
	return dir
}

// TestDebianApp checks the real debian-app image against its ground truth:
// the npm packages of /app/node/node_modules are found, those of the
// whited-out /opt/legacy/node are not, and neither lockfile is read (one
// is beside node_modules, the other whited out with it).
func TestDebianApp(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a real image of 90 MB")
	}
	dir := sharedImages(t)
	im, err := image.Open(context.Background(), "oci-dir:"+filepath.Join(dir, "debian-app"), image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	inv, err := catalog.Inventory(context.Background(), im, catalog.Options{Catalogers: []catalog.Cataloger{NewInstalled(), NewLock()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range inv.Warnings {
		if strings.HasPrefix(w, "npm") {
			t.Errorf("warning: %s", w)
		}
	}
	var got []string
	for _, p := range inv.Packages {
		if p.Ecosystem != sbom.NPM {
			continue
		}
		if len(p.Locations) != 1 || p.FoundBy != "npm" || p.Layer.Index != 2 {
			t.Errorf("%s: %+v", p.Name, p)
		}
		got = append(got, fmt.Sprintf("%s\t%s\t%s", p.Name, p.Version, strings.TrimSuffix(p.Locations[0], "/package.json")))
	}
	want := truthRows(t, filepath.Join(dir, "truth", "debian-app.lang.tsv"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("npm packages (-truth +vigil):\n%s", diff)
	}
	absent := truthRows(t, filepath.Join(dir, "truth", "debian-app.absent.tsv"))
	for _, a := range absent {
		name, version, _ := strings.Cut(a, "\t")
		version, _, _ = strings.Cut(version, "\t")
		for _, p := range inv.Packages {
			if p.Ecosystem == sbom.NPM && p.Name == name && p.Version == version {
				t.Errorf("%s %s was deleted by a whiteout but is reported at %v", name, version, p.Locations)
			}
		}
	}
}

// truthRows reads the npm rows of a truth file: name, version, path.
func truthRows(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) >= 4 && fields[0] == "npm" {
			out = append(out, strings.Join(fields[1:4], "\t"))
		}
	}
	slices.Sort(out)
	return out
}

// BenchmarkCatalogInstalled catalogs 1,000 installed packages.
func BenchmarkCatalogInstalled(b *testing.B) {
	var manifests [][]byte
	filepath.WalkDir("testdata/installed/app/node_modules", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && classify(filepath.ToSlash(p)) == treeManifest {
			data, _ := os.ReadFile(p)
			manifests = append(manifests, data)
		}
		return nil
	})
	if len(manifests) == 0 {
		b.Fatal("no fixtures")
	}
	fsys := fstest.MapFS{}
	for i := range 1000 {
		// Real manifests under made-up paths: some nested, some scoped.
		p := fmt.Sprintf("app/node_modules/p%d/package.json", i)
		switch i % 4 {
		case 1:
			p = fmt.Sprintf("app/node_modules/p%d/node_modules/q%d/package.json", i/4, i)
		case 2:
			p = fmt.Sprintf("app/node_modules/@s%d/p%d/package.json", i%7, i)
		}
		fsys[p] = &fstest.MapFile{Data: manifests[i%len(manifests)]}
	}
	c := NewInstalled()
	in := mapInput(fsys, c, func(s string) { b.Fatal(s) })
	if len(in.Paths) != 1000 {
		b.Fatalf("%d paths wanted", len(in.Paths))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Catalog(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzManifest(f *testing.F) {
	filepath.WalkDir("testdata/installed", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.HasSuffix(p, ".json") {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	f.Add([]byte(`{"name":"a","version":"1","license":{"type":"MIT"},"licenses":[{"type":"X"},["y"]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest(data)
		if err != nil {
			return
		}
		if !validName(m.name) || !validVersion(m.version) {
			t.Fatalf("accepted %+v", m)
		}
		purl(m.name, m.version)
		licenses(m.licenses)
		parseProjectManifest(data)
	})
}
