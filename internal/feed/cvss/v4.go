package cvss

import (
	"fmt"
	"math"
	"strings"
)

// v4Metrics are the metrics of a version 4.0 vector. The order of the base
// metrics is fixed by the specification; the others may follow.
var v4Metrics = []metric{
	{key: "AV", values: vals("N,A,L,P"), base: true},
	{key: "AC", values: vals("L,H"), base: true},
	{key: "AT", values: vals("N,P"), base: true},
	{key: "PR", values: vals("N,L,H"), base: true},
	{key: "UI", values: vals("N,P,A"), base: true},
	{key: "VC", values: vals("H,L,N"), base: true},
	{key: "VI", values: vals("H,L,N"), base: true},
	{key: "VA", values: vals("H,L,N"), base: true},
	{key: "SC", values: vals("H,L,N"), base: true},
	{key: "SI", values: vals("H,L,N"), base: true},
	{key: "SA", values: vals("H,L,N"), base: true},
	{key: "E", values: vals("X,A,P,U")},
	{key: "CR", values: vals("X,H,M,L")},
	{key: "IR", values: vals("X,H,M,L")},
	{key: "AR", values: vals("X,H,M,L")},
	{key: "MAV", values: vals("X,N,A,L,P")},
	{key: "MAC", values: vals("X,L,H")},
	{key: "MAT", values: vals("X,N,P")},
	{key: "MPR", values: vals("X,N,L,H")},
	{key: "MUI", values: vals("X,N,P,A")},
	{key: "MVC", values: vals("X,H,L,N")},
	{key: "MVI", values: vals("X,H,L,N")},
	{key: "MVA", values: vals("X,H,L,N")},
	{key: "MSC", values: vals("X,H,L,N")},
	{key: "MSI", values: vals("X,S,H,L,N")},
	{key: "MSA", values: vals("X,S,H,L,N")},
	{key: "S", values: vals("X,N,P")},
	{key: "AU", values: vals("X,N,Y")},
	{key: "R", values: vals("X,A,U,I")},
	{key: "V", values: vals("X,D,C")},
	{key: "RE", values: vals("X,L,M,H")},
	{key: "U", values: vals("X,Clear,Green,Amber,Red")},
}

// Indexes into the parsed values: the base metrics, then E, CR, IR, AR,
// then the modified base metrics in the same order as the base ones.
const (
	v4AV = iota
	v4AC
	v4AT
	v4PR
	v4UI
	v4VC
	v4VI
	v4VA
	v4SC
	v4SI
	v4SA
	v4E
	v4CR
	v4IR
	v4AR
	v4MAV // v4MAV+i modifies base metric i

	v4Base   = v4E   // number of base metrics
	v4Scored = v4MAV // number of metrics the score depends on
)

// Base4 returns the CVSS-B score of a CVSS 4.0 vector: the base metrics
// alone, with any threat and environmental metrics taken as Not Defined.
func Base4(vector string) (float64, error) {
	v, err := parse4(vector)
	if err != nil {
		return 0, err
	}
	var e v4Effective
	copy(e[:v4Base], v[:v4Base])
	e[v4E], e[v4CR], e[v4IR], e[v4AR] = 'A', 'H', 'H', 'H'
	return score4(e), nil
}

// Score4 returns the score of a CVSS 4.0 vector with every metric it
// gives: CVSS-B, -BT, -BE or -BTE depending on the metrics present.
func Score4(vector string) (float64, error) {
	v, err := parse4(vector)
	if err != nil {
		return 0, err
	}
	var e v4Effective
	for i := range v4Scored {
		e[i] = v[i]
		if i < v4Base && v[v4MAV+i] != 0 && v[v4MAV+i] != 'X' {
			e[i] = v[v4MAV+i]
		}
	}
	// Not Defined means the worst case: attacked, High requirements.
	for i, worst := range map[int]byte{v4E: 'A', v4CR: 'H', v4IR: 'H', v4AR: 'H'} {
		if e[i] == 0 || e[i] == 'X' {
			e[i] = worst
		}
	}
	return score4(e), nil
}

