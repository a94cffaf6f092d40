package version

import (
	"os"
	"path/filepath"
	"testing"

	debversion "github.com/knqyf263/go-deb-version"
)

// debianPairs loads the Debian corpus as pairs, from the shared vectors when
// present (the figures in PERFORMANCE.md use them) or the in-repo sample.
func debianPairs(b *testing.B) [][2]string {
	path := filepath.Join("testdata", "vectors", "debian.txt")
	if dir := sharedDir(); dir != "" {
		path = filepath.Join(dir, "debian.txt")
	}
	vs := readVectors(b, path)
	pairs := make([][2]string, len(vs))
	for i, v := range vs {
		pairs[i] = [2]string{v.a, v.b}
	}
	return pairs
}

// sharedDir is the shared vectors directory, or "" when it is absent.
func sharedDir() string {
	dir := sharedVectorsPath()
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

// BenchmarkDebianCompare compares string Compare on the Debian corpus with
// github.com/knqyf263/go-deb-version, side by side. One op is one pair.
func BenchmarkDebianCompare(b *testing.B) {
	pairs := debianPairs(b)
	b.Run("vigil", func(b *testing.B) {
		b.ReportAllocs()
		s := debScheme{}
		for i := 0; b.Loop(); i++ {
			p := pairs[i%len(pairs)]
			if _, err := s.Compare(p[0], p[1]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("go-deb-version", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := pairs[i%len(pairs)]
			va, err := debversion.NewVersion(p[0])
			if err != nil {
				b.Fatal(err)
			}
			vb, err := debversion.NewVersion(p[1])
			if err != nil {
				b.Fatal(err)
			}
			_ = va.Compare(vb)
		}
	})
}

// parsedPairs parses the pairs of an in-repo vector file.
func parsedPairs(tb testing.TB, ecosystem, file string) [][2]Version {
	scheme, _ := lookup(ecosystem)
	var out [][2]Version
	for _, v := range readVectors(tb, filepath.Join("testdata", "vectors", file)) {
		a, err := scheme.Parse(v.a)
		if err != nil {
			tb.Fatal(err)
		}
		c, err := scheme.Parse(v.b)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, [2]Version{a, c})
	}
	return out
}

var parsedBenchmarks = []struct{ name, ecosystem, file string }{
	{"deb", "Debian", "debian.txt"},
	{"rpm", "Red Hat", "redhat.txt"},
	{"apk", "Alpine", "alpine.txt"},
	{"semver", "npm", "npm.txt"},
	{"pep440", "PyPI", "pypi.txt"},
	{"maven", "Maven", "maven.txt"},
}

// BenchmarkParsedCompare measures Compare on parsed versions.
func BenchmarkParsedCompare(b *testing.B) {
	for _, bm := range parsedBenchmarks {
		pairs := parsedPairs(b, bm.ecosystem, bm.file)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				p := pairs[i%len(pairs)]
				_ = p[0].Compare(p[1])
			}
		})
	}
}

// BenchmarkParse measures Parse.
func BenchmarkParse(b *testing.B) {
	for _, bm := range parsedBenchmarks {
		vs := readVectors(b, filepath.Join("testdata", "vectors", bm.file))
		scheme, _ := lookup(bm.ecosystem)
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := scheme.Parse(vs[i%len(vs)].a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestParsedCompareAllocs pins the promise that parsed comparisons do not
// allocate, for the schemes used in hot matching loops.
func TestParsedCompareAllocs(t *testing.T) {
	for _, bm := range parsedBenchmarks {
		pairs := parsedPairs(t, bm.ecosystem, bm.file)
		allocs := testing.AllocsPerRun(10, func() {
			for _, p := range pairs {
				_ = p[0].Compare(p[1])
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per run of parsed comparisons, want 0", bm.name, allocs)
		}
	}
}

// TestDebianStringCompareAllocs pins that Debian string comparison walks the
// strings without allocating.
func TestDebianStringCompareAllocs(t *testing.T) {
	pairs := readVectors(t, filepath.Join("testdata", "vectors", "debian.txt"))
	allocs := testing.AllocsPerRun(10, func() {
		for _, p := range pairs {
			_, _ = Compare("Debian", p.a, p.b)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run of Debian string comparisons, want 0", allocs)
	}
}
