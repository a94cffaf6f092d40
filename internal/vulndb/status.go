package vulndb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/vigilproject/vigil/internal/feed"
)

const sourceColumns = `name, url, etag, last_modified, cursor, digest, last_attempt, last_success, records, last_error`

func scanSource(sc interface{ Scan(...any) error }) (feed.SourceState, error) {
	var s feed.SourceState
	var attempt, success sql.NullString
	err := sc.Scan(&s.Source, &s.URL, &s.Fingerprint.ETag, &s.Fingerprint.LastModified, &s.Fingerprint.Cursor,
		&s.Fingerprint.Digest, &attempt, &success, &s.Records, &s.LastError)
	if err != nil {
		return s, err
	}
	if s.LastAttempt, err = parseTime(attempt.String); err != nil {
		return s, err
	}
	s.LastSuccess, err = parseTime(success.String)
	return s, err
}

// State returns the stored state of a source, the zero value when it was
// never updated (feed.Sink).
func (db *DB) State(ctx context.Context, source string) (feed.SourceState, error) {
	s, err := scanSource(db.ro.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM sources WHERE name = ?`, source))
	if errors.Is(err, sql.ErrNoRows) {
		return feed.SourceState{}, nil
	}
	if err != nil {
		return feed.SourceState{}, fmt.Errorf("vulndb: %s: source %s: %w", db.path, source, db.fileErr(err))
	}
	return s, nil
}

// RecordFailure stores a failed update attempt of a source, leaving its
// data and last success in place (feed.Sink).
func (db *DB) RecordFailure(ctx context.Context, source string, attempt time.Time, cause error) error {
	if db.rw == nil {
		return ErrReadOnly
	}
	if source == "" {
		return errors.New("vulndb: record failure: empty source name")
	}
	msg := "unknown error"
	if cause != nil {
		msg = cause.Error()
	}
	if attempt.IsZero() {
		attempt = db.opts.Now()
	}
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	_, err := db.rw.ExecContext(ctx, `INSERT INTO sources (name, last_attempt, last_error) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET last_attempt = excluded.last_attempt, last_error = excluded.last_error`,
		source, formatTime(attempt), msg)
	if err != nil {
		return fmt.Errorf("vulndb: record failure of %s: %w", source, db.fileErr(err))
	}
	return nil
}

// RecordUnchanged stores an update attempt of a source whose upstream had
// nothing new (its fetch returned feed.ErrUnchanged against the stored
// fingerprint): LastAttempt becomes attempt, LastError is cleared (the
// source answered, and the stored data is what it publishes), and
// LastSuccess, the fingerprint, the record count and the data stay as the
// last successful Apply left them.
func (db *DB) RecordUnchanged(ctx context.Context, source string, attempt time.Time) error {
	if db.rw == nil {
		return ErrReadOnly
	}
	if source == "" {
		return errors.New("vulndb: record unchanged: empty source name")
	}
	if attempt.IsZero() {
		attempt = db.opts.Now()
	}
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	_, err := db.rw.ExecContext(ctx, `INSERT INTO sources (name, last_attempt) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET last_attempt = excluded.last_attempt, last_error = ''`,
		source, formatTime(attempt))
	if err != nil {
		return fmt.Errorf("vulndb: record unchanged fetch of %s: %w", source, db.fileErr(err))
	}
	return nil
}

// Status returns the state of every source, ordered by name.
func (db *DB) Status(ctx context.Context) ([]feed.SourceState, error) {
	rows, err := db.ro.QueryContext(ctx, `SELECT `+sourceColumns+` FROM sources ORDER BY name`)
	if err != nil {
		return nil, db.fileErr(err)
	}
	defer rows.Close()
	var out []feed.SourceState
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return nil, db.fileErr(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, db.fileErr(err)
	}
	return out, nil
}

// Built returns the newest successful update of any source, the zero time
// for a store never updated: the age freshness checks compare with.
func (db *DB) Built(ctx context.Context) (time.Time, error) {
	var s sql.NullString
	// Stored times have a fixed layout, so text order is time order.
	if err := db.ro.QueryRowContext(ctx, `SELECT MAX(last_success) FROM sources`).Scan(&s); err != nil {
		return time.Time{}, db.fileErr(err)
	}
	return parseTime(s.String)
}

// Size returns the bytes the database occupies on disk: the file and its
// write-ahead log.
func (db *DB) Size(ctx context.Context) (int64, error) {
	st, err := os.Stat(db.path)
	if err != nil {
		return 0, fmt.Errorf("vulndb: %w", err)
	}
	size := st.Size()
	if wal, err := os.Stat(db.path + "-wal"); err == nil {
		size += wal.Size()
	}
	return size, nil
}
