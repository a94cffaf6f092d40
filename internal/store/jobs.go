package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
)

const jobCols = `id, kind, payload, state, attempts, max_attempts, run_at, worker, lease_until, created_at, updated_at, error, result`

func scanJob(r rowScanner) (Job, error) {
	var j Job
	var runAt, lease, created, updated int64
	err := r.Scan(&j.ID, &j.Kind, &j.Payload, &j.State, &j.Attempts, &j.MaxAttempts, &runAt, &j.Worker, &lease, &created, &updated, &j.Error, &j.Result)
	j.RunAt, j.LeaseUntil, j.Created, j.Updated = fromMS(runAt), fromMS(lease), fromMS(created), fromMS(updated)
	return j, err
}

// Enqueue adds a job. With a Dedupe key, a queued or running job of the
// same kind and key is returned instead (created false).
func (s *Store) Enqueue(ctx context.Context, n NewJob) (job Job, created bool, err error) {
	if n.Kind == "" {
		return Job{}, false, errors.New("store: Enqueue: job kind is required")
	}
	if n.MaxAttempts <= 0 {
		n.MaxAttempts = 5
	}
	if n.Payload == nil {
		n.Payload = []byte("{}")
	}
	now := s.now()
	runAt := n.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	for range 3 {
		j, err := scanJob(s.db.QueryRowContext(ctx, s.q(`INSERT INTO jobs (kind, payload, dedupe, state, max_attempts, run_at, created_at, updated_at)
			VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)
			ON CONFLICT (kind, dedupe) WHERE dedupe <> '' AND state IN ('queued', 'running') DO NOTHING
			RETURNING `+jobCols), n.Kind, n.Payload, n.Dedupe, n.MaxAttempts, runAt.UnixMilli(), now.UnixMilli(), now.UnixMilli()))
		if err == nil {
			return j, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Job{}, false, s.wrap(err)
		}
		j, err = scanJob(s.db.QueryRowContext(ctx, s.q(`SELECT `+jobCols+` FROM jobs WHERE kind = ? AND dedupe = ? AND state IN ('queued', 'running')`), n.Kind, n.Dedupe))
		if err == nil {
			return j, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Job{}, false, s.wrap(err)
		}
		// The other job finished between the two statements: try again.
	}
	return Job{}, false, fmt.Errorf("store: enqueue %s %q: contended", n.Kind, n.Dedupe)
}

