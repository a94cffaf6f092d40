package cvss

import (
	"fmt"
	"math"
	"strings"
)

// v3Metrics are the metrics of a version 3.x vector: base, temporal and
// environmental.
var v3Metrics = []metric{
	{key: "AV", values: vals("N,A,L,P"), base: true},
	{key: "AC", values: vals("L,H"), base: true},
	{key: "PR", values: vals("N,L,H"), base: true},
	{key: "UI", values: vals("N,R"), base: true},
	{key: "S", values: vals("U,C"), base: true},
	{key: "C", values: vals("H,L,N"), base: true},
	{key: "I", values: vals("H,L,N"), base: true},
	{key: "A", values: vals("H,L,N"), base: true},
	{key: "E", values: vals("X,H,F,P,U")},
	{key: "RL", values: vals("X,U,W,T,O")},
	{key: "RC", values: vals("X,C,R,U")},
	{key: "CR", values: vals("X,H,M,L")},
	{key: "IR", values: vals("X,H,M,L")},
	{key: "AR", values: vals("X,H,M,L")},
	{key: "MAV", values: vals("X,N,A,L,P")},
	{key: "MAC", values: vals("X,L,H")},
	{key: "MPR", values: vals("X,N,L,H")},
	{key: "MUI", values: vals("X,N,R")},
	{key: "MS", values: vals("X,U,C")},
	{key: "MC", values: vals("X,H,L,N")},
	{key: "MI", values: vals("X,H,L,N")},
	{key: "MA", values: vals("X,H,L,N")},
}

// Base3 returns the base score of a CVSS 3.0 or 3.1 vector by the equations
// of the 3.1 specification, section 7.1. Both versions use 3.1's Roundup,
// which gives 3.0's intended result without its floating-point slips.
func Base3(vector string) (float64, error) {
	body, ok := strings.CutPrefix(vector, "CVSS:3.1/")
	if !ok {
		if body, ok = strings.CutPrefix(vector, "CVSS:3.0/"); !ok {
			return 0, fmt.Errorf("cvss: %q: not a CVSS:3.0 or CVSS:3.1 vector: %w", vector, ErrInvalid)
		}
	}
	v, err := parseVector(vector, body, v3Metrics)
	if err != nil {
		return 0, err
	}
	changed := v[4] == "C"
	av := map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}[v[0]]
	ac := map[string]float64{"L": 0.77, "H": 0.44}[v[1]]
	var pr float64
	switch v[2] {
	case "N":
		pr = 0.85
	case "L":
		pr = 0.62
		if changed {
			pr = 0.68
		}
	case "H":
		pr = 0.27
		if changed {
			pr = 0.5
		}
	}
	ui := map[string]float64{"N": 0.85, "R": 0.62}[v[3]]
	cia := map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
	c, i, a := cia[v[5]], cia[v[6]], cia[v[7]]

	iss := 1 - (1-c)*(1-i)*(1-a)
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	exploitability := 8.22 * av * ac * pr * ui
	if impact <= 0 {
		return 0, nil
	}
	if changed {
		return roundup(math.Min(1.08*(impact+exploitability), 10)), nil
	}
	return roundup(math.Min(impact+exploitability, 10)), nil
}

// roundup is the 3.1 specification's Roundup (Appendix A): the smallest
// number with one decimal at or above x, computed on integers so that
// values like 4.000000000000001 are not pushed to 4.1.
func roundup(x float64) float64 {
	n := int64(math.Round(x * 100000))
	if n%10000 == 0 {
		return float64(n) / 100000
	}
	return float64(n/10000+1) / 10
}
