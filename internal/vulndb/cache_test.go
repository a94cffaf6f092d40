package vulndb

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

func TestMatchSummary(t *testing.T) {
	ctx := context.Background()
	db, recs := loadTestdata(t)
	ms, err := db.Affecting(ctx, "PyPI", "GitPython")
	if err != nil || len(ms) != 2 {
		t.Fatalf("Affecting(PyPI, GitPython) = %v, %v", matchIDs(ms), err)
	}
	for _, m := range ms {
		if want := recs[m.ID].Summary; m.Summary != want {
			t.Errorf("%s: Summary = %q, want %q", m.ID, m.Summary, want)
		}
	}
	if ms[0].Summary == "" && ms[1].Summary == "" {
		t.Error("no match carries a summary; the test data has one")
	}
}

// token reads the generation token as a lookup does.
func token(t *testing.T, db *DB) int64 {
	t.Helper()
	var tok int64
	if err := db.token.QueryRowContext(context.Background()).Scan(&tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLookupCache: a reader's cached lookups follow every change a writer
// commits, in its own process or another (a second handle here), and
// survive what changes nothing.
func TestLookupCache(t *testing.T) {
	ctx := context.Background()
	recs := testdataRecords(t)
	w, _ := openTest(t, Options{})
	apply(t, w, "osv", true, pick(recs, "PYSEC-2024-4", "GO-2020-0001"))
	r, err := Open(ctx, w.Path(), Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	summaries := func(db *DB) []string {
		t.Helper()
		ms, err := db.Affecting(ctx, "PyPI", "gitpython")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.ID+": "+m.Summary)
		}
		return out
	}
	pysec := recs["PYSEC-2024-4"]
	want := []string{"PYSEC-2024-4: " + pysec.Summary}
	for _, db := range []*DB{w, r, r} {
		if diff := cmp.Diff(want, summaries(db)); diff != "" {
			t.Fatalf("before the change (-want +got):\n%s", diff)
		}
	}

	// What a caller does to the returned slice does not reach the cache.
	ms, _ := r.Affecting(ctx, "PyPI", "gitpython")
	_ = append(ms, Match{ID: "appended"})
	if ms, _ := r.Affecting(ctx, "PyPI", "gitpython"); len(ms) != 1 {
		t.Fatalf("append to a returned slice changed the cache: %v", matchIDs(ms))
	}

	// An identical re-import changes nothing a lookup returns.
	before := token(t, r)
	apply(t, w, "osv", true, pick(recs, "PYSEC-2024-4", "GO-2020-0001"))
	if after := token(t, r); after != before {
		t.Errorf("an identical re-import replaced the generation token")
	}

	steps := []struct {
		name  string
		apply func()
		want  []string
	}{
		{"modified", func() {
			a := pysec
			a.Summary = "revised"
			apply(t, w, "osv", false, advs(a))
		}, []string{"PYSEC-2024-4: revised"}},
		{"another source", func() {
			apply(t, w, "ghsa", true, pick(recs, "GHSA-2mqj-m65w-jghx"))
		}, []string{"PYSEC-2024-4: revised", "GHSA-2mqj-m65w-jghx: " + recs["GHSA-2mqj-m65w-jghx"].Summary}},
		{"withdrawn by a full snapshot", func() {
			apply(t, w, "osv", true, pick(recs, "GO-2020-0001"))
		}, []string{"GHSA-2mqj-m65w-jghx: " + recs["GHSA-2mqj-m65w-jghx"].Summary}},
	}
	for _, s := range steps {
		s.apply()
		for name, db := range map[string]*DB{"writer": w, "reader": r} {
			if diff := cmp.Diff(s.want, summaries(db)); diff != "" {
				t.Errorf("%s, %s (-want +got):\n%s", s.name, name, diff)
			}
		}
	}

	// Enrichment changes reach cached lookups too.
	epss := advisory.EPSS{CVE: "CVE-2024-22190", Score: 0.5, Percentile: 0.9}
	if _, err := w.Apply(ctx, feed.Batch{Source: "epss", Full: true, EPSS: func(yield func(advisory.EPSS, error) bool) {
		yield(epss, nil)
	}}, feed.SourceState{}); err != nil {
		t.Fatal(err)
	}
	ms, err = r.Affecting(ctx, "PyPI", "gitpython")
	if err != nil || len(ms) != 1 || !cmp.Equal(ms[0].EPSS, []advisory.EPSS{epss}) {
		t.Errorf("after an EPSS update: %+v, %v", ms, err)
	}
}

// TestLookupCacheBound: a small or disabled cache gives the same answers.
func TestLookupCacheBound(t *testing.T) {
	ctx := context.Background()
	ref, _ := loadTestdata(t)
	keys := []Key{{"PyPI", "gitpython"}, {"Maven", "org.apache.logging.log4j:log4j-core"}, {"npm", "absent"}, {"Go", "github.com/gin-gonic/gin"}}
	for _, size := range []int{-1, 1, 3} {
		db, err := Open(ctx, ref.Path(), Options{ReadOnly: true, LookupCache: size})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			for _, k := range keys {
				got, err := db.Affecting(ctx, k.Ecosystem, k.Package)
				if err != nil {
					t.Fatal(err)
				}
				_, want, err := ref.query(ctx, k)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("cache %d: %v (-want +got):\n%s", size, k, diff)
				}
			}
		}
		if c := db.cache; c.size > max(size, 0) {
			t.Errorf("cache bounded to %d holds %d", size, c.size)
		}
		db.Close()
	}
}