// parse4 checks a 4.0 vector and returns the first letter of each metric's
// value (0 when absent), indexed like v4Metrics.
func parse4(vector string) ([]byte, error) {
	body, ok := strings.CutPrefix(vector, "CVSS:4.0/")
	if !ok {
		return nil, fmt.Errorf("cvss: %q: not a CVSS:4.0 vector: %w", vector, ErrInvalid)
	}
	v, err := parseVector(vector, body, v4Metrics)
	if err != nil {
		return nil, err
	}
	// The specification requires the base metrics first, in order.
	i := 0
	for part := range strings.SplitSeq(body, "/") {
		if i < v4Base && !strings.HasPrefix(part, v4Metrics[i].key+":") {
			return nil, fmt.Errorf("cvss: %q: base metrics out of order at %q: %w", vector, part, ErrInvalid)
		}
		i++
	}
	out := make([]byte, len(v))
	for i, s := range v {
		if s != "" {
			out[i] = s[0]
		}
	}
	return out, nil
}

// v4Effective holds the effective value of each scored metric: a modified
// base metric replaces its base metric, and E, CR, IR, AR are never Not
// Defined.
type v4Effective [v4Scored]byte

// macroVector returns the six equivalence-set levels (EQ1…EQ6).
func (b v4Effective) macroVector() [6]int {
	var eq [6]int
	av, pr, ui := b[v4AV], b[v4PR], b[v4UI]
	switch {
	case av == 'N' && pr == 'N' && ui == 'N':
		eq[0] = 0
	case (av == 'N' || pr == 'N' || ui == 'N') && av != 'P':
		eq[0] = 1
	default:
		eq[0] = 2
	}
	if b[v4AC] != 'L' || b[v4AT] != 'N' {
		eq[1] = 1
	}
	vc, vi, va := b[v4VC], b[v4VI], b[v4VA]
	switch {
	case vc == 'H' && vi == 'H':
		eq[2] = 0
	case vc == 'H' || vi == 'H' || va == 'H':
		eq[2] = 1
	default:
		eq[2] = 2
	}
	// Safety (S) only comes from MSI/MSA, already folded into SI/SA.
	switch {
	case b[v4SI] == 'S' || b[v4SA] == 'S':
		eq[3] = 0
	case b[v4SC] == 'H' || b[v4SI] == 'H' || b[v4SA] == 'H':
		eq[3] = 1
	default:
		eq[3] = 2
	}
	switch b[v4E] {
	case 'P':
		eq[4] = 1
	case 'U':
		eq[4] = 2
	}
	if !(b[v4CR] == 'H' && vc == 'H' || b[v4IR] == 'H' && vi == 'H' || b[v4AR] == 'H' && va == 'H') {
		eq[5] = 1
	}
	return eq
}

// v4Order lists each scored metric's values from the most severe; a
// value's severity level is its position in tenths. SC has no S, so its H
// sits at 0.1 like SI's and SA's.
var v4Order = [v4Scored]string{
	v4AV: "NALP", v4AC: "LH", v4AT: "NP", v4PR: "NLH", v4UI: "NPA",
	v4VC: "HLN", v4VI: "HLN", v4VA: "HLN", v4SC: "SHLN", v4SI: "SHLN", v4SA: "SHLN",
	v4E: "APU", v4CR: "HML", v4IR: "HML", v4AR: "HML",
}

// v4Level is the severity level of a metric value: the reference's
// literals 0.0, 0.1, 0.2 and 0.3 (not multiples of 0.1, which differ in the
// last bit for 0.3).
func v4Level(metric int, val byte) float64 {
	levels := [...]float64{0.0, 0.1, 0.2, 0.3}
	if i := strings.IndexByte(v4Order[metric], val); i >= 0 {
		return levels[i]
	}
	return 0
}

// score4 rounds half up to one decimal, as the reference does with
// Math.round; the float operations before it follow the reference's order,
// so that results on a .x5 boundary round the same way.
func score4(e v4Effective) float64 {
	return math.Floor(score4Raw(e)*10+0.5) / 10
}

