// Package vulndb is Vigil's advisory store: an embedded SQLite database
// (modernc.org/sqlite, no cgo) that imports feed batches atomically, keeps a
// change log of what each update changed, and answers the matcher's lookup
// by (ecosystem, package) in one query.
//
// Each source's records are kept apart (the same CVE from the Debian tracker
// and from OSV is two records); records that share an id or alias form an
// alias group, read back as one Vulnerability with every source's data and
// the KEV and EPSS entries of its CVEs.
//
// One process writes (Apply, under SQLite's write-ahead log); any number of
// readers, in the same process or others (Options.ReadOnly for scanners),
// see the state before or after each Apply, never part of one. Each handle
// keeps the lookups it decoded until an Apply, in any process, changes what
// they return. Export and Import
// move the whole store as one self-verifying file for air-gapped
// installations. PERFORMANCE.md has the measured costs.
package vulndb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	// The pure-Go SQLite driver; it registers "sqlite".
	_ "modernc.org/sqlite"
)

// Errors callers branch on.
var (
	// ErrNotFound: no advisory has the id asked for.
	ErrNotFound = errors.New("vulndb: not found")
	// ErrSchemaTooNew: the database was written by a newer Vigil.
	ErrSchemaTooNew = errors.New("vulndb: database schema is newer than this build supports")
	// ErrReadOnly: a write on a database opened read-only.
	ErrReadOnly = errors.New("vulndb: database is opened read-only")
	// ErrNotDatabase: the file is not an SQLite database, or is damaged.
	ErrNotDatabase = errors.New("vulndb: not a valid database file")
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options configure Open. The zero value opens read-write with defaults.
type Options struct {
	// ReadOnly opens the database for lookups only (scanners): no
	// migration, no writes, and the file must already hold the current
	// schema.
	ReadOnly bool
	// BusyTimeout is how long a statement waits for another process's lock
	// before failing. Default 10s.
	BusyTimeout time.Duration
	// MaxReaders bounds the pool of read connections. Default 8.
	MaxReaders int
	// Now is the clock for change-log and state times. Default time.Now.
	Now func() time.Time
	// LookupCache bounds the matches Affecting keeps decoded in memory
	// until the database changes. Default 50,000 (some tens of MB when
	// full); negative disables the cache.
	LookupCache int
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	if o.BusyTimeout < 0 {
		return fmt.Errorf("vulndb: negative busy timeout %v", o.BusyTimeout)
	}
	if o.MaxReaders < 0 {
		return fmt.Errorf("vulndb: negative reader count %d", o.MaxReaders)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 10 * time.Second
	}
	if o.MaxReaders == 0 {
		o.MaxReaders = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LookupCache == 0 {
		o.LookupCache = 50_000
	}
	return o
}

// DB is an open advisory store. Its methods are safe for concurrent use;
// writes are serialised, reads run in parallel on snapshots that never show
// a half-applied update.
type DB struct {
	path string
	opts Options
	// pageSize is the file's page size in bytes.
	pageSize int
	// rw is nil when read-only. One connection: SQLite has one writer
	// anyway, and a single connection keeps the prepared statements hot.
	rw *sql.DB
	ro *sql.DB
	// writeMu serialises Apply and friends within the process so a second
	// writer waits here instead of in SQLite's busy handler.
	writeMu sync.Mutex

	affecting, token *sql.Stmt
	cache            *lookupCache

	closed bool
}

// Open opens the advisory store at path, creating it and its schema when
// path does not exist (unless read-only). Schema migrations are applied in
// order; a database written by a newer schema is refused with
// ErrSchemaTooNew. A file that is not a database gives an error wrapping
// ErrNotDatabase that names it.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if path == "" {
		return nil, errors.New("vulndb: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("vulndb: %s: %w", path, err)
	}
	pageSize, err := checkFile(abs, opts.ReadOnly)
	if err != nil {
		return nil, err
	}
	if pageSize == 0 && !opts.ReadOnly {
		if err := create(ctx, abs); err != nil {
			return nil, err
		}
		pageSize = newPageSize
	}
	db := &DB{path: abs, opts: opts, cache: newLookupCache(opts.LookupCache), pageSize: pageSize}
	if err := db.open(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) open(ctx context.Context) error {
	busy := fmt.Sprintf("busy_timeout(%d)", db.opts.BusyTimeout.Milliseconds())
	if !db.opts.ReadOnly {
		// The log is checkpointed into the database when it holds 64 MiB,
		// not after SQLite's default of 4 MiB: an import writes much more.
		autocheckpoint := fmt.Sprintf("wal_autocheckpoint(%d)", max(1, (64<<20)/db.pageSize))
		if err := db.openWriter(ctx, busy, "journal_mode(WAL)", "synchronous(NORMAL)", autocheckpoint); err != nil {
			return err
		}
	}
	ro, err := sql.Open("sqlite", dsn(db.path, []string{busy, "query_only(1)", "cache_size(-16384)", "mmap_size(268435456)"}, "mode=ro"))
	if err != nil {
		return fmt.Errorf("vulndb: open %s: %w", db.path, err)
	}
	ro.SetMaxOpenConns(db.opts.MaxReaders)
	ro.SetMaxIdleConns(db.opts.MaxReaders)
	db.ro = ro
	if db.opts.ReadOnly {
		v, err := schemaVersion(ctx, ro)
		if err != nil {
			return db.fileErr(err)
		}
		known := len(migrations())
		switch {
		case v > known:
			return fmt.Errorf("%w: %s has schema version %d, this build knows up to %d", ErrSchemaTooNew, db.path, v, known)
		case v == 0:
			return fmt.Errorf("vulndb: %s holds no advisory database (run an update first)", db.path)
		case v < known:
			return fmt.Errorf("vulndb: %s has schema version %d, older than %d: open it read-write once to migrate", db.path, v, known)
		}
	}
	if db.affecting, err = ro.PrepareContext(ctx, affectingQuery); err != nil {
		return db.fileErr(err)
	}
	if db.token, err = ro.PrepareContext(ctx, tokenQuery); err != nil {
		return db.fileErr(err)
	}
	return nil
}

// newPageSize is the page size of new stores. Larger pages than SQLite's
// default 4 KiB cut the pages (and so the writes to the log, and the reads
// back) an import handles: most of a store is advisory bodies and match
// rows of a few KiB each, which 4 KiB pages split into overflow chains
// (PERFORMANCE.md).
const newPageSize = 16384

// create makes a new, empty store file at path with newPageSize pages in
// write-ahead-log mode. The page size is fixed when the first page is
// written, and the write connection's pragmas run in an order (the
// driver's: sorted by name) that turns the log on before page_size would.
func create(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path, nil))
	if err != nil {
		return fmt.Errorf("vulndb: create %s: %w", path, err)
	}
	defer db.Close()
	// One connection for both: page_size is the connection's setting
	// until the first page is written.
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("vulndb: create %s: %w", path, err)
	}
	defer c.Close()
	for _, q := range []string{fmt.Sprintf("PRAGMA page_size = %d", newPageSize), "PRAGMA journal_mode = WAL"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("vulndb: create %s: %w", path, err)
		}
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("vulndb: create %s: %w", path, err)
	}
	return db.Close()
}

