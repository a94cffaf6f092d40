package vulndb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned by Build and Install when a database already
// exists where the new store was to go.
var ErrExists = errors.New("vulndb: a database already exists there")

// buildSuffix names a store being built, beside its final path.
const buildSuffix = ".build"

// Build opens a new, empty store for a first import (the first update of
// a path that holds no database), written to a file beside path that no
// other process opens, and installed at path by Install. Such a file
// needs no write-ahead log (which writes every page twice), no rollback
// journal on disk and no syncs before Install, which makes a full import
// markedly cheaper (PERFORMANCE.md); every Apply is still one transaction
// that rolls back whole on error. Readers see nothing at path until
// Install, then the whole store. A build killed before Install leaves its
// file, which the next Build at the same path replaces; Close without
// Install removes it.
//
// Build fails with ErrExists when path already holds a file.
func Build(ctx context.Context, path string, opts Options) (*DB, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.ReadOnly {
		return nil, errors.New("vulndb: build: a store being built is written")
	}
	opts = opts.withDefaults()
	if path == "" {
		return nil, errors.New("vulndb: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("vulndb: %s: %w", path, err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, abs)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("vulndb: %s: %w", abs, err)
	}
	tmp := abs + buildSuffix
	removeDB(tmp)
	db := &DB{path: tmp, target: abs, opts: opts, cache: newLookupCache(opts.LookupCache)}
	if err := db.open(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Install completes a store opened by Build: its file is switched to the
// write-ahead log that Open uses, synced, and moved to the path given to
// Build, which must still hold nothing (else ErrExists, and the build is
// discarded). The DB is closed afterwards; Open the path to use it.
func (db *DB) Install(ctx context.Context) error {
	if db.target == "" {
		return errors.New("vulndb: install: the store was not opened by Build")
	}
	if db.closed {
		return errors.New("vulndb: install: the store is closed")
	}
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	defer db.Close()
	if err := db.closeConns(); err != nil {
		return fmt.Errorf("vulndb: install %s: %w", db.target, err)
	}
	conn, err := sql.Open("sqlite", dsn(db.path, nil))
	if err != nil {
		return fmt.Errorf("vulndb: install %s: %w", db.target, err)
	}
	var mode string
	err = conn.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
	if cerr := conn.Close(); err == nil {
		err = cerr
	}
	if err == nil && mode != "wal" {
		err = fmt.Errorf("journal mode is %q", mode)
	}
	if err != nil {
		return fmt.Errorf("vulndb: install %s: %w", db.target, db.fileErr(err))
	}
	if err := syncFile(db.path); err != nil {
		return fmt.Errorf("vulndb: install %s: %w", db.target, err)
	}
	// A hard link never replaces a file that appeared meanwhile; where
	// the file system has none, a rename after checking comes closest.
	err = os.Link(db.path, db.target)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		if _, serr := os.Lstat(db.target); serr == nil {
			err = fs.ErrExist
		} else {
			err = os.Rename(db.path, db.target)
		}
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrExists, db.target)
	}
	if err != nil {
		return fmt.Errorf("vulndb: install %s: %w", db.target, err)
	}
	syncDir(filepath.Dir(db.target))
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
