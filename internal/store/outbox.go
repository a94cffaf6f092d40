package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
)

// Subscription kinds: the format a subscription's deliveries are sent in.
const (
	KindCloudEvents = "cloudevents" // CloudEvents 1.0, structured JSON, signed
	KindSlack       = "slack"       // a Slack incoming webhook's message JSON
)

// Delivery states. A pending delivery waits for its time or is in flight
// under a worker's lease; delivered and dead are final until a Redrive.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// ErrInvalidSubscription: a subscription CreateSubscription refuses.
var ErrInvalidSubscription = errors.New("store: invalid subscription")

// NewSubscription is what CreateSubscription stores.
type NewSubscription struct {
	Name string // default: the URL's host
	URL  string // http or https, without user information
	Kind string // KindCloudEvents (default) or KindSlack
	// Secret keys the HMAC signature of every delivery; empty sends none.
	// It is stored as given (the sender needs it) and never read back by
	// Subscriptions or Subscription.
	Secret string
	Filter
}

// Filter selects the events a subscription receives. Zero fields select
// everything.
type Filter struct {
	// EventTypes lists the event types wanted (EventTypes); empty: all.
	EventTypes []string
	// MinSeverity keeps events of at least that severity.
	MinSeverity advisory.Severity
	// Repository is a glob on the event's repository, as path.Match reads
	// it except that '*' and '?' also match '/': "registry.example/team/*"
	// selects every repository under team/, however deep.
	Repository string
	// KEVOnly keeps events whose vulnerability (or, for image events,
	// image) is in the KEV catalogue.
	KEVOnly bool
}

// Subscription is a stored subscription, without its secret.
type Subscription struct {
	ID        int64
	Name      string
	URL       string
	Kind      string
	HasSecret bool
	Filter
	Created        time.Time
	Disabled       bool
	DisabledReason string
}

// Matches reports whether an event passes the filter. image.recovered
// ignores MinSeverity and KEVOnly: whoever heard an image went bad must
// hear it recovered, although the image's severity has dropped by then.
func (f *Filter) Matches(e *Event) bool {
	if len(f.EventTypes) > 0 && !slices.Contains(f.EventTypes, e.Type) {
		return false
	}
	if e.Type != EventImageRecovered {
		if e.Severity < f.MinSeverity || (f.KEVOnly && !e.KEV) {
			return false
		}
	}
	return f.Repository == "" || globMatch(f.Repository, e.Repository)
}

// globMatch is path.Match with '/' an ordinary character: both sides have
// it replaced by NUL, which neither may hold otherwise.
func globMatch(pattern, name string) bool {
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(name, "/", "\x00"))
	return err == nil && ok
}

// Validate checks a subscription and fills its defaults.
func (n *NewSubscription) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidSubscription, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(n.URL)
	switch {
	case err != nil:
		return bad("url: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("url %q: want an http or https URL", n.URL)
	case u.Host == "":
		return bad("url %q: no host", n.URL)
	case u.User != nil:
		return bad("url: user information in the URL would be shown by the API; use the secret")
	case len(n.URL) > 2048:
		return bad("url: longer than 2048 bytes")
	}
	switch n.Kind {
	case "":
		n.Kind = KindCloudEvents
	case KindCloudEvents, KindSlack:
	default:
		return bad("kind %q: want %s or %s", n.Kind, KindCloudEvents, KindSlack)
	}
	if n.Name == "" {
		n.Name = u.Host
	}
	if len(n.Name) > 200 || len(n.Secret) > 1024 {
		return bad("name or secret too long")
	}
	for _, t := range n.EventTypes {
		if !slices.Contains(EventTypes, t) {
			return bad("event type %q: want one of %s", t, strings.Join(EventTypes, ", "))
		}
	}
	n.EventTypes = slices.Compact(slices.Sorted(slices.Values(n.EventTypes)))
	if n.MinSeverity < advisory.SeverityUnknown || n.MinSeverity > advisory.SeverityCritical {
		return bad("minimum severity %d out of range", n.MinSeverity)
	}
	if strings.ContainsRune(n.Repository, 0) {
		return bad("repository glob holds a NUL")
	}
	if _, err := path.Match(n.Repository, ""); err != nil {
		return bad("repository glob %q: %v", n.Repository, err)
	}
	return nil
}

