package cvss

import (
	"math"
	"strings"
)

// v2Metrics are the metrics of a version 2 vector, base ones first, in the
// order of the specification's tables.
var v2Metrics = []metric{
	{key: "AV", values: vals("L,A,N"), base: true},
	{key: "AC", values: vals("H,M,L"), base: true},
	{key: "Au", values: vals("M,S,N"), base: true},
	{key: "C", values: vals("N,P,C"), base: true},
	{key: "I", values: vals("N,P,C"), base: true},
	{key: "A", values: vals("N,P,C"), base: true},
	{key: "E", values: vals("U,POC,F,H,ND")},
	{key: "RL", values: vals("OF,TF,W,U,ND")},
	{key: "RC", values: vals("UC,UR,C,ND")},
	{key: "CDP", values: vals("N,L,LM,MH,H,ND")},
	{key: "TD", values: vals("N,L,M,H,ND")},
	{key: "CR", values: vals("L,M,H,ND")},
	{key: "IR", values: vals("L,M,H,ND")},
	{key: "AR", values: vals("L,M,H,ND")},
}

// Base2 returns the base score of a CVSS version 2 vector
// ("AV:N/AC:L/Au:N/C:P/I:P/A:P", optionally in parentheses or after
// "CVSS:2.0/"), by the equations of the v2 guide, section 3.2.1.
func Base2(vector string) (float64, error) {
	body := strings.TrimPrefix(vector, "CVSS:2.0/")
	if strings.HasPrefix(body, "(") && strings.HasSuffix(body, ")") {
		body = body[1 : len(body)-1]
	}
	v, err := parseVector(vector, body, v2Metrics)
	if err != nil {
		return 0, err
	}
	av := map[string]float64{"L": 0.395, "A": 0.646, "N": 1.0}[v[0]]
	ac := map[string]float64{"H": 0.35, "M": 0.61, "L": 0.71}[v[1]]
	au := map[string]float64{"M": 0.45, "S": 0.56, "N": 0.704}[v[2]]
	cia := map[string]float64{"N": 0, "P": 0.275, "C": 0.660}
	c, i, a := cia[v[3]], cia[v[4]], cia[v[5]]

	impact := 10.41 * (1 - (1-c)*(1-i)*(1-a))
	exploitability := 20 * av * ac * au
	f := 1.176
	if impact == 0 {
		f = 0
	}
	score := (0.6*impact + 0.4*exploitability - 1.5) * f
	return math.Round(score*10) / 10, nil
}
