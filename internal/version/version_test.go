package version

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/sbom"
)

func TestFor(t *testing.T) {
	tests := []struct {
		ecosystem string
		want      string
		unknown   bool
	}{
		{"Debian", "deb", false},
		{"Debian:12", "deb", false},
		{"Ubuntu:22.04:LTS", "deb", false},
		{"deb", "deb", false},
		{"Alpine:v3.20", "apk", false},
		{"Wolfi", "apk", false},
		{"Chainguard", "apk", false},
		{"apk", "apk", false},
		{"Red Hat:enterprise_linux:9::appstream", "rpm", false},
		{"Rocky Linux:9", "rpm", false},
		{"AlmaLinux:8", "rpm", false},
		{"SUSE:Linux Enterprise Server 15 SP5", "rpm", false},
		{"openSUSE:Tumbleweed", "rpm", false},
		{"Photon OS:5.0", "rpm", false},
		{"Mageia:9", "rpm", false},
		{"openEuler:22.03-LTS", "rpm", false},
		{"rpm", "rpm", false},
		{"npm", "semver", false},
		{"crates.io", "semver", false},
		{"cargo", "semver", false},
		{"Hex", "semver", false},
		{"Go", "go", false},
		{"golang", "go", false},
		{"Pub", "pub", false},
		{"PyPI", "pep440", false},
		{"pypi", "pep440", false},
		{"Maven", "maven", false},
		{"maven", "maven", false},
		{"RubyGems", "gem", false},
		{"gem", "gem", false},
		{"NuGet", "nuget", false},
		{"nuget", "nuget", false},
		{"Packagist", "composer", false},
		{"composer", "composer", false},
		{"CRAN", "cran", false},
		{"Hackage", "hackage", false},
		{"Bitnami", "bitnami", false},
		{"bitnami", "bitnami", false},
		{"generic", "fallback", true},
		{"SwiftURL", "fallback", true},
		{"", "fallback", true},
	}
	for _, tt := range tests {
		s, err := For(tt.ecosystem)
		if s == nil {
			t.Fatalf("For(%q) returned a nil Scheme", tt.ecosystem)
		}
		if got := s.Name(); got != tt.want {
			t.Errorf("For(%q).Name() = %q, want %q", tt.ecosystem, got, tt.want)
		}
		if gotUnknown := errors.Is(err, ErrUnknownEcosystem); gotUnknown != tt.unknown || (err != nil && !tt.unknown) {
			t.Errorf("For(%q) error = %v, want unknown=%v", tt.ecosystem, err, tt.unknown)
		}
	}
}