// enqueueTx queues a job in a transaction; a queued or running job of the
// same kind and dedupe key makes it a no-op.
func (s *Store) enqueueTx(ctx context.Context, tx *sql.Tx, n NewJob) error {
	if n.MaxAttempts <= 0 {
		n.MaxAttempts = 5
	}
	if n.Payload == nil {
		n.Payload = []byte("{}")
	}
	now := s.now()
	runAt := n.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO jobs (kind, payload, dedupe, state, max_attempts, run_at, created_at, updated_at)
		VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)
		ON CONFLICT (kind, dedupe) WHERE dedupe <> '' AND state IN ('queued', 'running') DO NOTHING`),
		n.Kind, n.Payload, n.Dedupe, n.MaxAttempts, runAt.UnixMilli(), now.UnixMilli(), now.UnixMilli())
	return s.wrap(err)
}

// Claim gives the worker the oldest runnable job of the kinds, leased
// until now+lease: a queued job whose time has come, or a running one
// whose worker's lease expired (the worker died). Nil when there is none.
// On PostgreSQL, concurrent claimers skip each other's rows (FOR UPDATE
// SKIP LOCKED); SQLite serialises them.
func (s *Store) Claim(ctx context.Context, worker string, kinds []string, lease time.Duration) (*Job, error) {
	if len(kinds) == 0 {
		return nil, errors.New("store: Claim: no job kinds")
	}
	now := s.now().UnixMilli()
	kindArgs := make([]any, len(kinds))
	for i, k := range kinds {
		kindArgs[i] = k
	}
	// Jobs whose lease expired after their last attempt are failed for good.
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE jobs SET state = 'failed', updated_at = ?,
		error = CASE WHEN error = '' THEN 'worker lost; no attempts left' ELSE error END
		WHERE state = 'running' AND lease_until < ? AND attempts >= max_attempts`), now, now); err != nil {
		return nil, s.wrap(err)
	}
	lock := ""
	if _, ok := s.dialect.(postgres); ok {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	args := append([]any{worker, now + lease.Milliseconds(), now}, kindArgs...)
	args = append(args, now, now)
	j, err := scanJob(s.db.QueryRowContext(ctx, s.q(`UPDATE jobs SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id = (SELECT id FROM jobs WHERE kind IN (`+placeholders(len(kinds))+`)
			AND ((state = 'queued' AND run_at <= ?) OR (state = 'running' AND lease_until < ?))
			ORDER BY run_at, id LIMIT 1`+lock+`)
		RETURNING `+jobCols), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	return &j, nil
}

// Extend renews a running job's lease; ErrLeaseLost when the job is no
// longer the worker's.
func (s *Store) Extend(ctx context.Context, id int64, worker string, lease time.Duration) error {
	now := s.now().UnixMilli()
	return s.jobUpdate(ctx, id, `UPDATE jobs SET lease_until = ?, updated_at = ? WHERE id = ? AND worker = ? AND state = 'running'`,
		now+lease.Milliseconds(), now, id, worker)
}

// Complete marks a job done with its result.
func (s *Store) Complete(ctx context.Context, id int64, worker string, result []byte) error {
	now := s.now().UnixMilli()
	return s.jobUpdate(ctx, id, `UPDATE jobs SET state = 'done', result = ?, error = '', updated_at = ?, lease_until = 0 WHERE id = ? AND worker = ? AND state = 'running'`,
		result, now, id, worker)
}

// Fail records a failed attempt: the job runs again at retryAt, or is
// failed for good when it had its last attempt or permanent is set.
func (s *Store) Fail(ctx context.Context, id int64, worker string, cause error, retryAt time.Time, permanent bool) error {
	now := s.now().UnixMilli()
	msg := cause.Error()
	if len(msg) > 4096 {
		msg = msg[:4096]
	}
	return s.jobUpdate(ctx, id, `UPDATE jobs SET
		state = CASE WHEN ? = 1 OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
		run_at = ?, error = ?, updated_at = ?, lease_until = 0
		WHERE id = ? AND worker = ? AND state = 'running'`,
		boolInt(permanent), retryAt.UnixMilli(), msg, now, id, worker)
}

func (s *Store) jobUpdate(ctx context.Context, id int64, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, s.q(q), args...)
	if err != nil {
		return s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: job %d", ErrLeaseLost, id)
	}
	return nil
}

// Job returns a job by id.
func (s *Store) Job(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, s.q(`SELECT `+jobCols+` FROM jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("%w: job %d", ErrNotFound, id)
	}
	return j, s.wrap(err)
}

// Jobs lists jobs of a state (all states when empty), newest first.
func (s *Store) Jobs(ctx context.Context, state string, limit int) ([]Job, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q, args := `SELECT `+jobCols+` FROM jobs`, []any{}
	if state != "" {
		q, args = q+` WHERE state = ?`, append(args, state)
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit)
	rs, err := s.db.QueryContext(ctx, s.q(q), args...)
	return collect(s, rs, err, scanJob)
}

// PruneJobs deletes finished jobs last updated before t.
func (s *Store) PruneJobs(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated_at < ?`), before.UnixMilli())
	if err != nil {
		return 0, s.wrap(err)
	}
	return res.RowsAffected()
}

// Stats returns the store's gauges.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{BySeverity: map[advisory.Severity]int{}, Jobs: map[string]int{}}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM images`).Scan(&st.Images); err != nil {
		return st, s.wrap(err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM packages`).Scan(&st.Packages); err != nil {
		return st, s.wrap(err)
	}
	type sevCount struct{ sev, n int }
	sevs, err := collectQuery(ctx, s, `SELECT max_severity, COUNT(*) FROM images GROUP BY max_severity`, func(r rowScanner) (sevCount, error) {
		var c sevCount
		return c, r.Scan(&c.sev, &c.n)
	})
	if err != nil {
		return st, err
	}
	for _, c := range sevs {
		st.BySeverity[advisory.Severity(c.sev)] = c.n
	}
	type stateCount struct {
		state string
		n     int
	}
	states, err := collectQuery(ctx, s, `SELECT state, COUNT(*) FROM jobs GROUP BY state`, func(r rowScanner) (stateCount, error) {
		var c stateCount
		return c, r.Scan(&c.state, &c.n)
	})
	if err != nil {
		return st, err
	}
	for _, c := range states {
		st.Jobs[c.state] = c.n
	}
	return st, nil
}

// Size returns the bytes the store takes: the SQLite file's pages, or the
// PostgreSQL relations (tables, indexes, TOAST) of its schema.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var n int64
	var err error
	if _, ok := s.dialect.(postgres); ok {
		err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
			JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&n)
	}
	return n, s.wrap(err)
}
