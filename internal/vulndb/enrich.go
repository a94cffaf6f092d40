package vulndb

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/advisory"
)

// kevRow is a KEV entry as stored, comparable for the diff.
type kevRow struct {
	added, due                      any
	ransomware                      bool
	vendor, product, requiredAction string
}

func storedKEVRow(k advisory.KEV) kevRow {
	return kevRow{
		added: formatTime(k.DateAdded), due: formatTime(k.DueDate), ransomware: k.Ransomware,
		vendor: k.Vendor, product: k.Product, requiredAction: k.RequiredAction,
	}
}

// kev replaces the source's KEV entries and logs membership changes.
func (w *writer) kev(seq iter.Seq2[advisory.KEV, error]) (int, error) {
	old := map[string]kevRow{}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT cve, date_added, due_date, ransomware, vendor, product, required_action FROM kev WHERE source = ?`, w.source)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var cve string
		var added, due *string
		var r kevRow
		if err := rows.Scan(&cve, &added, &due, &r.ransomware, &r.vendor, &r.product, &r.requiredAction); err != nil {
			rows.Close()
			return 0, err
		}
		r.added, r.due = derefAny(added), derefAny(due)
		old[cve] = r
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	var changed []string
	n := 0
	for k, err := range seq {
		if n++; n%checkEvery == 0 {
			if err := w.ctx.Err(); err != nil {
				return 0, err
			}
		}
		cve := strings.TrimSpace(k.CVE)
		if err != nil {
			if cve != "" {
				seen[cve] = true
			}
			w.skip(cve, err)
			continue
		}
		if !isCVE(cve) {
			w.skip(cve, fmt.Errorf("%q is not a CVE id", k.CVE))
			continue
		}
		if seen[cve] {
			w.skip(cve, errors.New("duplicate CVE in batch"))
			continue
		}
		seen[cve] = true
		r := storedKEVRow(k)
		prev, ok := old[cve]
		switch {
		case !ok:
			w.stats.Added++
			changed = append(changed, cve)
		case prev != r:
			w.stats.Modified++
		default:
			w.stats.Unchanged++
			continue
		}
		if err := w.exec(`INSERT INTO kev (cve, source, date_added, due_date, ransomware, vendor, product, required_action)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (cve) DO UPDATE SET source = excluded.source, date_added = excluded.date_added, due_date = excluded.due_date,
				ransomware = excluded.ransomware, vendor = excluded.vendor, product = excluded.product,
				required_action = excluded.required_action`,
			cve, w.source, r.added, r.due, r.ransomware, r.vendor, r.product, r.requiredAction); err != nil {
			return 0, err
		}
	}
	for cve := range old {
		if seen[cve] {
			continue
		}
		if err := w.exec(`DELETE FROM kev WHERE cve = ? AND source = ?`, cve, w.source); err != nil {
			return 0, err
		}
		w.stats.Withdrawn++
		changed = append(changed, cve)
	}
	if err := w.logEnrichment(changed, KindKEV); err != nil {
		return 0, err
	}
	var records int
	err = w.tx.QueryRowContext(w.ctx, `SELECT COUNT(*) FROM kev WHERE source = ?`, w.source).Scan(&records)
	return records, err
}

type epssRow struct {
	score, percentile float64
	date              any
}

// line is the row's epss.line: the numbers in their shortest form that
// reads back exactly, and the stored date.
func (r epssRow) line() string {
	b := strconv.AppendFloat(nil, r.score, 'g', -1, 64)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, r.percentile, 'g', -1, 64)
	b = append(b, ' ')
	if d, ok := r.date.(string); ok {
		b = append(b, d...)
	}
	return string(b)
}

// epss replaces the source's EPSS scores and logs CVEs entering or leaving.
func (w *writer) epss(seq iter.Seq2[advisory.EPSS, error]) (int, error) {
	old := map[string]epssRow{}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT cve, score, percentile, date FROM epss WHERE source = ?`, w.source)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var cve string
		var date *string
		var r epssRow
		if err := rows.Scan(&cve, &r.score, &r.percentile, &date); err != nil {
			rows.Close()
			return 0, err
		}
		r.date = derefAny(date)
		old[cve] = r
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	var changed []string
	n := 0
	for e, err := range seq {
		if n++; n%checkEvery == 0 {
			if err := w.ctx.Err(); err != nil {
				return 0, err
			}
		}
		cve := strings.TrimSpace(e.CVE)
		if err != nil {
			if cve != "" {
				seen[cve] = true
			}
			w.skip(cve, err)
			continue
		}
		switch {
		case !isCVE(cve):
			w.skip(cve, fmt.Errorf("%q is not a CVE id", e.CVE))
			continue
		case seen[cve]:
			w.skip(cve, errors.New("duplicate CVE in batch"))
			continue
		case !(e.Score >= 0 && e.Score <= 1) || !(e.Percentile >= 0 && e.Percentile <= 1):
			// Also rejects NaN.
			w.skip(cve, fmt.Errorf("score %v or percentile %v outside 0..1", e.Score, e.Percentile))
			continue
		}
		seen[cve] = true
		r := epssRow{score: e.Score, percentile: e.Percentile, date: formatTime(e.Date)}
		prev, ok := old[cve]
		switch {
		case !ok:
			w.stats.Added++
			changed = append(changed, cve)
		case prev != r:
			w.stats.Modified++
		default:
			w.stats.Unchanged++
			continue
		}
		if err := w.exec(`INSERT INTO epss (cve, source, score, percentile, date, line) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (cve) DO UPDATE SET source = excluded.source, score = excluded.score, percentile = excluded.percentile,
				date = excluded.date, line = excluded.line`,
			cve, w.source, r.score, r.percentile, r.date, r.line()); err != nil {
			return 0, err
		}
	}
	for cve := range old {
		if seen[cve] {
			continue
		}
		if err := w.exec(`DELETE FROM epss WHERE cve = ? AND source = ?`, cve, w.source); err != nil {
			return 0, err
		}
		w.stats.Withdrawn++
		changed = append(changed, cve)
	}
	if err := w.logEnrichment(changed, KindEPSS); err != nil {
		return 0, err
	}
	var records int
	err = w.tx.QueryRowContext(w.ctx, `SELECT COUNT(*) FROM epss WHERE source = ?`, w.source).Scan(&records)
	return records, err
}

