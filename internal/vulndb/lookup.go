package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
)

// Key is one (ecosystem, package) pair, the unit of matching and of
// re-assessment. Package is normalised (NormalizeName).
type Key struct {
	Ecosystem string
	Package   string
}

// Match is one affected entry of one advisory for the package looked up,
// with everything the matcher needs to decide and report.
type Match struct {
	// ID is the advisory's id in its source; Source names the source.
	ID     string
	Source string
	// Summary is the advisory's one-line summary as its source wrote it,
	// empty when it has none.
	Summary string
	// Aliases are the other ids of the advisory's alias group (its own
	// aliases and those of every record sharing an id with it), sorted.
	Aliases []string
	// Affected is the entry naming the package: ranges, versions, the
	// distribution's status and per-package severity. Package is spelled
	// as the source spelled it.
	Affected advisory.Affected
	// Severity is the advisory's own severity list (CVSS vectors with base
	// scores, distro severities).
	Severity            []advisory.Score
	Published, Modified time.Time
	// KEV and EPSS hold the enrichment entries of the CVE ids of the alias
	// group, empty when none.
	KEV  []advisory.KEV
	EPSS []advisory.EPSS
}

// kevTuple and epssText are how queries return enrichment entries: KEV
// entries (rare) as a JSON array of tuples, EPSS scores as "cve score
// percentile date" separated by ';', which reads back without a JSON
// decoder. (Returning an EPSS entry as four columns costs more: with
// modernc.org/sqlite every column of every row is a few calls into SQLite.)
const (
	kevTuple = `json_array(k.cve, k.date_added, k.due_date, k.ransomware, k.vendor, k.product, k.required_action)`
	epssText = `printf('%s %.17g %.17g %s', e.cve, e.score, e.percentile, COALESCE(e.date, ''))`
)

// affectingQuery reads every live advisory affecting one key with its group
// and enrichment in one statement, together with the generation token of
// the snapshot it read (a constant subquery, evaluated once). The affected
// rows are adjacent in their clustered primary key and carry what is needed
// of their advisories; a row costs a probe for its group (usually absent),
// and the group's CVE (the group row's, or the advisory's own when it is
// alone) is usually a single one, joined to kev and epss by primary key.
// Only groups with several CVEs walk their JSON list.
const affectingQuery = `
SELECT (SELECT token FROM generation), f.data, f.summary, g.ids,
	CASE
		WHEN k.cve IS NOT NULL THEN json_array(` + kevTuple + `)
		WHEN IIF(g.grp IS NULL, f.cve, g.cve) IS NULL AND IIF(g.grp IS NULL, f.cves, g.cves) IS NOT NULL THEN (
			SELECT json_group_array(` + kevTuple + `)
			FROM json_each(IIF(g.grp IS NULL, f.cves, g.cves)) c JOIN kev k ON k.cve = c.value)
	END,
	CASE
		WHEN e.cve IS NOT NULL THEN ` + epssText + `
		WHEN IIF(g.grp IS NULL, f.cve, g.cve) IS NULL AND IIF(g.grp IS NULL, f.cves, g.cves) IS NOT NULL THEN (
			SELECT group_concat(` + epssText + `, ';')
			FROM json_each(IIF(g.grp IS NULL, f.cves, g.cves)) c JOIN epss e ON e.cve = c.value)
	END
FROM affected f
LEFT JOIN groups g ON g.grp = f.grp
LEFT JOIN kev k ON k.cve = IIF(g.grp IS NULL, f.cve, g.cve)
LEFT JOIN epss e ON e.cve = IIF(g.grp IS NULL, f.cve, g.cve)
WHERE f.ecosystem = ? AND f.package = ? AND f.live
ORDER BY f.adv, f.n`

// tokenQuery reads the generation token alone, to tell whether cached
// lookups still hold.
const tokenQuery = `SELECT token FROM generation`

// Affecting returns the affected entries of the advisories, not withdrawn,
// that name a package: ecosystem is the OSV ecosystem with its release
// ("Debian:12", "Alpine:v3.20", "npm", "Go") and pkg the package name as
// found (it is normalised like stored names; see NormalizeName). Entries are
// in storage order; nil when there are none.
//
// Results are cached in memory until the database changes (see
// Options.LookupCache), so the matches returned are shared between callers:
// they and the slices they hold must not be modified (appending to the
// returned slice is safe).
func (db *DB) Affecting(ctx context.Context, ecosystem, pkg string) ([]Match, error) {
	eco := strings.TrimSpace(ecosystem)
	key := Key{Ecosystem: eco, Package: NormalizeName(eco, pkg)}
	if db.cache.has(key) {
		// Only a key seen before costs the token check: a first lookup
		// learns the token from its own query.
		var token int64
		if err := db.token.QueryRowContext(ctx).Scan(&token); err != nil {
			return nil, db.fileErr(err)
		}
		if ms, ok := db.cache.get(token, key); ok {
			return ms, nil
		}
	}
	token, ms, err := db.query(ctx, key)
	if err != nil {
		return nil, err
	}
	if ms != nil {
		// A key without matches returns no row, hence no token; asking
		// it again costs no more than checking a token would.
		db.cache.put(token, key, ms)
	}
	return ms[:len(ms):len(ms)], nil
}

