package vulndb

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilproject/vigil/internal/advisory"
)

// TestPipelineStop stops a pipeline whose iterator never ends while both
// stages are busy: stop must return, and the iterator must have ended.
func TestPipelineStop(t *testing.T) {
	for _, taken := range []int{0, 1, chunksAhead * 3} {
		ended := make(chan struct{})
		seq := func(yield func(advisory.Advisory, error) bool) {
			defer close(ended)
			for i := 0; ; i++ {
				if !yield(advisory.Advisory{ID: "GHSA-" + string(rune('a'+i%26))}, nil) {
					return
				}
			}
		}
		chunks, stop := pipeline(context.Background(), "s", seq)
		for range taken {
			chunk := <-chunks
			if len(chunk) != chunkSize || chunk[0].id == "" || chunk[0].hash == [32]byte{} {
				t.Fatalf("chunk of %d records, first %+v: want %d prepared records", len(chunk), chunk[0], chunkSize)
			}
		}
		stop()
		select {
		case <-ended:
		default:
			t.Fatalf("after taking %d chunks: stop returned with the iterator still running", taken)
		}
	}
}

// TestPageSizeKept opens stores made before new stores had larger pages,
// and an empty file: the first keep their page size (a page size cannot
// change in WAL mode), the empty file gets newPageSize.
func TestPageSizeKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	raw, err := sql.Open("sqlite", dsn(old, []string{"journal_mode(WAL)"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path     string
		pageSize int
	}{{old, 4096}, {empty, newPageSize}} {
		db, err := Open(ctx, tc.path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var pageSize, autocheckpoint int
		if err := db.rw.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil || pageSize != tc.pageSize {
			t.Errorf("%s: page_size = %d, %v; want %d", tc.path, pageSize, err, tc.pageSize)
		}
		if err := db.rw.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&autocheckpoint); err != nil || autocheckpoint*pageSize != 64<<20 {
			t.Errorf("%s: wal_autocheckpoint = %d pages of %d, %v; want 64 MiB", tc.path, autocheckpoint, pageSize, err)
		}
		db.Close()
	}
}
