package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// DB stores feed batches.
var _ feed.Sink = (*DB)(nil)

// maxSkipReasons bounds ApplyStats.SkippedErrors.
const maxSkipReasons = 10

// checkEvery is how many records an import handles between context checks.
const checkEvery = 256

// Apply stores a batch in one transaction (feed.Sink): readers keep seeing
// the previous state until it commits, and on error or cancellation nothing
// of it is stored.
//
// For advisories, each record is compared with the stored record of the same
// source and id by a hash of its content: unchanged records cost no write and
// no change-log entry; new, modified and withdrawn ones are written and
// logged with the (ecosystem, package) keys they affected before and after.
// A Full batch also withdraws the source's stored advisories it lacks. A
// record the iterator reports as bad is skipped and counted; when the
// iterator names its id, the stored record of that id is kept as it was
// rather than withdrawn, and when a skipped record has no id (an unreadable
// entry, a record without id) the batch withdraws nothing at all, since
// any stored advisory might be the one skipped. Apply sets each advisory's
// Source to the batch's.
// The advisory iterator runs on a goroutine of its own, so that decoding
// overlaps with writing; Apply returns only after it has stopped.
//
// KEV and EPSS batches replace the source's enrichment entries; CVEs that
// enter or leave the catalogue and belong to a stored advisory are logged as
// kind "kev" or "epss" (EPSS score changes are not logged: readers see the
// current scores).
//
// state is stored with the batch: its URL, Fingerprint and times (LastSuccess
// defaults to now), with Records counted by the store and LastError cleared.
func (db *DB) Apply(ctx context.Context, b feed.Batch, state feed.SourceState) (feed.ApplyStats, error) {
	var stats feed.ApplyStats
	if db.rw == nil {
		return stats, ErrReadOnly
	}
	if b.Source == "" {
		return stats, errors.New("vulndb: apply: batch names no source")
	}
	if state.Source != "" && state.Source != b.Source {
		return stats, fmt.Errorf("vulndb: apply %s: state is for source %q", b.Source, state.Source)
	}
	kinds := 0
	for _, set := range []bool{b.Advisories != nil, b.KEV != nil, b.EPSS != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return stats, fmt.Errorf("vulndb: apply %s: batch must carry exactly one of advisories, KEV or EPSS (has %d)", b.Source, kinds)
	}

	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	now := db.opts.Now().UTC()
	tx, err := db.rw.BeginTx(ctx, nil)
	if err != nil {
		return stats, db.fileErr(err)
	}
	defer tx.Rollback()
	w := &writer{ctx: ctx, tx: tx, source: b.Source, now: now, nowText: formatTime(now), stats: &stats}
	var records int
	switch {
	case b.Advisories != nil:
		records, err = w.advisories(b.Advisories, b.Full)
	case b.KEV != nil:
		records, err = w.kev(b.KEV)
	default:
		records, err = w.epss(b.EPSS)
	}
	if err == nil {
		err = w.flush()
	}
	if err != nil && ctx.Err() != nil {
		// Cancelled part-way: the statement that failed may only say
		// that database/sql closed it.
		err = ctx.Err()
	}
	if err != nil {
		return feed.ApplyStats{}, fmt.Errorf("vulndb: apply %s: %w", b.Source, err)
	}
	if b.KEV != nil && stats.Added+stats.Modified+stats.Withdrawn > 0 {
		// Which CVE ids of each row the catalogue names may have changed.
		if err := w.exec(`UPDATE matches SET kev = ` + kevOfRow + ` WHERE cves IS NOT NULL`); err != nil {
			return feed.ApplyStats{}, fmt.Errorf("vulndb: apply %s: %w", b.Source, err)
		}
	}
	if stats.Added+stats.Modified+stats.Withdrawn > 0 {
		// What lookups return may differ: readers drop what they cached.
		if err := w.exec(`UPDATE generation SET token = random()`); err != nil {
			return feed.ApplyStats{}, fmt.Errorf("vulndb: apply %s: %w", b.Source, err)
		}
	}
	if err := w.saveState(state, records); err != nil {
		return feed.ApplyStats{}, fmt.Errorf("vulndb: apply %s: %w", b.Source, err)
	}
	if err := tx.Commit(); err != nil {
		return feed.ApplyStats{}, fmt.Errorf("vulndb: apply %s: commit: %w", b.Source, db.fileErr(err))
	}
	return stats, nil
}

