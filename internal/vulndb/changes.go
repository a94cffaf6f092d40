package vulndb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ChangeKind says what happened to an advisory or enrichment entry.
type ChangeKind string

// Change kinds.
const (
	// KindNew: the source published the advisory (or published it again
	// after a full snapshot had dropped it).
	KindNew ChangeKind = "new"
	// KindModified: the advisory's content changed.
	KindModified ChangeKind = "modified"
	// KindWithdrawn: upstream withdrew the advisory, or the source's full
	// snapshot no longer contains it.
	KindWithdrawn ChangeKind = "withdrawn"
	// KindKEV: the CVE entered or left the KEV catalogue.
	KindKEV ChangeKind = "kev"
	// KindEPSS: the CVE entered or left the EPSS scores.
	KindEPSS ChangeKind = "epss"
)

// Change is one change-log entry. Keys are the (ecosystem, package) keys
// whose findings may differ because of it: for an advisory those it
// affected before and after the change, for KEV and EPSS those of the alias
// groups holding the CVE.
type Change struct {
	Seq        int64
	AdvisoryID string // the advisory id, or the CVE id for kev and epss
	Source     string
	Kind       ChangeKind
	Keys       []Key
	Time       time.Time
}

// Changes returns up to limit change-log entries with sequence numbers after
// afterSeq, in sequence order. Sequence numbers increase with every change
// and are never reused; a consumer remembers the last one it handled.
func (db *DB) Changes(ctx context.Context, afterSeq int64, limit int) ([]Change, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.ro.QueryContext(ctx, `SELECT seq, advisory, source, kind, time, keys FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, db.fileErr(err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var kind, at, keys string
		if err := rows.Scan(&c.Seq, &c.AdvisoryID, &c.Source, &kind, &at, &keys); err != nil {
			return nil, db.fileErr(err)
		}
		c.Kind = ChangeKind(kind)
		if c.Time, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("vulndb: %s: change %d: %w", db.path, c.Seq, err)
		}
		if c.Keys, err = decodeKeys(keys); err != nil {
			return nil, fmt.Errorf("vulndb: %s: change %d: %w", db.path, c.Seq, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, db.fileErr(err)
	}
	return out, nil
}

// Version returns the sequence number of the latest change, 0 for an empty
// store: the database version findings are assessed against.
func (db *DB) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := db.ro.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&v); err != nil {
		return 0, db.fileErr(err)
	}
	return v, nil
}

// HasEcosystem reports whether the store holds any live affected entry of an
// ecosystem ("Go", "Debian:12"): the matcher warns when a scanned
// ecosystem has no data at all rather than finding nothing in silence.
func (db *DB) HasEcosystem(ctx context.Context, ecosystem string) (bool, error) {
	var one int
	err := db.ro.QueryRowContext(ctx, `SELECT 1 FROM matches WHERE ecosystem = ? LIMIT 1`, ecosystem).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, db.fileErr(err)
	}
	return true, nil
}
