package vulndb

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/feed"
)

// sourceBatch is the content of one all.zip, as one source.
type sourceBatch struct {
	source string
	recs   []result
}

// fullData reads every OSV all.zip of the shared data set: the OSV
// ecosystems, the Debian 12 reconstruction and the extra GHSA records.
func fullData(t testing.TB) []sourceBatch {
	t.Helper()
	dir := sharedDir(t, "vulnfeeds")
	zips, err := filepath.Glob(filepath.Join(dir, "osv", "*", "all.zip"))
	if err != nil || len(zips) == 0 {
		t.Skipf("no OSV zips in %s: %v", dir, err)
	}
	var out []sourceBatch
	for _, z := range zips {
		eco := filepath.Base(filepath.Dir(z))
		out = append(out, sourceBatch{source: "osv-" + eco, recs: readZip(t, z)})
	}
	out = append(out, sourceBatch{source: "debian-derived", recs: readZip(t, filepath.Join(dir, "debian-derived", "osv", "Debian", "all.zip"))})
	out = append(out, sourceBatch{source: "ghsa", recs: readZip(t, filepath.Join(dir, "ghsa-extra", "all.zip"))})
	return out
}

func countRecords(bs []sourceBatch) int {
	n := 0
	for _, b := range bs {
		n += len(b.recs)
	}
	return n
}

func importAll(t testing.TB, db *DB, bs []sourceBatch) feed.ApplyStats {
	t.Helper()
	var total feed.ApplyStats
	for _, b := range bs {
		st, err := db.Apply(context.Background(), feed.Batch{Source: b.source, Full: true, Advisories: seqOf(b.recs)}, feed.SourceState{})
		if err != nil {
			t.Fatalf("%s: %v", b.source, err)
		}
		total.Added += st.Added
		total.Modified += st.Modified
		total.Withdrawn += st.Withdrawn
		total.Unchanged += st.Unchanged
		total.Skipped += st.Skipped
		total.SkippedErrors = append(total.SkippedErrors, st.SkippedErrors...)
	}
	return total
}

// TestRealData imports every advisory of the shared data set, re-imports it
// unchanged, and applies a 50-record delta.
func TestRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("imports about 20,000 advisories")
	}
	ctx := context.Background()
	bs := fullData(t)
	n := countRecords(bs)
	db, clk := openTest(t, Options{})

	start := time.Now()
	st := importAll(t, db, bs)
	t.Logf("imported %d records in %v: %+v", n, time.Since(start), st)
	if st.Added != n || st.Skipped != 0 {
		t.Fatalf("import: %+v, want %d added", st, n)
	}
	v, err := db.Version(ctx)
	if err != nil || v != int64(n) {
		t.Fatalf("Version = %d, %v; want %d", v, err, n)
	}
	checkGroups(t, db)

	clk.advance(time.Hour)
	start = time.Now()
	st = importAll(t, db, bs)
	t.Logf("re-imported in %v", time.Since(start))
	if st.Unchanged != n || st.Added+st.Modified+st.Withdrawn+st.Skipped != 0 {
		t.Errorf("identical re-import: %+v", st)
	}
	if v2, _ := db.Version(ctx); v2 != v {
		t.Errorf("identical re-import moved Version from %d to %d", v, v2)
	}

	// The shared data's documented alias pairs are one vulnerability.
	for id, want := range map[string][]string{
		"GHSA-2mqj-m65w-jghx": {"PYSEC-2024-4", "CVE-2024-22190"},
		"GHSA-2wgc-48g2-cj5w": {"PYSEC-2024-33", "PYSEC-2024-34"},
		"GHSA-2q8v-3gqq-4f8p": {"PYSEC-2024-103"},
	} {
		vuln, err := db.Vulnerability(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !slices.Contains(vuln.IDs, w) {
				t.Errorf("Vulnerability(%s).IDs = %v, missing %s", id, vuln.IDs, w)
			}
		}
	}
	ms, err := db.Affecting(ctx, "Debian:12", "openssl")
	if err != nil || len(ms) < 50 {
		t.Errorf("Affecting(Debian:12, openssl) = %d matches, %v; want the reconstruction's 84", len(ms), err)
	}
	if ms, _ := db.Affecting(ctx, "Debian:11", "openssl"); len(ms) != 0 {
		t.Errorf("Affecting(Debian:11, openssl) = %v; the data has Debian 12 only", matchIDs(ms))
	}

	// 50 changed advisories: 50 writes' worth of work, 50 log entries.
	clk.advance(time.Hour)
	delta := modified50(t, bs, 1)
	start = time.Now()
	st, err = db.Apply(ctx, feed.Batch{Source: "osv-PyPI", Advisories: seqOf(delta)}, feed.SourceState{})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("50-advisory update took %v", took)
	if st.Modified != 50 || st.Unchanged+st.Added+st.Withdrawn != 0 {
		t.Errorf("50-advisory update: %+v", st)
	}
	cs := changesAfter(t, db, v)
	if len(cs) != 50 {
		t.Fatalf("50-advisory update logged %d changes", len(cs))
	}
	for i, c := range cs {
		if c.AdvisoryID != delta[i].adv.ID || c.Kind != KindModified || c.Source != "osv-PyPI" || len(c.Keys) == 0 {
			t.Errorf("change %d = %+v, want %s modified", i, c, delta[i].adv.ID)
		}
	}
	checkGroups(t, db)
}

// modified50 returns 50 PyPI advisories with a changed summary.
func modified50(t testing.TB, bs []sourceBatch, round int) []result {
	t.Helper()
	for _, b := range bs {
		if b.source != "osv-PyPI" {
			continue
		}
		recs := decodeAll(b.recs[:50])
		for i := range recs {
			if recs[i].err != nil {
				t.Fatal(recs[i].err)
			}
			recs[i].adv.Summary = strings.TrimSpace(fmt.Sprintf("%s (revised %d)", recs[i].adv.Summary, round))
		}
		return recs
	}
	t.Skip("no PyPI records")
	return nil
}
