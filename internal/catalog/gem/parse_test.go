package gem

import (
	"testing"

	"github.com/vigilproject/vigil/internal/catalog"
	"github.com/vigilproject/vigil/internal/catalog/catalogtest"

	"github.com/google/go-cmp/cmp"
)

func TestParseGemspec(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    gemspec
		wantErr bool
	}{
		{
			name: "RubyGems 3 generated",
			in:   "# -*- encoding: utf-8 -*-\n# stub: rack 2.2.4 ruby lib\n\nGem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.4\"\n  s.licenses = [\"MIT\".freeze]\nend\n",
			want: gemspec{name: "rack", version: "2.2.4", licenses: []string{"MIT"}},
		},
		{
			name: "RubyGems 1 generated, %q and a single licence",
			in:   "Gem::Specification.new do |s|\n  s.name = %q{rack}\n  s.version = %q{1.0.1}\n  s.license = %q{MIT}\nend\n",
			want: gemspec{name: "rack", version: "1.0.1", licenses: []string{"MIT"}},
		},
		{
			name: "other block variable, single quotes, %w, Gem::Version",
			in:   "Gem::Specification.new do |spec|\n  other.name = 'wrong'\n  spec.name    = 'thor'\n  spec.version = Gem::Version.new('1.2.3')\n  spec.licenses = %w[MIT Ruby]\nend\n",
			want: gemspec{name: "thor", version: "1.2.3", licenses: []string{"MIT", "Ruby"}},
		},
		{
			name: "braces block, platform constant and string",
			in:   "Gem::Specification.new { |g|\n  g.name = \"ffi\"\n  g.version = \"1.16.3\"\n  g.platform = Gem::Platform::RUBY\n}\n",
			want: gemspec{name: "ffi", version: "1.16.3", platform: "ruby"},
		},
		{
			name: "platform and escapes",
			in:   "Gem::Specification.new do |s|\n  s.name = \"nokogiri\".freeze\n  s.version = \"1.16.0\".freeze\n  s.platform = \"x86_64-linux\".freeze\n  s.description = \"Nokogiri (\\u92F8) \\\"quoted\\\" s.name = \\\"evil\\\"\".freeze\n  s.licenses = [\"MIT\".freeze,\n    \"Apache-2.0\".freeze]\nend\n",
			want: gemspec{name: "nokogiri", version: "1.16.0", platform: "x86_64-linux", licenses: []string{"MIT", "Apache-2.0"}},
		},
		{
			name: "text in heredocs, %q, comments and =begin is not code",
			in: "Gem::Specification.new do |s|\n  s.name = \"real\"\n  s.description = <<~DESC\n    s.name = \"heredoc\"\n  DESC\n  s.summary = %q{\n s.name = \"percent\" }\n" +
				"  # s.name = \"comment\"\n=begin\n  s.name = \"block comment\"\n=end\n  s.version = \"2.0\"\n  s.files << \"x\"\nend\n__END__\n  s.name = \"after end\"\n",
			want: gemspec{name: "real", version: "2.0"},
		},
		{
			name: "computed values fall back to the stub line",
			in:   "# stub: sqlite3 1.7.3 x86_64-linux lib\nGem::Specification.new do |s|\n  s.name = NAME\n  s.version = \"#{MAJOR}.0\"\n  s.licenses = [\"BSD-3-Clause\", LICENSE]\nend\n",
			want: gemspec{name: "sqlite3", version: "1.7.3", platform: "x86_64-linux"},
		},
		{
			name: "Gem::Version.new of a constant is not a literal",
			in:   "Gem::Specification.new do |s|\n  s.name = \"x\"\n  s.version = Gem::Version.new(VERSION)\nend\n",
			want: gemspec{name: "x"}, wantErr: true,
		},
		{
			name: "the last assignment wins",
			in:   "Gem::Specification.new do |s|\n  s.name = \"a\"\n  s.version = \"1\"\n  s.license = \"MIT\"\n  s.licenses = [\"GPL-2.0\", \"Ruby\"]\nend\n",
			want: gemspec{name: "a", version: "1", licenses: []string{"GPL-2.0", "Ruby"}},
		},
		{
			name: "comparisons and hashes are not assignments",
			in:   "Gem::Specification.new do |s|\n  s.name == \"no\"\n  s.name => \"no\"\n  s.name = \"yes\"\n  s.version = \"3\"\n  s.version != \"4\"\nend\n",
			want: gemspec{name: "yes", version: "3"},
		},
		{
			name: "unterminated string",
			in:   "Gem::Specification.new do |s|\n  s.name = \"oops\n",
			want: gemspec{}, wantErr: true,
		},
		{
			name: "empty", in: "", wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseGemspec([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(gemspec{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseGemfileLock(t *testing.T) {
	const lock = "GIT\r\n  remote: https://github.com/x/y.git\r\n  revision: abc\r\n  specs:\r\n    y (0.1.0)\r\n      z\r\n\r\n" +
		"PATH\n  remote: .\n  specs:\n    app (1.0.0)\n      rack\n\n" +
		"GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.16.0-arm64-darwin)\n      racc (~> 1.4)\n    nokogiri (1.16.0-x86_64-linux)\n" +
		"    ffi (1.16.3)\n    ffi (1.16.3-x86_64-linux)\n    google-protobuf (3.25.1-x86_64-linux)\n    sorbet-static (0.5.1-universal-darwin)\n    rack (3.0.8)\n    rack (3.0.8)\n\n" +
		"PLUGIN SOURCE\n  remote: https://rubygems.org/\n  type: rubygems\n  specs:\n    bundler-graph (0.2.1)\n\n" +
		"PLATFORMS\n  arm64-darwin\n  x86_64-linux\n\nDEPENDENCIES\n  app!\n  rack (~> 3.0)\n\n" +
		"CHECKSUMS\n  rack (3.0.8) sha256=abc\n\nRUBY VERSION\n   ruby 3.3.0p0\n\nBUNDLED WITH\n   2.5.3\n"
	got, err := parseGemfileLock([]byte(lock))
	if err != nil {
		t.Fatal(err)
	}
	want := []lockedGem{
		{name: "y", version: "0.1.0"},
		{name: "nokogiri", version: "1.16.0"},
		{name: "ffi", version: "1.16.3"},
		{name: "google-protobuf", version: "3.25.1", platform: "x86_64-linux"},
		{name: "sorbet-static", version: "0.5.1", platform: "universal-darwin"},
		{name: "rack", version: "3.0.8"},
		{name: "bundler-graph", version: "0.2.1"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(lockedGem{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := parseGemfileLock([]byte("PLATFORMS\n  ruby\n")); err == nil {
		t.Error("a file without sources accepted")
	}
}

func TestWants(t *testing.T) {
	tests := []struct {
		path      string
		size      int64
		installed bool
		lock      bool
	}{
		{"usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec", 1000, true, false},
		{"usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec", 1000, true, false},
		{"usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec", 1000, true, false},
		{"var/lib/gems/3.1.0/specifications/x-1.gemspec", 1000, true, false},
		{"usr/local/bundle/specifications/x-1.gemspec", 1000, true, false},
		{"app/vendor/bundle/ruby/3.2.0/specifications/x-1.gemspec", 1000, true, true},
		{"app/vendor/bundle/ruby/3.2.0/specifications/x-1.gemspec", maxGemspecSize + 1, false, false},
		{"usr/lib/ruby/gems/3.1.0/gems/rake-13.0.6/rake.gemspec", 1000, false, false},
		{"app/myapp.gemspec", 1000, false, false},
		{"specifications/x-1.gemspec", 1000, true, false},
		{"app/Gemfile.lock", 1000, false, true},
		{"Gemfile.lock", 1000, false, true},
		{"app/gems.locked", 1000, false, true},
		{"app/Gemfile.lock", maxLockSize + 1, false, false},
		{"app/Gemfile", 1000, false, false},
		{"usr/local/bundle/gems/rack-3.0.8/Gemfile.lock", 1000, false, false},
		{"app/vendor/bundle/ruby/3.2.0/gems/x-1/test/Gemfile.lock", 1000, false, false},
		{"app/vendor/bundle/ruby/3.2.0/bundler/gems/y-abc/Gemfile.lock", 1000, false, false},
		{"usr/share/doc/ruby-x/examples/Gemfile.lock", 1000, false, false},
		{"srv/gems/app/Gemfile.lock", 1000, false, true},
	}
	in, lock := NewInstalled(), NewLock()
	for _, tt := range tests {
		if got := in.Wants(tt.path, 0o644, tt.size); got != tt.installed {
			t.Errorf("installed Wants(%q, %d) = %v", tt.path, tt.size, got)
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
		"usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
		"app/vendor/bundle/ruby/3.2.0/specifications/x-1.gemspec",
		"usr/local/bundle/gems/rack-3.0.8/Gemfile.lock",
		"app/Gemfile.lock",
		"usr/share/zoneinfo/Europe/Paris",
	}
	for _, c := range []catalog.Cataloger{NewInstalled(), NewLock()} {
		catalogtest.WantsAllocs(t, c, paths...)
	}
}
