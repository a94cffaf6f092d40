package cvss

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestKnownScores(t *testing.T) {
	tests := []struct {
		vector string
		want   float64
		ver    Version
	}{
		// The examples and the CVSS 3.1 specification's examples
		// document (CVE-2013-1937, CVE-2013-0375, CVE-2014-3566,
		// CVE-2014-0160).
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, V3},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, V3},
		{"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5, V3},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, V3},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, V3},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, V3},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, V3},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, V3},
		// Temporal and environmental metrics do not change the base score.
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C/CR:L/MAV:P", 9.8, V3},
		// Roundup on a value a hair above 7.4 (3.1 Appendix A).
		{"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:C/C:H/I:H/A:N", 7.5, V3},
		// CVSS v2 guide examples (CVE-2002-0392, CVE-2003-0818).
		{"AV:N/AC:L/Au:N/C:N/I:N/A:C", 7.8, V2},
		{"AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0, V2},
		{"(AV:N/AC:L/Au:N/C:C/I:C/A:C)", 10.0, V2},
		{"CVSS:2.0/AV:L/AC:H/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C/CDP:LM", 6.2, V2},
		// CVSS 4.0, from the reference calculator's documentation and
		// js-cvss's tests (base metrics only: Base ignores the others).
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10, V4},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0, V4},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, V4},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:H/SA:H", 7.9, V4},
		{"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0, V4},
		{"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L", 5.2, V4},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U", 10, V4},
	}
	for _, tt := range tests {
		got, ver, err := Base(tt.vector)
		if err != nil {
			t.Errorf("Base(%q): %v", tt.vector, err)
			continue
		}
		if got != tt.want || ver != tt.ver {
			t.Errorf("Base(%q) = %v, v%d; want %v, v%d", tt.vector, got, ver, tt.want, tt.ver)
		}
	}
}

func TestScore4WithThreatAndEnvironment(t *testing.T) {
	// Expected values from js-cvss's tests, which match FIRST's calculator.
	tests := []struct {
		vector string
		want   float64
	}{
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U", 9.1},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MVI:L/MSA:S", 9.8},
		{"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L/E:P/CR:H/IR:M/AR:H/MAV:A/MAT:P/MPR:N/MVI:H/MVA:N/MSI:H/MSA:N/S:N/V:C/U:Amber", 4.7},
		{"CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:N/VC:N/VI:N/VA:H/SC:H/SI:H/SA:H/CR:L/IR:L/AR:L", 5.8},
		{"CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:U", 0.4},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3},
	}
	for _, tt := range tests {
		got, err := Score4(tt.vector)
		if err != nil || got != tt.want {
			t.Errorf("Score4(%q) = %v, %v; want %v", tt.vector, got, err, tt.want)
		}
	}
}

func TestInvalidVectors(t *testing.T) {
	for _, v := range []string{
		"",
		"CVSS:3.1/",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",          // A missing
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",  // twice
		"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",      // bad value
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", // unknown metric
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A",        // no value
		"CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:5.0/AV:N",
		"AV:N/AC:L/Au:N/C:C/I:C",
		"CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", // base out of order
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N", // S only in MSI
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Blue",
		"medium",
	} {
		if s, _, err := Base(v); err == nil || !errors.Is(err, ErrInvalid) {
			t.Errorf("Base(%q) = %v, %v; want an ErrInvalid error", v, s, err)
		}
	}
}

// allVectors lists every combination of the given metric values, the last
// metric varying fastest (the order of the testdata .bin files).
func allVectors(prefix string, metrics [][2]string) []string {
	out := []string{""}
	for _, m := range metrics {
		var next []string
		for _, p := range out {
			for _, v := range m[1] {
				if p != "" {
					p += "/"
				}
				next = append(next, p+m[0]+":"+string(v))
				p = strings.TrimSuffix(p, "/")
			}
		}
		out = next
	}
	for i := range out {
		out[i] = prefix + out[i]
	}
	return out
}

func readScores(t *testing.T, name string, n int) []byte {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != n {
		t.Fatalf("%s: %d scores, want %d", name, len(b), n)
	}
	return b
}

var v3Space = [][2]string{{"AV", "NALP"}, {"AC", "LH"}, {"PR", "NLH"}, {"UI", "NR"}, {"S", "UC"}, {"C", "HLN"}, {"I", "HLN"}, {"A", "HLN"}}

