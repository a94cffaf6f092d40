package vulndb

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// TestMigrateFromSchema2 writes a schema 2 store as schema 2 did (an alias
// group, a withdrawn advisory, one with entries in several releases, an
// EPSS score),
// migrates it, and holds it to a store that imported the same records
// with this schema: every lookup and every Vulnerability must agree, and
// its matches rows must be what Apply would have written.
func TestMigrateFromSchema2(t *testing.T) {
	ctx := context.Background()
	recs := testdataRecords(t)
	type stored struct {
		source string
		a      advisory.Advisory
	}
	// In adv order; PYSEC-2024-4 (1) and GHSA-2mqj-m65w-jghx (4) share
	// CVE-2024-22190.
	batch := []stored{
		{"osv", recs["PYSEC-2024-4"]}, {"osv", recs["GO-2022-0617"]}, {"osv", recs["DSA-5474-1"]},
		{"ghsa", recs["GHSA-2mqj-m65w-jghx"]},
	}
	fresh, _ := openTest(t, Options{})
	apply(t, fresh, "osv", true, advs(batch[0].a, batch[1].a, batch[2].a))
	apply(t, fresh, "ghsa", true, advs(batch[3].a))
	// An EPSS score whose shortest form has more digits than %.15g keeps.
	score := advisory.EPSS{CVE: "CVE-2024-22190", Score: 0.1 + 0.2, Percentile: 0.97531, Date: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)}
	epss := func(yield func(advisory.EPSS, error) bool) { yield(score, nil) }
	if _, err := fresh.Apply(ctx, feed.Batch{Source: "epss", Full: true, EPSS: epss}, feed.SourceState{}); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "v2.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	for _, name := range []string{"migrations/0001_init.sql", "migrations/0002_lookup.sql"} {
		q, err := migrationFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(q))
	}
	exec("PRAGMA user_version = 2")
	exec(`INSERT INTO epss (cve, source, score, percentile, date) VALUES (?, 'epss', ?, ?, ?)`, score.CVE, score.Score, score.Percentile, formatTime(score.Date))
	groupIDs := []string{"CVE-2024-22190", "GHSA-2mqj-m65w-jghx", "PYSEC-2024-4"}
	exec(`INSERT INTO groups (grp, ids, cves, cve, members) VALUES (1, ?, '["CVE-2024-22190"]', 'CVE-2024-22190', '[1,4]')`, jsonStrings(groupIDs))
	for i, s := range batch {
		adv := int64(i + 1)
		a := s.a
		a.Source = s.source
		a.Aliases = cleanAliases(a.ID, a.Aliases)
		grp := adv
		if adv == 4 {
			grp = 1
		}
		hash, _ := contentHash(&a, nil)
		keys := affectedKeys(&a)
		cves, cve := cveColumns(a.IDs())
		exec(`INSERT INTO advisories (adv, source, id, grp, withdrawn, published, modified, aliases, cves, cve, severity, hash, keys, related, refs, summary, details)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			adv, a.Source, a.ID, grp, formatTime(a.Withdrawn), formatTime(a.Published), formatTime(a.Modified), jsonStrings(a.Aliases),
			cves, cve, encodeScores(a.Severity), hash[:], encodeKeys(keys, false), jsonStrings(a.Related), jsonStrings(a.References), a.Summary, a.Details)
		for _, id := range a.IDs() {
			exec(`INSERT OR IGNORE INTO ids (id, adv) VALUES (?, ?)`, id, adv)
		}
		if cve != nil {
			cves = nil
		}
		for n := range a.Affected {
			af := &a.Affected[n]
			live := 1
			if a.IsWithdrawn() {
				live = 0
			}
			exec(`INSERT INTO affected (ecosystem, package, adv, n, grp, live, cve, cves, data, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				af.Ecosystem, NormalizeName(af.Ecosystem, af.Package), adv, n, grp, live, cve, cves, encodeMatch(&a, af), a.Summary)
		}
	}
	raw.Close()

	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := schemaVersion(ctx, db.ro); err != nil || v != SchemaVersion() {
		t.Fatalf("schema version after migration = %d, %v", v, err)
	}
	checkMatches(t, db)
	var keys []Key
	for _, s := range batch {
		keys = append(keys, affectedKeys(&s.a)...)
	}
	lookups, scored := 0, 0
	for _, k := range keys {
		want, err := fresh.Affecting(ctx, k.Ecosystem, k.Package)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Affecting(ctx, k.Ecosystem, k.Package)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Affecting(%v) after migration (-fresh +migrated):\n%s", k, diff)
		}
		lookups += len(got)
		for _, m := range got {
			scored += len(m.EPSS)
		}
	}
	if lookups == 0 || scored == 0 {
		t.Fatalf("the lookups found %d matches, %d EPSS scores", lookups, scored)
	}
	for _, s := range batch {
		want, err := fresh.Vulnerability(ctx, s.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Vulnerability(ctx, s.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Vulnerability(%s) after migration (-fresh +migrated):\n%s", s.a.ID, diff)
		}
	}
	if v, _ := db.Vulnerability(ctx, "PYSEC-2024-4"); v == nil || !slices.Equal(v.IDs, groupIDs) {
		t.Errorf("the group did not survive the migration: %+v", v)
	}
	// The hashes still match: re-importing writes nothing.
	if st := apply(t, db, "osv", true, advs(batch[0].a, batch[1].a, batch[2].a)); st.Unchanged != 3 {
		t.Errorf("osv re-import after migration: %+v, want 3 unchanged", st)
	}
	if st := apply(t, db, "ghsa", true, advs(batch[3].a)); st.Unchanged != 1 {
		t.Errorf("ghsa re-import after migration: %+v, want 1 unchanged", st)
	}
}