// subscriptionCols are the columns of a subscription but its secret, of
// the table under alias a (none when empty).
func subscriptionCols(a string) string {
	if a != "" {
		a += "."
	}
	return strings.NewReplacer("@", a).Replace(`@id, @name, @url, @kind, CASE WHEN @secret = '' THEN 0 ELSE 1 END, @event_types,
		@min_severity, @repository, @kev_only, @created_at, @disabled, @disabled_reason`)
}

// subscriptionRow scans a subscription's columns, alone or beside others.
type subscriptionRow struct {
	hasSecret, sev, kev, disabled int
	types                         string
	created                       int64
}

func (r *subscriptionRow) dest(s *Subscription) []any {
	return []any{&s.ID, &s.Name, &s.URL, &s.Kind, &r.hasSecret, &r.types, &r.sev, &s.Repository, &r.kev, &r.created, &r.disabled, &s.DisabledReason}
}

func (r *subscriptionRow) finish(s *Subscription) {
	s.HasSecret, s.MinSeverity, s.KEVOnly, s.Created, s.Disabled = r.hasSecret != 0, advisory.Severity(r.sev), r.kev != 0, fromMS(r.created), r.disabled != 0
	if r.types != "" {
		s.EventTypes = strings.Split(r.types, ",")
	}
}

func scanSubscription(r rowScanner) (Subscription, error) {
	var s Subscription
	var row subscriptionRow
	err := r.Scan(row.dest(&s)...)
	row.finish(&s)
	return s, err
}

// CreateSubscription validates and stores a subscription. It receives the
// events recorded from then on.
func (s *Store) CreateSubscription(ctx context.Context, n NewSubscription) (Subscription, error) {
	if err := n.Validate(); err != nil {
		return Subscription{}, err
	}
	sub, err := scanSubscription(s.db.QueryRowContext(ctx, s.q(`INSERT INTO subscriptions (name, url, kind, secret, event_types, min_severity, repository, kev_only, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+subscriptionCols("")),
		n.Name, n.URL, n.Kind, n.Secret, strings.Join(n.EventTypes, ","), int(n.MinSeverity), n.Repository, boolInt(n.KEVOnly), s.now().UnixMilli()))
	return sub, s.wrap(err)
}

// Subscriptions lists the subscriptions, oldest first.
func (s *Store) Subscriptions(ctx context.Context) ([]Subscription, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+subscriptionCols("s")+` FROM subscriptions s ORDER BY s.id`)
	return collect(s, rs, err, scanSubscription)
}

// Subscription returns a subscription by id.
func (s *Store) Subscription(ctx context.Context, id int64) (Subscription, error) {
	sub, err := scanSubscription(s.db.QueryRowContext(ctx, s.q(`SELECT `+subscriptionCols("s")+` FROM subscriptions s WHERE s.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Subscription{}, fmt.Errorf("%w: subscription %d", ErrNotFound, id)
	}
	return sub, s.wrap(err)
}

// DeleteSubscription deletes a subscription with all its deliveries.
func (s *Store) DeleteSubscription(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	// The subscription first: on PostgreSQL this waits for transactions
	// recording events (they hold it FOR SHARE), whose deliveries the
	// next statement then sees.
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM subscriptions WHERE id = ?`), id)
	if err != nil {
		return s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: subscription %d", ErrNotFound, id)
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM deliveries WHERE subscription_id = ?`), id); err != nil {
		return s.wrap(err)
	}
	return s.wrap(tx.Commit())
}

