package hex

import (
	"flag"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
	"github.com/vigilproject/vigil/internal/sbom"
)

var update = flag.Bool("update", false, "rewrite golden files")

// row is a package as the golden files show it.
type row struct {
	Ecosystem           sbom.Ecosystem
	Name, Version, PURL string
	Locations           []string
	FoundBy             string
}

func rows(pkgs []sbom.Package) []row {
	out := []row{}
	for _, p := range pkgs {
		out = append(out, row{p.Ecosystem, p.Name, p.Version, p.PURL, p.Locations, p.FoundBy})
	}
	return out
}

// TestRootfs catalogs testdata/rootfs (a Phoenix project's mix.lock and
// its release, a rebar3 project and its release, an OTP installation; see
// testdata/README.md), once directly, compared with the golden files, and
// once through the whole pipeline on a dir: target, which must find the
// same packages and warn about nothing.
func TestRootfs(t *testing.T) {
	catalogtest.CheckRootfs(t, filepath.Join("testdata", "rootfs"), []catalog.Cataloger{NewMixLock(), NewRebarLock(), NewRelease()}, rows, *update)
}

// TestRootfsFacts states what the golden files must show, so that an
// -update cannot bless a regression unnoticed.
func TestRootfsFacts(t *testing.T) {
	fsys := catalogtest.LoadDir(t, filepath.Join("testdata", "rootfs"))
	purls := func(c catalog.Cataloger) map[string]bool {
		pkgs, _ := catalogtest.Run(t, c, fsys)
		m := map[string]bool{}
		for _, p := range pkgs {
			m[p.PURL+" "+p.Locations[0]] = true
			if p.Ecosystem != sbom.Hex || p.FoundBy != c.Name() {
				t.Errorf("%s: %+v", c.Name(), p)
			}
		}
		return m
	}
	tests := []struct {
		c    catalog.Cataloger
		want []string
		not  []string
		n    int
	}{
		{
			c: NewMixLock(),
			want: []string{
				"pkg:hex/phoenix@1.7.10 /srv/shop/mix.lock",
				"pkg:hex/acme/acme_auth@0.4.2 /srv/shop/mix.lock", // hexpm:acme
				"pkg:hex/poison@3.1.0 /srv/shop/mix.lock",         // without repository and outer checksum
				"pkg:hex/uuid@1.1.8 /srv/shop/mix.lock",           // name and version only
			},
			not: []string{
				"pkg:hex/heroicons@", "pkg:hex/sentry@", // git
				"/srv/shop/deps/sentry/mix.lock", // a dependency's own lockfile
			},
			n: 43,
		},
		{
			c: NewRebarLock(),
			want: []string{
				"pkg:hex/cowboy@2.10.0 /srv/relay/rebar.lock",
				"pkg:hex/unicode_util_compat@0.7.0 /srv/relay/rebar.lock",
				"pkg:hex/goldrush@0.1.9 /opt/legacy-erl/rebar.lock",
			},
			not: []string{"pkg:hex/lager@3.9", "pkg:hex/edown@", "/_build/"}, // git
			n:   13 + 5,
		},
		{
			c: NewRelease(),
			want: []string{
				"pkg:hex/phoenix@1.7.10 /app/lib/phoenix-1.7.10/ebin/phoenix.app",
				"pkg:hex/cowboy@2.10.0 /app/lib/cowboy-2.10.0/ebin/cowboy.app",
				"pkg:hex/lager@3.9.2 /opt/relay/lib/lager-3.9.2/ebin/lager.app",
				"pkg:hex/relay_core@1.4.0 /opt/relay/lib/relay_core-1.4.0/ebin/relay_core.app",
				"pkg:hex/cowboy@2.12.0 /opt/rabbitmq/plugins/cowboy-2.12.0/ebin/cowboy.app",
				"pkg:hex/ranch@2.1.0 /opt/rabbitmq/plugins/ranch-2.1.0/ebin/ranch.app",
			},
			not: []string{
				"pkg:hex/shop@", "pkg:hex/relay@", // the releases' own applications
				"pkg:hex/kernel@", "pkg:hex/ssl@", "pkg:hex/elixir@", "pkg:hex/logger@", "pkg:hex/syntax_tools@",
				"pkg:hex/jiffy@", "pkg:hex/xmerl@", // OTP installations
				"/_build/",
			},
			n: 28 + 18,
		},
	}
	for _, tt := range tests {
		got := purls(tt.c)
		for _, w := range tt.want {
			if !got[w] {
				t.Errorf("%s: %s not found", tt.c.Name(), w)
			}
		}
		for g := range got {
			for _, n := range tt.not {
				if strings.Contains(g, n) {
					t.Errorf("%s: %s found", tt.c.Name(), g)
				}
			}
		}
		if len(got) != tt.n {
			t.Errorf("%s: %d packages, want %d", tt.c.Name(), len(got), tt.n)
		}
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path                string
		mode                fs.FileMode
		size                int64
		mix, rebar, release bool
	}{
		{path: "srv/app/mix.lock", mix: true},
		{path: "mix.lock", mix: true},
		{path: "srv/app/mymix.lock"},
		{path: "srv/app/mix.lock", size: maxLockSize + 1},
		{path: "srv/app/mix.lock", size: -1},
		{path: "srv/app/mix.lock", mode: fs.ModeSymlink},
		{path: "srv/app/mix.lock", mode: fs.ModeDir},
		{path: "srv/app/deps/plug/mix.lock"},
		{path: "deps/plug/mix.lock"},
		{path: "usr/share/doc/elixir/examples/mix.lock"},
		{path: "srv/app/rebar.lock", rebar: true},
		{path: "rebar.lock", rebar: true},
		{path: "srv/app/_build/default/lib/hackney/rebar.lock"},
		{path: "srv/app/_checkouts/ranch/rebar.lock"},
		{path: "srv/app/deps/cowboy/rebar.lock"},
		{path: "root/.cache/rebar3/plugins/rebar3_hex/rebar.lock"},
		{path: "srv/app/rebar.lock.bak"},
		{path: "app/lib/plug-1.15.2/ebin/plug.app", release: true},
		{path: "lib/plug-1.15.2/ebin/plug.app", release: true},
		{path: "opt/relay/lib/cowboy-2.10.0/ebin/cowboy.app", release: true},
		{path: "opt/relay/lib/cowboy-2.10.0/ebin/cowboy.app", size: maxAppSize + 1},
		{path: "opt/relay/lib/cowboy-2.10.0/ebin/cowboy.app", mode: fs.ModeSymlink},
		{path: "opt/relay/lib/cowboy-2.10.0/ebin/cowlib.app"},
		{path: "opt/relay/lib/cowboy-/ebin/cowboy.app"},
		{path: "opt/relay/lib/cowboy/ebin/cowboy.app"},
		{path: "opt/relay/lib/cowboy_telemetry-0.4.0/ebin/cowboy.app"},
		{path: "opt/rabbitmq/plugins/cowboy-2.12.0/ebin/cowboy.app", release: true},
		{path: "opt/rabbitmq/plugin/cowboy-2.12.0/ebin/cowboy.app"},
		{path: "opt/relay/lib/cowboy-2.10.0/src/cowboy.app"},
		{path: "opt/relay/lib/cowboy-2.10.0/ebin/.app"},
		{path: "opt/relay/lib/cowboy-2.10.0/ebin/cowboy.app.src"},
		{path: "srv/app/_build/prod/lib/plug/ebin/plug.app"},
		{path: "usr/lib/erlang/lib/ssl-11.1.4/ebin/ssl.app"},
		{path: "usr/local/lib/erlang/lib/jiffy-1.1.1/ebin/jiffy.app"},
		{path: "usr/lib64/erlang/lib/ssl-11.1.4/ebin/ssl.app"},
		{path: "root/.asdf/installs/erlang/26.2.5/lib/erlang/lib/ssl-11.1.4/ebin/ssl.app"},
		{path: "app/erts-14.2.5/lib/foo-1.0/ebin/foo.app"},
		{path: "erts-14.2.5/lib/foo-1.0/ebin/foo.app"},
		{path: "app/releases/0.1.0/shop.rel", release: true},
		{path: "releases/0.1.0/shop.rel", release: true},
		{path: "app/releases/0.1.0/shop.rel", size: maxRelSize + 1},
		{path: "app/releases/shop.rel"},
		{path: "app/releases/0.1.0/.rel"},
		{path: "usr/local/lib/erlang/releases/26/start_sasl.rel"},
		{path: "app/releases/0.1.0/sys.config"},
	}
	mix, rebar, release := NewMixLock(), NewRebarLock(), NewRelease()
	for _, tt := range tests {
		size := tt.size
		if size == 0 {
			size = 1000
		}
		if got := mix.Wants(tt.path, tt.mode, size); got != tt.mix {
			t.Errorf("mix Wants(%q, %v, %d) = %v", tt.path, tt.mode, size, got)
		}
		if got := rebar.Wants(tt.path, tt.mode, size); got != tt.rebar {
			t.Errorf("rebar Wants(%q, %v, %d) = %v", tt.path, tt.mode, size, got)
		}
		if got := release.Wants(tt.path, tt.mode, size); got != tt.release {
			t.Errorf("release Wants(%q, %v, %d) = %v", tt.path, tt.mode, size, got)
		}
	}
	// An empty file holds nothing.
	if mix.Wants("mix.lock", 0, 0) || rebar.Wants("rebar.lock", 0, 0) || release.Wants("lib/a-1/ebin/a.app", 0, 0) {
		t.Error("empty files wanted")
	}
}