// writer holds one Apply's transaction and prepared statements.
type writer struct {
	ctx    context.Context
	tx     *sql.Tx
	source string
	now    time.Time
	// nowText is now as stored, formatted once for every change row.
	nowText any
	stats   *feed.ApplyStats
	stmts   map[string]*sql.Stmt

	// New rows wait here and go in with multi-row INSERTs: a statement
	// costs about as much as two rows, and SQLite adds to a B-tree in key
	// order faster than at random places, so ids rows are sorted first.
	// Change-log rows keep their order (it is the sequence).
	advBuf    []any
	idBuf     []idRow
	changeBuf []any
	buffered  int
	values    map[string]string
	// keys collects the changes to matches rows, written once each when
	// the batch ends.
	keys keyChanges
	// g, during an advisory batch, learns which new ids link advisories.
	g *regrouper
}

type idRow struct {
	id  string
	adv int64
}

// flushAt bounds the rows buffered before they are written.
const flushAt = 8192

// rowsPerInsert is the most rows one INSERT carries.
const rowsPerInsert = 64

// table is a multi-row INSERT of rows of cols values. (Parameters are
// plain "?": with numbered ones the driver looks each one's name up in a
// list as long as the statement's, which made binding quadratic.)
type table struct {
	insert string
	cols   int
	row    string // the VALUES row; "" for plain placeholders
}

var (
	advisoriesTable = table{`INSERT INTO advisories (adv, source, id, grp, withdrawn, hash, keys, aliases, body) VALUES `, 9, ""}
	idsTable        = table{`INSERT OR IGNORE INTO ids (id, adv) VALUES `, 2, ""}
	changesTable    = table{`INSERT INTO changes (advisory, source, kind, time, keys) VALUES `, 5, ""}
	matchesTable    = table{`INSERT OR REPLACE INTO matches (ecosystem, package, data, cves, groups) VALUES `, 5, "(?, ?, ?, jsonb(?), ?)"}
)

