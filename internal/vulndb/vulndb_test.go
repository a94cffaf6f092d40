package vulndb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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

func TestOpenSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub dir?#%", "v.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path, Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing file succeeded")
	}
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := schemaVersion(ctx, db.ro); err != nil || v != SchemaVersion() {
		t.Fatalf("schema version = %d, %v; want %d", v, err, SchemaVersion())
	}
	var mode string
	if err := db.rw.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	// A new store has newPageSize pages, and its log is checkpointed at
	// 64 MiB whatever the page size.
	var pageSize, autocheckpoint int
	if err := db.rw.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil || pageSize != newPageSize {
		t.Fatalf("page_size = %d, %v; want %d", pageSize, err, newPageSize)
	}
	if err := db.rw.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&autocheckpoint); err != nil || autocheckpoint*pageSize != 64<<20 {
		t.Fatalf("wal_autocheckpoint = %d pages of %d, %v; want 64 MiB", autocheckpoint, pageSize, err)
	}
	db.Close()

	// Reopening migrates nothing and keeps working; read-only opens too.
	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Apply(ctx, feed.Batch{Source: "x", Advisories: seqOf(nil)}, feed.SourceState{}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Apply on read-only = %v, want ErrReadOnly", err)
	}
	if err := ro.RecordFailure(ctx, "x", t0, errors.New("boom")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("RecordFailure on read-only = %v, want ErrReadOnly", err)
	}
	if err := ro.RecordUnchanged(ctx, "x", t0); !errors.Is(err, ErrReadOnly) {
		t.Errorf("RecordUnchanged on read-only = %v, want ErrReadOnly", err)
	}
	if ms, err := ro.Affecting(ctx, "npm", "x"); err != nil || ms != nil {
		t.Errorf("Affecting on empty store = %v, %v", ms, err)
	}
	ro.Close()

	// A database from the future is refused, read-write and read-only.
	raw, err := sql.Open("sqlite", dsn(path, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	for _, ro := range []bool{false, true} {
		_, err := Open(ctx, path, Options{ReadOnly: ro})
		if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), path) {
			t.Errorf("Open(read-only=%v) of schema 99 = %v, want ErrSchemaTooNew naming the file", ro, err)
		}
	}
}

func TestOpenBadFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// A real database to damage.
	good := filepath.Join(dir, "good.db")
	db, err := Open(ctx, good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, db, "osv", true, pick(testdataRecords(t), "PYSEC-2024-4", "GHSA-jfh8-c2jp-5v3q"))
	if _, err := db.rw.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	whole, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) < 8192 {
		t.Fatalf("test database only %d bytes", len(whole))
	}

	cases := []struct {
		name string
		data []byte
	}{
		{"garbage", []byte(strings.Repeat("this is not a database\n", 300))},
		{"zeros", make([]byte, 4096)},
		{"short", []byte("SQLite format 3\x00\x10\x00")},
		{"header only", whole[:100]},
		{"truncated", whole[:len(whole)/2]},
		{"bad page size", append(append([]byte{}, whole[:16]...), append([]byte{0x03, 0x00}, whole[18:]...)...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, ro := range []bool{false, true} {
				path := filepath.Join(t.TempDir(), "bad.db")
				if err := os.WriteFile(path, tc.data, 0o644); err != nil {
					t.Fatal(err)
				}
				db, err := Open(ctx, path, Options{ReadOnly: ro})
				if err == nil {
					db.Close()
					t.Fatalf("Open(read-only=%v) succeeded", ro)
				}
				if !errors.Is(err, ErrNotDatabase) || !strings.Contains(err.Error(), path) {
					t.Errorf("Open(read-only=%v) = %v; want ErrNotDatabase naming %s", ro, err, path)
				}
				after, _ := os.ReadFile(path)
				if string(after) != string(tc.data) {
					t.Errorf("Open(read-only=%v) modified the bad file", ro)
				}
			}
		})
	}
	if _, err := Open(ctx, dir, Options{}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open(directory) = %v, want an error naming it", err)
	}
}

