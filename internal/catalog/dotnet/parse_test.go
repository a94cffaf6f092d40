package dotnet

import (
	"slices"
	"testing"
	"testing/fstest"

	"github.com/vigilproject/vigil/internal/catalog"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"

	"github.com/google/go-cmp/cmp"
)

func libStrings(libs []library) []string {
	var out []string
	for _, l := range libs {
		out = append(out, l.name+"@"+l.version)
	}
	slices.Sort(out)
	return out
}

func TestParseDeps(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "runtime target decides",
			in: `{"runtimeTarget": {"name": ".NETCoreApp,Version=v6.0/linux-x64"},
			"targets": {
				".NETCoreApp,Version=v6.0": {},
				".NETCoreApp,Version=v6.0/linux-x64": {
					"app/1.0.0": {"runtime": {"app.dll": {}}},
					"Serilog/3.1.1": {"runtime": {"lib/net6.0/Serilog.dll": {}}},
					"SQLitePCLRaw.lib.e_sqlite3/2.1.6": {"runtimeTargets": {"runtimes/linux-x64/native/libe_sqlite3.so": {"rid": "linux-x64", "assetType": "native"}}},
					"Humanizer.Core.fr/2.14.1": {"resources": {"lib/netstandard2.0/fr/Humanizer.resources.dll": {"locale": "fr"}}},
					"NETStandard.Library/2.0.3": {"dependencies": {"Microsoft.NETCore.Platforms": "1.1.0"}},
					"runtimepack.Microsoft.AspNetCore.App.Runtime.linux-x64/6.0.25": {"runtime": {"Microsoft.AspNetCore.dll": {}}}
				}
			},
			"libraries": {
				"app/1.0.0": {"type": "project"},
				"Serilog/3.1.1": {"type": "package"},
				"SQLitePCLRaw.lib.e_sqlite3/2.1.6": {"type": "package"},
				"Humanizer.Core.fr/2.14.1": {"type": "package"},
				"NETStandard.Library/2.0.3": {"type": "package"},
				"Unlisted/1.0.0": {"type": "package"},
				"System.Xml/4.0.0": {"type": "reference"},
				"runtimepack.Microsoft.AspNetCore.App.Runtime.linux-x64/6.0.25": {"type": "runtimepack"}
			}}`,
			want: []string{"Humanizer.Core.fr@2.14.1", "Microsoft.AspNetCore.App.Runtime.linux-x64@6.0.25", "SQLitePCLRaw.lib.e_sqlite3@2.1.6", "Serilog@3.1.1"},
		},
		{
			name: "without a runtime target, every package",
			in:   `{"libraries": {"A/1.0.0": {"type": "package"}, "B/2.0.0-beta.1": {"type": "package"}, "C/1.0.0": {"type": "project"}}}`,
			want: []string{"A@1.0.0", "B@2.0.0-beta.1"},
		},
		{
			name: "a runtime target the file does not have",
			in:   "\ufeff" + `{"runtimeTarget": {"name": "x"}, "targets": {}, "libraries": {"A/1.0.0": {"type": "package"}}}`,
			want: []string{"A@1.0.0"},
		},
		{
			name:    "bad keys",
			in:      `{"libraries": {"noversion": {"type": "package"}, "bad name/1.0": {"type": "package"}, "A/v1": {"type": "package"}, "B/1.0": {"type": "package"}}}`,
			want:    []string{"B@1.0"},
			wantErr: `3 libraries without a valid name and version skipped, the first "A/v1"`,
		},
		{name: "no libraries", in: `{"runtimeTarget": {"name": "x"}}`, wantErr: `not a deps.json: no "libraries"`},
		{name: "not an object", in: `[1, 2]`, wantErr: "not a deps.json: not an object"},
		{name: "invalid JSON", in: `{"libraries": {`, wantErr: "invalid JSON: unexpected end of JSON input"},
		{name: "libraries of the wrong type", in: `{"libraries": ["A/1.0"]}`, wantErr: "invalid JSON: json: cannot unmarshal array into Go struct field depsFile.libraries of type map[string]struct { Type string \"json:\\\"type\\\"\" }"},
		{name: "garbage", in: "MZ\x90\x00", wantErr: "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			libs, err := parseDeps([]byte(tt.in))
			if got := catalogtest.ErrString(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, libStrings(libs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLock(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{
			name: "every type but Project, every target",
			in: `{"version": 2, "dependencies": {
				"net8.0": {
					"Azure.Core": {"type": "Direct", "requested": "[1.36.0, )", "resolved": "1.36.0"},
					"System.Text.Json": {"type": "CentralTransitive", "requested": "[8.0.0, )", "resolved": "8.0.0"},
					"Microsoft.Bcl.AsyncInterfaces": {"type": "Transitive", "resolved": "1.1.1"},
					"MyLib": {"type": "Project", "dependencies": {"Azure.Core": "[1.36.0, )"}}
				},
				"net8.0/linux-x64": {
					"Microsoft.NETCore.App.Runtime.linux-x64": {"type": "Direct", "requested": "[8.0.0, )", "resolved": "8.0.0"}
				}
			}}`,
			want: []string{"Azure.Core@1.36.0", "Microsoft.Bcl.AsyncInterfaces@1.1.1", "Microsoft.NETCore.App.Runtime.linux-x64@8.0.0", "System.Text.Json@8.0.0"},
		},
		{
			name:    "entries without a resolved version",
			in:      `{"version": 1, "dependencies": {"net6.0": {"A": {"type": "Direct", "requested": "[1.0.0, )"}, "B": {"type": "Transitive", "resolved": "2.0.0"}}}}`,
			want:    []string{"B@2.0.0"},
			wantErr: `1 packages without a valid name and resolved version skipped, the first "A"`,
		},
		{name: "no dependencies", in: `{"version": 1}`, wantErr: `not a packages.lock.json: no "dependencies"`},
		{name: "not an object", in: `"x"`, wantErr: "not a packages.lock.json: not an object"},
		{name: "invalid JSON", in: `{"dependencies": {"net6.0": [}}`, wantErr: "invalid JSON: invalid character '}' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			libs, err := parseLock([]byte(tt.in))
			if got := catalogtest.ErrString(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, libStrings(libs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestBadInput checks that bad files become warnings naming the file and
// that the others are still cataloged.
func TestBadInput(t *testing.T) {
	fsys := fstest.MapFS{
		"app/App.deps.json":        {Data: []byte(`{"libraries": {"A/1.0.0": {"type": "package"}}}`)},
		"app/Broken.deps.json":     {Data: []byte(`{"libraries": `)},
		"src/packages.lock.json":   {Data: []byte(`{"version": 1, "dependencies": {"net8.0": {"B": {"type": "Direct", "resolved": "2.0.0"}}}}`)},
		"other/packages.lock.json": {Data: []byte(`[]`)},
	}
	pkgs, warns := catalogtest.Run(t, NewDeps(), fsys)
	if diff := cmp.Diff([]string{"dotnet-deps: /app/Broken.deps.json: invalid JSON: unexpected end of JSON input"}, warns); diff != "" {
		t.Errorf("deps warnings (-want +got):\n%s", diff)
	}
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:nuget/A@1.0.0" {
		t.Errorf("deps packages = %v", catalogtest.Rows(pkgs))
	}
	pkgs, warns = catalogtest.Run(t, NewLock(), fsys)
	if diff := cmp.Diff([]string{"dotnet-lock: /other/packages.lock.json: not a packages.lock.json: not an object"}, warns); diff != "" {
		t.Errorf("lock warnings (-want +got):\n%s", diff)
	}
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:nuget/B@2.0.0" {
		t.Errorf("lock packages = %v", catalogtest.Rows(pkgs))
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path string
		size int64
		deps bool
		lock bool
	}{
		{"app/App.deps.json", 1000, true, false},
		{"App.deps.json", 1000, true, false},
		{"usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json", 1000, true, false},
		{"app/.deps.json", 1000, false, false},
		{".deps.json", 1000, false, false},
		{"app/App.deps.json", maxFileSize + 1, false, false},
		{"app/App.runtimeconfig.json", 1000, false, false},
		{"src/packages.lock.json", 1000, false, true},
		{"packages.lock.json", 1000, false, true},
		{"src/mypackages.lock.json", 1000, false, false},
		{"src/packages.lock.json", maxFileSize + 1, false, false},
		{"usr/share/doc/x/packages.lock.json", 1000, false, false},
	}
	deps, lock := NewDeps(), NewLock()
	for _, tt := range tests {
		if got := deps.Wants(tt.path, 0o644, tt.size); got != tt.deps {
			t.Errorf("deps Wants(%q, %d) = %v", tt.path, tt.size, got)
		}
		if got := lock.Wants(tt.path, 0o644, tt.size); got != tt.lock {
			t.Errorf("lock Wants(%q, %d) = %v", tt.path, tt.size, got)
		}
	}
}

// TestWantsAllocs keeps Wants, called for every file of every layer, free
// of allocations.
func TestWantsAllocs(t *testing.T) {
	paths := []string{
		"app/App.deps.json",
		"src/packages.lock.json",
		"app/Newtonsoft.Json.dll",
		"usr/share/zoneinfo/Europe/Paris",
	}
	for _, c := range []catalog.Cataloger{NewDeps(), NewLock()} {
		catalogtest.WantsAllocs(t, c, paths...)
	}
}