// TestCompareCases pins behaviour the corpora do not cover, one scheme rule
// per line.
func TestCompareCases(t *testing.T) {
	tests := []struct {
		ecosystem, a, b string
		want            int
	}{
		// dpkg: '~' before the end, epochs dominate, letters before symbols.
		{"Debian", "1.0~rc1", "1.0", -1},
		{"Debian", "1.0~rc1~1", "1.0~rc1", -1},
		{"Debian", "1:0.1", "2.0", 1},
		{"Debian", "1.0a", "1.0+", -1},
		{"Debian", "1.0-1", "1.0-1ubuntu1", -1},
		{"Debian", "00001:1.0", "1:1.0", 0},
		{"Ubuntu:24.04", "2.39-0ubuntu8.3", "2.39-0ubuntu8.10", -1},
		{"Debian", strings.Repeat("9", 40), strings.Repeat("9", 39) + "8", 1},
		// rpm: caret, tilde, separators, modules.
		{"Red Hat", "1.0^git1", "1.0", 1},
		{"Red Hat", "1.0^git1", "1.0.1", -1},
		{"Red Hat", "1.0~rc1", "1.0", -1},
		{"Red Hat", "2:1.0-1.el9", "1:9.0-1.el9", 1},
		{"Rocky Linux", "0:1.20.1-1.module+el8.9.0+1514+ab12cd34", "1.20.1-1.module+el8.10.0+1001+aaaa", -1},
		{"Red Hat", "3.10.0-1160.el7_9", "3.10.0-1160.el7", 1},
		// apk: suffix order, revisions, letters, hashes.
		{"Alpine", "1.2.3_rc1", "1.2.3", -1},
		{"Alpine", "1.2.3_p1", "1.2.3", 1},
		{"Alpine", "1.2.3_alpha2", "1.2.3_beta1", -1},
		{"Alpine", "1.2.3-r10", "1.2.3-r9", 1},
		{"Alpine", "1.2.3a", "1.2.3", 1},
		{"Alpine", "1.2.3~abc1-r0", "1.2.3~abc2-r0", -1},
		{"Alpine", "1.02", "1.1", -1},
		// SemVer and Go.
		{"Go", "v1.2.3+incompatible", "v1.2.3", 0},
		{"Go", "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20201109021931-aaa7c04131f5", -1},
		{"Go", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3", 1},
		{"Go", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", -1},
		{"npm", "1.2.3-alpha.1", "1.2.3-alpha.beta", -1},
		{"crates.io", "1.0.0+build.1", "1.0.0+build.2", 0},
		{"Pub", "1.0.0+build.1", "1.0.0+build.2", -1},
		// PEP 440 normalization and ordering.
		{"PyPI", "1.0", "1.0.0", 0},
		{"PyPI", "1.0a1", "1.0.alpha1", 0},
		{"PyPI", "1.0c1", "1.0rc1", 0},
		{"PyPI", "1.0-1", "1.0.post1", 0},
		{"PyPI", "1.0.dev1", "1.0a1", -1},
		{"PyPI", "1.0.post1.dev1", "1.0.post1", -1},
		{"PyPI", "1.0+abc.5", "1.0+abc.10", -1},
		{"PyPI", "1.0+5", "1.0+abc", 1},
		{"PyPI", "1!0.1", "2.0", 1},
		{"PyPI", "V1.0", "1.0", 0},
		{"PyPI", "  1.0  ", "1.0", 0},
		{"PyPI", "french toast", "0.0.1", -1},
		// Maven.
		{"Maven", "1.0-SNAPSHOT", "1.0", -1},
		{"Maven", "1.0-rc1", "1.0-SNAPSHOT", -1},
		{"Maven", "1.0-sp1", "1.0", 1},
		{"Maven", "1.0.Final", "1.0", 0},
		{"Maven", "1.0-alpha1", "1.0-a1", 0},
		{"Maven", "1.0.0", "1", 0},
		// RubyGems.
		{"RubyGems", "1.0.0.pre", "1.0.0", -1},
		{"RubyGems", "1.0.0-rc1", "1.0.0.pre.rc1", 0},
		{"RubyGems", "1.0", "1.0.0", 0},
		{"RubyGems", "1.0.a", "1.0.B", 1},
		// NuGet.
		{"NuGet", "1.0.0.1", "1.0.0", 1},
		{"NuGet", "1.0.0-Beta", "1.0.0-beta", 0},
		// Packagist: PHP version_compare.
		{"Packagist", "1.0.0-beta1", "1.0.0", -1},
		{"Packagist", "1.0.0-patch1", "1.0.0", 1},
		{"Packagist", "v2.0", "2.0", 0},
		{"Packagist", "1.0-stable", "1.0-dev", -1},
		// CRAN and Hackage.
		{"CRAN", "1.2-3", "1.2.3", 0},
		{"CRAN", "1.10", "1.9", 1},
		{"Hackage", "1.0", "1.0.0", -1},
		// Bitnami: upstream, then the packaging revision.
		{"Bitnami", "17.2.0-8", "17.2.0", 1},
		{"Bitnami", "17.2.0-0", "17.2.0", 0},
		{"Bitnami", "17.2.0-8", "17.2.0-10", -1},
		{"Bitnami", "17.2.0-8", "17.2.1", -1},
		{"Bitnami", "1.0.0-rc1", "1.0.0", -1},
		{"Bitnami", "1.0.0-rc1-2", "1.0.0-rc1", 1},
		{"Bitnami", "9.6p1-3", "9.7-0", -1},
		{"Bitnami", "2023.10.1-2", "2023.9.30-5", 1},
		// Fallback.
		{"generic", "1.0", "1", 0},
		{"generic", "1.0-rc1", "1.0", -1},
		{"generic", "v1.0.1", "1.0", 1},
		{"generic", "1.0.BETA", "1.0.alpha", 1},
	}
	for _, tt := range tests {
		got, err := Compare(tt.ecosystem, tt.a, tt.b)
		if err != nil {
			t.Errorf("Compare(%q, %q, %q): %v", tt.ecosystem, tt.a, tt.b, err)
			continue
		}
		rev, err := Compare(tt.ecosystem, tt.b, tt.a)
		if err != nil {
			t.Errorf("Compare(%q, %q, %q): %v", tt.ecosystem, tt.b, tt.a, err)
			continue
		}
		if got != tt.want || rev != -tt.want {
			t.Errorf("Compare(%q, %q, %q) = %d (reversed %d), want %d", tt.ecosystem, tt.a, tt.b, got, rev, tt.want)
		}
	}
}

func TestInvalidVersions(t *testing.T) {
	tests := []struct{ ecosystem, v string }{
		{"Debian", ""},
		{"Debian", "1.0 1"},
		{"Debian", "a:1.0"},
		{"Debian", ":1.0"},
		{"Debian", "1:"},
		{"Debian", "1.0-"},
		{"Debian", "-1"},
		{"Red Hat", ""},
		{"Alpine", ""},
		{"npm", ""},
		{"npm", "1.2.3-"},
		{"npm", "1..2"},
		{"npm", "a.b.c"},
		{"npm", "1.2.3-beta..1"},
		{"Go", "v1.2.3+"},
		{"PyPI", ""},
		{"PyPI", "   "},
		{"Maven", ""},
		{"RubyGems", "a1"},
		{"RubyGems", "1.0 beta"},
		{"NuGet", "1.0-"},
		{"NuGet", "one"},
		{"Packagist", ""},
		{"CRAN", "1.0a"},
		{"CRAN", "1..0"},
		{"Hackage", "1.0-tag"},
		{"generic", ""},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.ecosystem, tt.v); !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("Parse(%q, %q) error = %v, want ErrInvalidVersion", tt.ecosystem, tt.v, err)
		}
		if _, err := Compare(tt.ecosystem, tt.v, "1.0"); !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("Compare(%q, %q, 1.0) error = %v, want ErrInvalidVersion", tt.ecosystem, tt.v, err)
		}
	}
}

