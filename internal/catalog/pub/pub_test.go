package pub

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/package-url/packageurl-go"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRootfs catalogs testdata/rootfs (see testdata/README.md) once
// directly, compared with the golden files, and once through the whole
// pipeline on a dir: target, which must find the same packages.
func TestRootfs(t *testing.T) {
	catalogtest.CheckRootfs(t, filepath.Join("testdata", "rootfs"), []catalog.Cataloger{NewLock(), NewCache()}, catalogtest.Rows, *update)
}

// TestRootfsPackages checks what the golden files cannot be trusted to
// hold: every package is a pub one, and no sdk, path or git package is
// reported.
func TestRootfsPackages(t *testing.T) {
	fsys := catalogtest.LoadDir(t, filepath.Join("testdata", "rootfs"))
	counts := map[string]int{}
	for _, c := range []catalog.Cataloger{NewLock(), NewCache()} {
		pkgs, warns := catalogtest.Run(t, c, fsys)
		if len(warns) > 0 {
			t.Errorf("%s warnings: %q", c.Name(), warns)
		}
		for _, p := range pkgs {
			counts[p.Locations[0]]++
			u, err := packageurl.FromString(p.PURL)
			if err != nil || u.Type != "pub" || u.Name != p.Name || u.Version != p.Version || u.Namespace != "" ||
				p.Ecosystem != sbom.Pub || p.FoundBy != c.Name() || p.Dev {
				t.Errorf("%s: bad package %+v", c.Name(), p)
			}
			switch p.Name {
			case "flutter", "flutter_test", "flutter_web_plugins", "sky_engine", "shop_core", "pdf_render":
				t.Errorf("%s: %s %s reported from %s", c.Name(), p.Name, p.Version, p.Locations[0])
			}
			private := strings.HasPrefix(p.Name, "acme_") || p.Name == "retry"
			if got := strings.Contains(p.PURL, "?repository_url="); got != private {
				t.Errorf("%s: PURL %s: repository_url qualifier %v, want %v", c.Name(), p.PURL, got, private)
			}
		}
	}
	want := map[string]int{
		// 51 packages, less 4 sdk, 1 path and 1 git ones.
		"/app/pubspec.lock":           45,
		"/srv/api/pubspec.lock":       17,
		"/opt/acme-sync/pubspec.lock": 16,
	}
	for loc, n := range want {
		if counts[loc] != n {
			t.Errorf("%s: %d packages, want %d", loc, counts[loc], n)
		}
	}
	cache := 0
	for loc, n := range counts {
		if strings.Contains(loc, "/.pub-cache/") {
			cache += n
		}
	}
	if cache != 8 {
		t.Errorf("pub cache: %d packages, want 8", cache)
	}
}

