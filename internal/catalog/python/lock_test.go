package python

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestLockWants(t *testing.T) {
	c := NewLock()
	tests := []struct {
		path string
		size int64
		want bool
	}{
		{"app/poetry.lock", 1000, true},
		{"poetry.lock", 1000, true},
		{"app/Pipfile.lock", 1000, true},
		{"app/uv.lock", 1000, true},
		{"app/pyproject.toml", 1000, true},
		{"app/requirements.txt", 1000, true},
		{"app/requirements-dev.txt", 1000, true},
		{"app/dev-requirements.txt", 1000, true},
		{"app/requirements/base.txt", 1000, true},
		{"app/requirements.d/prod.txt", 1000, true},
		{"app/requirements.in", 1000, false},
		{"app/notes.txt", 1000, false},
		{"app/Pipfile", 1000, false},
		{"app/poetry.lock", maxLockSize + 1, false},
		{"usr/lib/python3/dist-packages/foo/requirements.txt", 100, false},
		{"venv/lib/python3.12/site-packages/bar/poetry.lock", 100, false},
		{"usr/share/doc/python3-foo/examples/requirements.txt", 100, false},
	}
	for _, tt := range tests {
		if got := c.Wants(tt.path, 0o644, tt.size); got != tt.want {
			t.Errorf("Wants(%q, %d) = %v, want %v", tt.path, tt.size, got, tt.want)
		}
	}
}

func depStrings(deps []dep) []string {
	var out []string
	for _, d := range deps {
		s := d.name + "@" + d.version
		if d.dev {
			s += " dev"
		}
		out = append(out, s)
	}
	return out
}

func TestParseRequirements(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []string
		includes []string
	}{
		{
			name: "pins and what is not one",
			in: "requests==2.31.0\nDjango>=4.2\nflask\nnumpy == 1.26.4\nPyYAML===6.0.1\nfoo==1.*\n" +
				"bar==1.0,!=1.0.1\nbaz~=1.0\n./local/dir\nhttps://example.com/x.tar.gz\n" +
				"pkg @ https://example.com/pkg-1.0.tar.gz\nqux==${QUX_VERSION}\nold (==0.9)\n",
			want: []string{"requests@2.31.0", "numpy@1.26.4", "pyyaml@6.0.1", "old@0.9"},
		},
		{
			name: "extras, markers, options and comments",
			in: "# comment\n  # indented comment\nDjango[argon2, bcrypt]==4.2.7 ; python_version >= \"3.8\"\n" +
				"zope.interface==6.1  # trailing comment\nurllib3==1.26.18;python_version<'3.10' --hash=sha256:abc\n" +
				"name#notacomment==1.0\nbroken[extra==1.0\n",
			want: []string{"django@4.2.7", "zope-interface@6.1", "urllib3@1.26.18"},
		},
		{
			name: "continuations and hashes",
			in: "asgiref==3.7.2 \\\n    --hash=sha256:89b2ef \\\n    --hash=sha256:9e0ce3\n    # via django\n" +
				"six\\\n==1.16.0\ntrail==1.0 \\\n# comment ends the continuation\ncertifi==2024.7.4 \\",
			want: []string{"asgiref@3.7.2", "six@1.16.0", "trail@1.0", "certifi@2024.7.4"},
		},
		{
			name:     "options",
			in:       "-r base.txt\n--requirement other.txt\n--requirement=third.txt\n-rfourth.txt\n-c constraints.txt\n-e git+https://x/y.git#egg=y\n--index-url https://pypi.org/simple\n-i https://x\n--hash=sha256:x\n",
			includes: []string{"base.txt", "other.txt", "third.txt", "fourth.txt"},
		},
		{
			name: "UTF-16 from PowerShell",
			in:   utf16le("requests==2.31.0\r\ncertifi==2024.2.2\r\n"),
			want: []string{"requests@2.31.0", "certifi@2024.2.2"},
		},
		{
			name: "UTF-8 byte-order mark",
			in:   "\xef\xbb\xbfidna==3.6\n",
			want: []string{"idna@3.6"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps, includes := parseRequirements([]byte(tt.in))
			if diff := cmp.Diff(tt.want, depStrings(deps)); diff != "" {
				t.Errorf("pins (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.includes, includes); diff != "" {
				t.Errorf("includes (-want +got):\n%s", diff)
			}
		})
	}
}

func utf16le(s string) string {
	b := []byte{0xff, 0xfe}
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return string(b)
}

