package gem

import (
	"testing"

	"github.com/vigilproject/vigil/internal/catalog/catalogtest"
)

func FuzzParseGemspec(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", ".gemspec")
	f.Add([]byte("Gem::Specification.new do |s|\n s.name = %w[a b]\n s.version = <<-X\n1\nX\n s.licenses = [\"#{x}\", %Q(y)]\n s.platform = Gem::Platform.new('java')\nend"))
	f.Add([]byte("\"\\u{110000 41} \\x4 \\u12 #{ \"}\" '"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := parseGemspec(data)
		if err == nil && (g.name == "" || g.version == "") {
			t.Fatalf("no error without name and version: %+v", g)
		}
		if len(g.name) > maxValue || len(g.version) > maxValue || len(g.licenses) > maxLicenses {
			t.Fatalf("unbounded values: %d %d %d", len(g.name), len(g.version), len(g.licenses))
		}
		for _, l := range licenses(g.licenses) {
			if l.Value == "" {
				t.Fatalf("empty licence from %q", g.licenses)
			}
		}
	})
}

func FuzzParseGemfileLock(f *testing.F) {
	catalogtest.Seeds(f, "testdata/rootfs", "Gemfile.lock")
	f.Add([]byte("GEM\n  specs:\n    a (1-x)\n    a (1)\n      b\nPATH\n  specs:\n    c (2)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		gems, _ := parseGemfileLock(data)
		for _, g := range gems {
			if !validName(g.name) || !validVersion(g.version) || g.platform != "" && !validPlatform(g.platform) || g.platform == "ruby" {
				t.Fatalf("bad gem %+v", g)
			}
		}
	})
}
