// Package storetest is the conformance suite of the inventory store: the
// same tests run against SQLite always and against PostgreSQL whenever
// VIGIL_TEST_POSTGRES_URL names a server (CI always sets it).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/store"
)

// PostgresEnv names the variable holding the test server's URL.
const PostgresEnv = "VIGIL_TEST_POSTGRES_URL"

// PostgresDSN returns the DSN of a new, empty schema on the test server,
// dropped when the test ends; it skips the test when no server is
// configured and fails it when the configured server cannot be reached.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set: PostgreSQL tests skipped (.ci/run sets it)", PostgresEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	defer db.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := "vt_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL at %s is not usable: %v", base, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLiteDSN returns the DSN of a new SQLite store in the test's temporary
// directory.
func SQLiteDSN(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "vigil.db")
}

// Open opens a store for the test and closes it when the test ends.
func Open(t testing.TB, dsn string, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("store.Open(%s): %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Backends lists the databases to run against: SQLite always, PostgreSQL
// when configured. Each entry makes a fresh, empty store's DSN.
func Backends() []Backend {
	bs := []Backend{{"sqlite", SQLiteDSN}}
	if os.Getenv(PostgresEnv) != "" {
		bs = append(bs, Backend{"postgres", PostgresDSN})
	}
	return bs
}

// Backend is one database kind the suite runs on.
type Backend struct {
	Name string
	DSN  func(t testing.TB) string
}