// query runs affectingQuery for one key.
func (db *DB) query(ctx context.Context, key Key) (int64, []Match, error) {
	rows, err := db.affecting.QueryContext(ctx, key.Ecosystem, key.Package)
	if err != nil {
		return 0, nil, db.fileErr(err)
	}
	defer rows.Close()
	var (
		out   []Match
		token int64
		dates dateMemo
	)
	for rows.Next() {
		var r matchRow
		if err := rows.Scan(&token, &r.data, &r.summary, &r.groupIDs, &r.kev, &r.epss); err != nil {
			return 0, nil, db.fileErr(err)
		}
		var m Match
		if err := m.fill(key.Ecosystem, &r, &dates); err != nil {
			return 0, nil, fmt.Errorf("vulndb: %s: %s %s: %s: %w", db.path, key.Ecosystem, key.Package, m.ID, err)
		}
		if len(out) == cap(out) {
			// Doubling: append grows large slices by a quarter, copying a
			// key with thousands of matches many times over.
			out = slices.Grow(out, max(8, len(out)))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, db.fileErr(err)
	}
	return token, out, nil
}

// matchRow is one row of affectingQuery after the token.
type matchRow struct {
	data, summary, groupIDs, kev, epss sql.RawBytes
}

// dateMemo parses the dates of one lookup's EPSS entries, which are
// nearly all the same day.
type dateMemo struct {
	s string
	t time.Time
}

func (d *dateMemo) parse(s string) (time.Time, error) {
	if s == d.s && s != "" {
		return d.t, nil
	}
	t, err := parseTime(s)
	if err != nil {
		return time.Time{}, err
	}
	d.s, d.t = s, t
	return t, nil
}

func (m *Match) fill(eco string, r *matchRow, dates *dateMemo) error {
	if err := decodeMatch(r.data, m); err != nil {
		return err
	}
	m.Summary = string(r.summary)
	m.Affected.Ecosystem = eco
	if r.groupIDs != nil {
		// The group's ids, sorted, include the advisory's own.
		ids, err := parseJSONStrings(string(r.groupIDs))
		if err != nil {
			return fmt.Errorf("group ids: %w", err)
		}
		m.Aliases = m.Aliases[:0]
		for _, id := range ids {
			if id != m.ID {
				m.Aliases = append(m.Aliases, id)
			}
		}
		if len(m.Aliases) == 0 {
			m.Aliases = nil
		}
	} else {
		// Alone in its group: its own aliases.
		slices.Sort(m.Aliases)
	}
	var err error
	if len(r.kev) > 0 {
		if m.KEV, err = decodeKEVs(string(r.kev)); err != nil {
			return err
		}
	}
	m.EPSS, err = decodeEPSSs(string(r.epss), dates)
	return err
}

// decodeKEVs reads the json_group_array of (cve, added, due, ransomware,
// vendor, product, action) tuples the queries build.
func decodeKEVs(s string) ([]advisory.KEV, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var raw [][]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("kev: %w", err)
	}
	out := make([]advisory.KEV, len(raw))
	for i, r := range raw {
		if len(r) != 7 {
			return nil, fmt.Errorf("kev: tuple of %d fields", len(r))
		}
		var added, due *string
		var ransomware int
		k := &out[i]
		for j, dst := range []any{&k.CVE, &added, &due, &ransomware, &k.Vendor, &k.Product, &k.RequiredAction} {
			if err := json.Unmarshal(r[j], dst); err != nil {
				return nil, fmt.Errorf("kev: %w", err)
			}
		}
		k.Ransomware = ransomware != 0
		var err error
		if added != nil {
			if k.DateAdded, err = parseTime(*added); err != nil {
				return nil, err
			}
		}
		if due != nil {
			if k.DueDate, err = parseTime(*due); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// decodeEPSSs reads the epssText entries the queries build; dates, when
// not nil, remembers the last date parsed.
func decodeEPSSs(s string, dates *dateMemo) ([]advisory.EPSS, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]advisory.EPSS, 0, strings.Count(s, ";")+1)
	for entry := range strings.SplitSeq(s, ";") {
		f := strings.Split(entry, " ")
		if len(f) != 4 {
			return nil, fmt.Errorf("epss: bad entry %q", entry)
		}
		score, err1 := strconv.ParseFloat(f[1], 64)
		pct, err2 := strconv.ParseFloat(f[2], 64)
		if dates == nil {
			dates = &dateMemo{}
		}
		date, err3 := dates.parse(f[3])
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("epss: entry %q: %w", entry, err)
		}
		out = append(out, advisory.EPSS{CVE: f[0], Score: score, Percentile: pct, Date: date})
	}
	return out, nil
}
