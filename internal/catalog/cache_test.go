package catalog_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/catalog"
)

// entries lists a cache directory's files by subdirectory.
func entries(t *testing.T, dir string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, sub := range []string{"layers", "images"} {
		es, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		n[sub] = len(es)
	}
	return n
}

func TestCacheStats(t *testing.T) {
	dir, _ := testImage(t, nil)
	cache, err := catalog.OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []catalog.CacheStats{{Hits: 0, Misses: 3}, {Hits: 3, Misses: 3}} {
		run(t, "oci-dir:"+dir, catalog.Options{Cache: cache})
		if got := cache.Stats(); got != want {
			t.Errorf("Stats = %+v, want %+v", got, want)
		}
	}
	var none *catalog.Cache
	if got := none.Stats(); got != (catalog.CacheStats{}) {
		t.Errorf("nil cache Stats = %+v", got)
	}
}

// TestCacheLevels runs a cache over two directories, a near one and a far
// one: what only the far one holds is a hit and is copied near; a damaged
// near entry is passed over for a sound far one.
func TestCacheLevels(t *testing.T) {
	dir, _ := testImage(t, nil)
	nearDir, farDir := t.TempDir(), t.TempDir()
	open := func() *catalog.Cache {
		near, err := catalog.OpenCacheDir(nearDir)
		if err != nil {
			t.Fatal(err)
		}
		far, err := catalog.OpenCacheDir(farDir)
		if err != nil {
			t.Fatal(err)
		}
		return catalog.NewCache(near, far)
	}
	farOnly, err := catalog.OpenCache(farDir)
	if err != nil {
		t.Fatal(err)
	}
	cold := run(t, "oci-dir:"+dir, catalog.Options{Cache: farOnly})
	if diff := cmp.Diff(map[string]int{"layers": 3, "images": 1}, entries(t, farDir)); diff != "" {
		t.Fatalf("far entries (-want +got):\n%s", diff)
	}

	layers := func(d string) []string {
		ps, _ := filepath.Glob(filepath.Join(d, "layers", "*"))
		return ps
	}
	for _, tc := range []struct {
		name   string
		damage func()
		want   catalog.CacheStats
	}{
		{"far only", func() {}, catalog.CacheStats{Hits: 3}},
		{"near, far damaged", func() {
			for _, p := range layers(farDir) {
				os.Truncate(p, 10)
			}
		}, catalog.CacheStats{Hits: 3}},
		{"both damaged", func() {
			for _, p := range layers(nearDir) {
				os.WriteFile(p, []byte("garbage"), 0o644)
			}
		}, catalog.CacheStats{Misses: 3}},
		{"near damaged, far rewritten", func() {
			for _, p := range layers(nearDir) {
				os.WriteFile(p, nil, 0o644)
			}
		}, catalog.CacheStats{Hits: 3}},
		{"near rewritten", func() {
			for _, p := range layers(farDir) {
				os.Remove(p)
			}
		}, catalog.CacheStats{Hits: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.damage()
			cache := open()
			inv := run(t, "oci-dir:"+dir, catalog.Options{Cache: cache})
			if got := cache.Stats(); got != tc.want {
				t.Errorf("Stats = %+v, want %+v", got, tc.want)
			}
			if diff := cmp.Diff(cold, inv); diff != "" {
				t.Errorf("inventory differs (-cold +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]int{"layers": 3, "images": 1}, entries(t, nearDir)); diff != "" {
				t.Errorf("near entries (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCachePrune ages a directory cache's entries: pruning deletes the
// layer walks unused since the cut-off and stale temporary files, keeps
// image stacks, and a read of an entry an hour old renews it.
func TestCachePrune(t *testing.T) {
	dir, _ := testImage(t, nil)
	cacheDir := t.TempDir()
	cache, err := catalog.OpenCache(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	run(t, "oci-dir:"+dir, catalog.Options{Cache: cache})
	layers, _ := filepath.Glob(filepath.Join(cacheDir, "layers", "*.gob.zst"))
	stacks, _ := filepath.Glob(filepath.Join(cacheDir, "images", "*.json"))
	if len(layers) != 3 || len(stacks) != 1 {
		t.Fatalf("cache holds %d layers, %d images; want 3, 1", len(layers), len(stacks))
	}
	// Everything two days old, one layer read again now; a stale
	// temporary file and a fresh one (a writer at work), and a file the
	// cache did not write.
	old := time.Now().Add(-48 * time.Hour)
	for _, p := range append(slices.Clone(layers), stacks...) {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	for name, mtime := range map[string]time.Time{".tmp-stale": old, ".tmp-fresh": time.Now(), "README": old} {
		p := filepath.Join(cacheDir, "layers", name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	s, err := catalog.OpenCacheDir(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	key := "layer/" + strings.TrimSuffix(filepath.Base(layers[0]), ".gob.zst")
	if _, ok := s.Get(context.Background(), key); !ok {
		t.Fatalf("Get(%s) missed", key)
	}
	n, err := cache.Prune(context.Background(), time.Now().Add(-24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	var left []string
	for _, sub := range []string{"layers", "images"} {
		es, _ := os.ReadDir(filepath.Join(cacheDir, sub))
		for _, e := range es {
			left = append(left, sub+"/"+e.Name())
		}
	}
	want := []string{"images/" + filepath.Base(stacks[0]), "layers/.tmp-fresh", "layers/" + filepath.Base(layers[0]), "layers/README"}
	slices.Sort(left)
	slices.Sort(want)
	if diff := cmp.Diff(want, left); diff != "" {
		t.Errorf("left after pruning (-want +got):\n%s", diff)
	}
	// A cache without a prunable store prunes nothing.
	if n, err := catalog.NewCache().Prune(context.Background(), time.Now()); n != 0 || err != nil {
		t.Errorf("empty cache Prune = %d, %v", n, err)
	}
}
