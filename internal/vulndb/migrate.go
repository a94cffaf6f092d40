package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/vigilproject/vigil/internal/advisory"
)

// migrationCode holds the Go steps of migrations that SQL alone cannot do,
// run in the migration's transaction after its SQL file.
var migrationCode = map[int]func(context.Context, *sql.Tx) error{
	3: upgrade3,
}

// upgrade3 moves a schema 2 store to schema 3: each advisory's columns and
// affected rows become its body, the live affected rows become one
// matches row per key, and the old table and columns go.
func upgrade3(ctx context.Context, tx *sql.Tx) error {
	if err := upgrade3Bodies(ctx, tx); err != nil {
		return fmt.Errorf("advisory bodies: %w", err)
	}
	if err := upgrade3Matches(ctx, tx); err != nil {
		return fmt.Errorf("matches: %w", err)
	}
	_, err := tx.ExecContext(ctx, `
		DROP TABLE affected;
		ALTER TABLE advisories DROP COLUMN published;
		ALTER TABLE advisories DROP COLUMN modified;
		ALTER TABLE advisories DROP COLUMN cves;
		ALTER TABLE advisories DROP COLUMN cve;
		ALTER TABLE advisories DROP COLUMN severity;
		ALTER TABLE advisories DROP COLUMN related;
		ALTER TABLE advisories DROP COLUMN refs;
		ALTER TABLE advisories DROP COLUMN summary;
		ALTER TABLE advisories DROP COLUMN details;`)
	return err
}

// queryColumn reads a one-column result.
func queryColumn[T any](ctx context.Context, tx *sql.Tx, query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func upgrade3Bodies(ctx context.Context, tx *sql.Tx) error {
	advs, err := queryColumn[int64](ctx, tx, `SELECT adv FROM advisories`)
	if err != nil {
		return err
	}
	for _, adv := range advs {
		var a advisory.Advisory
		var aliases, related, refs, keys string
		var published, modified, withdrawn sql.NullString
		var severity []byte
		err := tx.QueryRowContext(ctx, `SELECT id, source, aliases, related, summary, details, published, modified, withdrawn, refs, severity, keys
			FROM advisories WHERE adv = ?`, adv).Scan(&a.ID, &a.Source, &aliases, &related, &a.Summary, &a.Details,
			&published, &modified, &withdrawn, &refs, &severity, &keys)
		if err != nil {
			return err
		}
		for _, f := range []struct {
			s   string
			dst *[]string
		}{{aliases, &a.Aliases}, {related, &a.Related}, {refs, &a.References}} {
			if err := json.Unmarshal([]byte(f.s), f.dst); err != nil {
				return fmt.Errorf("advisory %d: %w", adv, err)
			}
			if len(*f.dst) == 0 {
				*f.dst = nil
			}
		}
		if a.Published, err = parseTime(published.String); err != nil {
			return err
		}
		if a.Modified, err = parseTime(modified.String); err != nil {
			return err
		}
		if a.Withdrawn, err = parseTime(withdrawn.String); err != nil {
			return err
		}
		if a.Severity, err = decodeScores(severity); err != nil {
			return fmt.Errorf("advisory %d: %w", adv, err)
		}
		ks, err := decodeKeys(keys)
		if err != nil {
			return fmt.Errorf("advisory %d: %w", adv, err)
		}
		type entry struct {
			n int
			a advisory.Affected
		}
		var entries []entry
		for _, k := range ks {
			rows, err := tx.QueryContext(ctx, `SELECT n, data FROM affected WHERE ecosystem = ? AND package = ? AND adv = ?`, k.Ecosystem, k.Package, adv)
			if err != nil {
				return err
			}
			for rows.Next() {
				var e entry
				var data []byte
				var m Match
				if err := rows.Scan(&e.n, &data); err != nil {
					rows.Close()
					return err
				}
				if err := decodeMatch(data, &m); err != nil {
					rows.Close()
					return fmt.Errorf("advisory %d: %w", adv, err)
				}
				e.a = m.Affected
				e.a.Ecosystem = k.Ecosystem
				entries = append(entries, e)
			}
			if err := rows.Close(); err != nil {
				return err
			}
		}
		slices.SortFunc(entries, func(x, y entry) int { return x.n - y.n })
		for _, e := range entries {
			a.Affected = append(a.Affected, e.a)
		}
		// The hash stays: it was computed over the record as the source
		// gave it, which this rebuild may differ from in blanks around an
		// ecosystem.
		if _, err := tx.ExecContext(ctx, `UPDATE advisories SET body = ? WHERE adv = ?`, encodeAdvisory(&a, nil), adv); err != nil {
			return err
		}
	}
	return nil
}

func upgrade3Matches(ctx context.Context, tx *sql.Tx) error {
	keys, err := queryColumn[string](ctx, tx, `SELECT DISTINCT json_array(ecosystem, package) FROM affected WHERE live`)
	if err != nil {
		return err
	}
	for _, kj := range keys {
		var k [2]string
		if err := json.Unmarshal([]byte(kj), &k); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT f.adv, f.n, f.data, f.summary, g.grp, g.ids FROM affected f LEFT JOIN groups g ON g.grp = f.grp
			WHERE f.ecosystem = ? AND f.package = ? AND f.live ORDER BY f.adv, f.n`, k[0], k[1])
		if err != nil {
			return err
		}
		var entries []storedEntry
		var cves []string
		groups := map[int64]groupInfo{}
		for rows.Next() {
			var e storedEntry
			var data []byte
			var summary string
			var grp sql.NullInt64
			var ids sql.NullString
			if err := rows.Scan(&e.adv, &e.n, &data, &summary, &grp, &ids); err != nil {
				rows.Close()
				return err
			}
			var m Match
			if err := decodeMatch(data, &m); err != nil {
				rows.Close()
				return fmt.Errorf("advisory %d: %w", e.adv, err)
			}
			a := advisory.Advisory{ID: m.ID, Source: m.Source, Published: m.Published, Modified: m.Modified, Severity: m.Severity, Summary: summary}
			e.match = encodeEntry(&a, &m.Affected, sortedAliases(m.Aliases))
			entries = append(entries, e)
			for _, id := range append(m.Aliases, m.ID) {
				if isCVE(id) {
					cves = append(cves, id)
				}
			}
			if grp.Valid {
				g := groupInfo{grp: grp.Int64}
				if g.ids, err = parseJSONStrings(ids.String); err != nil {
					rows.Close()
					return fmt.Errorf("group %d: %w", g.grp, err)
				}
				groups[e.adv] = g
				for _, id := range g.ids {
					if isCVE(id) {
						cves = append(cves, id)
					}
				}
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		slices.Sort(cves)
		var cvesCol any
		if cves = slices.Compact(cves); len(cves) > 0 {
			cvesCol = jsonStrings(cves)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO matches (ecosystem, package, data, cves, groups) VALUES (?, ?, ?, jsonb(?), ?)`,
			k[0], k[1], appendEntries(nil, entries), cvesCol, encodeGroups(groups)); err != nil {
			return err
		}
	}
	return nil
}