// SetSubscriptionDisabled disables a subscription (its deliveries stay
// pending, unclaimed, and no new events are queued for it) or enables it
// again (its pending deliveries resume).
func (s *Store) SetSubscriptionDisabled(ctx context.Context, id int64, disabled bool, reason string) error {
	if !disabled {
		reason = ""
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE subscriptions SET disabled = ?, disabled_reason = ? WHERE id = ?`), boolInt(disabled), reason, id)
	if err != nil {
		return s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: subscription %d", ErrNotFound, id)
	}
	return nil
}

// enqueueDeliveries queues, in the transaction recording them, the
// deliveries of events to the subscriptions whose filters they pass.
func (s *Store) enqueueDeliveries(ctx context.Context, tx *sql.Tx, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	lock := ""
	if _, ok := s.dialect.(postgres); ok {
		// Keeps DeleteSubscription from committing between this read and
		// the inserts below, which would leave orphan deliveries.
		lock = " FOR SHARE"
	}
	rs, err := tx.QueryContext(ctx, `SELECT `+subscriptionCols("s")+` FROM subscriptions s WHERE s.disabled = 0 ORDER BY s.id`+lock)
	if err != nil {
		return s.wrap(err)
	}
	var subs []Subscription
	for rs.Next() {
		sub, err := scanSubscription(rs)
		if err != nil {
			rs.Close()
			return s.wrap(err)
		}
		subs = append(subs, sub)
	}
	if err := rs.Close(); err != nil {
		return s.wrap(err)
	}
	if len(subs) == 0 {
		return nil
	}
	now := s.now().UnixMilli()
	if _, ok := s.dialect.(postgres); ok {
		var sub, seq []int64
		for i := range events {
			for j := range subs {
				if subs[j].Matches(&events[i]) {
					sub, seq = append(sub, subs[j].ID), append(seq, events[i].Seq)
				}
			}
		}
		for start := 0; start < len(sub); start += 20000 {
			end := min(start+20000, len(sub))
			if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (subscription_id, event_seq, state, next_at, created_at, updated_at)
				SELECT s, e, $3, $4, $4, $4 FROM unnest($1::bigint[], $2::bigint[]) AS u(s, e)
				ON CONFLICT (subscription_id, event_seq) DO NOTHING`, sub[start:end], seq[start:end], DeliveryPending, now); err != nil {
				return s.wrap(err)
			}
		}
		return nil
	}
	const cols, perStatement = 6, 200
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO deliveries (subscription_id, event_seq, state, next_at, created_at, updated_at) VALUES `+
			values(len(args)/cols, cols)+` ON CONFLICT (subscription_id, event_seq) DO NOTHING`), args...)
		args = args[:0]
		return s.wrap(err)
	}
	for i := range events {
		for j := range subs {
			if !subs[j].Matches(&events[i]) {
				continue
			}
			args = append(args, subs[j].ID, events[i].Seq, DeliveryPending, now, now, now)
			if len(args) == cols*perStatement {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// RecordEventsForTest records events as a re-assessment would, queueing
// their deliveries, and returns those it recorded (events already stored
// are skipped). Tests of the outbox use it instead of staging findings.
func (s *Store) RecordEventsForTest(ctx context.Context, events []Event) ([]Event, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer tx.Rollback()
	out, err := s.insertEvents(ctx, tx, events, nil)
	if err != nil {
		return nil, err
	}
	return out, s.wrap(tx.Commit())
}

// Delivery is one event's delivery to one subscription, as the API shows
// it.
type Delivery struct {
	ID             int64
	SubscriptionID int64
	EventSeq       int64
	EventID        string
	EventType      string
	State          string
	// Attempts counts the attempts begun, including one in flight.
	Attempts   int
	NextAt     time.Time
	Worker     string
	LeaseUntil time.Time
	LastError  string
	LastStatus int // the receiver's last HTTP status; 0 when none came
	Created    time.Time
	Updated    time.Time
	Delivered  time.Time
}

// Outgoing is a claimed delivery with what sending it takes: the event,
// the subscription, and the subscription's secret, for the sender only.
type Outgoing struct {
	Delivery
	Event        Event
	Subscription Subscription
	Secret       string
}

const deliveryCols = `d.id, d.subscription_id, d.event_seq, COALESCE(e.id, ''), COALESCE(e.type, ''), d.state, d.attempts, d.next_at, d.worker, d.lease_until,
	d.last_error, d.last_status, d.created_at, d.updated_at, d.delivered_at`

// deliveryRow scans a delivery's columns, alone or beside others.
type deliveryRow struct{ next, lease, created, updated, delivered int64 }

func (r *deliveryRow) dest(d *Delivery) []any {
	return []any{&d.ID, &d.SubscriptionID, &d.EventSeq, &d.EventID, &d.EventType, &d.State, &d.Attempts, &r.next, &d.Worker, &r.lease,
		&d.LastError, &d.LastStatus, &r.created, &r.updated, &r.delivered}
}

func (r *deliveryRow) finish(d *Delivery) {
	d.NextAt, d.LeaseUntil, d.Created, d.Updated, d.Delivered = fromMS(r.next), fromMS(r.lease), fromMS(r.created), fromMS(r.updated), fromMS(r.delivered)
}

func scanDelivery(r rowScanner) (Delivery, error) {
	var d Delivery
	var row deliveryRow
	err := r.Scan(row.dest(&d)...)
	row.finish(&d)
	return d, err
}

// ClaimDeliveries gives the worker up to n deliveries that are due, oldest
// due first, leased until now+lease: pending ones whose time has come and
// which no live lease holds (a worker that died leaves its lease to
// expire). Deliveries of disabled subscriptions wait. Each claim counts an
// attempt. On PostgreSQL concurrent claimers skip each other's rows (FOR
// UPDATE SKIP LOCKED); SQLite serialises them.
func (s *Store) ClaimDeliveries(ctx context.Context, worker string, n int, lease time.Duration) ([]Outgoing, error) {
	if n <= 0 {
		return nil, nil
	}
	if worker == "" || lease <= 0 {
		return nil, errors.New("store: ClaimDeliveries: a worker name and a lease are required")
	}
	now := s.now().UnixMilli()
	lock := ""
	if _, ok := s.dialect.(postgres); ok {
		lock = " FOR UPDATE OF d SKIP LOCKED"
	}
	// The candidates are picked once, in a materialised CTE: as "IN
	// (subquery)", PostgreSQL may run a LIMIT … SKIP LOCKED subquery more
	// than once and claim more than n.
	rs, err := s.db.QueryContext(ctx, s.q(`WITH picked AS MATERIALIZED (SELECT d.id FROM deliveries d
			WHERE d.state = 'pending' AND d.next_at <= ? AND d.lease_until < ?
				AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = d.subscription_id AND s.disabled = 0)
			ORDER BY d.next_at, d.id LIMIT `+strconv.Itoa(n)+lock+`)
		UPDATE deliveries SET worker = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (SELECT id FROM picked) AND state = 'pending' AND lease_until < ?
		RETURNING id`), now, now, worker, now+lease.Milliseconds(), now, now)
	if err != nil {
		return nil, s.wrap(err)
	}
	var ids []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			rs.Close()
			return nil, s.wrap(err)
		}
		ids = append(ids, id)
	}
	if err := rs.Close(); err != nil {
		return nil, s.wrap(err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rs, err = s.db.QueryContext(ctx, s.q(`SELECT `+deliveryCols+`,
		`+eventCols+`,
		`+subscriptionCols("sub")+`, sub.secret
		FROM deliveries d JOIN events e ON e.seq = d.event_seq LEFT JOIN event_details x ON x.id = e.details
		JOIN subscriptions sub ON sub.id = d.subscription_id
		WHERE d.id IN (`+placeholders(len(ids))+`) AND d.worker = ? ORDER BY d.next_at, d.id`), append(int64Args(ids), worker)...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rs.Close()
	var out []Outgoing
	for rs.Next() {
		var o Outgoing
		var dr deliveryRow
		var er eventRow
		var sr subscriptionRow
		dest := append(dr.dest(&o.Delivery), er.dest(&o.Event)...)
		dest = append(dest, sr.dest(&o.Subscription)...)
		if err := rs.Scan(append(dest, &o.Secret)...); err != nil {
			return nil, s.wrap(err)
		}
		dr.finish(&o.Delivery)
		sr.finish(&o.Subscription)
		if err := er.finish(&o.Event); err != nil {
			s.log.Error("damaged event in the outbox", "delivery", o.ID, "err", err)
			continue // dead below, rather than blocking the outbox
		}
		out = append(out, o)
	}
	if err := rs.Err(); err != nil {
		return nil, s.wrap(err)
	}
	return out, s.deadOrphans(ctx, worker, ids, out)
}

// deadOrphans marks dead the claimed deliveries whose event is no longer
// stored or cannot be read, so they are not claimed again and again.
func (s *Store) deadOrphans(ctx context.Context, worker string, ids []int64, got []Outgoing) error {
	var orphans []int64
	for _, id := range ids {
		if !slices.ContainsFunc(got, func(o Outgoing) bool { return o.ID == id }) {
			orphans = append(orphans, id)
		}
	}
	if len(orphans) == 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE deliveries SET state = 'dead', last_error = 'event missing or damaged', lease_until = 0, updated_at = ?
		WHERE worker = ? AND state = 'pending' AND id IN (`+placeholders(len(orphans))+`)`), append([]any{s.now().UnixMilli(), worker}, int64Args(orphans)...)...)
	return s.wrap(err)
}

