package vulndb

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Alias groups are the connected components of the graph whose nodes are
// stored advisories and whose edges are shared ids (an advisory's id or one
// of its aliases appearing in another advisory). A group's number is its
// smallest adv, so a group that only grows keeps its number; only groups of
// two or more advisories have a groups row.
//
// An Apply recomputes the groups around what it changed, in time that
// grows with the batch rather than with the store: when ids rows are
// written, each new id is checked for an existing holder (one index probe,
// inside SQLite); a new advisory none of whose ids is held by another stays
// alone and costs nothing more. From the advisories that did link, and
// from those whose aliases changed together with the other members of
// their old groups, the groups are rebuilt by following shared ids.

type regrouper struct {
	w *writer
	// touched maps each stored advisory whose ids changed to its group
	// before this Apply.
	touched map[int64]int64
	// linked holds new advisories sharing an id with another advisory.
	linked map[int64]bool
}

func newRegrouper(w *writer) *regrouper {
	return &regrouper{w: w, touched: map[int64]int64{}, linked: map[int64]bool{}}
}

func (g *regrouper) touch(adv, oldGrp int64) { g.touched[adv] = oldGrp }

// probeChunk is how many ids one probe statement checks.
const probeChunk = 256

// findLinks marks the advisories of rows (sorted by id, about to be
// inserted) that share an id with another advisory: with each other, or
// with a row already stored.
func (g *regrouper) findLinks(rows []idRow) error {
	var distinct []string
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].id == rows[i].id {
			j++
		}
		if rows[j-1].adv != rows[i].adv {
			for _, r := range rows[i:j] {
				g.linked[r.adv] = true
			}
		}
		distinct = append(distinct, rows[i].id)
		i = j
	}
	for len(distinct) > 0 {
		k := min(probeChunk, len(distinct))
		held, err := g.held(distinct[:k])
		if err != nil {
			return err
		}
		for _, id := range held {
			i, _ := slices.BinarySearchFunc(rows, id, func(r idRow, id string) int { return strings.Compare(r.id, id) })
			for ; i < len(rows) && rows[i].id == id; i++ {
				g.linked[rows[i].adv] = true
			}
		}
		distinct = distinct[k:]
	}
	return nil
}

// held returns which of ids some stored advisory already has.
func (g *regrouper) held(ids []string) ([]string, error) {
	s, err := g.w.stmt(`SELECT j.value FROM json_each(?) j WHERE EXISTS (SELECT 1 FROM ids i WHERE i.id = j.value)`)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(g.w.ctx, jsonStrings(ids))
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Close()
}

// unionFind joins advisories; the root of a set is its smallest member.
type unionFind map[int64]int64

func (u unionFind) add(x int64) {
	if _, ok := u[x]; !ok {
		u[x] = x
	}
}

func (u unionFind) find(x int64) int64 {
	root := x
	for u[root] != root {
		root = u[root]
	}
	for u[x] != root {
		u[x], x = root, u[x]
	}
	return root
}

func (u unionFind) union(a, b int64) {
	ra, rb := u.find(a), u.find(b)
	switch {
	case ra < rb:
		u[rb] = ra
	case rb < ra:
		u[ra] = rb
	}
}

// node is one advisory seen while regrouping.
type node struct {
	ids  []string
	grp  int64  // stored group
	keys string // the advisory's affected keys, JSON
	live bool   // not withdrawn: it has entries in matches rows
}

// run rebuilds the groups around the changed advisories: it follows
// shared ids from the linked and touched advisories and from the other
// members of the touched ones' old groups (a changed alias can split a
// group as well as join two).
func (g *regrouper) run() error {
	if len(g.touched) == 0 && len(g.linked) == 0 {
		return nil
	}
	w := g.w
	var queue []int64
	for adv := range g.linked {
		queue = append(queue, adv)
	}
	oldGroups := map[int64]bool{}
	for adv, grp := range g.touched {
		queue = append(queue, adv)
		if oldGroups[grp] {
			continue
		}
		oldGroups[grp] = true
		var members string
		err := w.tx.QueryRowContext(w.ctx, `SELECT members FROM groups WHERE grp = ?`, grp).Scan(&members)
		if errors.Is(err, sql.ErrNoRows) {
			// The advisory was alone: no other members.
			continue
		}
		if err != nil {
			return err
		}
		var advs []int64
		if err := json.Unmarshal([]byte(members), &advs); err != nil {
			return fmt.Errorf("group %d members: %w", grp, err)
		}
		queue = append(queue, advs...)
	}
	slices.Sort(queue)
	queue = slices.Compact(queue)

	uf := unionFind{}
	nodes := map[int64]*node{}
	// Breadth first, a level at a time: each level's advisories are read,
	// and the holders of their ids found, with a statement per chunk
	// rather than one per advisory and id.
	for len(queue) > 0 {
		level, err := g.load(queue)
		if err != nil {
			return err
		}
		if len(level) != len(queue) {
			return fmt.Errorf("%d of %d advisories to regroup are missing", len(queue)-len(level), len(queue))
		}
		queue = queue[:0]
		holders := map[string][]int64{}
		for _, adv := range slices.Sorted(maps.Keys(level)) {
			n := level[adv]
			nodes[adv] = n
			uf.add(adv)
			for _, id := range n.ids {
				holders[id] = append(holders[id], adv)
			}
		}
		shared, err := g.sharing(slices.Sorted(maps.Keys(holders)))
		if err != nil {
			return err
		}
		for _, e := range shared {
			for _, adv := range holders[e.id] {
				uf.add(e.adv)
				uf.union(adv, e.adv)
			}
			if nodes[e.adv] == nil && level[e.adv] == nil {
				queue = append(queue, e.adv)
			}
		}
		slices.Sort(queue)
		queue = slices.Compact(queue)
	}
	return g.write(uf, nodes)
}