func derefAny(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// manyCVEs is the number of changed CVEs above which logEnrichment first
// reads which CVEs the advisories know, instead of probing each one.
const manyCVEs = 1000

// logEnrichment logs one change per CVE that a stored, not withdrawn
// advisory's alias group contains, with the keys that group affects. CVEs no
// advisory names affect nothing and are not logged.
func (w *writer) logEnrichment(cves []string, kind ChangeKind) error {
	slices.Sort(cves)
	var known map[string]bool
	if len(cves) > manyCVEs {
		known = map[string]bool{}
		rows, err := w.tx.QueryContext(w.ctx, `SELECT DISTINCT id FROM ids WHERE id >= 'CVE-' AND id < 'CVE.'`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			known[id] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	for _, cve := range cves {
		if known != nil && !known[cve] {
			continue
		}
		keys, err := w.keysOfCVE(cve)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			continue
		}
		if err := w.logChange(cve, kind, keys); err != nil {
			return err
		}
	}
	return nil
}

// keysOfCVE returns the keys affected by the live advisories of the alias
// groups holding cve.
func (w *writer) keysOfCVE(cve string) ([]Key, error) {
	s, err := w.stmt(`SELECT DISTINCT b.keys FROM ids i
		JOIN advisories a ON a.adv = i.adv
		LEFT JOIN groups g ON g.grp = a.grp, json_each(COALESCE(g.members, json_array(a.adv))) m
		JOIN advisories b ON b.adv = m.value
		WHERE i.id = ? AND b.withdrawn IS NULL`)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(w.ctx, cve)
	if err != nil {
		return nil, err
	}
	var keys []Key
	for rows.Next() {
		var kj string
		if err := rows.Scan(&kj); err != nil {
			rows.Close()
			return nil, err
		}
		k, err := decodeKeys(kj)
		if err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k...)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	var out []Key
	for _, k := range mergeKeys(nil, keys) {
		if k.Ecosystem != "" && k.Package != "" {
			out = append(out, k)
		}
	}
	return out, nil
}
