package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

//go:embed migrations
var migrationFiles embed.FS

// Store is an open inventory store. Its methods are safe for concurrent use
// by any number of goroutines and, on PostgreSQL, of processes.
type Store struct {
	db      *sql.DB
	dialect dialect
	log     *slog.Logger
	now     func() time.Time
	// dsn is kept for messages, with any password removed.
	dsn string
	// known caches package ids already stored.
	known knownIDs
	// evaluated caches package ids known to have been evaluated: a
	// package never goes back to unevaluated.
	evaluated knownIDs
	// schema is PostgreSQL's current schema, part of advisory lock keys.
	schema string
}

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	// Now replaces the clock, for tests; nil means time.Now.
	Now func() time.Time
	// MaxConns bounds open connections to PostgreSQL (default 16).
	MaxConns int
}

// dialect is everything that differs between the two databases; the SQL
// of the store is otherwise written once, with '?' placeholders.
type dialect interface {
	name() string
	rebind(q string) string
	// isUnique reports a unique-constraint violation.
	isUnique(err error) bool
}

// Open opens (creating and migrating when needed) the store named by dsn:
// "sqlite:///abs/path.db", "sqlite://rel/path.db", a plain file path, or
// "postgres://…" / "postgresql://…".
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	s := &Store{log: opts.Logger, now: opts.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s.dsn = redact(dsn)
		s.dialect = postgres{}
		s.db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", s.dsn, err)
		}
		n := opts.MaxConns
		if n <= 0 {
			n = 16
		}
		s.db.SetMaxOpenConns(n)
		s.db.SetMaxIdleConns(n)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
	default:
		path := strings.TrimPrefix(dsn, "sqlite://")
		if path == "" {
			return nil, errors.New("store: empty SQLite path")
		}
		s.dsn = path
		s.dialect = sqlite{}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("store: %s: %w", path, err)
		}
		s.db, err = sql.Open("sqlite", sqliteDSN(path))
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", path, err)
		}
		s.db.SetMaxOpenConns(8)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	if _, ok := s.dialect.(postgres); ok {
		if err := s.db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&s.schema); err != nil {
			s.db.Close()
			return nil, fmt.Errorf("store: %s: %w", s.dsn, err)
		}
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: %s: %w", s.dsn, err)
	}
	return nil
}

func sqliteDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(0)", "cache_size(-8192)", "temp_store(MEMORY)", "wal_autocheckpoint(16384)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxx")
		}
	}
	return u.String()
}

// SchemaVersion is the newest schema this Vigil knows.
func SchemaVersion() int {
	ms, _ := migrationsOf(sqlite{})
	return len(ms)
}

type migration struct {
	version int
	sql     string
}

func migrationsOf(d dialect) ([]migration, error) {
	dir := "migrations/" + d.name()
	ents, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range ents {
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: bad name", e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{v, string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migrations of %s are not numbered 1…n", d.name())
		}
	}
	return ms, nil
}

// migrate applies the embedded migrations not yet applied, in one
// transaction each, and refuses a database newer than it knows. On
// PostgreSQL a transaction-scoped advisory lock keeps replicas starting
// together from migrating twice.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrationsOf(s.dialect)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		if _, isPG := s.dialect.(postgres); !isPG || !s.dialect.isUnique(err) {
			return fmt.Errorf("store: %s: %w", s.dsn, err)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: %w", s.dsn, err)
	}
	defer tx.Rollback()
	if _, ok := s.dialect.(postgres); ok {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7170001)`); err != nil {
			return fmt.Errorf("store: %s: migration lock: %w", s.dsn, err)
		}
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("store: %s: %w", s.dsn, err)
	}
	if have > len(ms) {
		return fmt.Errorf("%w: %s is at version %d, this vigil knows %d", ErrSchemaTooNew, s.dsn, have, len(ms))
	}
	for _, m := range ms[have:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: %s: migration %d: %w", s.dsn, m.version, err)
		}
		if _, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), m.version, s.now().UnixMilli()); err != nil {
			return fmt.Errorf("store: %s: migration %d: %w", s.dsn, m.version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: %w", s.dsn, err)
	}
	return nil
}

// Schema returns the schema version of the open database.
func (s *Store) Schema(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

type sqlite struct{}

func (sqlite) name() string           { return "sqlite" }
func (sqlite) rebind(q string) string { return q }
func (sqlite) isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

type postgres struct{}

func (postgres) name() string { return "postgres" }

// rebind turns '?' placeholders into $1, $2 …; the store's queries have no
// '?' inside literals.
func (postgres) rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (postgres) isUnique(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "SQLSTATE 23505") || strings.Contains(err.Error(), "duplicate key"))
}

func (s *Store) q(query string) string { return s.dialect.rebind(query) }

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// ExecForTest runs a statement on the database: the conformance suite uses
// it to set up states the API cannot reach (a newer schema).
func (s *Store) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, s.q(query), args...)
	return s.wrap(err)
}
