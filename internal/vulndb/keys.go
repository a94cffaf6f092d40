package vulndb

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
)

// Each (ecosystem, package) key has one matches row: its entries
// (matches.data), the alias groups their advisories share with others, with
// each group's ids (groups), and every CVE id of the entries' advisories and
// of those groups (cves, for the KEV and EPSS probes). An Apply collects
// what it changes per key and rewrites each row once, after regrouping,
// instead of once per advisory. Regrouping visits every member of a group
// that changes, so a row's copy of a group's ids is renewed whenever the
// group changes.

// maxPendingBytes bounds the encoded entries an Apply holds before it
// writes the rows it has so far (a row written early is read back and
// rewritten when the batch touches it again).
const maxPendingBytes = 64 << 20

// keyChanges is an Apply's pending changes to matches rows.
type keyChanges struct {
	m     map[Key]*keyChange
	bytes int
}

// keyChange is what changes in one key's row.
type keyChange struct {
	// drop lists advisories whose stored entries go.
	drop []int64
	add  []storedEntry
	// cves are the CVE ids of the added entries' advisories.
	cves []string
	// group sets an advisory's alias group: its number and ids when it
	// shares the group with others, grp 0 when it is alone.
	group map[int64]groupInfo
}

// groupInfo is an alias group as a matches row holds it.
type groupInfo struct {
	grp int64
	ids []string // sorted
}

func (kc *keyChanges) get(k Key) *keyChange {
	if kc.m == nil {
		kc.m = map[Key]*keyChange{}
	}
	c := kc.m[k]
	if c == nil {
		c = &keyChange{}
		kc.m[k] = c
	}
	return c
}

// add queues the entries of advisory adv.
func (kc *keyChanges) add(adv int64, entries []keyedEntry, cves []string) {
	var last *keyChange
	var lastKey Key
	for _, e := range entries {
		c := last
		if c == nil || e.key != lastKey {
			c = kc.get(e.key)
			c.cves = append(c.cves, cves...)
			last, lastKey = c, e.key
		}
		c.add = append(c.add, storedEntry{adv: adv, n: e.n, match: e.match})
		kc.bytes += len(e.match)
	}
}

// drop queues the removal of advisory adv's stored entries under keys.
func (kc *keyChanges) drop(adv int64, keys []Key) {
	for _, k := range keys {
		c := kc.get(k)
		c.drop = append(c.drop, adv)
	}
}

// setGroup records advisory adv's alias group (grp 0: alone) in its keys'
// rows.
func (kc *keyChanges) setGroup(adv int64, keys []Key, g groupInfo) {
	for _, k := range keys {
		c := kc.get(k)
		if c.group == nil {
			c.group = map[int64]groupInfo{}
		}
		c.group[adv] = g
	}
}

// matchesRow is a matches row as stored.
type matchesRow struct {
	data   []byte
	cves   string
	groups []byte
}

// keysChunk is how many rows writeKeys reads with one statement.
const keysChunk = 512

// kevOfRow is a matches row's kev column: the row's CVE ids that the KEV
// catalogue names, NULL when none (migration 0004 uses the same).
const kevOfRow = `(SELECT jsonb_group_array(c.value) FROM json_each(matches.cves) c JOIN kev k ON k.cve = c.value HAVING count(*) > 0)`

// setRowKEV renews the kev column of the rows of keys (rows that do not
// exist are skipped).
func (w *writer) setRowKEV(keys []Key) error {
	return w.exec(`UPDATE matches SET kev = `+kevOfRow+`
		WHERE (ecosystem, package) IN (SELECT j.value ->> 0, j.value ->> 1 FROM json_each(?) j)`, encodeKeys(keys, false))
}