func TestExhaustiveV2V3(t *testing.T) {
	for _, set := range []struct {
		file   string
		vecs   []string
		scorer func(string) (float64, error)
	}{
		{"v2-base.ae.bin.gz", allVectors("", [][2]string{{"AV", "LAN"}, {"AC", "HML"}, {"Au", "MSN"}, {"C", "NPC"}, {"I", "NPC"}, {"A", "NPC"}}), Base2},
		{"v30-base.ae.bin.gz", allVectors("CVSS:3.0/", v3Space), Base3},
		{"v31-base.ae.bin.gz", allVectors("CVSS:3.1/", v3Space), Base3},
	} {
		want := readScores(t, set.file, len(set.vecs))
		for i, v := range set.vecs {
			got, err := set.scorer(v)
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			if int(math.Round(got*10)) != int(want[i]) || got != math.Round(got*10)/10 {
				t.Errorf("%s = %v, want %.1f (%s)", v, got, float64(want[i])/10, set.file)
			}
		}
	}
}

func TestExhaustiveV4(t *testing.T) {
	vecs := allVectors("CVSS:4.0/", [][2]string{{"AV", "NALP"}, {"AC", "LH"}, {"AT", "NP"}, {"PR", "NLH"}, {"UI", "NPA"}, {"VC", "HLN"}, {"VI", "HLN"}, {"VA", "HLN"}, {"SC", "HLN"}, {"SI", "HLN"}, {"SA", "HLN"}})
	want := readScores(t, "v40-base.js-cvss.bin.gz", len(vecs))
	boundary := 0
	for i, v := range vecs {
		got, err := Base4(v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		g := int(math.Round(got * 10))
		if g == int(want[i]) {
			continue
		}
		// The only accepted difference: a score exactly on a .x5
		// boundary, where the reference's float order decides.
		p, _ := parse4(v)
		var e v4Effective
		copy(e[:], p[:v4Scored])
		e[v4E], e[v4CR], e[v4IR], e[v4AR] = 'A', 'H', 'H', 'H'
		raw := score4Raw(e) * 10
		if math.Abs(raw-math.Floor(raw)-0.5) < 1e-6 && (g-int(want[i]) == 1 || g-int(want[i]) == -1) {
			boundary++
			continue
		}
		t.Errorf("%s = %v, want %.1f", v, got, float64(want[i])/10)
	}
	if boundary > 100 {
		t.Errorf("%d boundary differences, expected 72", boundary)
	}
}

// TestOSVVectors scores every CVSS vector of the shared OSV data against
// the two calculators' results.
func TestOSVVectors(t *testing.T) {
	f, err := os.Open("testdata/osv-vectors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		a, _ := strconv.ParseFloat(fields[1], 64)
		b, _ := strconv.ParseFloat(fields[2], 64)
		got, _, err := Base(fields[0])
		if err != nil {
			t.Errorf("%s: %v", fields[0], err)
			continue
		}
		// The calculators score the whole vector; threat metrics (E:) only
		// lower a 4.0 score, so compare those through Score4.
		if strings.HasPrefix(fields[0], "CVSS:4.0/") {
			if got, err = Score4(fields[0]); err != nil {
				t.Fatal(err)
			}
		}
		if got != a && got != b {
			t.Errorf("%s = %v, calculators say %v and %v", fields[0], got, a, b)
		}
		n++
	}
	if n != 179 {
		t.Errorf("%d vectors, want 179", n)
	}
}

func FuzzBase(f *testing.F) {
	for _, s := range []string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N/E:P",
		"AV:N/AC:L/Au:N/C:C/I:C/A:C",
		"(AV:N/AC:M/Au:S/C:P/I:N/A:N/E:POC)",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U/MSI:S",
		"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/CR:L/U:Red",
		"CVSS:4.0/",
		"CVSS:3.1/AV:N/AV:N",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, _, err := Base(v)
		if err != nil {
			return
		}
		if s < 0 || s > 10 || math.IsNaN(s) || s != math.Round(s*10)/10 {
			t.Fatalf("Base(%q) = %v", v, s)
		}
		if strings.HasPrefix(v, "CVSS:4.0/") {
			if s, err := Score4(v); err != nil || s < 0 || s > 10 || math.IsNaN(s) {
				t.Fatalf("Score4(%q) = %v, %v", v, s, err)
			}
		}
	})
}
