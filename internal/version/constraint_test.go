package version

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConstraints(t *testing.T) {
	tests := []struct {
		ecosystem, constraint string
		in, out               []string
	}{
		// npm: caret, tilde, x-ranges, hyphens, ||, pre-release rule.
		{"npm", "^1.2.3", []string{"1.2.3", "1.9.9"}, []string{"1.2.2", "2.0.0", "2.0.0-0", "1.5.0-beta"}},
		{"npm", "^0.2.3", []string{"0.2.3", "0.2.9"}, []string{"0.3.0", "0.2.2"}},
		{"npm", "^0.0.3", []string{"0.0.3"}, []string{"0.0.4", "0.0.2"}},
		{"npm", "^1.2.3-beta.2", []string{"1.2.3-beta.2", "1.2.3-beta.4", "1.2.3", "1.3.0"}, []string{"1.2.3-beta.1", "1.3.0-beta", "2.0.0"}},
		{"npm", "~1.2", []string{"1.2.0", "1.2.9"}, []string{"1.3.0", "1.1.9"}},
		{"npm", "~1.2.3", []string{"1.2.3", "1.2.99"}, []string{"1.3.0"}},
		{"npm", "1.x", []string{"1.0.0", "1.99.0"}, []string{"2.0.0", "0.9.9"}},
		{"npm", "1.2.x", []string{"1.2.0", "1.2.5"}, []string{"1.3.0"}},
		{"npm", "*", []string{"0.0.0", "99.0.0"}, []string{"1.0.0-rc.1"}},
		{"npm", "", []string{"1.0.0"}, nil},
		{"npm", "1.2.3 - 2.3.4", []string{"1.2.3", "2.3.4"}, []string{"2.3.5", "1.2.2"}},
		{"npm", "1.2 - 2.3", []string{"1.2.0", "2.3.9"}, []string{"2.4.0", "1.1.9"}},
		{"npm", "^1.2.3 || >=2 <2.3", []string{"1.5.0", "2.0.0", "2.2.9"}, []string{"2.3.0", "1.2.0"}},
		{"npm", ">1.2", []string{"1.3.0"}, []string{"1.2.9"}},
		{"npm", "<=1.2", []string{"1.2.9"}, []string{"1.3.0"}},
		{"npm", "< 1.2.0", []string{"1.1.9"}, []string{"1.2.0", "1.2.0-rc.1"}},
		{"npm", ">=1.2.0-rc.1 <1.3.0", []string{"1.2.0-rc.2", "1.2.5"}, []string{"1.2.1-rc.1"}},
		{"npm", "=v1.2.3", []string{"1.2.3", "v1.2.3"}, []string{"1.2.4"}},
		// crates.io: bare is caret, commas join.
		{"crates.io", "1.2", []string{"1.2.0", "1.9.0"}, []string{"2.0.0"}},
		{"crates.io", ">=1.2, <1.5", []string{"1.2.0", "1.4.9"}, []string{"1.5.0"}},
		// Hex: ~>, and/or.
		{"Hex", "~> 2.1", []string{"2.1.0", "2.9.0"}, []string{"3.0.0", "2.0.9"}},
		{"Hex", "~> 2.1.2", []string{"2.1.2", "2.1.9"}, []string{"2.2.0"}},
		{"Hex", ">= 1.0.0 and < 2.0.0 or == 3.0.0", []string{"1.5.0", "3.0.0"}, []string{"2.5.0"}},
		// Go and Pub.
		{"Go", ">=v1.2.0, <v1.4.0", []string{"v1.3.0", "v1.3.0+incompatible"}, []string{"v1.4.0"}},
		{"Pub", "^1.2.3", []string{"1.2.3", "1.9.0"}, []string{"2.0.0"}},
		{"Pub", "1.2.3", []string{"1.2.3"}, []string{"1.2.4"}},
		// PEP 440.
		{"PyPI", "~=1.4.2", []string{"1.4.2", "1.4.9", "1.4.5.post1"}, []string{"1.5.0", "1.4.1"}},
		{"PyPI", "~=2.2", []string{"2.2", "2.9"}, []string{"3.0", "2.1"}},
		{"PyPI", "~=1.4.2, !=1.4.5", []string{"1.4.4"}, []string{"1.4.5"}},
		{"PyPI", "==1.2.*", []string{"1.2", "1.2.0", "1.2.7", "1.2rc1", "1.2.3+local"}, []string{"1.3", "1.20"}},
		{"PyPI", "!=1.2.*", []string{"1.3"}, []string{"1.2.5"}},
		{"PyPI", "==1.0", []string{"1.0", "1.0.0", "1.0+local"}, []string{"1.0.post1"}},
		{"PyPI", "==1.0+local", []string{"1.0+local"}, []string{"1.0", "1.0+other"}},
		{"PyPI", "<2.0", []string{"1.9", "1.9.post1"}, []string{"2.0rc1", "2.0a1.dev1", "2.0"}},
		{"PyPI", "<2.0rc1", []string{"2.0b1"}, []string{"2.0rc1"}},
		{"PyPI", ">1.0", []string{"1.1", "1.0.1"}, []string{"1.0.post1", "1.0+local", "1.0"}},
		{"PyPI", ">1.0.post1", []string{"1.0.post2"}, []string{"1.0.post1"}},
		{"PyPI", ">=1.0, <2.0", []string{"1.0", "1.5rc1"}, []string{"2.0", "0.9"}},
		{"PyPI", "===1.0", []string{"1.0"}, []string{"1.0.0"}},
		// Maven and NuGet intervals.
		{"Maven", "[1.0,2.0)", []string{"1.0", "1.5", "2.0-SNAPSHOT"}, []string{"2.0", "0.9"}},
		{"Maven", "(,1.0],[1.2,)", []string{"0.5", "1.0", "1.2", "3.0"}, []string{"1.1"}},
		{"Maven", "[1.5]", []string{"1.5", "1.5.0"}, []string{"1.5.1"}},
		{"Maven", "1.5", []string{"1.5"}, []string{"1.6"}},
		{"NuGet", "1.0", []string{"1.0", "2.0"}, []string{"0.9"}},
		{"NuGet", "(1.0,2.0]", []string{"1.0.1", "2.0"}, []string{"1.0", "2.0.1"}},
		// RubyGems.
		{"RubyGems", "~> 2.2", []string{"2.2", "2.9.9"}, []string{"3.0", "2.1", "3.0.a"}},
		{"RubyGems", "~> 2.2.0", []string{"2.2.0", "2.2.9"}, []string{"2.3.0"}},
		{"RubyGems", ">= 1.0, < 2.0", []string{"1.0", "1.9"}, []string{"2.0", "0.9"}},
		{"RubyGems", "1.2.3", []string{"1.2.3"}, []string{"1.2.4"}},
		{"RubyGems", "!= 1.2.3", []string{"1.2.4"}, []string{"1.2.3"}},
		// Composer.
		{"Packagist", "^1.2.3", []string{"1.2.3", "1.9.0", "1.2.3.0"}, []string{"2.0.0", "1.2.2", "2.0.0-beta1"}},
		{"Packagist", "^0.3", []string{"0.3.0", "0.3.9"}, []string{"0.4.0"}},
		{"Packagist", "~1.2", []string{"1.2.0", "1.9.9"}, []string{"2.0.0"}},
		{"Packagist", "~1.2.3", []string{"1.2.3", "1.2.9"}, []string{"1.3.0"}},
		{"Packagist", "1.2.*", []string{"1.2.0", "1.2.99"}, []string{"1.3.0"}},
		{"Packagist", ">=1.0 <2.0", []string{"1.0", "1.0.0", "1.9"}, []string{"2.0"}},
		{"Packagist", ">=1.0,<1.1 || >=1.2", []string{"1.0.5", "1.3"}, []string{"1.1.0"}},
		{"Packagist", "1.0 - 2.0", []string{"1.0.0", "2.0.5"}, []string{"2.1.0"}},
		{"Packagist", "1.0.0 - 2.1.0", []string{"2.1.0"}, []string{"2.1.1"}},
		{"Packagist", "<=1.0", []string{"1.0.0", "v1.0"}, []string{"1.0.1"}},
		{"Packagist", "*", []string{"1.0"}, nil},
		// Generic comparators for distributions.
		{"Debian", ">= 1.0-1, << 2.0", []string{"1.0-1", "1.9"}, []string{"2.0", "1.0-0"}},
		{"Red Hat", "< 1.0-2.el9 || = 3.0", []string{"1.0-1.el9", "3.0"}, []string{"1.0-2.el9"}},
		{"Alpine", ">1.2.3-r0 <1.2.4", []string{"1.2.3-r1"}, []string{"1.2.3-r0", "1.2.4"}},
	}
	for _, tt := range tests {
		c, err := ParseConstraint(tt.ecosystem, tt.constraint)
		if err != nil {
			t.Errorf("ParseConstraint(%q, %q): %v", tt.ecosystem, tt.constraint, err)
			continue
		}
		for _, v := range tt.in {
			if ok, err := c.Check(v); err != nil || !ok {
				t.Errorf("%s %q: Check(%q) = %v, %v; want true", tt.ecosystem, tt.constraint, v, ok, err)
			}
		}
		for _, v := range tt.out {
			if ok, err := c.Check(v); err != nil || ok {
				t.Errorf("%s %q: Check(%q) = %v, %v; want false", tt.ecosystem, tt.constraint, v, ok, err)
			}
		}
	}
}

