package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/store"
)

func TestCachePruneCommand(t *testing.T) {
	dir := t.TempDir()
	layers := filepath.Join(dir, "layers")
	if err := os.MkdirAll(layers, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, age := range map[string]time.Duration{"aa": 40 * 24 * time.Hour, "bb": 10 * 24 * time.Hour, "cc": 0} {
		p := filepath.Join(layers, name+".gob.zst")
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		mtime := time.Now().Add(-age)
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	left := func() string {
		ps, _ := filepath.Glob(filepath.Join(layers, "*"))
		var names []string
		for _, p := range ps {
			names = append(names, filepath.Base(p))
		}
		return strings.Join(names, " ")
	}
	for _, tc := range []struct {
		args     []string
		code     int
		stderr   string
		wantLeft string
	}{
		{[]string{"cache", "prune", "--unused-for", "-1h"}, 2, "must not be negative", "aa.gob.zst bb.gob.zst cc.gob.zst"},
		{[]string{"cache", "prune"}, 0, "deleted 1 entries unused for 720h0m0s", "bb.gob.zst cc.gob.zst"},
		{[]string{"cache", "prune", "--unused-for", "168h"}, 0, "deleted 1 entries", "cc.gob.zst"},
		{[]string{"cache", "prune", "--unused-for", "0"}, 0, "deleted 1 entries", ""},
	} {
		code, _, stderr := runCLI(t, append(tc.args, "--cache-dir", dir)...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tc.args, code, stderr, tc.code, tc.stderr)
		}
		if got := left(); got != tc.wantLeft {
			t.Errorf("%v: left %q, want %q", tc.args, got, tc.wantLeft)
		}
	}
}

// TestServePrunesLayerCache starts a server over a store and a cache
// directory holding layer walks and an image stack 40 days old and fresh
// ones: the server prunes the old layer walks from both at once, and
// keeps the rest.
func TestServePrunesLayerCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "server.db")
	cacheDir := filepath.Join(dir, "cache")
	old := time.Now().Add(-40 * 24 * time.Hour)
	st, err := store.Open(ctx, "sqlite://"+dbPath, store.Options{Now: func() time.Time { return old }})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"layer/aa", "imagestack/aa"} {
		if err := st.PutBlob(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st, err = store.Open(ctx, "sqlite://"+dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutBlob(ctx, "layer/bb", []byte("fresh")); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"layers", "images"} {
		if err := os.MkdirAll(filepath.Join(cacheDir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, mtime := range map[string]time.Time{"layers/aa.gob.zst": old, "layers/bb.gob.zst": time.Now(), "images/aa.json": old} {
		p := filepath.Join(cacheDir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}

	startServe(t, "--db", "sqlite://"+dbPath, "--cache-dir", cacheDir, "--workers", "1", "--update-interval", "0", "--dev")
	// The test looks through a store whose clock stands at the blobs'
	// writing: its reads must not renew what the server is to prune.
	old40, err := store.Open(ctx, "sqlite://"+dbPath, store.Options{Now: func() time.Time { return old }})
	if err != nil {
		t.Fatal(err)
	}
	defer old40.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, blob, err := old40.GetBlob(ctx, "layer/aa")
		if err != nil {
			t.Fatal(err)
		}
		_, statErr := os.Stat(filepath.Join(cacheDir, "layers", "aa.gob.zst"))
		if !blob && errors.Is(statErr, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("old layer walk still there after 20 s: in the store %v, in the directory %v", blob, statErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, k := range []string{"layer/bb", "imagestack/aa"} {
		if _, ok, err := st.GetBlob(ctx, k); !ok || err != nil {
			t.Errorf("%s pruned from the store (%v)", k, err)
		}
	}
	for _, name := range []string{"layers/bb.gob.zst", "images/aa.json"} {
		if _, err := os.Stat(filepath.Join(cacheDir, name)); err != nil {
			t.Errorf("%s pruned from the directory: %v", name, err)
		}
	}
}