// score4Raw is the specification's method (section 8.2): the score of the
// vector's MacroVector, lowered by the mean proportional distance to the
// next lower MacroVector in each equivalence set.
func score4Raw(b v4Effective) float64 {
	if b[v4VC] == 'N' && b[v4VI] == 'N' && b[v4VA] == 'N' && b[v4SC] == 'N' && b[v4SI] == 'N' && b[v4SA] == 'N' {
		return 0
	}
	eq := b.macroVector()
	value, _ := v4Lookup(eq)

	lower := func(d [6]int) (float64, bool) {
		for i := range eq {
			d[i] += eq[i]
		}
		return v4Lookup(d)
	}
	next1, ok1 := lower([6]int{1, 0, 0, 0, 0, 0})
	next2, ok2 := lower([6]int{0, 1, 0, 0, 0, 0})
	var next36 float64
	var ok36 bool
	switch {
	case eq[2] == 1 && eq[5] == 1, eq[2] == 0 && eq[5] == 1:
		next36, ok36 = lower([6]int{0, 0, 1, 0, 0, 0})
	case eq[2] == 1 && eq[5] == 0:
		next36, ok36 = lower([6]int{0, 0, 0, 0, 0, 1})
	case eq[2] == 0 && eq[5] == 0:
		// Two ways down: the higher of the two, and none when either is
		// missing (the reference's Math.max gives NaN then).
		left, okL := lower([6]int{0, 0, 0, 0, 0, 1})
		right, okR := lower([6]int{0, 0, 1, 0, 0, 0})
		next36, ok36 = math.Max(left, right), okL && okR
	default:
		next36, ok36 = lower([6]int{0, 0, 1, 0, 0, 1})
	}
	next4, ok4 := lower([6]int{0, 0, 0, 1, 0, 0})
	_, ok5 := lower([6]int{0, 0, 0, 0, 1, 0})

	// Distances from the first highest-severity vector of the MacroVector
	// that is at least as severe in every metric; if none is, the last one
	// tried (as the reference does).
	var d [v4Scored]float64
	for _, maxv := range v4MaxVectors(eq) {
		neg := false
		for i := range d {
			d[i] = v4Level(i, b[i]) - v4Level(i, maxv[i])
			if d[i] < 0 {
				neg = true
			}
		}
		if !neg {
			break
		}
	}
	dist1 := d[v4AV] + d[v4PR] + d[v4UI]
	dist2 := d[v4AC] + d[v4AT]
	dist36 := d[v4VC] + d[v4VI] + d[v4VA] + d[v4CR] + d[v4IR] + d[v4AR]
	dist4 := d[v4SC] + d[v4SI] + d[v4SA]

	const step = 0.1
	n := 0
	sum := 0.0
	if ok1 {
		n++
		sum += (value - next1) * (dist1 / (float64(v4MaxSeverity1[eq[0]]) * step))
	}
	if ok2 {
		n++
		sum += (value - next2) * (dist2 / (float64(v4MaxSeverity2[eq[1]]) * step))
	}
	if ok36 {
		n++
		sum += (value - next36) * (dist36 / (float64(v4MaxSeverity36[eq[2]][eq[5]]) * step))
	}
	if ok4 {
		n++
		sum += (value - next4) * (dist4 / (float64(v4MaxSeverity4[eq[3]]) * step))
	}
	if ok5 {
		// EQ5 has one value per level: its proportion is always 0.
		n++
	}
	if n > 0 {
		value -= sum / float64(n)
	}
	return math.Min(math.Max(value, 0), 10)
}

// v4MaxVectors lists the highest-severity vectors of a MacroVector, as
// effective values, in the reference implementation's order.
func v4MaxVectors(eq [6]int) []v4Effective {
	var out []v4Effective
	for _, p1 := range v4MaxComposed1[eq[0]] {
		for _, p2 := range v4MaxComposed2[eq[1]] {
			for _, p36 := range v4MaxComposed36[eq[2]][eq[5]] {
				for _, p4 := range v4MaxComposed4[eq[3]] {
					var m v4Effective
					for _, s := range []string{p1, p2, p36, p4, v4MaxComposed5[eq[4]]} {
						for part := range strings.SplitSeq(s, "/") {
							k, val, _ := strings.Cut(part, ":")
							for i := range v4Scored {
								if v4Metrics[i].key == k {
									m[i] = val[0]
								}
							}
						}
					}
					out = append(out, m)
				}
			}
		}
	}
	return out
}

func v4Lookup(eq [6]int) (float64, bool) {
	var key [6]byte
	for i, e := range eq {
		if e < 0 || e > 9 {
			return 0, false
		}
		key[i] = byte('0' + e)
	}
	s, ok := v4MacroScores[string(key[:])]
	return s, ok
}
