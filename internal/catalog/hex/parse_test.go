package hex

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

func depStrings(deps []dep) []string {
	var out []string
	for _, d := range deps {
		s := d.name + "@" + d.version
		if d.org != "" {
			s = d.org + "/" + s
		}
		out = append(out, s)
	}
	return out
}

func TestParseMixLock(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "every entry format",
			in: `%{
  "cowboy": {:hex, :cowboy, "2.10.0", "8cbc", [:make, :rebar3], [{:cowlib, "2.12.1", [hex: :cowlib, repo: "hexpm", optional: false]}], "hexpm", "b7a4"},
  "decimal": {:hex, :decimal, "1.9.0", "83e8", [:mix], [], "hexpm"},
  "poison": {:hex, :poison, "3.1.0", "d9eb", [:mix], []},
  "ranch": {:hex, :ranch, "1.3.2", "e4965a14"},
  "uuid": {:hex, :uuid, "1.1.8"},
}`,
			want: []string{"cowboy@2.10.0", "decimal@1.9.0", "poison@3.1.0", "ranch@1.3.2", "uuid@1.1.8"},
		},
		{
			name: "the package name, not the application's",
			in:   `%{"my_json": {:hex, :jason, "1.4.1", "fd00", [:mix], [], "hexpm", "6b10"}}`,
			want: []string{"jason@1.4.1"},
		},
		{
			name: "organisations and other repositories",
			in: `%{
  "acme_auth": {:hex, :acme_auth, "0.4.2", "b1e8", [:mix], [], "hexpm:acme", "4bec"},
  "mirrored": {:hex, :mirrored, "1.0.0", "aaaa", [:mix], [], "internal", "bbbb"},
  "bad_org": {:hex, :bad_org, "1.0.0", "aaaa", [:mix], [], "hexpm:", "bbbb"},
  "bad_repo": {:hex, :bad_repo, "1.0.0", "aaaa", [:mix], [], :hexpm, "bbbb"},
}`,
			want:    []string{"acme/acme_auth@0.4.2", "mirrored@1.0.0"},
			wantErr: `2 entries skipped, the first: "bad_org" (line 4): invalid repository "hexpm:"`,
		},
		{
			name: "git and other sources are not Hex packages",
			in: `%{
  "heroicons": {:git, "https://github.com/tailwindlabs/heroicons.git", "88ab3a0d", [tag: "v2.1.1", sparse: "optimized", depth: 1]},
  "local": {:path, "../local", []},
  "plug": {:hex, :plug, "1.15.2", "02731fa0", [:mix], [], "hexpm", "df31"},
}`,
			want: []string{"plug@1.15.2"},
		},
		{
			name: "the old arrow syntax",
			in:   `%{"plug" => {:hex, :plug, "1.0.0"}, "mime" => {:hex, :mime, "1.0.0"}}`,
			want: []string{"plug@1.0.0", "mime@1.0.0"},
		},
		{
			name: "duplicates reported once",
			in:   `%{"a": {:hex, :plug, "1.0.0"}, "b": {:hex, :plug, "1.0.0"}, "c": {:hex, :plug, "1.1.0"}}`,
			want: []string{"plug@1.0.0", "plug@1.1.0"},
		},
		{
			name: "wrong types",
			in: `%{
  "a": {:hex, "plug", "1.0.0"},
  "b": {:hex, :plug, :"1.0.0"},
  "c": {:hex, :plug},
  "d": "plug 1.0.0",
  "e": {},
  "f": {"hex", :plug, "1.0.0"},
  "g": {:hex, :"plug-x", "1.0.0"},
  "h": {:hex, :plug, "1.0 .0"},
  "i": {:hex, :plug, ""},
  "ok": {:hex, :ok, "1.0.0"},
}`,
			want:    []string{"ok@1.0.0"},
			wantErr: `9 entries skipped, the first: "a" (line 2): package name is a string, not an atom`,
		},
		{name: "one skipped", in: `%{"b": {:hex, :plug, 1}}`, wantErr: `1 entry skipped: "b" (line 1): version is an integer, not a string`},
		{name: "a key that is no name", in: `%{1 => {:hex, :plug, 1}}`, wantErr: `1 entry skipped: entry 1 (line 1): version is an integer, not a string`},
		{name: "a huge name", in: `%{"b": {:hex, :"` + strings.Repeat("a", 300) + `", "1"}}`, wantErr: `1 entry skipped: "b" (line 1): invalid package name "` + strings.Repeat("a", 64) + `"…`},
		{name: "empty lock", in: `%{}`},
		{name: "not a map", in: `[{:hex, :plug, "1.0.0"}]`, wantErr: "not a mix.lock: a list, not a map"},
		{name: "truncated", in: `%{"plug": {:hex, :plug, "1.`, wantErr: "line 1: string opened on line 1 is not closed"},
		{name: "merge conflict", in: "%{\n<<<<<<< HEAD\n  \"plug\": {:hex, :plug, \"1.0.0\"},\n=======\n}", wantErr: "line 2: unexpected '<'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps, err := parseMixLock([]byte(tt.in))
			if got := catalogtest.ErrString(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, depStrings(deps)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRebarLock(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "1.2.0",
			in: `{"1.2.0",
[{<<"certifi">>,{pkg,<<"certifi">>,<<"2.9.0">>},1},
 {<<"cowboy">>,{pkg,<<"cowboy">>,<<"2.10.0">>},0},
 {<<"meck">>,{git,"https://github.com/eproxus/meck.git",{ref,"abc"}},0}]}.
[
{pkg_hash,[
 {<<"certifi">>, <<"266DA46BDB06D6C6D35FDE799BCB28D36D985D424AD7C08B5BB48F5B5CDD4641">>},
 {<<"cowboy">>, <<"FF9FFEFF91DAE4AE270DD975642997AFE2A1179D94B1887863E43F681A203E26">>}]},
{pkg_hash_ext,[
 {<<"certifi">>, <<"524C97B4991B3849DD5C17A631223896272C6B0AF446778BA4675A1DFF53BB7E">>},
 {<<"cowboy">>, <<"3AFDCCB7183CC6F143CB14D3CF51FA00E53DB9EC80CDCD525482F5E99BC41D6B">>}]}
].
`,
			want: []string{"certifi@2.9.0", "cowboy@2.10.0"},
		},
		{
			name: "1.1.0",
			in: `{"1.1.0",
[{<<"jsx">>,{pkg,<<"jsx">>,<<"2.8.2">>},0}]}.
[
{pkg_hash,[
 {<<"jsx">>, <<"7ACC7D785B5ABE8A6E9ADBDE926A24E481F29956DD8B4DF49E3E4E7BCC92A018">>}]}
].
`,
			want: []string{"jsx@2.8.2"},
		},
		{
			name: "before 1.1.0: the list alone",
			in: `[{<<"goldrush">>,{pkg,<<"goldrush">>,<<"0.1.9">>},1},
 {<<"lager">>,{pkg,<<"lager">>,<<"3.2.1">>},0}].
`,
			want: []string{"goldrush@0.1.9", "lager@3.2.1"},
		},
		{
			name: "longer pkg tuples, strings for binaries, a package name unlike the application's",
			in:   `[{<<"app">>,{pkg,<<"pkg_name">>,<<"1.0.0">>,<<"ABCD">>},0}, {"str",{pkg,"str","2.0.0"},0}, {<<"x">>,{pkg,<<"x">>,[49,46,48]},0}].`,
			want: []string{"pkg_name@1.0.0", "str@2.0.0", "x@1.0"},
		},
		{
			name: "other sources",
			in:   `[{<<"a">>,{git,"https://example.com/a.git",{tag,"1.0.0"}},0}, {<<"b">>,{hg,"https://example.com/b",{ref,"x"}},0}, {<<"c">>,{raw,{git,"u",{ref,"r"}}},0}].`,
		},
		{
			name: "wrong types",
			in: `[{<<"a">>,{pkg,a,<<"1.0.0">>},0},
 {<<"b">>,{pkg,<<"b">>,'1.0.0'},0},
 {<<"c">>,{pkg,<<"c">>},0},
 {<<"d">>,pkg,0},
 {<<"e">>,{pkg,<<"e">>,<<"1.0.0">>}},
 e,
 {<<"f">>,{pkg,<<"f-x">>,<<"1.0.0">>},0},
 {<<"g">>,{pkg,<<"g">>,<<"1.0.0 rc">>},0},
 {<<"ok">>,{pkg,<<"ok">>,<<"1.0.0">>},0}].`,
			want:    []string{"ok@1.0.0"},
			wantErr: `8 entries skipped, the first: "a" (line 1): package name is an atom, not a string`,
		},
		{name: "empty list", in: `{"1.2.0", []}.` + "\n[].\n"},
		{name: "old empty list", in: "[].\n"},
		{name: "empty file", in: "", wantErr: "empty file"},
		{name: "version without list", in: `{"1.2.0", foo}.`, wantErr: "not a rebar.lock: the dependencies are an atom, not a list"},
		{name: "three-element first term", in: `{"1.2.0", [], x}.`, wantErr: "not a rebar.lock: the first term is neither {Version, Dependencies} nor a list"},
		{name: "an atom", in: `lock.`, wantErr: "not a rebar.lock: the dependencies are an atom, not a list"},
		{name: "truncated", in: `{"1.2.0", [{<<"certifi">>,{pkg,<<"certifi">>,<<"2.9`, wantErr: "line 1: string opened on line 1 is not closed"},
		{name: "Elixir, a comment to Erlang", in: `%{"plug": {:hex, :plug, "1.0.0"}}`, wantErr: "empty file"},
		{name: "JSON", in: `{"version": "1.2.0"}`, wantErr: "line 1: unexpected ':'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps, err := parseRebarLock([]byte(tt.in))
			if got := catalogtest.ErrString(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, depStrings(deps)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseApp(t *testing.T) {
	tests := []struct {
		name, app, in, want, wantErr string
	}{
		{
			name: "mix", app: "plug",
			in: `{application,plug,
             [{modules,['Elixir.Plug','Elixir.Plug.Builder']},
              {compile_env,[{plug,[mimes],error}]},
              {optional_applications,[]},
              {applications,[kernel,stdlib,elixir,logger,eex,mime,plug_crypto,telemetry]},
              {description,"Compose web applications with functions"},
              {registered,[]},
              {vsn,"1.15.2"},
              {mod,{'Elixir.Plug.Application',[]}},
              {env,[{validate_header_keys_during_test,true}]}]}.
`,
			want: "plug@1.15.2",
		},
		{
			name: "erlang.mk", app: "cowboy",
			in: `{application, 'cowboy', [
	{description, "Small, fast, modern HTTP server."},
	{vsn, "2.10.0"},
	{modules, ['cowboy','cowboy_app']},
	{env, []}
]}.
`,
			want: "cowboy@2.10.0",
		},
		{name: "charlist vsn", app: "x", in: `{application, x, [{vsn, [50,46,48]}]}.`, want: "x@2.0"},
		{name: "binary vsn", app: "x", in: `{application, x, [{vsn, <<"2.0">>}]}.`, want: "x@2.0"},
		{name: "vsn git", app: "x", in: `{application, x, [{vsn, git}]}.`, want: "x@"},
		{name: "vsn cmd", app: "x", in: `{application, x, [{vsn, {cmd, "git describe"}}]}.`, want: "x@"},
		{name: "no vsn", app: "x", in: `{application, x, []}.`, want: "x@"},
		{name: "odd properties skipped", app: "x", in: `{application, x, [foo, {a, b, c}, {vsn, "1"}]}.`, want: "x@1"},
		{name: "Latin-1 description", app: "x", in: "{application, x, [{description, \"Caf\xe9\"}, {vsn, \"1\"}]}.", want: "x@1"},
		{name: "empty vsn", app: "x", in: `{application, x, [{vsn, ""}]}.`, wantErr: `invalid vsn ""`},
		{name: "huge vsn", app: "x", in: `{application, x, [{vsn, "` + strings.Repeat("1", 200) + `"}]}.`, wantErr: `invalid vsn "` + strings.Repeat("1", 64) + `"…`},
		{name: "another name", app: "x", in: `{application, y, [{vsn, "1"}]}.`, wantErr: `application "y" in x.app`},
		{name: "name not an atom", app: "x", in: `{application, "x", [{vsn, "1"}]}.`, wantErr: "application name is a string, not an atom"},
		{name: "properties not a list", app: "x", in: `{application, x, #{vsn => "1"}}.`, wantErr: "application properties are a map, not a list"},
		{name: "not a Hex name", app: "x@y", in: `{application, 'x@y', [{vsn, "1"}]}.`, wantErr: `application name "x@y" is not a Hex package name`},
		{name: "library", app: "x", in: `{library, x, []}.`, wantErr: "not an application resource file: not {application, Name, Properties}"},
		{name: "two terms", app: "x", in: `{application, x, []}. {application, x, []}.`, wantErr: "not an application resource file: 2 terms, want one"},
		{name: "no terms", app: "x", in: `%% empty`, wantErr: "not an application resource file: 0 terms, want one"},
		{name: "truncated", app: "x", in: `{application, x, [{vsn, "1"`, wantErr: "line 1: unexpected end of file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseApp([]byte(tt.in), tt.app)
			if got := catalogtest.ErrString(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if got := d.name + "@" + d.version; err == nil && got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseRel(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: `{release,{"shop","0.1.0"},{erts,"14.2.5"},[{kernel,"9.2.4"},{shop,"0.1.0"}]}.`, want: "shop"},
		{in: `{release, {"relay", "1.4.0"}, {erts, "14.2.5"}, [{kernel, "9.2.4", load}]}.`, want: "relay"},
		{in: `{release,{shop,"0.1.0"},{erts,"14.2.5"},[]}.`, wantErr: "release name is not a string"},
		{in: `{release,{"shop"},{erts,"14.2.5"},[]}.`, wantErr: "not a release resource file: not {release, {Name, Vsn}, {erts, Vsn}, Applications}"},
		{in: `{release,{"shop","0.1.0"},{erts,"14.2.5"},[]}. x.`, wantErr: "not a release resource file: 2 terms, want one"},
		{in: `{release,{"shop","0.1.0"}`, wantErr: "line 1: unexpected end of file"},
	}
	for _, tt := range tests {
		d, err := parseRel([]byte(tt.in))
		if got := catalogtest.ErrString(err); got != tt.wantErr {
			t.Errorf("%s: err = %q, want %q", tt.in, got, tt.wantErr)
		}
		if d.name != tt.want {
			t.Errorf("%s: got %q, want %q", tt.in, d.name, tt.want)
		}
	}
}

func TestSplitAppPath(t *testing.T) {
	tests := []struct {
		in, root, app string
		ok            bool
	}{
		{"app/lib/plug-1.15.2/ebin/plug.app", "app", "plug", true},
		{"opt/x/y/lib/a_b-1/ebin/a_b.app", "opt/x/y", "a_b", true},
		{"lib/plug-1.15.2/ebin/plug.app", "", "plug", true},
		{"opt/rabbitmq/plugins/cowboy-2.12.0/ebin/cowboy.app", "opt/rabbitmq", "cowboy", true},
		{"opt/rabbitmq/plugins/rabbitmq_management-4.0.5/ebin/rabbitmq_management.app", "opt/rabbitmq", "rabbitmq_management", true},
		{"opt/rabbitmq/other/cowboy-2.12.0/ebin/cowboy.app", "", "", false},
		{"plug.app", "", "", false},
		{"ebin/plug.app", "", "", false},
		{"plug-1/ebin/plug.app", "", "", false},
		{"usr/lib/erlang/lib/plug-1/ebin/plug.app", "", "", false},
		{"erlang/lib/plug-1/ebin/plug.app", "", "", false},
		{"a/erts-14/b/lib/plug-1/ebin/plug.app", "", "", false},
	}
	for _, tt := range tests {
		root, app, ok := splitAppPath(tt.in)
		if root != tt.root || app != tt.app || ok != tt.ok {
			t.Errorf("splitAppPath(%q) = %q, %q, %v", tt.in, root, app, ok)
		}
	}
}
