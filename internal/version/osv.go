package version

import (
	"fmt"
	"slices"
)

// OSV range types (affected[].ranges[].type).
const (
	RangeEcosystem = "ECOSYSTEM"
	RangeSemVer    = "SEMVER"
	RangeGit       = "GIT"
)

// Range is one entry of an OSV affected[].ranges list.
type Range struct {
	Type   string
	Events []Event
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string
	Fixed        string
	LastAffected string
	Limit        string
}

// Affected reports whether version of a package in ecosystem is affected
// according to the ranges and versions of one OSV affected[] entry, with the
// OSV schema's semantics:
//
//   - the version is affected when it is listed in versions (compared as
//     versions of the ecosystem, or as strings when one does not parse), or
//     when it falls in any range;
//   - GIT ranges are ignored (they need commit history, not versions);
//     ECOSYSTEM ranges use the ecosystem's scheme, SEMVER ranges SemVer 2.0
//     (Bitnami's: its own scheme, SemVer with a packaging revision);
//   - a range's events are sorted by version, whatever their order in the
//     data; walking them up to the version, introduced makes it affected,
//     fixed (at or below the version) and last_affected (below it) make it
//     not affected; introduced "0" means since the first version;
//   - when a range has limit events, the version must also be below one of
//     them ("*" is no limit).
//
// An event version at the same place as another sorts introduced first, then
// last_affected, then fixed, so "introduced: X, fixed: X" affects nothing.
// The error reports a version or event that cannot be read, or an unknown
// range type.
func Affected(ecosystem, version string, ranges []Range, versions []string) (bool, error) {
	eco, _ := lookup(ecosystem)
	v, err := eco.Parse(version)
	if err != nil {
		return false, err
	}
	for _, listed := range versions {
		if listed == version {
			return true, nil
		}
		if w, err := eco.Parse(listed); err == nil && v.Compare(w) == 0 {
			return true, nil
		}
	}
	for i, r := range ranges {
		var scheme Scheme
		target := v
		switch r.Type {
		case RangeGit:
			continue
		case RangeEcosystem:
			scheme = eco
		case RangeSemVer:
			if _, ok := eco.(bitnamiScheme); ok {
				// Bitnami's SEMVER ranges name upstream releases, which
				// its versions extend with a packaging revision.
				scheme = eco
				break
			}
			scheme = semverPlain
			if target, err = scheme.Parse(version); err != nil {
				return false, fmt.Errorf("version: range %d (SEMVER): %w", i, err)
			}
		default:
			return false, fmt.Errorf("version: range %d: unknown range type %q", i, r.Type)
		}
		in, err := inRange(scheme, target, r.Events)
		if err != nil {
			return false, fmt.Errorf("version: range %d (%s): %w", i, r.Type, err)
		}
		if in {
			return true, nil
		}
	}
	return false, nil
}

// Event kinds, in the order they take when their versions are equal.
const (
	evIntroduced = iota
	evLastAffected
	evFixed
	evLimit
)

type parsedEvent struct {
	kind int
	zero bool // introduced "0": before every version
	v    Version
}

func parseEvent(scheme Scheme, e Event) (parsedEvent, error) {
	var kind, set int
	var s string
	for k, field := range [...]string{e.Introduced, e.LastAffected, e.Fixed, e.Limit} {
		if field != "" {
			kind, s = k, field
			set++
		}
	}
	if set != 1 {
		return parsedEvent{}, fmt.Errorf("event %+v: exactly one of introduced, fixed, last_affected, limit must be set", e)
	}
	if kind == evIntroduced && s == "0" {
		return parsedEvent{kind: kind, zero: true}, nil
	}
	if kind == evLimit && s == "*" {
		return parsedEvent{kind: kind}, nil
	}
	v, err := scheme.Parse(s)
	if err != nil {
		return parsedEvent{}, err
	}
	return parsedEvent{kind: kind, v: v}, nil
}

func inRange(scheme Scheme, v Version, events []Event) (bool, error) {
	parsed := make([]parsedEvent, 0, len(events))
	var limits []parsedEvent
	for _, e := range events {
		p, err := parseEvent(scheme, e)
		if err != nil {
			return false, err
		}
		if p.kind == evLimit {
			limits = append(limits, p)
			continue
		}
		parsed = append(parsed, p)
	}
	slices.SortStableFunc(parsed, func(a, b parsedEvent) int {
		switch {
		case a.zero && b.zero:
			return 0
		case a.zero:
			return -1
		case b.zero:
			return 1
		}
		if c := a.v.Compare(b.v); c != 0 {
			return c
		}
		return a.kind - b.kind
	})
	affected := false
	for _, e := range parsed {
		switch e.kind {
		case evIntroduced:
			if e.zero || v.Compare(e.v) >= 0 {
				affected = true
			}
		case evFixed:
			if v.Compare(e.v) >= 0 {
				affected = false
			}
		case evLastAffected:
			if v.Compare(e.v) > 0 {
				affected = false
			}
		}
	}
	if !affected || len(limits) == 0 {
		return affected, nil
	}
	for _, l := range limits {
		if l.v == nil || v.Compare(l.v) < 0 {
			return true, nil
		}
	}
	return false, nil
}