func TestParseKeepsString(t *testing.T) {
	for _, eco := range []string{"Debian", "Red Hat", "Alpine", "npm", "Go", "Pub", "PyPI", "Maven", "RubyGems", "NuGet", "Packagist", "CRAN", "Hackage", "other"} {
		v, err := Parse(eco, "1.2")
		if err != nil {
			t.Fatalf("Parse(%q, 1.2): %v", eco, err)
		}
		if got := v.String(); got != "1.2" {
			t.Errorf("Parse(%q, 1.2).String() = %q", eco, got)
		}
		if c := v.Compare(v); c != 0 {
			t.Errorf("%s: v.Compare(v) = %d", eco, c)
		}
	}
}

func TestCrossSchemeCompare(t *testing.T) {
	deb, _ := Parse("Debian", "1.0")
	rpm, _ := Parse("Red Hat", "1.0")
	npm, _ := Parse("npm", "1.0.0")
	goV, _ := Parse("Go", "v1.0.0")
	got := []int{deb.Compare(rpm), rpm.Compare(deb), npm.Compare(goV), goV.Compare(npm)}
	if diff := cmp.Diff([]int{-1, 1, 1, -1}, got); diff != "" {
		t.Errorf("cross-scheme order (-want +got):\n%s", diff)
	}
}

// TestForInventoryEcosystems: every ecosystem an inventory names has its
// scheme under that name (impact queries parse ranges by it).
func TestForInventoryEcosystems(t *testing.T) {
	for _, e := range []sbom.Ecosystem{sbom.Deb, sbom.APK, sbom.RPM, sbom.Golang, sbom.NPM, sbom.PyPI, sbom.Maven, sbom.Gem,
		sbom.Cargo, sbom.Composer, sbom.NuGet, sbom.Hex, sbom.Pub, sbom.Bitnami} {
		if _, err := For(string(e)); err != nil {
			t.Errorf("For(%q): %v", e, err)
		}
	}
}
