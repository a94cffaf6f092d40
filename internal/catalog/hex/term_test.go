package hex

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

// show writes a term compactly for comparisons: atoms as :a, strings
// quoted, binaries as <<"…">>, charlists as '…', tuples, lists and maps
// with their brackets.
func show(t term) string {
	var b strings.Builder
	writeTerm(&b, t)
	return b.String()
}

func writeTerm(b *strings.Builder, t term) {
	seq := func(open, sep, close string) {
		b.WriteString(open)
		for i, e := range t.elems {
			if i > 0 {
				b.WriteString(sep)
				if t.kind == mapTerm && i%2 == 1 {
					b.WriteString(" => ")
				} else {
					b.WriteString(" ")
				}
			}
			writeTerm(b, e)
		}
		b.WriteString(close)
	}
	switch t.kind {
	case atomTerm:
		b.WriteString(":" + t.text)
	case stringTerm:
		b.WriteString(strconv.Quote(t.text))
	case charlistTerm:
		b.WriteString("'" + t.text + "'")
	case binaryTerm:
		b.WriteString("<<" + strconv.Quote(t.text) + ">>")
	case intTerm, floatTerm:
		b.WriteString(t.text)
	case tupleTerm:
		seq("{", ",", "}")
	case listTerm:
		seq("[", ",", "]")
	case mapTerm:
		b.WriteString("%{")
		for i, e := range t.elems {
			if i > 0 {
				if i%2 == 1 {
					b.WriteString(" => ")
				} else {
					b.WriteString(", ")
				}
			}
			writeTerm(b, e)
		}
		b.WriteString("}")
	case opaqueTerm:
		b.WriteString("?")
	default:
		b.WriteString("!bad")
	}
}

