package version

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusByEcosystem returns the distinct versions of every vector file in
// dir, keyed by ecosystem.
func corpusByEcosystem(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, path := range files {
		eco := vectorEcosystems[strings.TrimSuffix(filepath.Base(path), ".txt")]
		seen := map[string]bool{}
		for _, v := range readVectors(t, path) {
			for _, s := range []string{v.a, v.b} {
				if !seen[s] {
					seen[s] = true
					out[eco] = append(out[eco], s)
				}
			}
		}
	}
	return out
}

// checkOrderProperties checks reflexivity and antisymmetry on every version
// and pair drawn, and transitivity on random triples.
func checkOrderProperties(t *testing.T, eco string, versions []string, triples int) {
	scheme, _ := lookup(eco)
	parsed := make([]Version, len(versions))
	for i, s := range versions {
		v, err := scheme.Parse(s)
		if err != nil {
			t.Fatalf("%s: Parse(%q): %v", eco, s, err)
		}
		parsed[i] = v
		if c := v.Compare(v); c != 0 {
			t.Errorf("%s: Compare(%q, itself) = %d", eco, s, c)
		}
	}
	r := rand.New(rand.NewPCG(7, uint64(len(versions))))
	failures := 0
	for i := 0; i < triples && failures < 20; i++ {
		a, b, c := parsed[r.IntN(len(parsed))], parsed[r.IntN(len(parsed))], parsed[r.IntN(len(parsed))]
		ab, ba, bc, ac := a.Compare(b), b.Compare(a), b.Compare(c), a.Compare(c)
		if ab != -ba {
			failures++
			t.Errorf("%s: not antisymmetric: %q vs %q gives %d and %d", eco, a, b, ab, ba)
		}
		if ab <= 0 && bc <= 0 && ac > 0 || ab >= 0 && bc >= 0 && ac < 0 || ab == 0 && bc == 0 && ac != 0 {
			failures++
			t.Errorf("%s: not transitive: %q %s %q %s %q but %q %s %q", eco, a, opString(ab), b, opString(bc), c, a, opString(ac), c)
		}
	}
}

func TestOrderPropertiesRepo(t *testing.T) {
	for eco, versions := range corpusByEcosystem(t, filepath.Join("testdata", "vectors")) {
		t.Run(eco, func(t *testing.T) {
			checkOrderProperties(t, eco, versions, 20000)
			// A sorted list must be ordered pairwise: a strong transitivity check.
			scheme, _ := lookup(eco)
			var parsed []Version
			for _, s := range versions {
				if knownIntransitive(eco, s) {
					continue
				}
				v, _ := scheme.Parse(s)
				parsed = append(parsed, v)
			}
			slices.SortFunc(parsed, func(a, b Version) int { return a.Compare(b) })
			for i := range parsed {
				for j := i + 1; j < len(parsed); j++ {
					if c := parsed[i].Compare(parsed[j]); c > 0 {
						t.Fatalf("after sorting, %q > %q (positions %d, %d)", parsed[i], parsed[j], i, j)
					}
				}
			}
		})
	}
}

func TestOrderPropertiesShared(t *testing.T) {
	dir := sharedVectorsDir(t)
	triples := 50000
	if testing.Short() {
		triples = 5000
	}
	for eco, versions := range corpusByEcosystem(t, dir) {
		t.Run(eco, func(t *testing.T) { checkOrderProperties(t, eco, versions, triples) })
	}
}

// TestPathologicalInput feeds every scheme inputs that break naive parsers:
// huge numbers, long runs of separators, tildes and carets. It must finish
// quickly and agree with itself.
func TestPathologicalInput(t *testing.T) {
	digits := strings.Repeat("9", 100_000)
	inputs := []string{
		digits,
		digits + "8",
		"1." + digits,
		strings.Repeat("~", 10_000),
		strings.Repeat("^", 10_000),
		strings.Repeat("1.", 50_000) + "1",
		strings.Repeat("a-", 50_000),
		strings.Repeat("_p", 30_000),
		strings.Repeat("-r", 30_000),
		"1:" + digits,
		digits + ":1",
		"0." + strings.Repeat("0", 100_000) + "1",
		strings.Repeat("1a", 50_000),
		strings.Repeat(".", 100_000),
	}
	for _, eco := range []string{"Debian", "Red Hat", "Alpine", "npm", "Go", "Pub", "PyPI", "Maven", "RubyGems", "NuGet", "Packagist", "CRAN", "Hackage", "Bitnami", "other"} {
		scheme, _ := lookup(eco)
		for _, a := range inputs {
			for _, b := range []string{inputs[0], "1.0", a} {
				ab, errA := scheme.Compare(a, b)
				ba, errB := scheme.Compare(b, a)
				if (errA == nil) != (errB == nil) {
					t.Errorf("%s: Compare errors disagree for inputs of length %d and %d: %v, %v", eco, len(a), len(b), errA, errB)
				}
				if errA == nil && ab != -ba {
					t.Errorf("%s: not antisymmetric on inputs of length %d and %d", eco, len(a), len(b))
				}
			}
		}
	}
	if c, _ := Compare("Debian", digits+"8", digits+"9"); c != -1 {
		t.Errorf("Debian: 100 kB numbers compare as %d, want -1", c)
	}
}

// knownIntransitive marks versions with which an ecosystem's reference order
// is known not to be transitive, so the exhaustive check leaves them out:
//
//   - Packagist: '#' is PHP's "any number" marker, equal to 1 and to nothing
//     at the same time (the corpus requires "1.2.3.# = 1.2.3" and
//     "1.2.3.# = 1.2.3.1");
//   - Maven: the specification pads a shorter version with nulls shaped after
//     the other one, so a zero component before a '.'-qualifier
//     ("1.0.0.RC8-beta") is equal to a missing component yet beats "-1":
//     1 < 1-1 < 1.0.0.RC8-beta < 1.
func knownIntransitive(eco, s string) bool {
	switch eco {
	case "Packagist":
		return strings.Contains(s, "#")
	case "Maven":
		l := strings.ToLower(s)
		for i := 1; i+1 < len(l); i++ {
			if l[i] == '.' && l[i-1] == '0' && isAlpha(l[i+1]) {
				return true
			}
		}
	}
	return false
}