// stmt prepares a statement once per transaction.
func (w *writer) stmt(query string) (*sql.Stmt, error) {
	if s, ok := w.stmts[query]; ok {
		return s, nil
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	s, err := w.tx.PrepareContext(w.ctx, query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = s
	return s, nil
}

func (w *writer) exec(query string, args ...any) error {
	s, err := w.stmt(query)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(w.ctx, args...)
	return err
}

// insertRows writes rows of t, given as their values one row after the
// other, with multi-row statements.
func (w *writer) insertRows(t table, args []any) error {
	for len(args) > 0 {
		k := min(rowsPerInsert, len(args)/t.cols)
		if err := w.exec(t.insert+w.valuesList(t, k), args[:k*t.cols]...); err != nil {
			return err
		}
		args = args[k*t.cols:]
	}
	return nil
}

// valuesList returns the VALUES list of rows rows of t: "(?, …), (?, …)".
func (w *writer) valuesList(t table, rows int) string {
	key := t.insert + strconv.Itoa(rows)
	if v, ok := w.values[key]; ok {
		return v
	}
	row := t.row
	if row == "" {
		row = "(" + strings.TrimSuffix(strings.Repeat("?, ", t.cols), ", ") + ")"
	}
	v := strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
	if w.values == nil {
		w.values = map[string]string{}
	}
	w.values[key] = v
	return v
}

// flush writes the buffered rows.
func (w *writer) flush() error {
	if err := w.insertRows(advisoriesTable, w.advBuf); err != nil {
		return err
	}
	clear(w.advBuf) // drop references to the records' text
	w.advBuf = w.advBuf[:0]

	slices.SortFunc(w.idBuf, func(a, b idRow) int {
		if c := strings.Compare(a.id, b.id); c != 0 {
			return c
		}
		return cmpInt(a.adv, b.adv)
	})
	if w.g != nil {
		if err := w.g.findLinks(w.idBuf); err != nil {
			return err
		}
	}
	args := make([]any, 0, 2*len(w.idBuf))
	for _, r := range w.idBuf {
		args = append(args, r.id, r.adv)
	}
	if err := w.insertRows(idsTable, args); err != nil {
		return err
	}
	w.idBuf = w.idBuf[:0]

	if err := w.insertRows(changesTable, w.changeBuf); err != nil {
		return err
	}
	clear(w.changeBuf)
	w.changeBuf = w.changeBuf[:0]
	w.buffered = 0
	if w.keys.bytes >= maxPendingBytes {
		return w.writeKeys()
	}
	return nil
}

// maybeFlush writes the buffers when they are full.
func (w *writer) maybeFlush() error {
	if w.buffered < flushAt {
		return nil
	}
	return w.flush()
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (w *writer) skip(id string, err error) {
	w.stats.Skipped++
	if len(w.stats.SkippedErrors) >= maxSkipReasons {
		return
	}
	name := w.source
	if id != "" && !strings.Contains(err.Error(), id) {
		name += " " + id
	}
	w.stats.SkippedErrors = append(w.stats.SkippedErrors, name+": "+err.Error())
}

// logChange queues one change-log entry; keys are already normalised.
func (w *writer) logChange(id string, kind ChangeKind, keys []Key) error {
	return w.logChangeJSON(id, kind, encodeKeys(keys, true))
}

func (w *writer) logChangeJSON(id string, kind ChangeKind, keys string) error {
	w.changeBuf = append(w.changeBuf, id, w.source, string(kind), w.nowText, keys)
	w.buffered++
	return w.maybeFlush()
}

// stored is what the diff needs of a stored advisory.
type stored struct {
	adv                int64
	hash               []byte
	withdrawn, removed bool
	keys               string // JSON, decoded only when the record changed
	aliases            string
	grp                int64
}

const storedColumns = `adv, id, hash, withdrawn IS NOT NULL, removed IS NOT NULL, keys, aliases, grp`

func scanStored(sc interface{ Scan(...any) error }) (string, stored, error) {
	var s stored
	var id string
	err := sc.Scan(&s.adv, &id, &s.hash, &s.withdrawn, &s.removed, &s.keys, &s.aliases, &s.grp)
	return id, s, err
}

// advisories applies an advisory batch and returns the source's record count.
func (w *writer) advisories(seq iter.Seq2[advisory.Advisory, error], full bool) (int, error) {
	// A full snapshot touches every stored record, so read them in one
	// scan; a delta looks its few records up one by one.
	var all map[string]stored
	if full {
		all = map[string]stored{}
		rows, err := w.tx.QueryContext(w.ctx, `SELECT `+storedColumns+` FROM advisories WHERE source = ?`, w.source)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			id, s, err := scanStored(rows)
			if err != nil {
				rows.Close()
				return 0, err
			}
			all[id] = s
		}
		if err := rows.Close(); err != nil {
			return 0, err
		}
	}
	var next int64
	if err := w.tx.QueryRowContext(w.ctx, `SELECT COALESCE(MAX(adv), 0) + 1 FROM advisories`).Scan(&next); err != nil {
		return 0, err
	}
	g := newRegrouper(w)
	w.g = g
	seen := map[string]bool{}
	// unnamed is set when a record was skipped without an id: any stored
	// advisory might be that record, so a full batch withdraws nothing.
	unnamed := false
	chunks, stop := pipeline(w.ctx, w.source, seq)
	defer stop()
	for chunk := range chunks {
		if err := w.ctx.Err(); err != nil {
			return 0, err
		}
		for i := range chunk {
			p := &chunk[i]
			if p.err != nil {
				if p.id != "" {
					// Keep the stored record rather than withdraw it.
					seen[p.id] = true
				} else {
					unnamed = true
				}
				w.skip(p.id, p.err)
				continue
			}
			if p.id == "" {
				unnamed = true
				w.skip("", errors.New("advisory without id"))
				continue
			}
			if seen[p.id] {
				w.skip(p.id, errors.New("duplicate id in batch"))
				continue
			}
			seen[p.id] = true
			old, ok := all[p.id]
			if !full {
				var err error
				old, ok, err = w.lookupStored(p.id)
				if err != nil {
					return 0, err
				}
			}
			if ok && !old.removed && string(old.hash) == string(p.hash[:]) {
				w.stats.Unchanged++
				continue
			}
			var err error
			if ok {
				err = w.update(p, old, g)
			} else {
				err = w.insert(p, next)
				next++
			}
			if err != nil {
				return 0, fmt.Errorf("%s: %w", p.id, err)
			}
		}
	}
	// The producer also stops on cancellation; then the batch is partial.
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if err := w.flush(); err != nil {
		return 0, err
	}
	if full && !unnamed {
		ids := make([]string, 0, len(all))
		for id := range all {
			ids = append(ids, id)
		}
		// Sorted, so the change log is the same for the same data.
		slices.Sort(ids)
		for _, id := range ids {
			if old := all[id]; !seen[id] && !old.removed {
				if err := w.remove(id, old); err != nil {
					return 0, fmt.Errorf("%s: %w", id, err)
				}
			}
		}
	}
	if err := g.run(); err != nil {
		return 0, fmt.Errorf("alias groups: %w", err)
	}
	if err := w.writeKeys(); err != nil {
		return 0, fmt.Errorf("matches: %w", err)
	}
	var records int
	err := w.tx.QueryRowContext(w.ctx, `SELECT COUNT(*) FROM advisories WHERE source = ? AND removed IS NULL`, w.source).Scan(&records)
	return records, err
}

func (w *writer) lookupStored(id string) (stored, bool, error) {
	s, err := w.stmt(`SELECT ` + storedColumns + ` FROM advisories WHERE source = ? AND id = ?`)
	if err != nil {
		return stored{}, false, err
	}
	_, st, err := scanStored(s.QueryRowContext(w.ctx, w.source, id))
	if errors.Is(err, sql.ErrNoRows) {
		return stored{}, false, nil
	}
	return st, err == nil, err
}

// cleanAliases trims aliases and drops empty ones, duplicates and the id
// itself, keeping the source's order.
func cleanAliases(id string, aliases []string) []string {
	var out []string
	for _, a := range aliases {
		a = strings.TrimSpace(a)
		if a == "" || a == id || slices.Contains(out, a) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// cveColumns returns the cves and cve column values for a list of ids:
// the JSON array of the CVE ids among them (nil when none) and the CVE id
// when there is exactly one.
func cveColumns(ids []string) (cves, cve any) {
	var list []string
	for _, id := range ids {
		if isCVE(id) {
			list = append(list, id)
		}
	}
	switch len(list) {
	case 0:
		return nil, nil
	case 1:
		return jsonStrings(list), list[0]
	}
	slices.Sort(list)
	return jsonStrings(list), nil
}

// affectedKeys returns the distinct lookup keys of an advisory, sorted.
func affectedKeys(a *advisory.Advisory) []Key {
	keys := make([]Key, 0, len(a.Affected))
	for i := range a.Affected {
		eco := strings.TrimSpace(a.Affected[i].Ecosystem)
		keys = append(keys, Key{Ecosystem: eco, Package: NormalizeName(eco, a.Affected[i].Package)})
	}
	slices.SortFunc(keys, compareKeys)
	return slices.Compact(keys)
}

func compareKeys(a, b Key) int {
	if c := strings.Compare(a.Ecosystem, b.Ecosystem); c != 0 {
		return c
	}
	return strings.Compare(a.Package, b.Package)
}

// encodeKeys writes keys as JSON [[ecosystem, package], …]; logged keys
// leave out entries that name no package (GIT-only affected entries).
func encodeKeys(keys []Key, logged bool) string {
	b := make([]byte, 0, 32*len(keys)+2)
	b = append(b, '[')
	first := true
	for _, k := range keys {
		if logged && (k.Ecosystem == "" || k.Package == "") {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '[')
		b = appendJSONString(b, k.Ecosystem)
		b = append(b, ',')
		b = appendJSONString(b, k.Package)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

func decodeKeys(s string) ([]Key, error) {
	var pairs [][2]string
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, fmt.Errorf("stored keys %q: %w", s, err)
	}
	keys := make([]Key, len(pairs))
	for i, p := range pairs {
		keys[i] = Key{Ecosystem: p[0], Package: p[1]}
	}
	return keys, nil
}

func (w *writer) queueIDs(adv int64, ids []string) {
	for _, id := range ids {
		w.idBuf = append(w.idBuf, idRow{id: id, adv: adv})
		w.buffered++
	}
}

func (w *writer) insert(p *prepared, adv int64) error {
	// A new advisory starts alone in its group; the regrouper merges it.
	w.advBuf = append(append(w.advBuf, adv, w.source, p.id, adv), p.cols...)
	w.buffered++
	w.keys.add(adv, p.entries, p.cves)
	w.queueIDs(adv, p.ids)
	w.stats.Added++
	kind := KindNew
	if p.a.IsWithdrawn() {
		// Stored for the record, but it never affected anything here.
		kind = KindWithdrawn
	}
	return w.logChangeJSON(p.id, kind, p.logKeys)
}

func (w *writer) update(p *prepared, old stored, g *regrouper) error {
	oldKeys, err := decodeKeys(old.keys)
	if err != nil {
		return err
	}
	w.keys.drop(old.adv, oldKeys)
	if err := w.exec(`UPDATE advisories SET withdrawn = ?, hash = ?, keys = ?, aliases = ?, body = ?, removed = NULL WHERE adv = ?`,
		append(p.cols[:len(p.cols):len(p.cols)], old.adv)...); err != nil {
		return err
	}
	if len(p.entries) > 0 {
		w.keys.add(old.adv, p.entries, p.cves)
		// Its keys' rows must know its group; regrouping, when the ids
		// changed, sets it again.
		var ids string
		err := w.tx.QueryRowContext(w.ctx, `SELECT ids FROM groups WHERE grp = ?`, old.grp).Scan(&ids)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			list, err := parseJSONStrings(ids)
			if err != nil {
				return fmt.Errorf("group %d: %w", old.grp, err)
			}
			w.keys.setGroup(old.adv, p.keys, groupInfo{grp: old.grp, ids: list})
		}
	}
	var oldAliases []string
	if err := json.Unmarshal([]byte(old.aliases), &oldAliases); err != nil {
		return fmt.Errorf("stored aliases: %w", err)
	}
	oldIDs, newIDs := append(oldAliases, p.id), slices.Clone(p.ids)
	slices.Sort(oldIDs)
	slices.Sort(newIDs)
	if !slices.Equal(oldIDs, newIDs) {
		for _, id := range oldIDs {
			if _, found := slices.BinarySearch(newIDs, id); !found {
				if err := w.exec(`DELETE FROM ids WHERE id = ? AND adv = ?`, id, old.adv); err != nil {
					return err
				}
			}
		}
		w.queueIDs(old.adv, newIDs)
		g.touch(old.adv, old.grp)
	}

	kind := KindModified
	switch {
	case old.removed:
		// Back in the source's snapshot after it had dropped it.
		kind = KindNew
		w.stats.Added++
	case p.a.IsWithdrawn() && !old.withdrawn:
		kind = KindWithdrawn
		w.stats.Withdrawn++
	default:
		w.stats.Modified++
	}
	return w.logChange(p.id, kind, mergeKeys(oldKeys, p.keys))
}

// remove withdraws a stored advisory that a full snapshot no longer has.
// Its data stays (Vulnerability shows it withdrawn); its entries leave the
// matches rows.
func (w *writer) remove(id string, old stored) error {
	if err := w.exec(`UPDATE advisories SET removed = ?, withdrawn = COALESCE(withdrawn, ?) WHERE adv = ?`,
		formatTime(w.now), formatTime(w.now), old.adv); err != nil {
		return err
	}
	if old.withdrawn {
		// Already withdrawn upstream and logged then; dropping it from the
		// snapshot changes nothing a reader sees as affected.
		return nil
	}
	keys, err := decodeKeys(old.keys)
	if err != nil {
		return err
	}
	w.keys.drop(old.adv, keys)
	w.stats.Withdrawn++
	return w.logChange(id, KindWithdrawn, keys)
}

func mergeKeys(a, b []Key) []Key {
	keys := append(slices.Clone(a), b...)
	slices.SortFunc(keys, compareKeys)
	return slices.Compact(keys)
}

// saveState stores the source's state after a successful Apply.
func (w *writer) saveState(st feed.SourceState, records int) error {
	success := st.LastSuccess
	if success.IsZero() {
		success = w.now
	}
	attempt := st.LastAttempt
	if attempt.IsZero() || attempt.Before(success) {
		attempt = success
	}
	return w.exec(`INSERT INTO sources (name, url, etag, last_modified, cursor, digest, last_attempt, last_success, records, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '')
		ON CONFLICT (name) DO UPDATE SET url = excluded.url, etag = excluded.etag,
			last_modified = excluded.last_modified, cursor = excluded.cursor, digest = excluded.digest,
			last_attempt = excluded.last_attempt, last_success = excluded.last_success,
			records = excluded.records, last_error = ''`,
		w.source, st.URL, st.Fingerprint.ETag, st.Fingerprint.LastModified, st.Fingerprint.Cursor, st.Fingerprint.Digest,
		formatTime(attempt), formatTime(success), records)
}