// TestWantsAllocs keeps Wants, called for every file of every layer, free
// of allocations.
func TestWantsAllocs(t *testing.T) {
	paths := []string{
		"srv/app/mix.lock", "srv/app/deps/plug/mix.lock", "srv/app/rebar.lock",
		"app/lib/plug-1.15.2/ebin/plug.app", "usr/lib/erlang/lib/ssl-11.1.4/ebin/ssl.app",
		"app/releases/0.1.0/shop.rel", "usr/lib/x86_64-linux-gnu/libc.so.6",
	}
	for _, c := range []catalog.Cataloger{NewMixLock(), NewRebarLock(), NewRelease()} {
		catalogtest.WantsAllocs(t, c, paths...)
	}
}

func TestVersions(t *testing.T) {
	for _, c := range []catalog.Cataloger{NewMixLock(), NewRebarLock(), NewRelease()} {
		if c.Version() != 1 {
			t.Errorf("%s: Version() = %d", c.Name(), c.Version())
		}
	}
}

// TestBadFiles checks that every cataloger names the file in its warnings
// and goes on with the other files.
func TestBadFiles(t *testing.T) {
	deep := strings.Repeat("{", 100000)
	tests := []struct {
		c     catalog.Cataloger
		files map[string]string
		want  []string // PURL and location
		warns []string
	}{
		{
			c: NewMixLock(),
			files: map[string]string{
				"a/mix.lock": `%{"plug": {:hex, :plug, "1.14.2", "x", [:mix], [], "hexpm", "y"}}`,
				"b/mix.lock": `%{"plug": {:hex, :plug, "1.14.2"`,
				"c/mix.lock": deep,
				"d/mix.lock": "%{\"plug\": {:hex, :plug, \"1.\xff\"}}",
				"e/mix.lock": `%{"plug": {:hex, :plug, 1.14}, "mime": {:hex, :mime, "2.0.5"}}`,
				"f/mix.lock": `[]`,
				"g/mix.lock": `%{"big": {:hex, :big, "` + strings.Repeat("9", 1<<20) + `"}}`,
			},
			want: []string{"pkg:hex/mime@2.0.5 /e/mix.lock", "pkg:hex/plug@1.14.2 /a/mix.lock"},
			warns: []string{
				"hex-mix-lock: /b/mix.lock: line 1: unexpected end of file",
				"hex-mix-lock: /c/mix.lock: line 1: nested deeper than 100 levels",
				"hex-mix-lock: /d/mix.lock: not UTF-8 text",
				`hex-mix-lock: /e/mix.lock: 1 entry skipped: "plug" (line 1): version is a float, not a string`,
				"hex-mix-lock: /f/mix.lock: not a mix.lock: a list, not a map",
				`hex-mix-lock: /g/mix.lock: 1 entry skipped: "big" (line 1): invalid version "` + strings.Repeat("9", 64) + `"…`,
			},
		},
		{
			c: NewRebarLock(),
			files: map[string]string{
				"a/rebar.lock": `{"1.2.0", [{<<"certifi">>,{pkg,<<"certifi">>,<<"2.9.0">>},1}]}.`,
				"b/rebar.lock": `{"1.2.0", [{<<"certifi">>,{pkg,<<"certifi">>,<<"2.9.0">>},1}]}`,
				"c/rebar.lock": deep,
				"d/rebar.lock": `[{<<"x">>,{pkg,<<"x">>,{1,2}},0}].`,
				"e/rebar.lock": `{"1.2.0", [{<<"certifi">>,{pkg,<<"certifi">>,<<"2.9.0">>},1}]]}.`,
				"f/rebar.lock": "[{<<\"x\">>,{pkg,<<\"x\">>,<<\"1.\xff\">>},0}].",
			},
			want: []string{"pkg:hex/certifi@2.9.0 /a/rebar.lock"},
			warns: []string{
				"hex-rebar-lock: /b/rebar.lock: line 1: unexpected end of file: no '.' after the term",
				"hex-rebar-lock: /c/rebar.lock: line 1: nested deeper than 100 levels",
				`hex-rebar-lock: /d/rebar.lock: 1 entry skipped: "x" (line 1): version is a tuple, not a string`,
				`hex-rebar-lock: /e/rebar.lock: line 1: unexpected ']'`,
				`hex-rebar-lock: /f/rebar.lock: 1 entry skipped: "x" (line 1): invalid version "1.\xff"`,
			},
		},
		{
			c: NewRelease(),
			files: map[string]string{
				"r/lib/good-1.0.0/ebin/good.app":   `{application, good, [{vsn, "1.0.0"}]}.`,
				"r/lib/trunc-1.0.0/ebin/trunc.app": `{application, trunc, [{vsn, "1.0.0"}`,
				"r/lib/deep-1.0.0/ebin/deep.app":   deep,
				"r/lib/git-1.0.0/ebin/git.app":     `{application, git, [{vsn, git}]}.`,
				"r/lib/cmd-1.0.0/ebin/cmd.app":     `{application, cmd, [{vsn, {cmd, "echo 1.0.0"}}]}.`,
				"r/lib/nov-1.0.0/ebin/nov.app":     `{application, nov, [{description, "no vsn"}]}.`,
				"r/lib/other-1.0.0/ebin/other.app": `{application, another, [{vsn, "1.0.0"}]}.`,
				"r/lib/sp-1.0/ebin/sp.app":         `{application, sp, [{vsn, "1.0 beta"}]}.`,
				"r/releases/1/r.rel":               `{release, {"r", "1"}, {erts, "14.2"}, []`,
			},
			want: []string{"pkg:hex/good@1.0.0 /r/lib/good-1.0.0/ebin/good.app"},
			warns: []string{
				"hex-release: /r/releases/1/r.rel: line 1: unexpected end of file",
				"hex-release: /r/lib/deep-1.0.0/ebin/deep.app: line 1: nested deeper than 100 levels",
				`hex-release: /r/lib/other-1.0.0/ebin/other.app: application "another" in other.app`,
				`hex-release: /r/lib/sp-1.0/ebin/sp.app: invalid vsn "1.0 beta"`,
				"hex-release: /r/lib/trunc-1.0.0/ebin/trunc.app: line 1: unexpected end of file",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.c.Name(), func(t *testing.T) {
			fsys := fstest.MapFS{}
			for p, s := range tt.files {
				fsys[p] = &fstest.MapFile{Data: []byte(s), Mode: 0o644}
			}
			pkgs, warns := catalogtest.Run(t, tt.c, fsys)
			var got []string
			for _, p := range pkgs {
				got = append(got, p.PURL+" "+p.Locations[0])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warns, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnreadable checks that a file the view cannot open is a warning.
func TestUnreadable(t *testing.T) {
	in := catalog.Input{
		FS:    fstest.MapFS{},
		Paths: []string{"srv/mix.lock"},
	}
	var warns []string
	in.Warn = func(s string) { warns = append(warns, s) }
	pkgs, err := NewMixLock().Catalog(t.Context(), in)
	if err != nil || len(pkgs) != 0 || len(warns) != 1 || !strings.HasPrefix(warns[0], "hex-mix-lock: /srv/mix.lock: open srv/mix.lock:") {
		t.Errorf("got %v, %v, %q", pkgs, err, warns)
	}
}
