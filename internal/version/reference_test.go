package version

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusVersions returns the distinct version strings of a vector file in
// testdata/vectors.
func corpusVersions(t testing.TB, name string) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, v := range readVectors(t, filepath.Join("testdata", "vectors", name+".txt")) {
		for _, s := range []string{v.a, v.b} {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// samplePairs draws n pairs from versions, deterministically.
func samplePairs(versions []string, n int, seed uint64) [][2]string {
	r := rand.New(rand.NewPCG(seed, seed))
	pairs := make([][2]string, n)
	for i := range pairs {
		pairs[i] = [2]string{versions[r.IntN(len(versions))], versions[r.IntN(len(versions))]}
	}
	return pairs
}

// TestAgainstDpkg checks the Debian scheme against the real dpkg on pairs
// drawn from the corpus, so that cross-pairs the corpus never states are
// covered too.
func TestAgainstDpkg(t *testing.T) {
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("dpkg not installed")
	}
	versions := corpusVersions(t, "debian")
	versions = append(versions, "1.0~~", "1.0~", "1.0", "1.0+", "1.0a", "1.0.", "1:0", "0:1.0-0", "1.0-1~bpo1", "1.0-1+b1")
	n := 300
	if testing.Short() {
		n = 50
	}
	for _, p := range samplePairs(versions, n, 1) {
		want := 0
		for _, op := range []struct {
			name string
			c    int
		}{{"lt", -1}, {"gt", 1}} {
			if exec.Command(dpkg, "--compare-versions", p[0], op.name, p[1]).Run() == nil {
				want = op.c
			}
		}
		got, err := Compare("Debian", p[0], p[1])
		if err != nil {
			t.Errorf("Compare(%q, %q): %v", p[0], p[1], err)
			continue
		}
		if got != want {
			t.Errorf("Compare(%q, %q) = %d, dpkg says %d", p[0], p[1], got, want)
		}
	}
}

// TestAgainstRPM checks the RPM scheme against rpm's own rpm.vercmp (which
// compares full EVRs) on pairs drawn from the corpus.
func TestAgainstRPM(t *testing.T) {
	rpm, err := exec.LookPath("rpm")
	if err != nil {
		t.Skip("rpm not installed (apt-get install rpm)")
	}
	var versions []string
	for _, v := range corpusVersions(t, "redhat") {
		// Lua long brackets cannot hold "]==]"; no real version has it.
		if !strings.Contains(v, "]==]") {
			versions = append(versions, v)
		}
	}
	versions = append(versions, "1.0-1.el9", "1.0-1.el9_2", "1.0-10.el9", "2:1.0-1", "1.0~rc1-1", "1.0^20230101-1", "1.0-1.module+el9.2.0+1234+abcd")
	pairs := samplePairs(versions, 1000, 2)
	var script strings.Builder
	script.WriteString("%{lua:\n")
	for _, p := range pairs {
		fmt.Fprintf(&script, "print(rpm.vercmp([==[%s]==], [==[%s]==]) .. \"\\n\")\n", p[0], p[1])
	}
	script.WriteString("}")
	var out bytes.Buffer
	cmd := exec.Command(rpm, "--eval", script.String())
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Skipf("rpm --eval with lua failed: %v", err)
	}
	lines := strings.Fields(out.String())
	if len(lines) != len(pairs) {
		t.Fatalf("rpm printed %d results for %d pairs", len(lines), len(pairs))
	}
	for i, p := range pairs {
		want, err := strconv.Atoi(lines[i])
		if err != nil {
			t.Fatalf("rpm output %q: %v", lines[i], err)
		}
		got, err := Compare("Red Hat", p[0], p[1])
		if err != nil {
			t.Errorf("Compare(%q, %q): %v", p[0], p[1], err)
			continue
		}
		if got != sign(want) {
			t.Errorf("Compare(%q, %q) = %d, rpm says %d", p[0], p[1], got, want)
		}
	}
}