func TestChangeLog(t *testing.T) {
	ctx := context.Background()
	recs := testdataRecords(t)
	db, clk := openTest(t, Options{})

	first := []string{"PYSEC-2024-4", "PYSEC-2024-33", "GO-2020-0001", "GO-2022-0617", "CVE-2024-10524", "DEBIAN-CVE-2023-38545"}
	st := apply(t, db, "osv", true, pick(recs, first...))
	if diff := cmp.Diff(feed.ApplyStats{Added: 6}, st); diff != "" {
		t.Errorf("first import stats (-want +got):\n%s", diff)
	}
	wantKeys := map[string][]Key{
		"PYSEC-2024-4":          keys("PyPI|gitpython"),
		"PYSEC-2024-33":         keys("PyPI|vantage6-node"),
		"GO-2020-0001":          keys("Go|github.com/gin-gonic/gin"),
		"GO-2022-0617":          keys("Go|k8s.io/kubernetes"),
		"CVE-2024-10524":        keys("Alpine:v3.21|wget", "Alpine:v3.22|wget", "Debian:11|wget", "Debian:12|wget", "Debian:13|wget"),
		"DEBIAN-CVE-2023-38545": keys("Debian:12|curl"),
		"DSA-5474-1":            keys("Debian:11|intel-microcode", "Debian:12|intel-microcode"),
	}
	var want []Change
	for i, id := range first {
		kind := KindNew
		if id == "GO-2022-0617" {
			kind = KindWithdrawn // published already withdrawn
		}
		want = append(want, Change{Seq: int64(i + 1), AdvisoryID: id, Source: "osv", Kind: kind, Keys: wantKeys[id], Time: t0})
	}
	if diff := cmp.Diff(want, changesAfter(t, db, 0)); diff != "" {
		t.Fatalf("first import change log (-want +got):\n%s", diff)
	}

	// The same snapshot again: nothing to write, nothing to log.
	clk.advance(time.Hour)
	st = apply(t, db, "osv", true, pick(recs, first...))
	if diff := cmp.Diff(feed.ApplyStats{Unchanged: 6}, st); diff != "" {
		t.Errorf("identical re-import stats (-want +got):\n%s", diff)
	}
	if cs := changesAfter(t, db, 6); len(cs) != 0 {
		t.Errorf("identical re-import logged %d changes: %+v", len(cs), cs)
	}

	// A new snapshot: one modified (fixed version moves, Debian:12 entry
	// dropped), one withdrawn upstream, one new, one gone.
	clk.advance(time.Hour)
	mod := recs["CVE-2024-10524"]
	mod.Affected = append([]advisory.Affected{}, mod.Affected[0], mod.Affected[1], mod.Affected[2], mod.Affected[4])
	mod.Affected[3].Ranges = []advisory.Range{{Type: "ECOSYSTEM", Events: []advisory.Event{{Introduced: "0"}, {Fixed: "1.25.0-2"}}}}
	wd := recs["PYSEC-2024-4"]
	wd.Withdrawn = clk.t.Add(-time.Minute)
	second := append(advs(wd, mod), pick(recs, "GO-2020-0001", "GO-2022-0617", "DEBIAN-CVE-2023-38545", "DSA-5474-1")...)
	st = apply(t, db, "osv", true, second)
	if diff := cmp.Diff(feed.ApplyStats{Added: 1, Modified: 1, Withdrawn: 2, Unchanged: 3}, st); diff != "" {
		t.Errorf("second snapshot stats (-want +got):\n%s", diff)
	}
	t2 := t0.Add(2 * time.Hour)
	want = []Change{
		{Seq: 7, AdvisoryID: "PYSEC-2024-4", Source: "osv", Kind: KindWithdrawn, Keys: wantKeys["PYSEC-2024-4"], Time: t2},
		// Keys before and after: Debian:12 is no longer named but its
		// findings change.
		{Seq: 8, AdvisoryID: "CVE-2024-10524", Source: "osv", Kind: KindModified, Keys: wantKeys["CVE-2024-10524"], Time: t2},
		{Seq: 9, AdvisoryID: "DSA-5474-1", Source: "osv", Kind: KindNew, Keys: wantKeys["DSA-5474-1"], Time: t2},
		{Seq: 10, AdvisoryID: "PYSEC-2024-33", Source: "osv", Kind: KindWithdrawn, Keys: wantKeys["PYSEC-2024-33"], Time: t2},
	}
	if diff := cmp.Diff(want, changesAfter(t, db, 6)); diff != "" {
		t.Errorf("second snapshot change log (-want +got):\n%s", diff)
	}
	if v, err := db.Version(ctx); err != nil || v != 10 {
		t.Errorf("Version = %d, %v; want 10", v, err)
	}
	if cs, err := db.Changes(ctx, 7, 2); err != nil || len(cs) != 2 || cs[0].Seq != 8 || cs[1].Seq != 9 {
		t.Errorf("Changes(7, 2) = %+v, %v; want seq 8 and 9", cs, err)
	}

	// Withdrawn and gone advisories match nothing; the modified one moved.
	for _, k := range []Key{{"PyPI", "gitpython"}, {"PyPI", "vantage6-node"}, {"Debian:12", "wget"}, {"Go", "k8s.io/kubernetes"}} {
		if ms, err := db.Affecting(ctx, k.Ecosystem, k.Package); err != nil || len(ms) != 0 {
			t.Errorf("Affecting(%v) = %v, %v; want nothing", k, matchIDs(ms), err)
		}
	}
	ms, err := db.Affecting(ctx, "Debian:13", "wget")
	if err != nil || len(ms) != 1 || ms[0].Affected.Ranges[0].Events[1].Fixed != "1.25.0-2" {
		t.Errorf("Affecting(Debian:13 wget) = %+v, %v; want the modified range", ms, err)
	}

	// A delta touches only what it carries: absent records stay.
	clk.advance(time.Hour)
	back := recs["PYSEC-2024-33"]
	st = apply(t, db, "osv", false, advs(back))
	if diff := cmp.Diff(feed.ApplyStats{Added: 1}, st); diff != "" {
		t.Errorf("delta stats (-want +got):\n%s", diff)
	}
	want = []Change{{Seq: 11, AdvisoryID: "PYSEC-2024-33", Source: "osv", Kind: KindNew, Keys: wantKeys["PYSEC-2024-33"], Time: t0.Add(3 * time.Hour)}}
	if diff := cmp.Diff(want, changesAfter(t, db, 10)); diff != "" {
		t.Errorf("delta change log (-want +got):\n%s", diff)
	}
	if ms, err := db.Affecting(ctx, "Go", "github.com/gin-gonic/gin"); err != nil || len(ms) != 1 {
		t.Errorf("delta withdrew an absent record: %v, %v", matchIDs(ms), err)
	}
	if s, err := db.State(ctx, "osv"); err != nil || s.Records != 7 {
		t.Errorf("State(osv).Records = %d, %v; want 7 (6 in the snapshot + 1 back)", s.Records, err)
	}
	checkGroups(t, db)
}