// openWriter opens the one write connection with pragmas, and migrates.
func (db *DB) openWriter(ctx context.Context, pragmas ...string) error {
	// A small page cache, reading through a memory map: a large cache
	// cost an import more in page faults as it filled (the driver's
	// allocator maps fresh memory for each page) and in releasing it on
	// close than it saved in writes (PERFORMANCE.md).
	pragmas = append(pragmas, "cache_size(-2048)", "mmap_size(268435456)", "temp_store(MEMORY)")
	rw, err := sql.Open("sqlite", dsn(db.path, pragmas, "_txlock=immediate"))
	if err != nil {
		return fmt.Errorf("vulndb: open %s: %w", db.path, err)
	}
	rw.SetMaxOpenConns(1)
	rw.SetMaxIdleConns(1)
	rw.SetConnMaxLifetime(0)
	db.rw = rw
	return db.migrate(ctx)
}

// dsn builds a modernc.org/sqlite URI for path with pragmas run on every new
// connection. The path is escaped: SQLite decodes %XX in file: URIs, and '?'
// or '#' in a directory name would otherwise end the path.
func dsn(path string, pragmas []string, extra ...string) string {
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	q := make([]string, 0, len(pragmas)+len(extra))
	for _, pr := range pragmas {
		q = append(q, "_pragma="+url.QueryEscape(pr))
	}
	q = append(q, extra...)
	return "file:" + p + "?" + strings.Join(q, "&")
}

// Close releases the database. Updates in flight fail.
func (db *DB) Close() error {
	if db.closed {
		return nil
	}
	db.closed = true
	var errs []error
	for _, s := range []*sql.Stmt{db.affecting, db.token} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if db.ro != nil {
		errs = append(errs, db.ro.Close())
	}
	if db.rw != nil {
		errs = append(errs, db.rw.Close())
	}
	return errors.Join(errs...)
}

// Path returns the database file's absolute path.
func (db *DB) Path() string { return db.path }

