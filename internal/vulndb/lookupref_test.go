package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// referenceQuery is the lookup as schema 1 ran it, one row per match with
// every enrichment entry formatted as text, plus the summary read from the
// advisory: the reference the faster lookup is held to.
const referenceQuery = `
SELECT f.data, (SELECT a.summary FROM advisories a WHERE a.adv = f.adv), g.ids,
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

// referenceAffecting runs referenceQuery, prepared by the caller.
func referenceAffecting(ctx context.Context, ref *sql.Stmt, k Key) ([]Match, error) {
	rows, err := ref.QueryContext(ctx, k.Ecosystem, k.Package)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Match
	for rows.Next() {
		var m Match
		var data []byte
		var groupIDs, kevs, epss sql.NullString
		if err := rows.Scan(&data, &m.Summary, &groupIDs, &kevs, &epss); err != nil {
			return nil, err
		}
		summary := m.Summary
		if err := decodeMatch(data, &m); err != nil {
			return nil, err
		}
		m.Summary = summary
		m.Affected.Ecosystem = k.Ecosystem
		if groupIDs.Valid {
			var ids []string
			if err := json.Unmarshal([]byte(groupIDs.String), &ids); err != nil {
				return nil, err
			}
			m.Aliases = slices.DeleteFunc(ids, func(id string) bool { return id == m.ID })
			if len(m.Aliases) == 0 {
				m.Aliases = nil
			}
		} else {
			slices.Sort(m.Aliases)
		}
		if m.KEV, err = decodeKEVs(kevs.String); err != nil {
			return nil, err
		}
		if m.EPSS, err = decodeEPSSs(epss.String, nil); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// TestAffectingRealData holds Affecting, cold and cached, to the reference
// lookup on every key of the shared data set, with the whole KEV catalogue
// and an EPSS score for every CVE of the store, so that alias groups, KEV
// and EPSS entries are all exercised.
func TestAffectingRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("imports about 15,000 advisories")
	}
	ctx := context.Background()
	bs := fullData(t)
	db, _ := openTest(t, Options{})
	importAll(t, db, bs)
	if st := applyKEVCatalogue(t, db); st.Added == 0 {
		t.Fatalf("KEV catalogue: %+v", st)
	}
	applyEPSSForAll(t, db)

	rows, err := db.ro.QueryContext(ctx, `SELECT DISTINCT ecosystem, package FROM affected`)
	if err != nil {
		t.Fatal(err)
	}
	var keys []Key
	for rows.Next() {
		var k Key
		if err := rows.Scan(&k.Ecosystem, &k.Package); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	cold, err := Open(ctx, db.Path(), Options{ReadOnly: true, LookupCache: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer cold.Close()
	ref, err := db.ro.PrepareContext(ctx, referenceQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()

	var matches, kevs, epss, grouped, summaries int
	for _, k := range keys {
		want, err := referenceAffecting(ctx, ref, k)
		if err != nil {
			t.Fatalf("%v: reference: %v", k, err)
		}
		for _, m := range want {
			matches++
			kevs += min(len(m.KEV), 1)
			epss += min(len(m.EPSS), 1)
			grouped += min(len(m.Aliases), 1)
			summaries += min(len(m.Summary), 1)
		}
		// Stored names are looked up as stored (NormalizeName is
		// idempotent on them); the second cached call is a cache hit.
		for i, src := range []*DB{cold, db, db} {
			got, err := src.Affecting(ctx, k.Ecosystem, k.Package)
			if err != nil {
				t.Fatalf("%v: %v", k, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("Affecting(%q, %q) call %d differs from the reference (-want +got):\n%s", k.Ecosystem, k.Package, i, diff)
			}
		}
	}
	t.Logf("%d keys, %d matches: %d with KEV, %d with EPSS, %d with aliases, %d with a summary", len(keys), matches, kevs, epss, grouped, summaries)
	if kevs == 0 || epss == 0 || grouped == 0 || summaries == 0 {
		t.Errorf("the data exercised too little: %d KEV, %d EPSS, %d aliases, %d summaries", kevs, epss, grouped, summaries)
	}
}

// applyKEVCatalogue stores the shared KEV catalogue.
func applyKEVCatalogue(t *testing.T, db *DB) feed.ApplyStats {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir(t, "vulnfeeds/enrichment"), "kev", "known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Skipf("KEV catalogue: %v", err)
	}
	var cat struct {
		Vulnerabilities []struct {
			CVEID, VendorProject, Product, DateAdded, DueDate, RequiredAction, KnownRansomwareCampaignUse string
		}
	}
	if err := json.Unmarshal(data, &cat); err != nil {
		t.Fatal(err)
	}
	kevs := func(yield func(advisory.KEV, error) bool) {
		for _, v := range cat.Vulnerabilities {
			added, err1 := time.Parse(time.DateOnly, v.DateAdded)
			due, err2 := time.Parse(time.DateOnly, v.DueDate)
			k := advisory.KEV{CVE: v.CVEID, DateAdded: added, DueDate: due, Vendor: v.VendorProject, Product: v.Product,
				RequiredAction: v.RequiredAction, Ransomware: v.KnownRansomwareCampaignUse == "Known"}
			if !yield(k, errors.Join(err1, err2)) {
				return
			}
		}
	}
	st, err := db.Apply(context.Background(), feed.Batch{Source: "kev", Full: true, KEV: kevs}, feed.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// applyEPSSForAll gives every CVE id of the store an EPSS entry derived
// from its name (the shared EPSS excerpt covers few of them); one in ten
// has no date.
func applyEPSSForAll(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.ro.QueryContext(ctx, `SELECT id FROM ids WHERE id LIKE 'CVE-%' GROUP BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var cves []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		cves = append(cves, id)
	}
	rows.Close()
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	seq := func(yield func(advisory.EPSS, error) bool) {
		for _, cve := range cves {
			h := fnv.New64a()
			fmt.Fprint(h, cve)
			v := h.Sum64()
			e := advisory.EPSS{CVE: strings.TrimSpace(cve), Score: float64(v%100000) / 100000, Percentile: float64(v/100000%100000) / 100000}
			if v%10 != 0 {
				e.Date = day.Add(-time.Duration(v%3) * 24 * time.Hour)
			}
			if !yield(e, nil) {
				return
			}
		}
	}
	if _, err := db.Apply(ctx, feed.Batch{Source: "epss", Full: true, EPSS: seq}, feed.SourceState{}); err != nil {
		t.Fatal(err)
	}
}
