package match

import (
	"slices"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/version"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// hit is one advisory entry's verdict on one package.
type hit struct {
	m        *vulndb.Match
	affected bool
	// status is the finding's status when affected: fixed (a fix exists),
	// not-fixed, or the distribution's own word.
	status advisory.Status
	// fixes are the fixed versions above the installed one, lowest first.
	fixes []string
	// rank orders sources by authority: a distribution's tracker (0) over
	// OSV's copy of the same data (1).
	rank int
}

// evaluate decides whether version ver (in ecosystem eco's scheme) is
// affected by one entry.
func evaluate(eco, ver string, m *vulndb.Match) (hit, error) {
	h := hit{m: m, rank: rank(m.Source)}
	a := &m.Affected
	ranges := toVersionRanges(a.Ranges)
	hasData := len(a.Versions) > 0 || len(ranges) > 0
	affected := false
	if hasData {
		var err error
		if affected, err = version.Affected(eco, ver, ranges, a.Versions); err != nil {
			return hit{}, err
		}
	}
	switch a.Status {
	case advisory.StatusNotAffected:
		return h, nil
	case advisory.StatusNotFixed, advisory.StatusWontFix, advisory.StatusPostponed, advisory.StatusUnimportant:
		// Open in the distribution: affected unless ranges say otherwise.
		h.affected = affected || !hasData
		h.status = a.Status
		return h, nil
	case advisory.StatusAffected:
		// Undetermined without ranges is still a statement that the
		// release is affected.
		if !hasData {
			h.affected, h.status = true, advisory.StatusAffected
			return h, nil
		}
	}
	// Fixed, or plain OSV: the ranges decide.
	if !affected {
		return h, nil
	}
	h.affected = true
	fixes, err := fixesAbove(eco, ver, ranges)
	if err != nil {
		return hit{}, err
	}
	h.fixes = fixes
	switch {
	case len(fixes) > 0:
		h.status = advisory.StatusFixed
	case a.Status == advisory.StatusAffected:
		h.status = advisory.StatusAffected
	default:
		h.status = advisory.StatusNotFixed
	}
	return h, nil
}

// fixesAbove returns the fixed events of the ranges that contain ver and lie
// above it: the versions to upgrade to.
func fixesAbove(eco, ver string, ranges []version.Range) ([]string, error) {
	var out []string
	for _, r := range ranges {
		if r.Type == version.RangeGit {
			continue
		}
		in, err := version.Affected(eco, ver, []version.Range{r}, nil)
		if err != nil || !in {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed == "" {
				continue
			}
			c, err := version.Compare(eco, e.Fixed, ver)
			if err != nil {
				return nil, err
			}
			if c > 0 {
				out = append(out, e.Fixed)
			}
		}
	}
	return sortVersions(eco, out), nil
}

// sortVersions sorts and de-duplicates versions in eco's order.
func sortVersions(eco string, vs []string) []string {
	if len(vs) == 0 {
		return nil
	}
	slices.SortFunc(vs, func(a, b string) int {
		if c, err := version.Compare(eco, a, b); err == nil && c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(vs)
}

func toVersionRanges(rs []advisory.Range) []version.Range {
	if len(rs) == 0 {
		return nil
	}
	out := make([]version.Range, len(rs))
	for i, r := range rs {
		evs := make([]version.Event, len(r.Events))
		for j, e := range r.Events {
			evs[j] = version.Event(e)
		}
		out[i] = version.Range{Type: r.Type, Events: evs}
	}
	return out
}

// rank is a source's authority on a distribution package: the tracker feeds
// ("debian", "alpine" …) speak for the distribution; OSV ("osv/…") repeats
// or reshapes what they say.
func rank(source string) int {
	if strings.HasPrefix(source, "osv") {
		return 1
	}
	return 0
}
