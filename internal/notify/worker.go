package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/store"
)

// Outbox is what a Worker needs of the store.
type Outbox interface {
	ClaimDeliveries(ctx context.Context, worker string, n int, lease time.Duration) ([]store.Outgoing, error)
	DeliverySucceeded(ctx context.Context, id int64, worker string, status int) error
	DeliveryFailed(ctx context.Context, id int64, worker string, status int, cause error, retryAt time.Time, dead bool) error
	SetSubscriptionDisabled(ctx context.Context, id int64, disabled bool, reason string) error
}

// Config configures a Worker. Zero fields take the defaults.
type Config struct {
	Store Outbox
	// Guard limits the hosts deliveries may reach (--allow-webhook-hosts);
	// default: any public host, no loopback or private address.
	Guard *netguard.Guard
	// Client sends the requests; default NewClient(Guard, Timeout).
	Client *http.Client
	// ServerName makes the CloudEvents source "urn:vigil:<ServerName>";
	// default the host name.
	ServerName string
	// Name identifies this worker in leases; default host:pid:random.
	Name   string
	Logger *slog.Logger
	// Workers bounds the deliveries in flight (default 4).
	Workers int
	// MaxAttempts: a delivery that failed that many times is dead
	// (default 8).
	MaxAttempts int
	// BackoffBase and BackoffCap shape the pause after a failed attempt:
	// a uniform random duration up to min(cap, base·2^(attempt-1))
	// ("full jitter"); default 2 s and 10 min.
	BackoffBase, BackoffCap time.Duration
	// Timeout bounds each request (default 10 s).
	Timeout time.Duration
	// Lease is how long a claimed delivery is this worker's before
	// another may take it (default 6 × Timeout). It must exceed Timeout,
	// or a slow receiver could be sent the same event by two workers.
	Lease time.Duration
	// Poll is the shortest pause between looks for due deliveries when
	// nothing wakes the worker; each pause is random in [Poll, 2.5·Poll),
	// so replicas do not poll in step (default 200 ms: 200–500 ms).
	Poll time.Duration
	// Now replaces the clock, for tests; nil means time.Now.
	Now func() time.Time
}

// Validate fills the defaults and checks the rest.
func (c *Config) Validate() error {
	if c.Store == nil {
		return errors.New("notify: no store")
	}
	if c.Guard == nil {
		c.Guard = &netguard.Guard{}
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Client == nil {
		c.Client = NewClient(c.Guard, c.Timeout)
	}
	host, _ := os.Hostname()
	if c.ServerName == "" {
		c.ServerName = host
	}
	if c.Name == "" {
		c.Name = fmt.Sprintf("%s:%d:%06x", host, os.Getpid(), rand.Uint32()&0xffffff)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 2 * time.Second
	}
	if c.BackoffCap <= 0 {
		c.BackoffCap = 10 * time.Minute
	}
	if c.Lease <= 0 {
		c.Lease = 6 * c.Timeout
	}
	if c.Poll <= 0 {
		c.Poll = 200 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.BackoffCap < c.BackoffBase:
		return fmt.Errorf("notify: backoff cap %v is below its base %v", c.BackoffCap, c.BackoffBase)
	case c.Lease <= c.Timeout:
		return fmt.Errorf("notify: lease %v must exceed the request timeout %v", c.Lease, c.Timeout)
	}
	return nil
}

// Worker delivers the outbox: it claims due deliveries, sends each, and
// records the outcome. Any number of workers, in one process or many
// sharing a PostgreSQL store, may run at once; each delivery is claimed by
// one of them at a time.
//
// Delivery is at least once: a worker that dies after the receiver
// accepted a request but before recording it leaves its lease to expire,
// and the event is sent again. Every attempt of an event carries the same
// Idempotency-Key, so receivers that deduplicate on it see each event once
// in effect. Without a crash each delivery is sent until accepted once.
type Worker struct {
	cfg    Config
	sender *Sender
	log    *slog.Logger
	wake   chan struct{}
	stats  struct{ delivered, retried, dead, disabled atomic.Uint64 }
}

// New returns a worker; Run starts it.
func New(cfg Config) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Worker{
		cfg:    cfg,
		sender: &Sender{Client: cfg.Client, Guard: cfg.Guard, Source: Source(cfg.ServerName), Now: cfg.Now},
		log:    cfg.Logger,
		wake:   make(chan struct{}, 1),
	}, nil
}