// writeKeys applies the pending changes, each key's row read and written
// once.
func (w *writer) writeKeys() error {
	keys := slices.SortedFunc(maps.Keys(w.keys.m), compareKeys)
	// Rows written get their kev column renewed, unless the catalogue is
	// empty (a first import before the KEV source): then it is NULL.
	var kevs bool
	if err := w.tx.QueryRowContext(w.ctx, `SELECT EXISTS (SELECT 1 FROM kev)`).Scan(&kevs); err != nil {
		return err
	}
	var args []any
	for len(keys) > 0 {
		chunk := keys[:min(keysChunk, len(keys))]
		keys = keys[len(chunk):]
		rows, err := w.loadKeys(chunk)
		if err != nil {
			return err
		}
		args = args[:0]
		for _, k := range chunk {
			old, ok := rows[k]
			row, what, err := w.keys.m[k].apply(old, ok)
			if err != nil {
				return fmt.Errorf("%s %s: %w", k.Ecosystem, k.Package, err)
			}
			switch what {
			case rowDeleted:
				if err := w.exec(`DELETE FROM matches WHERE ecosystem = ? AND package = ?`, k.Ecosystem, k.Package); err != nil {
					return err
				}
			case rowColumns:
				if err := w.exec(`UPDATE matches SET cves = jsonb(?), groups = ? WHERE ecosystem = ? AND package = ?`,
					nullText(row.cves), row.groups, k.Ecosystem, k.Package); err != nil {
					return err
				}
			case rowWritten:
				args = append(args, k.Ecosystem, k.Package, row.data, nullText(row.cves), row.groups)
			}
		}
		if err := w.insertRows(matchesTable, args); err != nil {
			return err
		}
		clear(args)
		if kevs {
			if err := w.setRowKEV(chunk); err != nil {
				return err
			}
		}
	}
	w.keys = keyChanges{}
	return nil
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// loadKeys reads the stored rows of keys.
func (w *writer) loadKeys(keys []Key) (map[Key]matchesRow, error) {
	s, err := w.stmt(`SELECT m.ecosystem, m.package, m.data, COALESCE(json(m.cves), ''), m.groups
		FROM json_each(?) j JOIN matches m ON m.ecosystem = j.value ->> 0 AND m.package = j.value ->> 1`)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(w.ctx, encodeKeys(keys, false))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Key]matchesRow{}
	for rows.Next() {
		var k Key
		var r matchesRow
		if err := rows.Scan(&k.Ecosystem, &k.Package, &r.data, &r.cves, &r.groups); err != nil {
			return nil, err
		}
		out[k] = r
	}
	return out, rows.Err()
}

// What apply changed in a row.
const (
	rowSame    = iota
	rowDeleted // no entries left
	rowColumns // the same entries, other cves or groups
	rowWritten // new entries
)

// apply computes a key's new row from its stored one (ok: there is one).
func (c *keyChange) apply(old matchesRow, ok bool) (matchesRow, int, error) {
	var entries []storedEntry
	groups := map[int64]groupInfo{}
	if ok {
		var err error
		if entries, err = splitEntries(old.data); err != nil {
			return matchesRow{}, rowSame, err
		}
		if groups, err = decodeGroups(old.groups); err != nil {
			return matchesRow{}, rowSame, err
		}
	}
	removed := false
	if len(c.drop) > 0 {
		slices.Sort(c.drop)
		n := len(entries)
		entries = slices.DeleteFunc(entries, func(e storedEntry) bool {
			_, found := slices.BinarySearch(c.drop, e.adv)
			return found
		})
		removed = len(entries) != n
		for _, adv := range c.drop {
			delete(groups, adv)
		}
	}
	for adv, g := range c.group {
		if g.grp == 0 {
			delete(groups, adv)
		} else {
			groups[adv] = g
		}
	}
	// The CVE ids: the stored list when no entry left and no group
	// changed, else those of the remaining entries and of the groups;
	// then the new entries' own.
	var cves []string
	if ok && !removed && len(c.group) == 0 {
		var err error
		if cves, err = parseJSONStrings(nonEmpty(old.cves)); err != nil {
			return matchesRow{}, rowSame, err
		}
	} else {
		for _, e := range entries {
			id, aliases, err := entryIDs(e.match)
			if err != nil {
				return matchesRow{}, rowSame, err
			}
			for _, x := range append(aliases, id) {
				if isCVE(x) {
					cves = append(cves, x)
				}
			}
		}
	}
	entries = append(entries, c.add...)
	slices.SortFunc(entries, compareEntries)
	// Only advisories with entries here belong in the row.
	for adv := range groups {
		if _, found := slices.BinarySearchFunc(entries, adv, func(e storedEntry, adv int64) int { return cmpInt(e.adv, adv) }); !found {
			delete(groups, adv)
		}
	}
	if len(entries) == 0 {
		if ok {
			return matchesRow{}, rowDeleted, nil
		}
		return matchesRow{}, rowSame, nil
	}
	if !ok || removed || len(c.group) > 0 {
		for _, g := range groups {
			for _, id := range g.ids {
				if isCVE(id) {
					cves = append(cves, id)
				}
			}
		}
	}
	cves = append(cves, c.cves...)
	slices.Sort(cves)
	cves = slices.Compact(cves)

	row := matchesRow{groups: encodeGroups(groups)}
	if len(cves) > 0 {
		row.cves = jsonStrings(cves)
	}
	if ok && !removed && len(c.add) == 0 {
		row.data = old.data
		if string(row.groups) == string(old.groups) && row.cves == old.cves {
			return row, rowSame, nil
		}
		return row, rowColumns, nil
	}
	size := 1
	for _, e := range entries {
		size += len(e.match) + 12
	}
	row.data = appendEntries(make([]byte, 0, size), entries)
	return row, rowWritten, nil
}