func TestConstraintErrors(t *testing.T) {
	tests := []struct{ ecosystem, constraint string }{
		{"npm", "^1.2.3.4"},
		{"npm", ">= "},
		{"npm", "1.2.x.3"},
		{"PyPI", "1.0"},
		{"PyPI", "<=1.0.*"},
		{"PyPI", "~=1"},
		{"PyPI", ""},
		{"Maven", "[1.0,2.0"},
		{"Maven", "[2.0,1.0]"},
		{"Maven", "(1.0)"},
		{"Maven", "[1.0,2.0),"},
		{"Packagist", ""},
		{"Packagist", ">= "},
		{"RubyGems", "~>"},
		{"Debian", "~> 1.0"},
		{"Debian", ""},
	}
	for _, tt := range tests {
		if _, err := ParseConstraint(tt.ecosystem, tt.constraint); err == nil {
			t.Errorf("ParseConstraint(%q, %q) succeeded, want an error", tt.ecosystem, tt.constraint)
		}
	}
	if _, err := ParseConstraint("npm", ">="); !errors.Is(err, ErrInvalidConstraint) {
		t.Errorf("ParseConstraint(npm, >=) error = %v, want ErrInvalidConstraint", err)
	}
}

func TestConstraintMatchParsed(t *testing.T) {
	c, err := ParseConstraint("npm", "^1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := Parse("npm", "1.2.0")
	other, _ := Parse("PyPI", "1.2.0")
	if !c.Match(v) || c.Match(other) || c.Match(nil) {
		t.Errorf("Match: npm %v, PyPI %v, nil %v; want true, false, false", c.Match(v), c.Match(other), c.Match(nil))
	}
	if c.String() != "^1.0.0" {
		t.Errorf("String() = %q", c.String())
	}
	if _, err := c.Check("not-a-version"); !errors.Is(err, ErrInvalidVersion) {
		t.Errorf("Check(bad) error = %v, want ErrInvalidVersion", err)
	}
}

// TestNPMRangesAgainstNodeSemver checks npm ranges against answers recorded
// from node-semver (testdata/npm-ranges.tsv, see testdata/README.md).
func TestNPMRangesAgainstNodeSemver(t *testing.T) {
	checkRecordedConstraints(t, "npm", filepath.Join("testdata", "npm-ranges.tsv"))
}

// checkRecordedConstraints checks "constraint<TAB>version<TAB>true|false"
// lines recorded from an ecosystem's reference implementation.
func checkRecordedConstraints(t *testing.T, ecosystem, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cache := map[string]Constraint{}
	n := 0
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 3 {
			t.Fatalf("%s line %d: want 3 tab-separated fields, got %q", path, i+1, line)
		}
		text, v, want := fields[0], fields[1], fields[2] == "true"
		c, ok := cache[text]
		if !ok {
			if c, err = ParseConstraint(ecosystem, text); err != nil {
				t.Fatalf("ParseConstraint(%s, %q): %v", ecosystem, text, err)
			}
			cache[text] = c
		}
		got, err := c.Check(v)
		if err != nil {
			t.Fatalf("Check(%q): %v", v, err)
		}
		if got != want {
			t.Errorf("%s %q satisfied by %q = %v, reference says %v", ecosystem, text, v, got, want)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("%s: no cases read", path)
	}
}

// TestPEP440SpecifiersAgainstPackaging checks PEP 440 specifier sets against
// answers recorded from pypa/packaging (testdata/pep440-specifiers.tsv).
func TestPEP440SpecifiersAgainstPackaging(t *testing.T) {
	checkRecordedConstraints(t, "PyPI", filepath.Join("testdata", "pep440-specifiers.tsv"))
}