// Wake makes the worker look for due deliveries now rather than at its
// next poll: call it after recording events.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Stats counts a worker's attempts by outcome since it started.
type Stats struct {
	Delivered, Retried, Dead uint64
	// Disabled counts subscriptions disabled after a 410 Gone.
	Disabled uint64
}

// Stats returns the worker's counters, for metrics.
func (w *Worker) Stats() Stats {
	return Stats{Delivered: w.stats.delivered.Load(), Retried: w.stats.retried.Load(), Dead: w.stats.dead.Load(), Disabled: w.stats.disabled.Load()}
}

// Run delivers until ctx is done, then lets the requests in flight finish
// (each within Timeout), records their outcome and returns.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	done := make(chan struct{}, w.cfg.Workers)
	idle := w.cfg.Workers
	// Slots freed one by one are refilled in batches: each claim is a
	// transaction, and claiming one delivery at a time made the claims,
	// not the sending, the bound on throughput.
	refill := max(1, w.cfg.Workers/4)
	force := true // claim whatever is idle: at start, on a wake or a timer
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if idle > 0 && (force || idle >= refill) && ctx.Err() == nil {
			force = false
			ds, err := w.cfg.Store.ClaimDeliveries(ctx, w.cfg.Name, idle, w.cfg.Lease)
			if err != nil && ctx.Err() == nil {
				w.log.Error("claiming deliveries failed", "worker", w.cfg.Name, "err", err)
			}
			for i := range ds {
				idle--
				wg.Go(func() {
					w.deliver(ctx, &ds[i])
					done <- struct{}{}
				})
			}
		}
		timer.Reset(w.cfg.Poll + time.Duration(rand.Int64N(int64(w.cfg.Poll)*3/2+1)))
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
			force = true
		case <-done:
			idle++
		case <-timer.C:
			force = true
		}
	}
}

// deliver makes one attempt and records its outcome. Neither is cut short
// when ctx ends: a stopping worker finishes what it sent rather than
// leaving the receiver's answer unrecorded.
func (w *Worker) deliver(ctx context.Context, o *store.Outgoing) {
	ctx = context.WithoutCancel(ctx)
	rctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	res := w.sender.Send(rctx, o)
	cancel()
	ctx, cancel = context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	log := w.log.With("delivery", o.ID, "subscription", o.Subscription.ID, "event", o.Event.ID, "attempt", o.Attempts)
	var err error
	switch now := w.cfg.Now(); {
	case res.Err == nil:
		err = w.cfg.Store.DeliverySucceeded(ctx, o.ID, w.cfg.Name, res.Status)
		w.stats.delivered.Add(1)
	case res.Gone:
		// The receiver asked to be forgotten: stop sending to it, and keep
		// this delivery pending with the others, for whoever enables the
		// subscription again.
		reason := fmt.Sprintf("receiver answered 410 Gone at %s", now.UTC().Format(time.RFC3339))
		if err = w.cfg.Store.SetSubscriptionDisabled(ctx, o.Subscription.ID, true, reason); err == nil {
			err = w.cfg.Store.DeliveryFailed(ctx, o.ID, w.cfg.Name, res.Status, res.Err, now, false)
		}
		w.stats.disabled.Add(1)
		log.Warn("subscription disabled", "status", res.Status)
	default:
		dead := res.Permanent || o.Attempts >= w.cfg.MaxAttempts
		wait := max(Backoff(o.Attempts, w.cfg.BackoffBase, w.cfg.BackoffCap, rand.Float64()), min(res.RetryAfter, w.cfg.BackoffCap))
		err = w.cfg.Store.DeliveryFailed(ctx, o.ID, w.cfg.Name, res.Status, res.Err, now.Add(wait), dead)
		if dead {
			w.stats.dead.Add(1)
			log.Warn("delivery dead", "status", res.Status, "err", res.Err)
		} else {
			w.stats.retried.Add(1)
			log.Info("delivery failed", "status", res.Status, "err", res.Err, "retry_in", wait)
		}
	}
	if errors.Is(err, store.ErrLeaseLost) {
		// Another worker took the delivery over (this one was too slow):
		// it will be sent again.
		log.Warn("delivery lease lost", "err", err)
	} else if err != nil {
		log.Error("recording delivery failed", "err", err)
	}
}

// Backoff is the pause after the attempt-th failed attempt with full
// jitter: r (in [0, 1)) times min(cap, base·2^(attempt-1)).
func Backoff(attempt int, base, cap time.Duration, r float64) time.Duration {
	d := cap
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 32 {
		if b := base << (attempt - 1); b > 0 && b < cap {
			d = b
		}
	}
	return time.Duration(r * float64(d))
}
