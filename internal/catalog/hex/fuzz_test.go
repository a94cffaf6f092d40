package hex

import (
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

// checkTerm holds what both term parsers promise of what they return.
func checkTerm(t *testing.T, x term, depth int) {
	t.Helper()
	if depth > maxDepth {
		t.Fatalf("term nested %d deep", depth)
	}
	if x.kind < atomTerm || x.kind > opaqueTerm {
		t.Fatalf("term of kind %d", x.kind)
	}
	if x.kind == mapTerm && len(x.elems)%2 != 0 {
		t.Fatalf("map with %d elements", len(x.elems))
	}
	for _, e := range x.elems {
		checkTerm(t, e, depth+1)
	}
}

// checkDeps holds what every parser promises of the packages it returns.
func checkDeps(t *testing.T, deps []dep) {
	t.Helper()
	seen := map[dep]bool{}
	for _, d := range deps {
		if !validName(d.name) || !validVersion(d.version) || d.org != "" && !validName(d.org) || seen[d] {
			t.Fatalf("bad package %+v", d)
		}
		seen[d] = true
		if p := newPackage(d, "/x", "test").PURL; !strings.HasPrefix(p, "pkg:hex/") {
			t.Fatalf("PURL %q", p)
		}
	}
}

func FuzzParseElixir(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "mix.lock")
	f.Add([]byte(`%{"a" => [1, -2.5e3, ?\n, 0x1F], b: {:c, d: 'e'}, "f": :"g h"} # c`))
	f.Add([]byte(`%{"plug": {:hex, :plug, "1.0.0", "x", [:mix], [], "hexpm:acme", "y"}}`))
	f.Add([]byte(`"\x{1F600}\u00e9\#{}\
"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := parseElixir(data)
		if err == nil {
			checkTerm(t, x, 1)
		}
		deps, _ := parseMixLock(data)
		checkDeps(t, deps)
	})
}

func FuzzParseErlang(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "rebar.lock", ".app", ".rel")
	f.Add([]byte(`[{<<"a">>,{pkg,<<"a">>,<<"1.0.0">>},0}].`))
	f.Add([]byte(`{application, 'a', [{vsn, [49,46,48]}, {env, [#{k => <<1:4, "x"/utf8>>}, $\x{41}, 16#FF, -1.5e-3, [a|b]]}]}.`))
	f.Add([]byte("%% c\n{release, {\"r\", \"1\"}, {erts, \"14\"}, []}.\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		terms, err := parseErlang(data)
		if err == nil {
			for _, x := range terms {
				checkTerm(t, x, 1)
			}
		}
		deps, _ := parseRebarLock(data)
		checkDeps(t, deps)
		if d, err := parseApp(data, "a"); err == nil && d.version != "" {
			checkDeps(t, []dep{d})
		}
		parseRel(data)
	})
}
