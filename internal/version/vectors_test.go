package version

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorEcosystems maps a vector file's base name to the ecosystem it is for.
var vectorEcosystems = map[string]string{
	"alpine":    "Alpine",
	"cran":      "CRAN",
	"crates.io": "crates.io",
	"debian":    "Debian",
	"go":        "Go",
	"hackage":   "Hackage",
	"hex":       "Hex",
	"maven":     "Maven",
	"npm":       "npm",
	"nuget":     "NuGet",
	"packagist": "Packagist",
	"pub":       "Pub",
	"pypi":      "PyPI",
	"redhat":    "Red Hat",
	"rubygems":  "RubyGems",
}

// vector is one "A op B" line of a corpus.
type vector struct {
	a, b string
	want int
	line int
}

// readVectors reads a corpus file: "A <op> B" per line, '#' comments.
func readVectors(t testing.TB, path string) []vector {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			t.Fatalf("%s line %d: want \"A op B\", got %q", path, n, line)
		}
		var want int
		switch fields[1] {
		case "<":
			want = -1
		case "=":
			want = 0
		case ">":
			want = 1
		default:
			t.Fatalf("%s line %d: unknown operator %q", path, n, fields[1])
		}
		out = append(out, vector{a: fields[0], b: fields[2], want: want, line: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sharedVectorsPath is where the shared corpora should be: under
// $VIGIL_SHARED, or ../shared beside the repository.
func sharedVectorsPath() string {
	base := os.Getenv("VIGIL_SHARED")
	if base == "" {
		base = filepath.Join("..", "..", "..", "shared")
	}
	return filepath.Join(base, "vectors", "versions")
}

// sharedVectorsDir finds the shared version corpora, or skips.
func sharedVectorsDir(t *testing.T) string {
	t.Helper()
	dir := sharedVectorsPath()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared version vectors not found at %s (set VIGIL_SHARED): %v", dir, err)
	}
	return dir
}

func opString(c int) string {
	switch c {
	case -1:
		return "<"
	case 1:
		return ">"
	}
	return "="
}

// checkVectorFiles checks every corpus file in dir in both directions, with
// string Compare and with parsed Versions.
func checkVectorFiles(t *testing.T, dir string) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no vector files in %s", dir)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		eco, ok := vectorEcosystems[name]
		if !ok {
			t.Errorf("%s: no ecosystem for this file", path)
			continue
		}
		t.Run(name, func(t *testing.T) {
			vectors := readVectors(t, path)
			scheme, err := For(eco)
			if err != nil {
				t.Fatal(err)
			}
			failures := 0
			for _, v := range vectors {
				got, err := scheme.Compare(v.a, v.b)
				rev, err2 := scheme.Compare(v.b, v.a)
				pa, err3 := scheme.Parse(v.a)
				pb, err4 := scheme.Parse(v.b)
				if err != nil || err2 != nil || err3 != nil || err4 != nil {
					t.Errorf("line %d: %s %s %s: errors %v %v %v %v", v.line, v.a, opString(v.want), v.b, err, err2, err3, err4)
					failures++
					continue
				}
				parsed, parsedRev := pa.Compare(pb), pb.Compare(pa)
				if got != v.want || rev != -v.want || parsed != v.want || parsedRev != -v.want {
					failures++
					if failures <= 40 {
						t.Errorf("line %d: want %s %s %s; got %s, reversed %s, parsed %s, parsed reversed %s",
							v.line, v.a, opString(v.want), v.b, opString(got), opString(rev), opString(parsed), opString(parsedRev))
					}
				}
			}
			if failures > 0 {
				t.Errorf("%d of %d vectors fail", failures, len(vectors))
			}
		})
	}
}

func TestSharedVectors(t *testing.T) {
	checkVectorFiles(t, sharedVectorsDir(t))
}

func TestRepoVectors(t *testing.T) {
	checkVectorFiles(t, filepath.Join("testdata", "vectors"))
}
