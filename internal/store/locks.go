package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
	"unicode/utf8"
)

// Lock is a named cross-replica lock held by this process: a session-level
// advisory lock on PostgreSQL (held while its connection lives), a leased
// row on SQLite (held while renewed by Held).
type Lock struct {
	s      *Store
	name   string
	holder string
	ttl    time.Duration
	conn   *sql.Conn // PostgreSQL
	key    int64
}

// lockKey is the advisory lock key of a name. PostgreSQL's advisory locks
// are per database, so the key includes the schema: stores in different
// schemas of one database do not block each other.
func lockKey(schema, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("vigil:" + schema + ":" + name))
	return int64(h.Sum64() & (1<<62 - 1))
}

// TryLock takes the named lock for holder without waiting; nil when
// another holds it. ttl is the SQLite lease, renewed by Held.
func (s *Store) TryLock(ctx context.Context, name, holder string, ttl time.Duration) (*Lock, error) {
	l := &Lock{s: s, name: name, holder: holder, ttl: ttl, key: lockKey(s.schema, name)}
	if _, ok := s.dialect.(postgres); ok {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, s.wrap(err)
		}
		var got bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&got); err != nil {
			conn.Close()
			return nil, s.wrap(err)
		}
		if !got {
			conn.Close()
			return nil, nil
		}
		l.conn = conn
		return l, nil
	}
	now := s.now().UnixMilli()
	res, err := s.db.ExecContext(ctx, `INSERT INTO locks (name, holder, until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE locks.until < ? OR locks.holder = excluded.holder`, name, holder, now+ttl.Milliseconds(), now)
	if err != nil {
		return nil, s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	return l, nil
}

// ErrLockLost: a lock's connection died or its lease was taken over.
var ErrLockLost = errors.New("store: lock lost")

// Held confirms the lock is still held (renewing the SQLite lease);
// ErrLockLost when it is not. Long singleton work calls it between steps.
func (l *Lock) Held(ctx context.Context) error {
	if l.conn != nil {
		var ok bool
		err := l.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
			AND ((classid::bigint << 32) | objid::bigint) = $1)`, l.key).Scan(&ok)
		if err != nil || !ok {
			return fmt.Errorf("%w: %s", ErrLockLost, l.name)
		}
		return nil
	}
	now := l.s.now().UnixMilli()
	res, err := l.s.db.ExecContext(ctx, `UPDATE locks SET until = ? WHERE name = ? AND holder = ?`, now+l.ttl.Milliseconds(), l.name, l.holder)
	if err != nil {
		return l.s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", ErrLockLost, l.name)
	}
	return nil
}

// Release gives the lock up.
func (l *Lock) Release(ctx context.Context) error {
	if l.conn != nil {
		_, err := l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
		cerr := l.conn.Close()
		return l.s.wrap(errors.Join(err, cerr))
	}
	_, err := l.s.db.ExecContext(ctx, `DELETE FROM locks WHERE name = ? AND holder = ?`, l.name, l.holder)
	return l.s.wrap(err)
}

// blobTouchEvery is how stale a blob's last-use time may get before a
// read renews it: reads of a hot blob do not each write.
const blobTouchEvery = time.Hour

// GetBlob returns a shared blob (layer cache entry); ok false when absent.
// A read renews the blob's last use (at most once per blobTouchEvery),
// which PruneBlobs goes by.
func (s *Store) GetBlob(ctx context.Context, key string) ([]byte, bool, error) {
	var b []byte
	var used int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT data, used FROM blobs WHERE key = ?`), key).Scan(&b, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.wrap(err)
	}
	if now := s.now().UnixMilli(); used < now-blobTouchEvery.Milliseconds() {
		// A failed renewal costs at worst an early prune of a cache
		// entry, not the read.
		if _, err := s.db.ExecContext(ctx, s.q(`UPDATE blobs SET used = ? WHERE key = ? AND used < ?`), now, key, now); err != nil {
			s.log.Warn("store: renewing a blob's last use failed", "key", key, "err", err)
		}
	}
	return b, true, nil
}

// PutBlob stores a shared blob; the first writer of a key wins (entries
// are content-addressed by their callers), and a second write renews the
// blob's last use.
func (s *Store) PutBlob(ctx context.Context, key string, data []byte) error {
	now := s.now().UnixMilli()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO blobs (key, data, created, used) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET used = excluded.used`), key, data, now, now)
	return s.wrap(err)
}

// PruneBlobs deletes the blobs whose keys start with prefix neither
// written nor read since before, and returns how many it deleted. Replicas
// may prune at once.
func (s *Store) PruneBlobs(ctx context.Context, prefix string, before time.Time) (int64, error) {
	// substr, not LIKE, whose wildcards the prefix could hold, nor a key
	// range, which a collation could order otherwise.
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM blobs WHERE used < ? AND substr(key, 1, ?) = ?`), before.UnixMilli(), utf8.RuneCountInString(prefix), prefix)
	if err != nil {
		return 0, s.wrap(err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap(err)
}

// DeleteBlob removes a shared blob; absent keys are no error.
func (s *Store) DeleteBlob(ctx context.Context, key string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM blobs WHERE key = ?`), key)
	return s.wrap(err)
}