func TestParseElixir(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "mix.lock entry", in: `%{
  "plug": {:hex, :plug, "1.14.2", "cff7", [:mix], [{:mime, "~> 1.0 or ~> 2.0", [hex: :mime, repo: "hexpm", optional: false]}], "hexpm", "842f"},
  "phoenix": {:git, "https://github.com/phoenixframework/phoenix.git", "abc123", [branch: "main"]},
}
`, want: `%{:plug => {:hex, :plug, "1.14.2", "cff7", [:mix], [{:mime, "~> 1.0 or ~> 2.0", [{:hex, :mime}, {:repo, "hexpm"}, {:optional, :false}]}], "hexpm", "842f"}, :phoenix => {:git, "https://github.com/phoenixframework/phoenix.git", "abc123", [{:branch, "main"}]}}`},
		{name: "arrow keys", in: `%{"a" => 1, :b => [], 3 => %{}}`, want: `%{"a" => 1, :b => [], 3 => %{}}`},
		{name: "arrows then keywords", in: `%{"a" => 1, b: 2}`, want: `%{"a" => 1, :b => 2}`},
		{name: "keywords then arrows", in: `%{b: 2, "a" => 1}`, wantErr: "line 1: keyword pairs must come last"},
		{name: "list with keywords last", in: `[1, a: 2, "b c": 3]`, want: `[1, {:a, 2}, {:b c, 3}]`},
		{name: "keyword before element", in: `[a: 2, 1]`, wantErr: "line 1: keyword pairs must come last"},
		{name: "tuple with keywords", in: `{:ok, a: 1, b: 2}`, want: `{:ok, [{:a, 1}, {:b, 2}]}`},
		{name: "keyword keys ending in ? and !", in: `[valid?: true, run!: nil, Alias: 1, _x: 2]`, want: `[{:valid?, :true}, {:run!, :nil}, {:Alias, 1}, {:_x, 2}]`},
		{name: "keyword needs a space", in: `[a:1]`, wantErr: `line 1: unexpected "a": not a literal`},
		{name: "keyword outside a container", in: `a: 1`, wantErr: `line 1: keyword "a" outside a list, tuple or map`},
		{name: "atoms", in: `[:ok, :ISO8601, :foo@bar, :a?, :b!, :"foo-bar", :'x y', true, false, nil, Foo.Bar]`, want: `[:ok, :ISO8601, :foo@bar, :a?, :b!, :foo-bar, :x y, :true, :false, :nil, :Elixir.Foo.Bar]`},
		{name: "operator atom", in: `:++`, wantErr: "line 1: unexpected ':': operator atoms and non-ASCII atoms are not supported"},
		{name: "numbers", in: `[0, -12, 1_000, 0x1F, 0o17, 0b101, 1.5, -2.0e-3, 3.0E10, ?a, ?\n, ?é, 99999999999999999999]`, want: `[0, -12, 1000, 31, 15, 5, 1.5, -2.0e-3, 3.0E10, 97, 10, 233, 99999999999999999999]`},
		{name: "number then letters", in: `12ab`, wantErr: "line 1: unexpected 'a'"},
		{name: "bad underscore", in: `1__0`, wantErr: "line 1: unexpected '_'"},
		{name: "minus alone", in: `[-]`, wantErr: "line 1: unexpected '-': only negative numbers are literals"},
		{name: "escapes", in: `"a\"b\\c\n\t\s\e\0\x41\x{1F600}\u00e9\u{e9}\#{x}\q"`, want: strconv.Quote("a\"b\\c\n\t \x1b\x00A😀éé#{x}q")},
		{name: "raw byte escape", in: `"\xff"`, want: `"\xff"`},
		{name: "line continuation", in: "\"a\\\nb\"", want: `"ab"`},
		{name: "charlist", in: `'abc'`, want: `'abc'`},
		{name: "comments and trailing commas", in: "# lock\n%{\n  # entry\n  \"a\": [1, 2,], # trailing\n  \"b\": {1,},\n}\n# end\n", want: `%{:a => [1, 2], :b => {1}}`},
		{name: "byte-order mark", in: "\ufeff%{}", want: `%{}`},
		{name: "interpolation", in: `"a#{b}"`, wantErr: "line 1: string interpolation is not a literal"},
		{name: "heredoc", in: `"""` + "\nx\n" + `"""`, wantErr: "line 1: multi-line strings are not supported"},
		{name: "unterminated string", in: "[\n\"abc", wantErr: "line 2: string opened on line 2 is not closed"},
		{name: "bad escape", in: `"\x{}"`, wantErr: "line 1: invalid escape sequence"},
		{name: "surrogate", in: `"\u{D800}"`, wantErr: "line 1: invalid code point 0xd800"},
		{name: "short unicode escape", in: `"\u12"`, wantErr: "line 1: invalid escape sequence"},
		{name: "variable", in: `[a]`, wantErr: `line 1: unexpected "a": not a literal`},
		{name: "call", in: `%{a: foo()}`, wantErr: `line 1: unexpected "foo": not a literal`},
		{name: "struct", in: `%Foo{}`, wantErr: "line 1: unexpected '%': only maps (%{…}) are literals"},
		{name: "missing arrow", in: `%{"a" 1}`, wantErr: `line 1: unexpected '1', want "=>"`},
		{name: "double comma", in: `[1,,2]`, wantErr: "line 1: unexpected ','"},
		{name: "lone comma", in: `[,]`, wantErr: "line 1: unexpected ','"},
		{name: "unbalanced", in: `{[}]`, wantErr: "line 1: unexpected '}'"},
		{name: "unclosed", in: "%{\n\"a\": [1,\n", wantErr: "line 3: unexpected end of file"},
		{name: "extra close", in: `%{}}`, wantErr: "line 1: unexpected '}' after the term"},
		{name: "two terms", in: "%{}\n%{}", wantErr: "line 2: unexpected '%' after the term"},
		{name: "empty", in: " \n# nothing\n", wantErr: "empty file"},
		{name: "not UTF-8", in: "%{\"a\": \"\xe9\"}", wantErr: "not UTF-8 text"},
		{name: "control byte", in: "\x01", wantErr: "line 1: unexpected byte 0x01"},
		{name: "non-ASCII", in: "é", wantErr: "line 1: unexpected 'é'"},
		{name: "deep", in: strings.Repeat("[", 100000), wantErr: "line 1: nested deeper than 100 levels"},
		{name: "deep but allowed", in: strings.Repeat("[", 99) + strings.Repeat("]", 99), want: strings.Repeat("[", 99) + strings.Repeat("]", 99)},
		{name: "too many terms", in: "[" + strings.Repeat("1,", maxTerms) + "]", wantErr: "line 1: more than 262144 terms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseElixir([]byte(tt.in))
			if catalogtest.ErrString(err) != tt.wantErr {
				t.Fatalf("err = %q, want %q", catalogtest.ErrString(err), tt.wantErr)
			}
			if err == nil && show(got) != tt.want {
				t.Errorf("got  %s\nwant %s", show(got), tt.want)
			}
		})
	}
}