// The layout of affected.data and advisories.severity in schemas 1 and 2,
// which upgrade3 reads.

// encodeMatch encodes the affected.data of one entry of an advisory.
func encodeMatch(a *advisory.Advisory, af *advisory.Affected) []byte {
	e := encoder{b: make([]byte, 0, 128)}
	e.b = append(e.b, encFormat)
	e.str(a.ID)
	e.str(a.Source)
	e.unixTime(a.Published)
	e.unixTime(a.Modified)
	e.scores(a.Severity)
	e.strs(a.Aliases)
	e.affected(af)
	return e.b
}

// decodeMatch reads affected.data into m; m.Aliases gets the advisory's
// own aliases and m.Affected.Ecosystem is left for the caller.
func decodeMatch(b []byte, m *Match) error {
	d := decoder{b: string(b)}
	d.format()
	m.ID = d.str()
	m.Source = d.str()
	m.Published = d.unixTime()
	m.Modified = d.unixTime()
	m.Severity = d.scores()
	m.Aliases = d.strs()
	d.affected(&m.Affected)
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return fmt.Errorf("affected entry: %w", d.err)
	}
	return nil
}

// encodeScores encodes an advisory's severity list, nil when empty.
func encodeScores(ss []advisory.Score) []byte {
	if len(ss) == 0 {
		return nil
	}
	e := encoder{b: make([]byte, 0, 32*len(ss))}
	e.b = append(e.b, encFormat)
	e.scores(ss)
	return e.b
}

// decodeScores reads advisories.severity.
func decodeScores(b []byte) ([]advisory.Score, error) {
	if len(b) == 0 {
		return nil, nil
	}
	d := decoder{b: string(b)}
	d.format()
	ss := d.scores()
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return nil, fmt.Errorf("severity: %w", d.err)
	}
	return ss, nil
}
