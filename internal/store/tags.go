package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilproject/vigil/internal/sbom"
)

// TrackTag starts following a tag (or updates its reference); it is
// checked for moves from then on.
func (s *Store) TrackTag(ctx context.Context, repository, tag, reference string) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO tags (repository, tag, reference) VALUES (?, ?, ?)
		ON CONFLICT (repository, tag) DO UPDATE SET reference = excluded.reference`), repository, tag, reference)
	return s.wrap(err)
}

// SetTagDigest records what a tracked tag points at, as seen at now. When
// it pointed at another digest before, the move is recorded and returned.
func (s *Store) SetTagDigest(ctx context.Context, repository, tag string, digest sbom.Digest) (*TagMove, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer tx.Rollback()
	lock := ""
	if _, ok := s.dialect.(postgres); ok {
		lock = " FOR UPDATE"
	}
	var prev string
	err = tx.QueryRowContext(ctx, s.q(`SELECT digest FROM tags WHERE repository = ? AND tag = ?`+lock), repository, tag).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: tag %s:%s is not tracked", ErrNotFound, repository, tag)
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE tags SET digest = ?, checked_at = ? WHERE repository = ? AND tag = ?`), string(digest), now.UnixMilli(), repository, tag); err != nil {
		return nil, s.wrap(err)
	}
	var mv *TagMove
	if prev != "" && prev != string(digest) {
		mv = &TagMove{Repository: repository, Tag: tag, From: sbom.Digest(prev), To: digest, At: now.UTC().Truncate(time.Millisecond)}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO tag_moves (repository, tag, from_digest, to_digest, at) VALUES (?, ?, ?, ?, ?)`),
			repository, tag, prev, string(digest), now.UnixMilli()); err != nil {
			return nil, s.wrap(err)
		}
	}
	return mv, s.wrap(tx.Commit())
}

// TagsCheckedBefore returns tracked tags last checked before t, oldest
// first, at most limit.
func (s *Store) TagsCheckedBefore(ctx context.Context, t time.Time, limit int) ([]TrackedTag, error) {
	rs, err := s.db.QueryContext(ctx, s.q(`SELECT repository, tag, reference, digest, checked_at FROM tags WHERE checked_at < ? ORDER BY checked_at LIMIT ?`), t.UnixMilli(), limit)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rs.Close()
	var out []TrackedTag
	for rs.Next() {
		var tt TrackedTag
		var d string
		var c int64
		if err := rs.Scan(&tt.Repository, &tt.Tag, &tt.Reference, &d, &c); err != nil {
			return nil, s.wrap(err)
		}
		tt.Digest, tt.Checked = sbom.Digest(d), fromMS(c)
		out = append(out, tt)
	}
	return out, s.wrap(rs.Err())
}

// TagMoves returns the recorded moves of a repository's tags (every
// repository when empty), oldest first.
func (s *Store) TagMoves(ctx context.Context, repository string) ([]TagMove, error) {
	q, args := `SELECT repository, tag, from_digest, to_digest, at FROM tag_moves`, []any{}
	if repository != "" {
		q, args = q+` WHERE repository = ?`, append(args, repository)
	}
	rs, err := s.db.QueryContext(ctx, s.q(q+` ORDER BY id`), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rs.Close()
	var out []TagMove
	for rs.Next() {
		var m TagMove
		var f, t string
		var at int64
		if err := rs.Scan(&m.Repository, &m.Tag, &f, &t, &at); err != nil {
			return nil, s.wrap(err)
		}
		m.From, m.To, m.At = sbom.Digest(f), sbom.Digest(t), fromMS(at)
		out = append(out, m)
	}
	return out, s.wrap(rs.Err())
}