func TestParseErlang(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "rebar.lock", in: `{"1.2.0",
[{<<"certifi">>,{pkg,<<"certifi">>,<<"2.9.0">>},1},
 {<<"meck">>,{git,"https://github.com/eproxus/meck.git",{ref,"abc"}},0}]}.
[
{pkg_hash,[
 {<<"certifi">>, <<"266DA4">>}]}
].
`, want: `{"1.2.0", [{<<"certifi">>, {:pkg, <<"certifi">>, <<"2.9.0">>}, 1}, {<<"meck">>, {:git, "https://github.com/eproxus/meck.git", {:ref, "abc"}}, 0}]} [{:pkg_hash, [{<<"certifi">>, <<"266DA4">>}]}]`},
		{name: "adjacent atoms", in: `['it''s'].`, wantErr: `line 1: unexpected '\''`},
		{name: "quoted atoms", in: `[a, aB@c_1, 'quoted atom', 'a\'b', true, 'Elixir.Foo'].`, want: `[:a, :aB@c_1, :quoted atom, :a'b, :true, :Elixir.Foo]`},
		{name: "numbers", in: `[0, -12, + 3, - 4, 1_000, 16#FF, 2#101, 36#zz, $a, $\n, $\\, $\x{1F600}, 1.5, 2.0e-3, -1.0E+2, 123456789012345678901234567890, 16#FFFFFFFFFFFFFFFFFF].`, want: `[0, -12, 3, -4, 1000, 255, 5, 1295, 97, 10, 92, 128512, 1.5, 2.0e-3, -1.0E+2, 123456789012345678901234567890, 16#FFFFFFFFFFFFFFFFFF]`},
		{name: "integer then full stop", in: `{vsn, 1}.`, want: `{:vsn, 1}`},
		{name: "bad base", in: `[37#1].`, wantErr: `line 1: invalid integer base "37"`},
		{name: "strings", in: `["a\"b\\c\n\t\s\e\d\101\x41\x{e9}\^a\q", "ab" "cd"
  "ef", ""].`, want: `[` + strconv.Quote("a\"b\\c\n\t \x1b\x7fAAé\x01q") + `, "abcdef", ""]`},
		{name: "Latin-1", in: "{description, \"caf\xe9\"}.", want: `{:description, "caf\xe9"}`},
		{name: "binaries", in: `[<<>>, <<"a">>, <<"a", "b"/utf8>>, <<1,2,3>>, <<"a":8>>, <<"a"/utf16-big>>, <<1:4/integer-unit:2>>, <<$a>>].`, want: `[<<"">>, <<"a">>, <<"ab">>, ?, ?, ?, ?, ?]`},
		{name: "bad binary", in: `<<a>>.`, wantErr: "line 1: unexpected 'a'"},
		{name: "maps", in: `#{a => 1, "b" => [c], #{} => {}}.`, want: `%{:a => 1, "b" => [:c], %{} => {}}`},
		{name: "improper list", in: `[a, b | c].`, want: `?`},
		{name: "two tails", in: `[a | b | c].`, wantErr: "line 1: unexpected '|'"},
		{name: "comments", in: "%% header\n{a, % first\n b}. % done\n", want: `{:a, :b}`},
		{name: "no terms", in: "% nothing\n", want: ``},
		{name: "byte-order mark", in: "\ufeff[].", want: `[]`},
		{name: "missing dot", in: `{a, b}`, wantErr: "line 1: unexpected end of file: no '.' after the term"},
		{name: "dot glued", in: `{a}.{b}.`, wantErr: "line 1: unexpected '{'"},
		{name: "trailing comma", in: `[a, b,].`, wantErr: "line 1: unexpected ']'"},
		{name: "variable", in: `{vsn, Vsn}.`, wantErr: `line 1: variable "Vsn" is not a term`},
		{name: "underscore", in: `{vsn, _}.`, wantErr: `line 1: variable "_" is not a term`},
		{name: "fun", in: `{f, fun m:f/1}.`, wantErr: `line 1: unexpected 'm'`},
		{name: "unbalanced", in: `{[}].`, wantErr: "line 1: unexpected '}'"},
		{name: "unclosed", in: "{application, a,\n [{vsn, \"1\"}", wantErr: "line 2: unexpected end of file"},
		{name: "unterminated string", in: "[\"abc\n", wantErr: "line 2: string opened on line 1 is not closed"},
		{name: "unterminated atom", in: "['abc", wantErr: "line 1: string opened on line 1 is not closed"},
		{name: "bad escape", in: `"\x4".`, wantErr: "line 1: invalid escape sequence"},
		{name: "missing map arrow", in: `#{a 1}.`, wantErr: `line 1: unexpected '1', want "=>"`},
		{name: "garbage", in: "\x00\x01", wantErr: "line 1: unexpected byte 0x00"},
		{name: "deep", in: strings.Repeat("{", 100000), wantErr: "line 1: nested deeper than 100 levels"},
		{name: "deep lists", in: strings.Repeat("[", 100000), wantErr: "line 1: nested deeper than 100 levels"},
		{name: "deep binaries", in: strings.Repeat("<<", 100000), wantErr: "line 1: unexpected '<'"},
		{name: "too many terms", in: "[" + strings.Repeat("a,", maxTerms) + "a].", wantErr: "line 1: more than 262144 terms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseErlang([]byte(tt.in))
			if catalogtest.ErrString(err) != tt.wantErr {
				t.Fatalf("err = %q, want %q", catalogtest.ErrString(err), tt.wantErr)
			}
			var s []string
			for _, t := range got {
				s = append(s, show(t))
			}
			if err == nil && strings.Join(s, " ") != tt.want {
				t.Errorf("got  %s\nwant %s", strings.Join(s, " "), tt.want)
			}
		})
	}
}

func TestErlString(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"1.2.3".`, "1.2.3", true},
		{`<<"1.2.3">>.`, "1.2.3", true},
		{`[49,46,50,46,51].`, "1.2.3", true},
		{`[].`, "", true},
		{`[49,46,10].`, "", false}, // not printable
		{`[49,46,300].`, "", false},
		{`[a].`, "", false},
		{`'1.2.3'.`, "", false},
		{`git.`, "", false},
		{`{cmd, "echo 1"}.`, "", false},
		{`<<1,2>>.`, "", false},
	}
	for _, tt := range tests {
		terms, err := parseErlang([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := terms[0].erlString()
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: got %q, %v", tt.in, got, ok)
		}
	}
}