// eventRow scans an event's columns beside others.
// eventCols are the columns eventRow scans, from events e and their
// shared parts x (LEFT JOIN event_details x ON x.id = e.details).
const eventCols = `e.seq, e.id, e.type, e.time, e.digest, e.repository, e.vuln_id, e.severity, e.kev, e.data, x.data`

type eventRow struct {
	t            int64
	digest       string
	sev, kev     int
	data, detail []byte
}

func (r *eventRow) dest(e *Event) []any {
	return []any{&e.Seq, &e.ID, &e.Type, &r.t, &r.digest, &e.Repository, &e.VulnID, &r.sev, &r.kev, &r.data, &r.detail}
}

func (r *eventRow) finish(e *Event) error {
	e.Time, e.Digest, e.Severity, e.KEV = fromMS(r.t), sbom.Digest(r.digest), advisory.Severity(r.sev), r.kev != 0
	if err := decodeEventData(r.detail, r.data, &e.Data); err != nil {
		return fmt.Errorf("event %d: damaged data: %w", e.Seq, err)
	}
	return nil
}

// DeliverySucceeded records that the receiver accepted a delivery with
// status; ErrLeaseLost when the delivery is no longer the worker's.
func (s *Store) DeliverySucceeded(ctx context.Context, id int64, worker string, status int) error {
	now := s.now().UnixMilli()
	return s.deliveryUpdate(ctx, id, `UPDATE deliveries SET state = 'delivered', last_status = ?, last_error = '', lease_until = 0, delivered_at = ?, updated_at = ?
		WHERE id = ? AND worker = ? AND state = 'pending'`, status, now, now, id, worker)
}

