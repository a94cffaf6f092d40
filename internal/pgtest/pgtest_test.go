package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestClusterRestart restarts one cluster in each mode and checks that it
// really restarted (a new postmaster, the old session gone), on the same
// port, with every committed row kept.
func TestClusterRestart(t *testing.T) {
	c := Start(t)
	ctx := context.Background()
	db := open(t, c.DSN())
	var port int
	var fsync, user string
	if err := db.QueryRowContext(ctx, `SELECT inet_server_port(), current_setting('fsync'), current_user`).Scan(&port, &fsync, &user); err != nil {
		t.Fatal(err)
	}
	if port != c.Port() || fsync != "off" || user != "postgres" {
		t.Fatalf("port %d fsync %s user %s, want port %d fsync off user postgres", port, fsync, user, c.Port())
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE kept (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i, mode := range []StopMode{Fast, Immediate, Fast, Immediate} {
		if _, err := db.ExecContext(ctx, `INSERT INTO kept VALUES ($1)`, i); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		var before time.Time
		if err := db.QueryRowContext(ctx, `SELECT pg_postmaster_start_time()`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		// A session open across the restart must be cut.
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Restart(mode); err != nil {
			t.Fatal(err)
		}
		var one int
		if err := conn.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err == nil {
			t.Errorf("%s: a session opened before the restart still answers", mode)
		}
		conn.Close()
		var after time.Time
		var n int
		if err := db.QueryRowContext(ctx, `SELECT pg_postmaster_start_time(), COUNT(*) FROM kept`).Scan(&after, &n); err != nil {
			t.Fatalf("%s: after the restart: %v", mode, err)
		}
		if !after.After(before) {
			t.Errorf("%s: postmaster started at %v, before the restart %v: not restarted", mode, after, before)
		}
		if n != i+1 {
			t.Errorf("%s: %d rows after the restart, want %d", mode, n, i+1)
		}
	}
}

// TestClusterStopStart checks that a stopped cluster refuses connections
// and that Start brings it back on the same port; stopping or starting
// twice does nothing.
func TestClusterStopStart(t *testing.T) {
	c := Start(t)
	ctx := context.Background()
	db := open(t, c.DSN())
	for _, mode := range []StopMode{Fast, Immediate} {
		if err := c.Stop(mode); err != nil {
			t.Fatal(err)
		}
		if err := c.Stop(mode); err != nil {
			t.Fatalf("stopping a stopped cluster: %v", err)
		}
		db.SetMaxIdleConns(0) // no pooled session hides the refusal
		err := db.PingContext(ctx)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%s: ping of a stopped cluster: %v, want connection refused", mode, err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatalf("starting a running cluster: %v", err)
		}
		if err := db.PingContext(ctx); err != nil {
			t.Errorf("%s: ping after Start: %v", mode, err)
		}
	}
}

// TestClusterCleanup runs two clusters side by side in a subtest, and
// checks that both are independent while it runs and are stopped and
// removed when it ends.
func TestClusterCleanup(t *testing.T) {
	ctx := context.Background()
	var dsns, dirs []string
	t.Run("two", func(t *testing.T) {
		a, b := Start(t), Start(t)
		if a.Port() == b.Port() {
			t.Fatalf("both clusters on port %d", a.Port())
		}
		if _, err := open(t, a.DSN()).ExecContext(ctx, `CREATE TABLE only_a (n INTEGER)`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := open(t, b.DSN()).QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_tables WHERE tablename = 'only_a'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("table of cluster a seen in cluster b: %d %v", n, err)
		}
		dsns, dirs = []string{a.DSN(), b.DSN()}, []string{a.dir, b.dir}
	})
	if len(dsns) != 2 {
		t.Fatal("the clusters did not start")
	}
	for i, dsn := range dsns {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PingContext(ctx); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%s after its test: %v, want connection refused", dsn, err)
		}
		db.Close()
		if _, err := os.Stat(dirs[i]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after its test: %v, want removed", dirs[i], err)
		}
	}
}
