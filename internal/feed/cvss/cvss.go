// Package cvss computes CVSS base scores from vector strings: version 2.0,
// 3.0, 3.1 and 4.0, as FIRST's specifications define them.
package cvss

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid is wrapped by every error about a vector that cannot be scored.
var ErrInvalid = errors.New("invalid CVSS vector")

// Version is a CVSS major version.
type Version int

// Versions Base understands.
const (
	V2 Version = 2
	V3 Version = 3
	V4 Version = 4
)

// Base returns the base score of a vector, detecting the version from its
// prefix: "CVSS:4.0/" and "CVSS:3.x/" for the newer versions, none (or
// "CVSS:2.0/", or the whole vector in parentheses) for version 2. Temporal,
// threat, environmental and supplemental metrics are checked but do not
// change the result: it is always the base score.
func Base(vector string) (float64, Version, error) {
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		s, err := Base4(vector)
		return s, V4, err
	case strings.HasPrefix(vector, "CVSS:3."):
		s, err := Base3(vector)
		return s, V3, err
	case strings.HasPrefix(vector, "CVSS:"):
		if strings.HasPrefix(vector, "CVSS:2.0/") {
			s, err := Base2(vector)
			return s, V2, err
		}
		return 0, 0, fmt.Errorf("cvss: %q: unknown version: %w", vector, ErrInvalid)
	}
	s, err := Base2(vector)
	return s, V2, err
}

// metric is one allowed key of a vector with its allowed values.
type metric struct {
	key    string
	values []string
	base   bool // mandatory
}

// parseVector splits "K:V/K:V…" into values indexed like defs, checking
// that every key is known, appears once, has an allowed value, and that
// every base metric is there.
func parseVector(vector, body string, defs []metric) ([]string, error) {
	vals := make([]string, len(defs))
	if body == "" {
		return nil, fmt.Errorf("cvss: %q: empty: %w", vector, ErrInvalid)
	}
	for part := range strings.SplitSeq(body, "/") {
		k, v, ok := strings.Cut(part, ":")
		if !ok || v == "" {
			return nil, fmt.Errorf("cvss: %q: %q is not KEY:VALUE: %w", vector, part, ErrInvalid)
		}
		i := -1
		for j := range defs {
			if defs[j].key == k {
				i = j
				break
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("cvss: %q: unknown metric %q: %w", vector, k, ErrInvalid)
		}
		if vals[i] != "" {
			return nil, fmt.Errorf("cvss: %q: metric %s given twice: %w", vector, k, ErrInvalid)
		}
		if !slices.Contains(defs[i].values, v) {
			return nil, fmt.Errorf("cvss: %q: %s:%s is not an allowed value: %w", vector, k, v, ErrInvalid)
		}
		vals[i] = v
	}
	for i, d := range defs {
		if d.base && vals[i] == "" {
			return nil, fmt.Errorf("cvss: %q: base metric %s missing: %w", vector, d.key, ErrInvalid)
		}
	}
	return vals, nil
}

func vals(s string) []string { return strings.Split(s, ",") }