// DeliveryFailed records a failed attempt (status 0 when no response
// came): the delivery is tried again at retryAt, or is dead when dead is
// set, until a Redrive. ErrLeaseLost when it is no longer the worker's.
func (s *Store) DeliveryFailed(ctx context.Context, id int64, worker string, status int, cause error, retryAt time.Time, dead bool) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	if len(msg) > 2048 {
		msg = msg[:2048]
	}
	return s.deliveryUpdate(ctx, id, `UPDATE deliveries SET state = CASE WHEN ? = 1 THEN 'dead' ELSE 'pending' END,
		next_at = ?, last_status = ?, last_error = ?, lease_until = 0, updated_at = ?
		WHERE id = ? AND worker = ? AND state = 'pending'`,
		boolInt(dead), retryAt.UnixMilli(), status, msg, s.now().UnixMilli(), id, worker)
}

func (s *Store) deliveryUpdate(ctx context.Context, id int64, q string, args ...any) error {
	res, err := s.db.ExecContext(ctx, s.q(q), args...)
	if err != nil {
		return s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: delivery %d", ErrLeaseLost, id)
	}
	return nil
}

// DeliveryFilter selects deliveries. Zero fields select everything.
type DeliveryFilter struct {
	Subscription int64
	State        string
	// Limit bounds the list (default 100, at most 1000); Before, when
	// set, lists deliveries with smaller ids (the next page).
	Limit  int
	Before int64
}