// TestCatalogWarnings checks that bad files become one warning each,
// naming the file, and that good entries beside bad ones are kept.
func TestCatalogWarnings(t *testing.T) {
	good := []byte("packages:\n  async:\n    description:\n      name: async\n      url: \"https://pub.dev\"\n    source: hosted\n    version: \"2.11.0\"\n")
	fsys := fstest.MapFS{
		"app/pubspec.lock":       {Data: good},
		"truncated/pubspec.lock": {Data: good[:strings.Index(string(good), "//pub")]},
		"cut/pubspec.lock":       {Data: good[:60]},
		"list/pubspec.lock":      {Data: []byte("- packages\n- sdks\n")},
		"mixed/pubspec.lock": {Data: []byte("packages:\n" +
			"  async:\n    description: async\n    source: hosted\n    version: \"2.11.0\"\n" +
			"  path:\n    description: path\n    source: hosted\n    version: 1.0\n" +
			"  meta:\n    description: meta\n    source: hosted\n    version: 1\n")},
		"binary/pubspec.lock": {Data: []byte("packages:\n  a\xff\xfe: {}\n")},
	}
	pkgs, warns := catalogtest.Run(t, NewLock(), fsys)
	var got []string
	for _, p := range pkgs {
		got = append(got, p.PURL+" "+p.Locations[0])
	}
	want := []string{"pkg:pub/async@2.11.0 /app/pubspec.lock", "pkg:pub/async@2.11.0 /mixed/pubspec.lock"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	wantWarns := []string{
		"pub-lock: /binary/pubspec.lock: not UTF-8 text",
		`pub-lock: /cut/pubspec.lock: 1 package skipped: "async": source is missing, not a string`,
		`pub-lock: /list/pubspec.lock: not a pubspec.lock: not a YAML mapping`,
		`pub-lock: /mixed/pubspec.lock: 2 packages skipped, the first: "path": version is a number, not a string`,
		"pub-lock: /truncated/pubspec.lock: invalid YAML: yaml: line 5: found unexpected end of stream",
	}
	if diff := cmp.Diff(wantWarns, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestCacheWarnings checks the pubspec.yaml files of a cache that do not
// agree with their directory.
func TestCacheWarnings(t *testing.T) {
	const dir = "root/.pub-cache/hosted/"
	fsys := fstest.MapFS{
		dir + "pub.dev/shelf-1.4.1/pubspec.yaml":        {Data: []byte("name: shelf\nversion: 1.4.1\n")},
		dir + "pub.dev/shelf-1.4.2/pubspec.yaml":        {Data: []byte("name: shelf\nversion: 1.4.1\n")},
		dir + "pub.dev/http-1.2.1/pubspec.yaml":         {Data: []byte("name: http\nversion: 1.2\n")},
		dir + "pub.dev/args-2.4.2/pubspec.yaml":         {Data: []byte("name: args\n")},
		dir + "pub.dev/meta-1.11.0/pubspec.yaml":        {Data: []byte("name: meta\nversion: [1, 11, 0]\n")},
		dir + "pub.dev/path-1.9.0/pubspec.yaml":         {Data: []byte("name: path\nversion: 1.9.0\ndescription: &d x\nhomepage: *d\n")},
		dir + "pub.dev/web-0.5.1/pubspec.yaml":          {Data: []byte("name: web\nversion: \"0.5.1\n")},
		dir + "%58%58/x-1.0.0/pubspec.yaml":             {Data: []byte("name: x\nversion: 1.0.0\n")},
		dir + "localhost%5881/local-1.0.0/pubspec.yaml": {Data: []byte("name: local\nversion: 1.0.0\n")},
	}
	pkgs, warns := catalogtest.Run(t, NewCache(), fsys)
	var got []string
	for _, p := range pkgs {
		got = append(got, p.PURL)
	}
	want := []string{"pkg:pub/local@1.0.0?repository_url=http:%2F%2Flocalhost:81", "pkg:pub/shelf@1.4.1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	wantWarns := []string{
		`pub-cache: /root/.pub-cache/hosted/%58%58/x-1.0.0/pubspec.yaml: cache directory "%58%58" names no repository`,
		"pub-cache: /root/.pub-cache/hosted/pub.dev/args-2.4.2/pubspec.yaml: version is missing, not a string",
		`pub-cache: /root/.pub-cache/hosted/pub.dev/http-1.2.1/pubspec.yaml: version is a number, not a string`,
		"pub-cache: /root/.pub-cache/hosted/pub.dev/meta-1.11.0/pubspec.yaml: version is a list, not a string",
		"pub-cache: /root/.pub-cache/hosted/pub.dev/path-1.9.0/pubspec.yaml: YAML aliases, which pub never writes, refused",
		`pub-cache: /root/.pub-cache/hosted/pub.dev/shelf-1.4.2/pubspec.yaml: package shelf 1.4.1 does not match its directory "shelf-1.4.2"`,
		"pub-cache: /root/.pub-cache/hosted/pub.dev/web-0.5.1/pubspec.yaml: invalid YAML: yaml: line 2: found unexpected end of stream",
	}
	if diff := cmp.Diff(wantWarns, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestHugeFiles checks that files over the bounds are not wanted and,
// should a view hold one anyway, are refused with a warning.
func TestHugeFiles(t *testing.T) {
	lock := append([]byte("packages:\n"), make([]byte, maxLockSize)...)
	pubspec := append([]byte("name: x\nversion: 1.0.0\n"), make([]byte, maxPubspecSize)...)
	const lockPath, pubspecPath = "app/pubspec.lock", "root/.pub-cache/hosted/pub.dev/x-1.0.0/pubspec.yaml"
	if NewLock().Wants(lockPath, 0o644, int64(len(lock))) {
		t.Errorf("lock cataloger wants a file of %d bytes", len(lock))
	}
	if NewCache().Wants(pubspecPath, 0o644, int64(len(pubspec))) {
		t.Errorf("cache cataloger wants a file of %d bytes", len(pubspec))
	}
	fsys := fstest.MapFS{lockPath: {Data: lock}, pubspecPath: {Data: pubspec}}
	for _, tc := range []struct {
		c    catalog.Cataloger
		path string
		want string
	}{
		{NewLock(), lockPath, "pub-lock: /app/pubspec.lock: larger than 1048576 bytes, not read"},
		{NewCache(), pubspecPath, "pub-cache: /" + pubspecPath + ": larger than 262144 bytes, not read"},
	} {
		var warns []string
		pkgs, err := tc.c.Catalog(context.Background(), catalog.Input{FS: fsys, Paths: []string{tc.path}, Warn: func(s string) { warns = append(warns, s) }})
		if err != nil || len(pkgs) != 0 {
			t.Errorf("%s: %d packages, error %v", tc.c.Name(), len(pkgs), err)
		}
		if diff := cmp.Diff([]string{tc.want}, warns); diff != "" {
			t.Errorf("%s warnings (-want +got):\n%s", tc.c.Name(), diff)
		}
	}
}

// TestCanceled checks that Catalog gives up when its context ends.
func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fsys := fstest.MapFS{"pubspec.lock": {Data: []byte("packages: {}\n")}}
	for _, c := range []catalog.Cataloger{NewLock(), NewCache()} {
		if _, err := c.Catalog(ctx, catalog.Input{FS: fsys, Paths: []string{"pubspec.lock"}, Warn: func(string) {}}); err == nil {
			t.Errorf("%s: no error on a canceled context", c.Name())
		}
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path        string
		mode        os.FileMode
		size        int64
		lock, cache bool
	}{
		{path: "app/pubspec.lock", size: 9000, lock: true},
		{path: "pubspec.lock", size: 9000, lock: true},
		{path: "usr/src/app/pubspec.lock", size: maxLockSize, lock: true},
		{path: "app/pubspec.lock", size: maxLockSize + 1},
		{path: "app/pubspec.lock", size: 0},
		{path: "app/pubspec.lock", mode: os.ModeSymlink, size: 20},
		{path: "app/my-pubspec.lock", size: 9000},
		{path: "app/pubspec.lock.bak", size: 9000},
		{path: "app/pubspec.yaml", size: 900},
		{path: "root/.pub-cache/hosted/pub.dev/shelf-1.4.1/example/pubspec.lock", size: 9000},
		{path: ".pub-cache/hosted/pub.dev/shelf-1.4.1/pubspec.lock", size: 9000},

		{path: "root/.pub-cache/hosted/pub.dev/shelf-1.4.1/pubspec.yaml", size: 900, cache: true},
		{path: ".pub-cache/hosted/pub.dev/shelf-1.4.1/pubspec.yaml", size: 900, cache: true},
		{path: "home/dart/.pub-cache/hosted/pub.dartlang.org/matcher-0.12.16+1/pubspec.yaml", size: 900, cache: true},
		{path: "sdks/flutter/.pub-cache/hosted/dart.cloudsmith.io%47acme%47r%47/acme_ui-1.0.0-dev.1/pubspec.yaml", size: 900, cache: true},
		{path: "root/.pub-cache/hosted/pub.dev/shelf-1.4.1/pubspec.yaml", size: maxPubspecSize + 1},
		{path: "root/.pub-cache/hosted/pub.dev/shelf-1.4.1/pubspec.yaml", size: 0},
		{path: "root/.pub-cache/hosted/pub.dev/shelf-1.4.1/pubspec.yaml", mode: os.ModeSymlink, size: 20},
		{path: "root/.pub-cache/hosted/pub.dev/shelf-1.4.1/example/pubspec.yaml", size: 900},
		{path: "root/.pub-cache/hosted/pub.dev/shelf/pubspec.yaml", size: 900},
		{path: "root/.pub-cache/hosted/pub.dev/-1.0.0/pubspec.yaml", size: 900},
		{path: "root/.pub-cache/hosted/pub.dev/shelf-/pubspec.yaml", size: 900},
		{path: "root/.pub-cache/hosted/pub.dev/9lives-1.0.0/pubspec.yaml", size: 900},
		{path: "root/.pub-cache/hosted/.cache/shelf-1.4.1/pubspec.yaml", size: 900},
		{path: "root/.pub-cache/hosted/shelf-1.4.1/pubspec.yaml", size: 900},
		{path: "root/.pub-cache/git/pdf_render-3c7e0f5a/pubspec.yaml", size: 900},
		{path: "root/my.pub-cache/hosted/pub.dev/shelf-1.4.1/pubspec.yaml", size: 900},
		{path: "root/.pub-cache/hosted/pub.dev/shelf-1.4.1/pubspec.yml", size: 900},
		{path: "app/pubspec.yaml", size: 900},
	}
	lock, cache := NewLock(), NewCache()
	for _, tt := range tests {
		if got := lock.Wants(tt.path, tt.mode, tt.size); got != tt.lock {
			t.Errorf("lock Wants(%q, %v, %d) = %v", tt.path, tt.mode, tt.size, got)
		}
		if got := cache.Wants(tt.path, tt.mode, tt.size); got != tt.cache {
			t.Errorf("cache Wants(%q, %v, %d) = %v", tt.path, tt.mode, tt.size, got)
		}
	}
}

// TestWantsAllocs keeps Wants, called for every file of every layer, free
// of allocations.
func TestWantsAllocs(t *testing.T) {
	paths := []string{
		"app/pubspec.lock",
		"root/.pub-cache/hosted/pub.dev/shelf-1.4.1/pubspec.yaml",
		"root/.pub-cache/hosted/pub.dev/shelf-1.4.1/lib/shelf.dart",
		"usr/share/zoneinfo/Europe/Paris",
	}
	for _, c := range []catalog.Cataloger{NewLock(), NewCache()} {
		catalogtest.WantsAllocs(t, c, paths...)
	}
}
