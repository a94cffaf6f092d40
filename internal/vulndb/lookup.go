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
// percentile date" (epss.line, formatted when stored) separated by ';',
// which reads back without a JSON decoder. (Returning an EPSS entry as
// four columns costs more: with modernc.org/sqlite every column of every
// row is a few calls into SQLite.)
const (
	kevTuple = `json_array(k.cve, k.date_added, k.due_date, k.ransomware, k.vendor, k.product, k.required_action)`
	epssText = `e.cve || ' ' || e.line`
)

// affectingQuery reads a key's matches row, with the generation token of
// the snapshot it read (a constant subquery, evaluated once) and the KEV
// and EPSS entries of the row's CVE ids (stored as JSONB, which json_each
// reads without parsing), each joined by primary key. The row carries
// everything else a lookup returns, alias groups included. The blobs come
// back as text, which the driver hands over with one copy instead of two.
const affectingQuery = `
SELECT (SELECT token FROM generation), CAST(m.data AS TEXT), COALESCE(CAST(m.groups AS TEXT), ''),
	(SELECT json_group_array(` + kevTuple + `) FROM json_each(m.kev) c JOIN kev k ON k.cve = c.value),
	(SELECT group_concat(` + epssText + `, ';') FROM json_each(m.cves) c JOIN epss e ON e.cve = c.value)
FROM matches m
WHERE m.ecosystem = ? AND m.package = ?`

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
	if !rows.Next() {
		return 0, nil, db.fileErr(rows.Err())
	}
	var (
		token int64
		r     matchesColumns
	)
	if err := rows.Scan(&token, &r.data, &r.groups, &r.kev, &r.epss); err != nil {
		return 0, nil, db.fileErr(err)
	}
	ms, err := r.matches(key.Ecosystem)
	if err != nil {
		return 0, nil, fmt.Errorf("vulndb: %s: %s %s: %w", db.path, key.Ecosystem, key.Package, err)
	}
	return token, ms, rows.Close()
}

// matchesColumns is the row of affectingQuery after the token.
type matchesColumns struct {
	data, groups string
	kev, epss    sql.RawBytes
}

// matches decodes the row: the entries, then each one's alias group and
// enrichment.
func (r *matchesColumns) matches(eco string) ([]Match, error) {
	ms, advs, err := decodeMatches(r.data, eco)
	if err != nil {
		return nil, err
	}
	var grouped []groupedAdv
	if len(r.groups) > 0 {
		if grouped, err = groupedAdvs(r.groups); err != nil {
			return nil, err
		}
	}
	kevs, err := decodeKEVs(string(r.kev))
	if err != nil {
		return nil, err
	}
	epss, err := decodeEPSSs(string(r.epss), nil)
	if err != nil {
		return nil, err
	}
	if len(grouped) == 0 && len(kevs) == 0 && len(epss) == 0 {
		return ms, nil
	}
	// The group of each match: both lists are in advisory order. The
	// aliases of the grouped matches share one allocation.
	groupIDs := make([][]string, len(ms))
	aliases := 0
	for i, j := 0, 0; i < len(ms) && j < len(grouped); {
		switch {
		case advs[i] < grouped[j].adv:
			i++
		case advs[i] > grouped[j].adv:
			j++
		default:
			groupIDs[i] = grouped[j].ids
			aliases += len(grouped[j].ids)
			i++
		}
	}
	pool := make([]string, 0, aliases)
	// The entries come in the order of the row's CVE ids, which are
	// sorted; sorting again costs nothing then, and keeps the binary
	// searches below right whatever order the join produced.
	slices.SortFunc(kevs, func(a, b advisory.KEV) int { return strings.Compare(a.CVE, b.CVE) })
	slices.SortFunc(epss, func(a, b advisory.EPSS) int { return strings.Compare(a.CVE, b.CVE) })
	// Each match's KEV and EPSS entries, found as indexes into kevs and
	// epss (ends[i] is where match i's end in hits), are copied into one
	// pool of each, of the size found, which the matches' slices share.
	var (
		hits        []int32
		kevEnd      []int32
		epssEnd     []int32
		nKEV, nEPSS int
	)
	if len(kevs) > 0 || len(epss) > 0 {
		hits = make([]int32, 0, 2*len(ms))
		kevEnd = make([]int32, len(ms))
		epssEnd = make([]int32, len(ms))
	}
	var cves []string
	for i := range ms {
		m := &ms[i]
		ids := groupIDs[i]
		if ids != nil {
			// The group's ids, sorted, include the advisory's own.
			start := len(pool)
			for _, id := range ids {
				if id != m.ID {
					pool = append(pool, id)
				}
			}
			m.Aliases = nil
			if len(pool) > start {
				m.Aliases = pool[start:len(pool):len(pool)]
			}
		}
		if len(kevs) == 0 && len(epss) == 0 {
			continue
		}
		// The CVE ids of the group: its ids, or the advisory's own.
		cves = cves[:0]
		if ids == nil {
			ids = m.Aliases
			if isCVE(m.ID) {
				cves = append(cves, m.ID)
			}
		}
		for _, id := range ids {
			if isCVE(id) {
				cves = append(cves, id)
			}
		}
		if groupIDs[i] == nil {
			slices.Sort(cves)
		}
		for _, c := range cves {
			if j, ok := slices.BinarySearchFunc(kevs, c, func(k advisory.KEV, c string) int { return strings.Compare(k.CVE, c) }); ok {
				hits = append(hits, int32(j))
				nKEV++
			}
		}
		kevEnd[i] = int32(len(hits))
		for _, c := range cves {
			if j, ok := slices.BinarySearchFunc(epss, c, func(e advisory.EPSS, c string) int { return strings.Compare(e.CVE, c) }); ok {
				hits = append(hits, int32(j))
				nEPSS++
			}
		}
		epssEnd[i] = int32(len(hits))
	}
	if nKEV+nEPSS == 0 {
		return ms, nil
	}
	kevPool := make([]advisory.KEV, 0, nKEV)
	epssPool := make([]advisory.EPSS, 0, nEPSS)
	start := int32(0)
	for i := range ms {
		m := &ms[i]
		k := len(kevPool)
		for _, j := range hits[start:kevEnd[i]] {
			kevPool = append(kevPool, kevs[j])
		}
		e := len(epssPool)
		for _, j := range hits[kevEnd[i]:epssEnd[i]] {
			epssPool = append(epssPool, epss[j])
		}
		start = epssEnd[i]
		if len(kevPool) > k {
			m.KEV = kevPool[k:len(kevPool):len(kevPool)]
		}
		if len(epssPool) > e {
			m.EPSS = epssPool[e:len(epssPool):len(epssPool)]
		}
	}
	return ms, nil
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
	if dates == nil {
		dates = &dateMemo{}
	}
	out := make([]advisory.EPSS, 0, strings.Count(s, ";")+1)
	for entry := range strings.SplitSeq(s, ";") {
		cve, rest, ok1 := strings.Cut(entry, " ")
		score, rest, ok2 := strings.Cut(rest, " ")
		pct, date, ok3 := strings.Cut(rest, " ")
		if !ok1 || !ok2 || !ok3 || strings.Contains(date, " ") {
			return nil, fmt.Errorf("epss: bad entry %q", entry)
		}
		e := advisory.EPSS{CVE: cve}
		var err1, err2, err3 error
		e.Score, err1 = strconv.ParseFloat(score, 64)
		e.Percentile, err2 = strconv.ParseFloat(pct, 64)
		e.Date, err3 = dates.parse(date)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("epss: entry %q: %w", entry, err)
		}
		out = append(out, e)
	}
	return out, nil
}
