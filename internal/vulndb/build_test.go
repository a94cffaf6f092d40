package vulndb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// TestBuild builds a store in a fresh file and installs it: nothing is at
// the path before Install, the installed store answers like one updated in
// place, a failed Apply during the build leaves nothing of itself, and an
// existing database is never replaced.
func TestBuild(t *testing.T) {
	ctx := context.Background()
	recs := testdataRecords(t)
	osv := pick(recs, "PYSEC-2024-4", "PYSEC-2024-33", "GO-2020-0001", "GO-2022-0617", "DSA-5474-1")
	ghsa := pick(recs, "GHSA-2mqj-m65w-jghx", "GHSA-6vm3-jj99-7229")
	live, clk := openTest(t, Options{})
	apply(t, live, "osv", true, osv)
	apply(t, live, "ghsa", true, ghsa)

	dir := t.TempDir()
	path := filepath.Join(dir, "v.db")
	b, err := Build(ctx, path, Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	apply(t, b, "osv", true, osv)
	// A batch cancelled part-way, after some of it was written, rolls
	// back whole, as in place.
	cctx, cancel := context.WithCancel(ctx)
	many := synthetic(1, 6000)
	seq := func(yield func(advisory.Advisory, error) bool) {
		for i, r := range many {
			if i == 5000 {
				cancel()
			}
			if !yield(r.adv, nil) {
				return
			}
		}
	}
	if _, err := b.Apply(cctx, feed.Batch{Source: "syn", Full: true, Advisories: seq}, feed.SourceState{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled Apply = %v, want context.Canceled", err)
	}
	if v, err := b.Version(ctx); err != nil || v != int64(len(osv)) {
		t.Fatalf("after a failed Apply Version = %d, %v; want %d", v, err, len(osv))
	}
	if ms, err := b.Affecting(ctx, "npm", "left-pad"); err != nil || ms != nil {
		t.Fatalf("after a failed Apply its matches are there: %d, %v", len(ms), err)
	}
	apply(t, b, "ghsa", true, ghsa)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("before Install the path holds a file (%v)", err)
	}
	if err := b.Install(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + buildSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the build file is still there after Install (%v)", err)
	}

	db, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.ro.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("installed store's journal mode = %q, %v; want wal", mode, err)
	}
	var check string
	if err := db.ro.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	for _, k := range []Key{{"PyPI", "gitpython"}, {"PyPI", "vantage6-node"}, {"Go", "github.com/gin-gonic/gin"}, {"Debian:12", "intel-microcode"}, {"Go", "k8s.io/kubernetes"}} {
		want, err := live.Affecting(ctx, k.Ecosystem, k.Package)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Affecting(ctx, k.Ecosystem, k.Package)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Affecting(%v) of the built store (-in place +built):\n%s", k, diff)
		}
	}
	for _, src := range []*DB{live, db} {
		if v, err := src.Version(ctx); err != nil || v != int64(len(osv)+len(ghsa)) {
			t.Errorf("Version = %d, %v; want %d", v, err, len(osv)+len(ghsa))
		}
	}
	checkGroups(t, db)

	// An existing database is never replaced: Build refuses, and so does
	// Install when one appeared meanwhile.
	if _, err := Build(ctx, path, Options{}); !errors.Is(err, ErrExists) {
		t.Errorf("Build over an existing database = %v, want ErrExists", err)
	}
	other := filepath.Join(dir, "other.db")
	b2, err := Build(ctx, other, Options{})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, b2, "osv", true, osv[:1])
	if err := os.WriteFile(other, []byte("someone else's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b2.Install(ctx); !errors.Is(err, ErrExists) {
		t.Errorf("Install over a file that appeared = %v, want ErrExists", err)
	}
	if data, _ := os.ReadFile(other); string(data) != "someone else's" {
		t.Errorf("Install replaced the file that appeared: %q", data)
	}
	if _, err := os.Stat(other + buildSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed Install left its build file (%v)", err)
	}

	// Close without Install keeps nothing; a stale build file is replaced.
	third := filepath.Join(dir, "third.db")
	if err := os.WriteFile(third+buildSuffix, []byte("left by a killed build"), 0o644); err != nil {
		t.Fatal(err)
	}
	b3, err := Build(ctx, third, Options{})
	if err != nil {
		t.Fatalf("Build over a stale build file: %v", err)
	}
	apply(t, b3, "osv", true, osv[:1])
	b3.Close()
	for _, p := range []string{third, third + buildSuffix} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after Close without Install (%v)", filepath.Base(p), err)
		}
	}
}