// chunk is how many values one batched statement of the regrouper reads.
const chunk = 2048

// load reads the advisories advs.
func (g *regrouper) load(advs []int64) (map[int64]*node, error) {
	s, err := g.w.stmt(`SELECT a.adv, a.id, a.aliases, a.grp, a.keys, a.withdrawn IS NULL FROM json_each(?) j JOIN advisories a ON a.adv = j.value`)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*node, len(advs))
	for len(advs) > 0 {
		k := min(chunk, len(advs))
		rows, err := s.QueryContext(g.w.ctx, jsonInts(advs[:k]))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var adv int64
			var id, aliases string
			n := &node{}
			if err := rows.Scan(&adv, &id, &aliases, &n.grp, &n.keys, &n.live); err != nil {
				rows.Close()
				return nil, err
			}
			if n.ids, err = parseJSONStrings(aliases); err != nil {
				rows.Close()
				return nil, fmt.Errorf("advisory %d aliases: %w", adv, err)
			}
			n.ids = append(n.ids, id)
			out[adv] = n
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		advs = advs[k:]
	}
	return out, nil
}

// holding is one (id, advisory) row of the ids table.
type holding struct {
	id  string
	adv int64
}

// sharing returns every advisory holding one of ids.
func (g *regrouper) sharing(ids []string) ([]holding, error) {
	s, err := g.w.stmt(`SELECT i.id, i.adv FROM json_each(?) j JOIN ids i ON i.id = j.value`)
	if err != nil {
		return nil, err
	}
	var out []holding
	for len(ids) > 0 {
		k := min(chunk, len(ids))
		rows, err := s.QueryContext(g.w.ctx, jsonStrings(ids[:k]))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var h holding
			if err := rows.Scan(&h.id, &h.adv); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, h)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		ids = ids[k:]
	}
	return out, nil
}

// write stores the groups of the visited nodes: every one of them is in a
// component reached from a changed advisory, so each component's row is
// rewritten, and the rows of groups they no longer form are deleted.
func (g *regrouper) write(uf unionFind, nodes map[int64]*node) error {
	w := g.w
	stale := map[int64]bool{}
	for _, old := range g.touched {
		stale[old] = true
	}
	comps := map[int64][]int64{}
	for adv := range nodes {
		root := uf.find(adv)
		comps[root] = append(comps[root], adv)
	}
	// The ids of each group of two or more.
	groupIDs := map[int64][]string{}
	for root, members := range comps {
		if len(members) < 2 {
			continue
		}
		var ids []string
		for _, m := range members {
			ids = append(ids, nodes[m].ids...)
		}
		slices.Sort(ids)
		groupIDs[root] = slices.Compact(ids)
	}
	for adv, n := range nodes {
		root := uf.find(adv)
		if n.grp != root {
			stale[n.grp] = true
			if err := w.exec(`UPDATE advisories SET grp = ? WHERE adv = ?`, root, adv); err != nil {
				return err
			}
		}
		if !n.live {
			continue
		}
		// Its keys' rows learn its group, or that it is alone.
		keys, err := decodeKeys(n.keys)
		if err != nil {
			return err
		}
		g := groupInfo{}
		if ids, ok := groupIDs[root]; ok {
			g = groupInfo{grp: root, ids: ids}
		}
		w.keys.setGroup(adv, keys, g)
	}
	for _, grp := range slices.Sorted(maps.Keys(stale)) {
		if len(comps[grp]) >= 2 {
			continue // rewritten below
		}
		if err := w.exec(`DELETE FROM groups WHERE grp = ?`, grp); err != nil {
			return err
		}
	}
	for _, root := range slices.Sorted(maps.Keys(comps)) {
		members := comps[root]
		if len(members) < 2 {
			// Alone: its own columns describe the group. A row left from
			// when it led a bigger group is deleted above (its number was
			// stale) or here.
			if err := w.exec(`DELETE FROM groups WHERE grp = ?`, root); err != nil {
				return err
			}
			continue
		}
		slices.Sort(members)
		ids := groupIDs[root]
		cves, cve := cveColumns(ids)
		if err := w.exec(`INSERT OR REPLACE INTO groups (grp, ids, cves, cve, members) VALUES (?, ?, ?, ?, ?)`,
			root, jsonStrings(ids), cves, cve, jsonInts(members)); err != nil {
			return err
		}
	}
	return nil
}