// fileErr wraps an SQLite error so it names the file; SQLite's "file is not
// a database" and "malformed" errors also wrap ErrNotDatabase.
func (db *DB) fileErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "not a database") || strings.Contains(msg, "malformed") || strings.Contains(msg, "SQLITE_CORRUPT") || strings.Contains(msg, "SQLITE_NOTADB") {
		return fmt.Errorf("%w: %s: %w", ErrNotDatabase, db.path, err)
	}
	return fmt.Errorf("vulndb: %s: %w", db.path, err)
}

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in order; file NNNN_name.sql is
// schema version NNNN, numbered from 1 without gaps.
func migrations() []migration {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		// The directory is compiled in; reaching here is a build defect.
		panic(fmt.Sprintf("vulndb: embedded migrations: %v", err))
	}
	var ms []migration
	for _, e := range entries {
		var v int
		if _, err := fmt.Sscanf(e.Name(), "%04d_", &v); err != nil {
			panic(fmt.Sprintf("vulndb: migration file %s is not named NNNN_name.sql", e.Name()))
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			panic(fmt.Sprintf("vulndb: embedded migration %s: %v", e.Name(), err))
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			panic(fmt.Sprintf("vulndb: migration %s: expected version %d", m.name, i+1))
		}
	}
	return ms
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations()) }

func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// migrate brings the schema up to date, each step in its own transaction so
// a failure leaves the last complete version.
func (db *DB) migrate(ctx context.Context) error {
	v, err := schemaVersion(ctx, db.rw)
	if err != nil {
		return db.fileErr(err)
	}
	ms := migrations()
	if v > len(ms) {
		return fmt.Errorf("%w: %s has schema version %d, this build knows up to %d", ErrSchemaTooNew, db.path, v, len(ms))
	}
	for _, m := range ms[v:] {
		tx, err := db.rw.BeginTx(ctx, nil)
		if err != nil {
			return db.fileErr(err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("vulndb: %s: migration %s: %w", db.path, m.name, err)
		}
		if code := migrationCode[m.version]; code != nil {
			if err := code(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("vulndb: %s: migration %s: %w", db.path, m.name, err)
			}
		}
		// PRAGMA takes no parameters; the version is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			tx.Rollback()
			return fmt.Errorf("vulndb: %s: migration %s: %w", db.path, m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("vulndb: %s: migration %s: %w", db.path, m.name, err)
		}
	}
	return nil
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkFile rejects, before SQLite sees it, a file that cannot be an SQLite
// database or that was cut short: SQLite itself would report truncation only
// when a query reaches a missing page. A missing or empty file is a new
// database (allowed unless read-only).
func checkFile(path string, readOnly bool) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if readOnly {
			return 0, fmt.Errorf("vulndb: %s: %w", path, err)
		}
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("vulndb: %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("vulndb: %s: %w", path, err)
	}
	if st.IsDir() {
		return 0, fmt.Errorf("vulndb: %s: is a directory", path)
	}
	if st.Size() == 0 {
		if readOnly {
			return 0, fmt.Errorf("%w: %s: empty file", ErrNotDatabase, path)
		}
		return 0, nil
	}
	var hdr [100]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return 0, fmt.Errorf("%w: %s: file is shorter than an SQLite header (%d bytes)", ErrNotDatabase, path, st.Size())
	}
	if string(hdr[:16]) != sqliteMagic {
		return 0, fmt.Errorf("%w: %s: no SQLite header", ErrNotDatabase, path)
	}
	pageSize := int64(hdr[16])<<8 | int64(hdr[17])
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return 0, fmt.Errorf("%w: %s: bad page size %d", ErrNotDatabase, path, pageSize)
	}
	// The in-header page count is valid when the change counter matches
	// the "version valid for" field (SQLite ≥ 3.7.0 keeps both). In WAL
	// mode the file may hold fewer pages than the database (the rest are
	// in the log), never more than the count says it needs, so only a file
	// shorter than the count is damaged.
	pages := be32(hdr[28:32])
	if pages > 0 && be32(hdr[24:28]) == be32(hdr[92:96]) && st.Size() < pages*pageSize && !walHasFrames(path) {
		return 0, fmt.Errorf("%w: %s: truncated (%d bytes, header says %d pages of %d)", ErrNotDatabase, path, st.Size(), pages, pageSize)
	}
	return int(pageSize), nil
}

func be32(b []byte) int64 {
	return int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3])
}

// walHasFrames reports whether a write-ahead log beside path holds frames,
// in which case the database file alone need not be complete.
func walHasFrames(path string) bool {
	st, err := os.Stat(path + "-wal")
	return err == nil && st.Size() > 32
}