// Deliveries lists deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var where []string
	var args []any
	if f.Subscription != 0 {
		where, args = append(where, "d.subscription_id = ?"), append(args, f.Subscription)
	}
	if f.State != "" {
		where, args = append(where, "d.state = ?"), append(args, f.State)
	}
	if f.Before > 0 {
		where, args = append(where, "d.id < ?"), append(args, f.Before)
	}
	q := `SELECT ` + deliveryCols + ` FROM deliveries d LEFT JOIN events e ON e.seq = d.event_seq`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rs, err := s.db.QueryContext(ctx, s.q(q+` ORDER BY d.id DESC LIMIT `+strconv.Itoa(f.Limit)), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rs.Close()
	var out []Delivery
	for rs.Next() {
		d, err := scanDelivery(rs)
		if err != nil {
			return nil, s.wrap(err)
		}
		out = append(out, d)
	}
	return out, s.wrap(rs.Err())
}

// Redrive makes dead deliveries pending again, due now, with their
// attempts reset: those of ids (of the subscription, when it is not 0),
// or without ids every dead delivery of the subscription. It returns how
// many it revived; deliveries that are not dead are left alone.
func (s *Store) Redrive(ctx context.Context, subscription int64, ids ...int64) (int64, error) {
	if subscription == 0 && len(ids) == 0 {
		return 0, errors.New("store: Redrive: name a subscription or deliveries")
	}
	now := s.now().UnixMilli()
	q := `UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?, worker = '', lease_until = 0, updated_at = ? WHERE state = 'dead'`
	args := []any{now, now}
	if subscription != 0 {
		q, args = q+` AND subscription_id = ?`, append(args, subscription)
	}
	if len(ids) > 0 {
		q, args = q+` AND id IN (`+placeholders(len(ids))+`)`, append(args, int64Args(ids)...)
	}
	res, err := s.db.ExecContext(ctx, s.q(q), args...)
	if err != nil {
		return 0, s.wrap(err)
	}
	return res.RowsAffected()
}

// PruneDeliveries deletes deliveries delivered before t.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM deliveries WHERE state = 'delivered' AND delivered_at < ?`), before.UnixMilli())
	if err != nil {
		return 0, s.wrap(err)
	}
	return res.RowsAffected()
}

// OutboxStats are the outbox's gauges for metrics.
type OutboxStats struct {
	Pending   int // including those in flight
	InFlight  int // pending under a live lease
	Delivered int
	Dead      int
	// OldestPending is the age of the oldest pending delivery; 0 when
	// none is pending.
	OldestPending time.Duration
	Subscriptions int
	Disabled      int // subscriptions disabled
}

// OutboxStats returns the outbox's gauges.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	now := s.now()
	rs, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*), MIN(created_at) FROM deliveries GROUP BY state`)
	if err != nil {
		return st, s.wrap(err)
	}
	defer rs.Close()
	for rs.Next() {
		var state string
		var n int
		var oldest int64
		if err := rs.Scan(&state, &n, &oldest); err != nil {
			return st, s.wrap(err)
		}
		switch state {
		case DeliveryPending:
			st.Pending, st.OldestPending = n, max(0, now.Sub(fromMS(oldest)))
		case DeliveryDelivered:
			st.Delivered = n
		case DeliveryDead:
			st.Dead = n
		}
	}
	if err := rs.Close(); err != nil {
		return st, s.wrap(err)
	}
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND lease_until >= ?`), now.UnixMilli()).Scan(&st.InFlight)
	if err != nil {
		return st, s.wrap(err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(disabled), 0) FROM subscriptions`).Scan(&st.Subscriptions, &st.Disabled)
	return st, s.wrap(err)
}
