package vulndb

import "testing"

func TestNormalizeName(t *testing.T) {
	tests := []struct{ eco, name, want string }{
		{"PyPI", "GitPython", "gitpython"},
		{"PyPI", "Foo.Bar_baz", "foo-bar-baz"},
		{"PyPI", "a--_.b", "a-b"},
		{"PyPI", " requests ", "requests"},
		{"pypi", "Django", "django"},
		{"PyPI", "already-normal", "already-normal"},
		{"NuGet", "Newtonsoft.Json", "newtonsoft.json"},
		{"npm", "@Scope/Name", "@Scope/Name"},
		{"Maven", "org.apache.logging.log4j:log4j-core", "org.apache.logging.log4j:log4j-core"},
		{"Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"},
		{"Debian:12", "libxml2", "libxml2"},
		{"crates.io", "Serde_JSON", "Serde_JSON"},
	}
	for _, tc := range tests {
		if got := NormalizeName(tc.eco, tc.name); got != tc.want {
			t.Errorf("NormalizeName(%q, %q) = %q, want %q", tc.eco, tc.name, got, tc.want)
		}
		// Normalising is idempotent, so lookups may pass stored names.
		if got := NormalizeName(tc.eco, tc.want); got != tc.want {
			t.Errorf("NormalizeName(%q, %q) = %q, not idempotent", tc.eco, tc.want, got)
		}
	}
}