func nonEmpty(s string) string {
	if s == "" {
		return "[]"
	}
	return s
}

// encodeGroups writes the groups column: for each group shared by the
// row's advisories, its number, its ids and the row's advisories in it;
// nil when there is none.
//
//	groups = matchesFormat count { uvarint(grp) strs(ids) count uvarint(adv)… }
func encodeGroups(groups map[int64]groupInfo) []byte {
	if len(groups) == 0 {
		return nil
	}
	byGrp := map[int64][]int64{}
	ids := map[int64][]string{}
	for adv, g := range groups {
		byGrp[g.grp] = append(byGrp[g.grp], adv)
		ids[g.grp] = g.ids
	}
	e := encoder{b: []byte{matchesFormat}}
	e.num(len(byGrp))
	for _, grp := range slices.Sorted(maps.Keys(byGrp)) {
		e.b = binary.AppendUvarint(e.b, uint64(grp))
		e.strs(ids[grp])
		advs := byGrp[grp]
		slices.Sort(advs)
		e.num(len(advs))
		for _, adv := range advs {
			e.b = binary.AppendUvarint(e.b, uint64(adv))
		}
	}
	return e.b
}

// groupedAdv is an advisory of a row's groups column with its group's ids.
type groupedAdv struct {
	adv int64
	ids []string
}

// groupedAdvs reads the groups column into its advisories, sorted, each
// with its group's ids (shared by the group's advisories).
func groupedAdvs(s string) ([]groupedAdv, error) {
	var out []groupedAdv
	if err := readGroups(s, func(_ int64, ids []string, adv int64) { out = append(out, groupedAdv{adv, ids}) }); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b groupedAdv) int { return cmpInt(a.adv, b.adv) })
	for i := 1; i < len(out); i++ {
		if out[i].adv == out[i-1].adv {
			return nil, fmt.Errorf("groups: advisory %d twice: %w", out[i].adv, errCorrupt)
		}
	}
	return out, nil
}

// decodeGroups reads the groups column into advisory → group.
func decodeGroups(b []byte) (map[int64]groupInfo, error) {
	out := map[int64]groupInfo{}
	dup := false
	err := readGroups(string(b), func(grp int64, ids []string, adv int64) {
		_, seen := out[adv]
		dup = dup || seen
		out[adv] = groupInfo{grp, ids}
	})
	if err == nil && dup {
		err = fmt.Errorf("groups: an advisory twice: %w", errCorrupt)
	}
	return out, err
}

// readGroups calls fn for each advisory of the groups column, with its
// group's number and ids (shared by the group's advisories). Groups and
// the advisories of each are in increasing order.
func readGroups(s string, fn func(grp int64, ids []string, adv int64)) error {
	if s == "" {
		return nil
	}
	if s[0] != matchesFormat {
		return fmt.Errorf("groups: %w", errCorrupt)
	}
	d := decoder{b: s[1:]}
	lastGrp := int64(-1)
	for range d.num() {
		grp := d.num64()
		ids := d.strs()
		if grp <= lastGrp {
			d.fail()
		}
		lastGrp = grp
		lastAdv := int64(-1)
		for range d.num() {
			adv := d.num64()
			if adv <= lastAdv {
				d.fail()
			}
			if d.err != nil {
				break
			}
			lastAdv = adv
			fn(grp, ids, adv)
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return fmt.Errorf("groups: %w", d.err)
	}
	return nil
}
