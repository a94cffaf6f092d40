package vulndb

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// TestReadersSeeOldOrNew runs lookups, from the writer's own handle and
// from a second read-only handle (as a separate scanner process would),
// while full updates rewrite every advisory: each lookup must see one
// generation whole, and its count must match that generation.
func TestReadersSeeOldOrNew(t *testing.T) {
	ctx := context.Background()
	const n = 400
	db, _ := openTest(t, Options{})
	apply(t, db, "syn", true, synthetic(1, n))
	other, err := Open(ctx, db.Path(), Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	var stop atomic.Bool
	var wg sync.WaitGroup
	seen := make([]map[string]int, 4)
	for r := range seen {
		seen[r] = map[string]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := db
			if r%2 == 1 {
				h = other
			}
			for !stop.Load() {
				ms, err := h.Affecting(ctx, "npm", "left-pad")
				if err != nil {
					t.Error(err)
					return
				}
				gen, err := generation(ms)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ms) != n {
					t.Errorf("reader saw %d matches, want %d", len(ms), n)
					return
				}
				seen[r][gen]++
			}
		}()
	}
	var bundle bytes.Buffer
	for gen := 2; gen <= 6; gen++ {
		st := apply(t, db, "syn", true, synthetic(gen, n))
		if st.Modified != n {
			t.Fatalf("generation %d: %+v", gen, st)
		}
		if gen == 4 {
			// Export while readers run: the snapshot is consistent too.
			if err := db.Export(ctx, &bundle); err != nil {
				t.Fatal(err)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	for r, s := range seen {
		t.Logf("reader %d saw generations %v", r, s)
	}

	path := filepath.Join(t.TempDir(), "imported.db")
	if err := Import(ctx, &bundle, path); err != nil {
		t.Fatal(err)
	}
	imp, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Close()
	ms, err := imp.Affecting(ctx, "npm", "left-pad")
	if err != nil {
		t.Fatal(err)
	}
	if gen, err := generation(ms); err != nil || gen != "1.0.4" || len(ms) != n {
		t.Errorf("exported snapshot shows generation %q of %d matches (%v), want 1.0.4 of %d", gen, len(ms), err, n)
	}
	if v, err := imp.Version(ctx); err != nil || v != 4*n {
		t.Errorf("exported snapshot Version = %d, %v; want %d", v, err, 4*n)
	}
	if s, err := imp.State(ctx, "syn"); err != nil || s.Records != n {
		t.Errorf("exported snapshot State = %+v, %v", s, err)
	}
}
