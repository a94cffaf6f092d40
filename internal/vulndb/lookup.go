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
// entries (rare) as a JSON array of tuples, EPSS scores (nearly every CVE
// has one) as "cve score percentile date" separated by ';', which reads
// back without a JSON decoder.
const (
	kevTuple = `json_array(k.cve, k.date_added, k.due_date, k.ransomware, k.vendor, k.product, k.required_action)`
	epssText = `printf('%s %.17g %.17g %s', e.cve, e.score, e.percentile, COALESCE(e.date, ''))`
)

// affectingQuery reads every live advisory affecting one key with its group
// and enrichment in one statement. The affected rows are adjacent in their
// clustered primary key and carry what is needed of their advisories; a
// row costs a probe for its group (usually absent), and the group's CVE
// (the group row's, or the advisory's own when it is alone) is usually a
// single one, joined to kev and epss by primary key. Only groups with
// several CVEs walk their JSON list.
const affectingQuery = `
SELECT f.data, g.ids,
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

// Affecting returns the affected entries of the advisories, not withdrawn,
// that name a package: ecosystem is the OSV ecosystem with its release
// ("Debian:12", "Alpine:v3.20", "npm", "Go") and pkg the package name as
// found (it is normalised like stored names; see NormalizeName). Entries are
// in storage order; nil when there are none.
func (db *DB) Affecting(ctx context.Context, ecosystem, pkg string) ([]Match, error) {
	eco := strings.TrimSpace(ecosystem)
	name := NormalizeName(eco, pkg)
	rows, err := db.affecting.QueryContext(ctx, eco, name)
	if err != nil {
		return nil, db.fileErr(err)
	}
	defer rows.Close()
	var out []Match
	for rows.Next() {
		var m Match
		var data sql.RawBytes
		var groupIDs, kevOut, epssOut sql.NullString
		if err := rows.Scan(&data, &groupIDs, &kevOut, &epssOut); err != nil {
			return nil, db.fileErr(err)
		}
		if err := m.fill(eco, data, groupIDs, kevOut.String, epssOut.String); err != nil {
			return nil, fmt.Errorf("vulndb: %s: %s %s: %s: %w", db.path, eco, name, m.ID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, db.fileErr(err)
	}
	return out, nil
}

func (m *Match) fill(eco string, data []byte, groupIDs sql.NullString, kevJSON, epssList string) error {
	if err := decodeMatch(data, m); err != nil {
		return err
	}
	m.Affected.Ecosystem = eco
	if groupIDs.Valid {
		// The group's ids, sorted, include the advisory's own.
		ids, err := parseJSONStrings(groupIDs.String)
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
	if m.KEV, err = decodeKEVs(kevJSON); err != nil {
		return err
	}
	m.EPSS, err = decodeEPSSs(epssList)
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

// decodeEPSSs reads the epssText entries the queries build.
func decodeEPSSs(s string) ([]advisory.EPSS, error) {
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
		date, err3 := parseTime(f[3])
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("epss: entry %q: %w", entry, err)
		}
		out = append(out, advisory.EPSS{CVE: f[0], Score: score, Percentile: pct, Date: date})
	}
	return out, nil
}
