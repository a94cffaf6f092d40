package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
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

// referenceLookups computes every key's lookup from first principles,
// independently of the matches rows: each live advisory's stored body, its
// alias group's row and the KEV and EPSS tables, read with plain queries.
// It is the reference the lookup is held to.
func referenceLookups(t *testing.T, db *DB) map[Key][]Match {
	t.Helper()
	ctx := context.Background()
	kevs := map[string]advisory.KEV{}
	rows, err := db.ro.QueryContext(ctx, `SELECT cve, COALESCE(date_added, ''), COALESCE(due_date, ''), ransomware, vendor, product, required_action FROM kev`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k advisory.KEV
		var added, due string
		if err := rows.Scan(&k.CVE, &added, &due, &k.Ransomware, &k.Vendor, &k.Product, &k.RequiredAction); err != nil {
			t.Fatal(err)
		}
		k.DateAdded, _ = parseTime(added)
		k.DueDate, _ = parseTime(due)
		kevs[k.CVE] = k
	}
	rows.Close()
	epss := map[string]advisory.EPSS{}
	rows, err = db.ro.QueryContext(ctx, `SELECT cve, score, percentile, COALESCE(date, '') FROM epss`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e advisory.EPSS
		var date string
		if err := rows.Scan(&e.CVE, &e.Score, &e.Percentile, &date); err != nil {
			t.Fatal(err)
		}
		e.Date, _ = parseTime(date)
		epss[e.CVE] = e
	}
	rows.Close()

	out := map[Key][]Match{}
	rows, err = db.ro.QueryContext(ctx, `SELECT a.body, g.ids FROM advisories a LEFT JOIN groups g ON g.grp = a.grp
		WHERE a.withdrawn IS NULL ORDER BY a.adv`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var body []byte
		var groupIDs sql.NullString
		if err := rows.Scan(&body, &groupIDs); err != nil {
			t.Fatal(err)
		}
		a, err := decodeAdvisory(body)
		if err != nil {
			t.Fatal(err)
		}
		ids := slices.Sorted(slices.Values(a.IDs()))
		if groupIDs.Valid {
			if err := json.Unmarshal([]byte(groupIDs.String), &ids); err != nil {
				t.Fatal(err)
			}
		}
		aliases := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == a.ID })
		if len(aliases) == 0 {
			aliases = nil
		}
		var kev []advisory.KEV
		var scores []advisory.EPSS
		for _, id := range ids {
			if k, ok := kevs[id]; ok && isCVE(id) {
				kev = append(kev, k)
			}
			if e, ok := epss[id]; ok && isCVE(id) {
				scores = append(scores, e)
			}
		}
		for _, af := range a.Affected {
			k := Key{Ecosystem: af.Ecosystem, Package: NormalizeName(af.Ecosystem, af.Package)}
			out[k] = append(out[k], Match{
				ID: a.ID, Source: a.Source, Summary: a.Summary, Aliases: aliases, Affected: af,
				Severity: a.Severity, Published: a.Published, Modified: a.Modified, KEV: kev, EPSS: scores,
			})
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
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

	cold, err := Open(ctx, db.Path(), Options{ReadOnly: true, LookupCache: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer cold.Close()
	ref := referenceLookups(t, db)
	keys := slices.SortedFunc(maps.Keys(ref), compareKeys)
	var matches, kevs, epss, grouped, summaries int
	for _, k := range keys {
		want := ref[k]
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
func applyKEVCatalogue(t testing.TB, db *DB) feed.ApplyStats {
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
func applyEPSSForAll(t testing.TB, db *DB) {
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
