package gem

import (
	"flag"
	"os"
	"path/filepath"
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
	Name, Version, PURL string
	Arch                string         `json:",omitempty"`
	Licenses            []sbom.License `json:",omitempty"`
	Locations           []string
	FoundBy             string
}

func rows(pkgs []sbom.Package) []row {
	out := []row{}
	for _, p := range pkgs {
		out = append(out, row{Name: p.Name, Version: p.Version, PURL: p.PURL, Arch: p.Arch, Licenses: p.Licenses, Locations: p.Locations, FoundBy: p.FoundBy})
	}
	return out
}

// TestRootfs catalogs testdata/rootfs (real specifications and lockfiles,
// see testdata/README.md), once directly, compared with the golden files,
// and once through the whole pipeline on a dir: target, which must find the
// same packages.
func TestRootfs(t *testing.T) {
	catalogtest.CheckRootfs(t, filepath.Join("testdata", "rootfs"), []catalog.Cataloger{NewInstalled(), NewLock()}, rows, *update)
}

// TestBadInput checks that unreadable input becomes a warning naming the
// file and that the other files are still cataloged.
func TestBadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "rootfs", "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"usr/local/bundle/specifications/rake-13.0.6.gemspec":   {Data: good},
		"usr/local/bundle/specifications/garbage-1.0.gemspec":   {Data: []byte("\x00\xff not ruby at all {{{ \"")},
		"usr/local/bundle/specifications/computed-1.0.gemspec":  {Data: []byte("Gem::Specification.new do |s|\n  s.name = NAME\n  s.version = VERSION\nend\n")},
		"usr/local/bundle/specifications/badname-1.0.gemspec":   {Data: []byte("Gem::Specification.new do |s|\n  s.name = \"bad name\"\n  s.version = \"1.0\"\nend\n")},
		"usr/local/bundle/specifications/weirdplat-1.0.gemspec": {Data: []byte("Gem::Specification.new do |s|\n  s.name = \"weird\"\n  s.version = \"1.0\"\n  s.platform = \"x86 linux\"\nend\n")},
		"srv/app/Gemfile.lock":                                  {Data: []byte("{\"not\": \"a lockfile\"}\n")},
		"srv/other/Gemfile.lock":                                {Data: []byte("GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.4)\n    broken\n    bad name (1.0)\n    json (not-a-version)\n")},
	}
	pkgs, warns := catalogtest.Run(t, NewInstalled(), fsys)
	want := []string{
		"gem-installed: /usr/local/bundle/specifications/badname-1.0.gemspec: no valid name and version (\"bad name\", \"1.0\")",
		"gem-installed: /usr/local/bundle/specifications/computed-1.0.gemspec: no literal name and version",
		"gem-installed: /usr/local/bundle/specifications/garbage-1.0.gemspec: no literal name and version",
		"gem-installed: /usr/local/bundle/specifications/weirdplat-1.0.gemspec: platform \"x86 linux\" ignored",
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("installed warnings (-want +got):\n%s", diff)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.PURL)
	}
	if diff := cmp.Diff([]string{"pkg:gem/rake@13.0.6", "pkg:gem/weird@1.0"}, got); diff != "" {
		t.Errorf("installed packages (-want +got):\n%s", diff)
	}

	pkgs, warns = catalogtest.Run(t, NewLock(), fsys)
	want = []string{
		"gem-lock: /srv/app/Gemfile.lock: not a Gemfile.lock: no GEM, GIT or PATH section",
		"gem-lock: /srv/other/Gemfile.lock: 3 gem entries skipped, the first \"broken\"",
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("lock warnings (-want +got):\n%s", diff)
	}
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:gem/rack@2.2.4" {
		t.Errorf("lock packages = %v, want rack alone", rows(pkgs))
	}
}