// TestRequirementsIncludes follows -r through the image: relative to the
// including file, absolute from the image root, around cycles, and not
// beyond the depth bound.
func TestRequirementsIncludes(t *testing.T) {
	fsys := fstest.MapFS{
		"app/requirements.txt":        {Data: []byte("-r requirements/base.txt\n-r /srv/requirements-shared.txt\n-r missing.txt\n-r https://example.com/r.txt\nflask==3.0.0\n")},
		"app/requirements/base.txt":   {Data: []byte("-r ../requirements.txt\nclick==8.1.7\n")},
		"srv/requirements-shared.txt": {Data: []byte("-r ../../../../etc/requirements-x.txt\nitsdangerous==2.1.2\n")},
		"etc/requirements-x.txt":      {Data: []byte("jinja2==3.1.3\n")},
	}
	// A chain longer than the depth bound.
	for i := range maxIncludeDepth + 3 {
		fsys[fmt.Sprintf("chain/requirements-%d.txt", i)] = &fstest.MapFile{Data: fmt.Appendf(nil, "-r requirements-%d.txt\npkg%d==1.0\n", i+1, i)}
	}
	// Only the head of the chain is a root, as if the rest had been kept for
	// another reason: the walk alone must stop.
	w := newRequirementsWalk(fsys, func(f string, err error) { t.Errorf("%s: %v", f, err) })
	var got []string
	for _, root := range []string{"app/requirements.txt", "chain/requirements-0.txt", "app/requirements/base.txt"} {
		for file, deps := range w.walk(root) {
			for _, d := range depStrings(deps) {
				got = append(got, file+" "+d)
			}
		}
	}
	slices.Sort(got)
	want := []string{
		"app/requirements.txt flask@3.0.0",
		"app/requirements/base.txt click@8.1.7",
	}
	for i := range maxIncludeDepth + 1 {
		want = append(want, fmt.Sprintf("chain/requirements-%d.txt pkg%d@1.0", i, i))
	}
	want = append(want, "etc/requirements-x.txt jinja2@3.1.3", "srv/requirements-shared.txt itsdangerous@2.1.2")
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParsePoetry(t *testing.T) {
	const lock = `
[[package]]
name = "Flask"
version = "3.0.0"
[package.dependencies]
Werkzeug = ">=3.0.0"
click = [{version = ">=8", markers = "python_version >= '3.8'"}, {version = ">=7", markers = "python_version < '3.8'"}]

[[package]]
name = "werkzeug"
version = "3.0.1"

[[package]]
name = "click"
version = "8.1.7"

[[package]]
name = "pytest"
version = "7.4.3"
[package.dependencies]
pluggy = "*"
click = "*"

[[package]]
name = "pluggy"
version = "1.3.0"

[[package]]
name = "stray"
version = "0.1"

[[package]]
name = "bad name"
version = "1"
`
	const project = `
[project]
dependencies = ["flask[async]>=3; python_version >= '3.8'"]
[tool.poetry.group.test.dependencies]
pytest = "^7"
[dependency-groups]
lint = ["ruff>=0.1", {include-group = "test"}]
`
	r, err := parsePyproject([]byte(project))
	if err != nil {
		t.Fatal(err)
	}
	deps, err := parsePoetry([]byte(lock), &r)
	if err == nil || !strings.HasSuffix(err.Error(), "skipped: 1") {
		t.Errorf("err = %v, want one package skipped", err)
	}
	want := []string{"flask@3.0.0", "werkzeug@3.0.1", "click@8.1.7", "pytest@7.4.3 dev", "pluggy@1.3.0 dev", "stray@0.1"}
	if diff := cmp.Diff(want, depStrings(deps)); diff != "" {
		t.Errorf("with pyproject (-want +got):\n%s", diff)
	}
	// Without pyproject.toml, lock 2.0 cannot tell: all production.
	deps, _ = parsePoetry([]byte(lock), nil)
	for _, d := range deps {
		if d.dev {
			t.Errorf("%s marked dev without a pyproject", d.name)
		}
	}
	for _, bad := range []string{"[[package]\nname=", "package = 3", strings.Repeat("a = [", 40) + strings.Repeat("]", 40)} {
		if _, err := parsePoetry([]byte(bad), nil); err == nil {
			t.Errorf("parsePoetry(%.20q) succeeded", bad)
		}
	}
}

func TestParsePipfile(t *testing.T) {
	const lock = `{
  "_meta": {"hash": {"sha256": "x"}},
  "default": {
    "requests": {"version": "==2.31.0"},
    "pytest": {"version": "==7.4.3"},
    "Django": {"version": "===4.2.7", "markers": "python_version >= '3.8'"},
    "mylib": {"editable": true, "path": "."},
    "vcs": {"git": "https://github.com/x/vcs.git", "ref": "abc"},
    "star": {"version": "*"},
    "num": {"version": 3}
  },
  "develop": {
    "pytest": {"version": "==7.4.3"},
    "black": {"version": "==23.11.0"}
  },
  "docs": {"sphinx": {"version": "==7.2.6"}},
  "broken": ["not", "an", "object"]
}`
	deps, err := parsePipfile([]byte(lock))
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("err = %v, want the broken section named", err)
	}
	got := depStrings(deps)
	slices.Sort(got)
	want := []string{"black@23.11.0 dev", "django@4.2.7", "pytest@7.4.3", "pytest@7.4.3 dev", "requests@2.31.0", "sphinx@7.2.6"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := parsePipfile([]byte("{")); err == nil {
		t.Error("invalid JSON accepted")
	}
}

func TestParseUV(t *testing.T) {
	const lock = `
version = 1
revision = 2

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "fastapi" }]
[package.optional-dependencies]
speed = [{ name = "orjson" }]
[package.dev-dependencies]
dev = [{ name = "pytest" }, { name = "fastapi" }]

[[package]]
name = "member"
version = "0.2.0"
source = { virtual = "packages/member" }
dependencies = [{ name = "anyio" }]

[[package]]
name = "fastapi"
version = "0.110.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "anyio" }]

[[package]]
name = "anyio"
version = "4.3.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "orjson"
version = "3.10.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.1.1"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "iniconfig" }]

[[package]]
name = "iniconfig"
version = "2.0.0"
source = { git = "https://github.com/pytest-dev/iniconfig?rev=v2.0.0#abc" }

[[package]]
name = "localdir"
source = { directory = "libs/localdir" }
`
	deps, err := parseUV([]byte(lock))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"fastapi@0.110.0", "anyio@4.3.0", "orjson@3.10.0", "pytest@8.1.1 dev", "iniconfig@2.0.0 dev"}
	if diff := cmp.Diff(want, depStrings(deps)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTOMLNesting(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"[[package]]\nname = \"x\"\n", 2},
		{"a = [[1, 2], {b = [3]}]", 3},
		{"a = \"[[[[\" # [[[[\nb = '[[[['\nc = \"\"\"\n[[[[\n\"\"\"\nd = '''[[['''", 0},
		{"a = \"esc \\\" [[[\"", 0},
		{"a = \"unterminated [[[\nb = [1]", 1},
	}
	for _, tt := range tests {
		if got := tomlNesting([]byte(tt.in)); got != tt.want {
			t.Errorf("tomlNesting(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestWantsAllocs keeps Wants, called for every file of every layer, free
// of allocations.
func TestWantsAllocs(t *testing.T) {
	paths := []string{
		"usr/lib/python3/dist-packages/chardet-5.1.0.dist-info/METADATA",
		"usr/lib/python3/dist-packages/certifi-2022.9.24.egg-info/PKG-INFO",
		"usr/lib/python3/dist-packages/pycairo-1.20.1.egg-info",
		"app/requirements/base.txt",
		"usr/share/zoneinfo/Europe/Paris",
		"usr/lib/x86_64-linux-gnu/libc.so.6",
	}
	for _, c := range []interface {
		Wants(string, fs.FileMode, int64) bool
	}{NewInstalled(), NewLock()} {
		allocs := testing.AllocsPerRun(100, func() {
			for _, p := range paths {
				c.Wants(p, 0o644, 1000)
			}
		})
		if allocs != 0 {
			t.Errorf("%T.Wants allocates %v times", c, allocs)
		}
	}
}

func BenchmarkWants(b *testing.B) {
	paths := []string{
		"usr/lib/python3/dist-packages/chardet/universaldetector.py",
		"usr/share/doc/libc6/changelog.Debian.gz",
		"usr/lib/python3/dist-packages/chardet-5.1.0.dist-info/METADATA",
		"app/node/node_modules/lodash/package.json",
	}
	in, lock := NewInstalled(), NewLock()
	for b.Loop() {
		for _, p := range paths {
			in.Wants(p, 0o644, 1000)
			lock.Wants(p, 0o644, 1000)
		}
	}
}
