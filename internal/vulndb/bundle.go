package vulndb

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
)

// A bundle is the air-gapped form of the store: a zstd-compressed tar
// holding manifest.json first, then the database file, whose size and
// sha256 the manifest records. Import checks both before anything replaces
// the existing database.

// bundleFormat versions the bundle layout (not the schema).
const bundleFormat = 1

const (
	manifestName = "manifest.json"
	databaseName = "vulndb.sqlite"
	// maxManifest bounds what Import reads as the manifest.
	maxManifest = 4 << 20
)

// ErrBadBundle is wrapped by every Import error about the bundle's content.
var ErrBadBundle = errors.New("vulndb: bad bundle")

// manifest describes a bundle.
type manifest struct {
	Format        int              `json:"format"`
	Created       time.Time        `json:"created"`
	SchemaVersion int              `json:"schemaVersion"`
	Version       int64            `json:"version"` // latest change-log sequence
	Sources       []manifestSource `json:"sources"`
	Database      manifestFile     `json:"database"`
}

// manifestSource is a source's state as recorded in a bundle.
type manifestSource struct {
	Name        string    `json:"name"`
	URL         string    `json:"url,omitempty"`
	ETag        string    `json:"etag,omitempty"`
	Modified    string    `json:"lastModified,omitempty"`
	Cursor      string    `json:"cursor,omitempty"`
	Digest      string    `json:"digest,omitempty"`
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	Records     int       `json:"records"`
}

// manifestFile names the database file in a bundle.
type manifestFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Export writes a bundle of the store to w: a consistent snapshot (VACUUM
// INTO a temporary file, so updates and lookups go on meanwhile) with its
// manifest. The temporary file goes beside the database, or in the system
// temporary directory when that is not writable.
func (db *DB) Export(ctx context.Context, w io.Writer) error {
	dir, err := os.MkdirTemp(filepath.Dir(db.path), ".vulndb-export-")
	if err != nil {
		if dir, err = os.MkdirTemp("", "vulndb-export-"); err != nil {
			return fmt.Errorf("vulndb: export: %w", err)
		}
	}
	defer os.RemoveAll(dir)
	snap := filepath.Join(dir, databaseName)
	conn := db.rw
	if conn == nil {
		// The read pool is query_only, which forbids VACUUM INTO; a plain
		// read-only connection may write the copy.
		ro, err := sql.Open("sqlite", dsn(db.path, []string{fmt.Sprintf("busy_timeout(%d)", db.opts.BusyTimeout.Milliseconds())}, "mode=ro"))
		if err != nil {
			return fmt.Errorf("vulndb: export %s: %w", db.path, err)
		}
		defer ro.Close()
		conn = ro
	}
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, snap); err != nil {
		return fmt.Errorf("vulndb: export %s: %w", db.path, db.fileErr(err))
	}
	m, err := describe(ctx, snap)
	if err != nil {
		return fmt.Errorf("vulndb: export %s: %w", db.path, err)
	}
	m.Created = db.opts.Now().UTC()
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("vulndb: export: %w", err)
	}
	f, err := os.Open(snap)
	if err != nil {
		return fmt.Errorf("vulndb: export: %w", err)
	}
	defer f.Close()

	zw, err := zstd.NewWriter(w)
	if err != nil {
		return fmt.Errorf("vulndb: export: %w", err)
	}
	tw := tar.NewWriter(zw)
	mtime := m.Created.Truncate(time.Second)
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(mj)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("vulndb: export: %w", err)
	}
	if _, err := tw.Write(mj); err != nil {
		return fmt.Errorf("vulndb: export: %w", err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: databaseName, Mode: 0o644, Size: m.Database.Size, ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("vulndb: export: %w", err)
	}
	if _, err := io.Copy(tw, ctxReader{ctx, f}); err != nil {
		return fmt.Errorf("vulndb: export: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("vulndb: export: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("vulndb: export: %w", err)
	}
	return nil
}

// describe builds the manifest of a snapshot file: digest first, then the
// metadata read from the file itself, so the manifest matches its bytes.
func describe(ctx context.Context, path string) (manifest, error) {
	m := manifest{Format: bundleFormat, Database: manifestFile{Name: databaseName}}
	sum, size, err := digestFile(path)
	if err != nil {
		return m, err
	}
	m.Database.Size, m.Database.SHA256 = size, sum
	// immutable: read without locks or a log, leaving the bytes as hashed.
	sdb, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro&immutable=1")
	if err != nil {
		return m, err
	}
	defer sdb.Close()
	if m.SchemaVersion, err = schemaVersion(ctx, sdb); err != nil {
		return m, err
	}
	if err := sdb.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&m.Version); err != nil {
		return m, err
	}
	rows, err := sdb.QueryContext(ctx, `SELECT `+sourceColumns+` FROM sources ORDER BY name`)
	if err != nil {
		return m, err
	}
	defer rows.Close()
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return m, err
		}
		m.Sources = append(m.Sources, manifestSource{
			Name: s.Source, URL: s.URL, ETag: s.Fingerprint.ETag, Modified: s.Fingerprint.LastModified,
			Cursor: s.Fingerprint.Cursor, Digest: s.Fingerprint.Digest, LastSuccess: s.LastSuccess, Records: s.Records,
		})
	}
	return m, rows.Err()
}

func digestFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Import reads a bundle written by Export and installs its database at
// path. The database is written to a temporary file beside path, checked
// against the manifest's size and sha256, its schema version and SQLite's
// quick_check, and only then renamed over path, so a damaged or truncated
// bundle leaves an existing database untouched. Import must not run while
// another process has the database at path open: SQLite's log files beside
// it are removed with the old database.
func Import(ctx context.Context, r io.Reader, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("vulndb: import: %w", err)
	}
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadBundle, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)

	hdr, err := tr.Next()
	if err != nil {
		return fmt.Errorf("%w: reading manifest: %w", ErrBadBundle, err)
	}
	if hdr.Name != manifestName || hdr.Size > maxManifest {
		return fmt.Errorf("%w: first entry is %q (%d bytes), want %s", ErrBadBundle, hdr.Name, hdr.Size, manifestName)
	}
	var m manifest
	if err := json.NewDecoder(io.LimitReader(tr, maxManifest)).Decode(&m); err != nil {
		return fmt.Errorf("%w: manifest: %w", ErrBadBundle, err)
	}
	switch {
	case m.Format != bundleFormat:
		return fmt.Errorf("%w: bundle format %d, this build reads %d", ErrBadBundle, m.Format, bundleFormat)
	case m.SchemaVersion > SchemaVersion():
		return fmt.Errorf("%w: bundle has schema version %d, this build knows up to %d", ErrSchemaTooNew, m.SchemaVersion, SchemaVersion())
	case m.SchemaVersion < 1:
		return fmt.Errorf("%w: manifest has no schema version", ErrBadBundle)
	case m.Database.Name != databaseName || m.Database.Size <= 0 || len(m.Database.SHA256) != 64:
		return fmt.Errorf("%w: manifest describes no database file", ErrBadBundle)
	}
	if hdr, err = tr.Next(); err != nil {
		return fmt.Errorf("%w: reading database: %w", ErrBadBundle, err)
	}
	if hdr.Name != m.Database.Name || hdr.Size != m.Database.Size {
		return fmt.Errorf("%w: entry %q of %d bytes, manifest says %q of %d", ErrBadBundle, hdr.Name, hdr.Size, m.Database.Name, m.Database.Size)
	}

	tmp, err := os.CreateTemp(filepath.Dir(abs), filepath.Base(abs)+".import-*")
	if err != nil {
		return fmt.Errorf("vulndb: import: %w", err)
	}
	tmpName := tmp.Name()
	installed := false
	defer func() {
		if !installed {
			tmp.Close()
			removeDB(tmpName)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, tr})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("vulndb: import: %w", err)
		}
		return fmt.Errorf("%w: database entry: %w", ErrBadBundle, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != m.Database.Size || sum != m.Database.SHA256 {
		return fmt.Errorf("%w: database is %d bytes with sha256 %s, manifest says %d bytes with %s", ErrBadBundle, n, sum, m.Database.Size, m.Database.SHA256)
	}
	// The tar end marker proves the stream was not cut after the database.
	if _, err := tr.Next(); err != io.EOF {
		return fmt.Errorf("%w: unexpected data after the database: %v", ErrBadBundle, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("vulndb: import: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vulndb: import: %w", err)
	}
	if err := verifySnapshot(ctx, tmpName, m.SchemaVersion); err != nil {
		return err
	}
	if err := retireOld(ctx, abs); err != nil {
		return err
	}
	if err := os.Rename(tmpName, abs); err != nil {
		return fmt.Errorf("vulndb: import: %w", err)
	}
	installed = true
	// The new file's own log files, if any, were for the temporary name.
	removeDB(tmpName)
	syncDir(filepath.Dir(abs))
	return nil
}

// verifySnapshot checks that an imported file is a sound database of the
// schema version its manifest names.
func verifySnapshot(ctx context.Context, path string, schema int) error {
	sdb, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro&immutable=1")
	if err != nil {
		return fmt.Errorf("vulndb: import: %w", err)
	}
	defer sdb.Close()
	v, err := schemaVersion(ctx, sdb)
	if err != nil {
		return fmt.Errorf("%w: database: %w", ErrBadBundle, err)
	}
	if v != schema {
		return fmt.Errorf("%w: database has schema version %d, manifest says %d", ErrBadBundle, v, schema)
	}
	var check string
	if err := sdb.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return fmt.Errorf("%w: database: %w", ErrBadBundle, err)
	}
	if check != "ok" {
		return fmt.Errorf("%w: database fails quick_check: %s", ErrBadBundle, check)
	}
	return nil
}

// retireOld prepares the database at path to be replaced: its write-ahead
// log is checkpointed into it and removed, so that no stale log is applied
// to the new file.
func retireOld(ctx context.Context, path string) error {
	if _, err := os.Stat(path + "-wal"); err != nil {
		return nil
	}
	if old, err := sql.Open("sqlite", dsn(path, []string{"busy_timeout(10000)"})); err == nil {
		// Best effort: a damaged old database is being replaced anyway.
		old.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
		old.Close()
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("vulndb: import: %w", err)
		}
	}
	return nil
}

func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

// syncDir makes a rename durable; failure only weakens durability, which
// the rename itself already gave up on some file systems.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