func TestApplySkipsBadRecords(t *testing.T) {
	ctx := context.Background()
	recs := testdataRecords(t)
	db, _ := openTest(t, Options{})
	apply(t, db, "osv", true, pick(recs, "PYSEC-2024-4", "GO-2020-0001"))

	// A full snapshot in which PYSEC-2024-4 fails to parse (the iterator
	// names it) and two records are unusable: PYSEC-2024-4 keeps its
	// stored data instead of being withdrawn.
	batch := []result{
		{adv: advisory.Advisory{ID: "PYSEC-2024-4"}, err: errors.New("bad modified time")},
		{err: errors.New("truncated JSON")},
		{adv: advisory.Advisory{Summary: "no id"}},
		{adv: recs["GO-2020-0001"]},
		{adv: recs["GO-2020-0001"]},
	}
	st := apply(t, db, "osv", true, batch)
	want := feed.ApplyStats{Unchanged: 1, Skipped: 4, SkippedErrors: []string{
		"osv PYSEC-2024-4: bad modified time",
		"osv: truncated JSON",
		"osv: advisory without id",
		"osv GO-2020-0001: duplicate id in batch",
	}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if ms, err := db.Affecting(ctx, "PyPI", "gitpython"); err != nil || len(ms) != 1 {
		t.Errorf("skipped record was withdrawn: %v, %v", matchIDs(ms), err)
	}
	if cs := changesAfter(t, db, 2); len(cs) != 0 {
		t.Errorf("logged %+v", cs)
	}
}

// TestFullBatchWithUnnamedSkips: a full snapshot from which a record was
// skipped without an id (an entry over the size limit, unreadable JSON, a
// record without id) withdraws nothing, since any stored advisory might be
// the one skipped; once a snapshot reads cleanly, what it lacks goes.
func TestFullBatchWithUnnamedSkips(t *testing.T) {
	ctx := context.Background()
	recs := testdataRecords(t)
	stored := []string{"PYSEC-2024-4", "GO-2020-0001", "DSA-5474-1"}
	tests := []struct {
		name  string
		batch []result
		// live are the stored ids Affecting still finds afterwards.
		live      []string
		withdrawn int
	}{
		{"unreadable entry", []result{
			{adv: recs["GO-2020-0001"]},
			{err: errors.New("entry over the record limit")},
		}, stored, 0},
		{"record without id", []result{
			{adv: recs["GO-2020-0001"]},
			{adv: advisory.Advisory{Summary: "no id"}},
		}, stored, 0},
		{"only named skips", []result{
			{adv: recs["GO-2020-0001"]},
			{adv: advisory.Advisory{ID: "PYSEC-2024-4"}, err: errors.New("bad modified time")},
		}, []string{"PYSEC-2024-4", "GO-2020-0001"}, 1},
		{"clean", []result{
			{adv: recs["GO-2020-0001"]},
		}, []string{"GO-2020-0001"}, 2},
	}
	probes := map[string]Key{
		"PYSEC-2024-4": {"PyPI", "gitpython"},
		"GO-2020-0001": {"Go", "github.com/gin-gonic/gin"},
		"DSA-5474-1":   {"Debian:12", "intel-microcode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTest(t, Options{})
			apply(t, db, "osv", true, pick(recs, stored...))
			st := apply(t, db, "osv", true, tc.batch)
			if st.Withdrawn != tc.withdrawn {
				t.Errorf("withdrew %d, want %d (%+v)", st.Withdrawn, tc.withdrawn, st)
			}
			var live []string
			for _, id := range stored {
				k := probes[id]
				ms, err := db.Affecting(ctx, k.Ecosystem, k.Package)
				if err != nil {
					t.Fatal(err)
				}
				if slices.ContainsFunc(ms, func(m Match) bool { return m.ID == id }) {
					live = append(live, id)
				}
			}
			if diff := cmp.Diff(tc.live, live); diff != "" {
				t.Errorf("live advisories (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyRejectsBadBatches(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, Options{})
	for name, b := range map[string]feed.Batch{
		"no source":     {Advisories: seqOf(nil)},
		"no iterator":   {Source: "x"},
		"two iterators": {Source: "x", Advisories: seqOf(nil), KEV: func(func(advisory.KEV, error) bool) {}},
	} {
		if _, err := db.Apply(ctx, b, feed.SourceState{}); err == nil {
			t.Errorf("%s: Apply succeeded", name)
		}
	}
	if _, err := db.Apply(ctx, feed.Batch{Source: "x", Advisories: seqOf(nil)}, feed.SourceState{Source: "y"}); err == nil {
		t.Error("Apply with another source's state succeeded")
	}
}

func TestApplyCancelled(t *testing.T) {
	recs := testdataRecords(t)
	db, _ := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	var rs []result
	for i := range 3 * checkEvery {
		a := recs["GO-2020-0001"]
		a.ID = a.ID + "-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String()
		a.Aliases = nil
		rs = append(rs, result{adv: a})
	}
	seq := func(yield func(advisory.Advisory, error) bool) {
		for i, r := range rs {
			if i == checkEvery+3 {
				cancel()
			}
			if !yield(r.adv, r.err) {
				return
			}
		}
	}
	_, err := db.Apply(ctx, feed.Batch{Source: "osv", Full: true, Advisories: seq}, feed.SourceState{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply = %v, want context.Canceled", err)
	}
	if v, err := db.Version(context.Background()); err != nil || v != 0 {
		t.Errorf("after a cancelled Apply Version = %d, %v; want 0", v, err)
	}
	if s, err := db.State(context.Background(), "osv"); err != nil || s != (feed.SourceState{}) {
		t.Errorf("after a cancelled Apply State = %+v, %v; want zero", s, err)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	recs := testdataRecords(t)
	db, clk := openTest(t, Options{})
	if s, err := db.State(ctx, "osv"); err != nil || s != (feed.SourceState{}) {
		t.Fatalf("State of a new source = %+v, %v; want zero", s, err)
	}
	if b, err := db.Built(ctx); err != nil || !b.IsZero() {
		t.Fatalf("Built of an empty store = %v, %v", b, err)
	}
	fp := feed.Fingerprint{ETag: `"abc"`, LastModified: "Sat, 28 Nov 2026 02:53:00 GMT", Cursor: "2026-11-28T00:00:00Z", Digest: "sha256:00"}
	_, err := db.Apply(ctx, feed.Batch{Source: "osv", Full: true, Advisories: seqOf(pick(recs, "PYSEC-2024-4", "GO-2020-0001"))},
		feed.SourceState{URL: "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip", Fingerprint: fp})
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Hour)
	if err := db.RecordFailure(ctx, "osv", clk.t, errors.New("fetch: 503")); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordFailure(ctx, "kev", clk.t, errors.New("fetch: timeout")); err != nil {
		t.Fatal(err)
	}
	want := []feed.SourceState{
		{Source: "kev", LastAttempt: clk.t, LastError: "fetch: timeout"},
		{Source: "osv", URL: "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip", Fingerprint: fp,
			LastAttempt: clk.t, LastSuccess: t0, Records: 2, LastError: "fetch: 503"},
	}
	got, err := db.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
	if b, err := db.Built(ctx); err != nil || !b.Equal(t0) {
		t.Errorf("Built = %v, %v; want %v", b, err, t0)
	}
	if n, err := db.Size(ctx); err != nil || n <= 0 {
		t.Errorf("Size = %d, %v", n, err)
	}
	// A fetch that found upstream unchanged records the attempt, clears
	// the error and keeps the rest: the last success, the fingerprint the
	// next fetch compares with, the count.
	clk.advance(time.Hour)
	if err := db.RecordUnchanged(ctx, "osv", clk.t); err != nil {
		t.Fatal(err)
	}
	wantOSV := want[1]
	wantOSV.LastAttempt, wantOSV.LastError = clk.t, ""
	if s, err := db.State(ctx, "osv"); err != nil || !cmp.Equal(s, wantOSV) {
		t.Errorf("State after an unchanged fetch (-want +got):\n%s (%v)", cmp.Diff(wantOSV, s), err)
	}
	if b, err := db.Built(ctx); err != nil || !b.Equal(t0) {
		t.Errorf("Built after an unchanged fetch = %v, %v; want %v", b, err, t0)
	}
	// A success clears the error.
	apply(t, db, "osv", true, pick(recs, "PYSEC-2024-4"))
	if s, err := db.State(ctx, "osv"); err != nil || s.LastError != "" || !s.LastSuccess.Equal(clk.t) || s.Records != 1 {
		t.Errorf("State after success = %+v, %v", s, err)
	}
}

// checkGroups recomputes the alias groups from scratch and compares them
// with the stored ones, so incremental regrouping is checked against the
// definition.
func checkGroups(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.ro.QueryContext(ctx, `SELECT id, adv FROM ids`)
	if err != nil {
		t.Fatal(err)
	}
	uf := unionFind{}
	first := map[string]int64{}
	for rows.Next() {
		var id string
		var adv int64
		if err := rows.Scan(&id, &adv); err != nil {
			t.Fatal(err)
		}
		uf.add(adv)
		if f, ok := first[id]; ok {
			uf.union(f, adv)
		} else {
			first[id] = adv
		}
	}
	rows.Close()
	size := map[int64]int{}
	for adv := range uf {
		size[uf.find(adv)]++
	}
	rows, err = db.ro.QueryContext(ctx, `SELECT a.adv, a.grp, g.members FROM advisories a LEFT JOIN groups g ON g.grp = a.grp`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var adv, grp int64
		var members sql.NullString
		if err := rows.Scan(&adv, &grp, &members); err != nil {
			t.Fatal(err)
		}
		want := uf.find(adv)
		if grp != want {
			t.Errorf("advisory %d in group %d, want %d", adv, grp, want)
		}
		if size[want] < 2 {
			if members.Valid {
				t.Errorf("advisory %d is alone but group %d has a row", adv, grp)
			}
			continue
		}
		var ms []int64
		if !members.Valid || json.Unmarshal([]byte(members.String), &ms) != nil || !slices.Contains(ms, adv) || len(ms) != size[want] {
			t.Errorf("advisory %d: group %d row %v, want %d members including it", adv, grp, members, size[want])
		}
	}
	multi := 0
	for _, n := range size {
		if n >= 2 {
			multi++
		}
	}
	var groups int
	if err := db.ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM groups`).Scan(&groups); err != nil || groups != multi {
		t.Errorf("%d group rows (%v), want %d", groups, err, multi)
	}
	checkMatches(t, db)
}

// checkMatches rebuilds every matches row from the advisories and the
// groups, as from scratch, and compares it with the stored row: the
// incremental upkeep of Apply and regrouping is checked against the
// definition.
func checkMatches(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.ro.QueryContext(ctx, `SELECT a.adv, a.body, g.grp, g.ids FROM advisories a LEFT JOIN groups g ON g.grp = a.grp
		WHERE a.withdrawn IS NULL ORDER BY a.adv`)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		entries []storedEntry
		cves    []string
		groups  map[int64]groupInfo
	}
	wants := map[Key]*want{}
	for rows.Next() {
		var adv int64
		var body []byte
		var grp sql.NullInt64
		var groupIDs sql.NullString
		if err := rows.Scan(&adv, &body, &grp, &groupIDs); err != nil {
			t.Fatal(err)
		}
		ids := groupIDsColumn(t, groupIDs)
		a, err := decodeAdvisory(body)
		if err != nil {
			t.Fatalf("advisory %d: %v", adv, err)
		}
		for i := range a.Affected {
			af := &a.Affected[i]
			k := Key{Ecosystem: af.Ecosystem, Package: NormalizeName(af.Ecosystem, af.Package)}
			w := wants[k]
			if w == nil {
				w = &want{groups: map[int64]groupInfo{}}
				wants[k] = w
			}
			w.entries = append(w.entries, storedEntry{adv: adv, n: i, match: encodeEntry(&a, af, sortedAliases(a.Aliases))})
			for _, id := range a.IDs() {
				if isCVE(id) {
					w.cves = append(w.cves, id)
				}
			}
			if grp.Valid {
				w.groups[adv] = groupInfo{grp: grp.Int64, ids: ids}
				for _, id := range ids {
					if isCVE(id) {
						w.cves = append(w.cves, id)
					}
				}
			}
		}
	}
	rows.Close()
	rows, err = db.ro.QueryContext(ctx, `SELECT ecosystem, package, data, COALESCE(json(cves), ''), groups FROM matches`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k Key
		var data, groups []byte
		var cves string
		if err := rows.Scan(&k.Ecosystem, &k.Package, &data, &cves, &groups); err != nil {
			t.Fatal(err)
		}
		w := wants[k]
		delete(wants, k)
		if w == nil {
			t.Errorf("matches row %v has no live advisory", k)
			continue
		}
		slices.Sort(w.cves)
		wantCVEs := ""
		if w.cves = slices.Compact(w.cves); len(w.cves) > 0 {
			wantCVEs = jsonStrings(w.cves)
		}
		if got, want := string(data), string(appendEntries(nil, w.entries)); got != want {
			t.Errorf("matches row %v: entries differ from its advisories'", k)
		}
		if cves != wantCVEs {
			t.Errorf("matches row %v: cves %s, want %s", k, cves, wantCVEs)
		}
		if want := encodeGroups(w.groups); string(groups) != string(want) {
			t.Errorf("matches row %v: groups %q, want %q", k, groups, want)
		}
	}
	for k := range wants {
		t.Errorf("no matches row for %v", k)
	}
}

// groupIDsColumn parses a group's ids column, nil when NULL.
func groupIDsColumn(t *testing.T, s sql.NullString) []string {
	t.Helper()
	if !s.Valid {
		return nil
	}
	ids, err := parseJSONStrings(s.String)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestMigrateFromSchema1 opens a database written by schema 1 (built here
// with that schema's statements) and checks that migrating keeps its data
// and gives lookups the summaries.
func TestMigrateFromSchema1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := migrationFS.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	rec := testdataRecords(t)["GHSA-2mqj-m65w-jghx"]
	rec.Source = "ghsa"
	hash, _ := contentHash(&rec, nil)
	keys := affectedKeys(&rec)
	stmts := []struct {
		q    string
		args []any
	}{
		{string(v1), nil},
		{"PRAGMA user_version = 1", nil},
		{`INSERT INTO advisories (adv, source, id, grp, hash, aliases, cves, cve, related, summary, details, refs, severity, cvss3_vector, keys)
			VALUES (1, 'ghsa', ?, 1, ?, ?, ?, ?, '[]', ?, ?, '[]', ?, 'CVSS:3.1/AV:N', ?)`,
			[]any{rec.ID, hash[:], jsonStrings(rec.Aliases), `["CVE-2024-22190"]`, "CVE-2024-22190", rec.Summary, rec.Details, encodeScores(rec.Severity), encodeKeys(keys, false)}},
		{`INSERT INTO ids (id, adv) VALUES (?, 1), ('CVE-2024-22190', 1)`, []any{rec.ID}},
	}
	for i, af := range rec.Affected {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{`INSERT INTO affected (ecosystem, package, adv, n, grp, live, cve, cves, data, status, severity, fixed)
			VALUES (?, ?, 1, ?, 1, 1, 'CVE-2024-22190', '["CVE-2024-22190"]', ?, '', '', '[]')`,
			[]any{af.Ecosystem, NormalizeName(af.Ecosystem, af.Package), i, encodeMatch(&rec, &rec.Affected[i])}})
	}
	for _, s := range stmts {
		if _, err := raw.ExecContext(ctx, s.q, s.args...); err != nil {
			t.Fatalf("%.60s: %v", s.q, err)
		}
	}
	raw.Close()

	if _, err := Open(ctx, path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Errorf("read-only open of a schema 1 database = %v, want a request to migrate", err)
	}
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := schemaVersion(ctx, db.ro); err != nil || v != SchemaVersion() {
		t.Fatalf("schema version after migration = %d, %v", v, err)
	}
	ms, err := db.Affecting(ctx, "PyPI", "gitpython")
	if err != nil || len(ms) != 1 || ms[0].Summary != rec.Summary || rec.Summary == "" {
		t.Fatalf("Affecting after migration = %+v, %v; want the summary %q", ms, err, rec.Summary)
	}
	if v, err := db.Vulnerability(ctx, "CVE-2024-22190"); err != nil || len(v.Records) != 1 || v.Records[0].Details != rec.Details {
		t.Errorf("Vulnerability after migration = %+v, %v", v, err)
	}
	// The stored hash still matches: re-importing the record writes nothing.
	if st := apply(t, db, "ghsa", true, advs(rec)); st.Unchanged != 1 {
		t.Errorf("re-import after migration: %+v, want unchanged", st)
	}
}
