package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/store"
)

// Scheduler runs feed updates on an interval, one replica at a time, and
// the delta re-assessment after each; it also looks at the change log
// every Poll, so an update made outside the server (`vigil db update` from
// cron) is picked up too.
type Scheduler struct {
	Store   *store.Store
	Monitor *Monitor
	// Update runs one feed update of the vulnerability database.
	Update func(ctx context.Context) error
	// Interval between updates (default 1 h; negative: never on its own).
	Interval time.Duration
	// Poll is how often the change log is checked (default 5 s).
	Poll time.Duration
	// Holder names this replica in the update lock.
	Holder string
	// OnEvents is told of the events each re-assessment recorded (the
	// notifier's wake-up).
	OnEvents func([]store.Event)
	Logger   *slog.Logger

	once    sync.Once
	trigger chan chan error
}

// ErrUpdateRunning: another replica is updating the feeds.
var ErrUpdateRunning = errors.New("a feed update is already running")

// init sets the defaults, once: Run and Trigger (an API request) may
// call it at the same time, and must share one trigger channel.
func (s *Scheduler) init() { s.once.Do(s.setDefaults) }

func (s *Scheduler) setDefaults() {
	if s.Interval == 0 {
		s.Interval = time.Hour
	}
	if s.Poll <= 0 {
		s.Poll = 5 * time.Second
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.trigger == nil {
		s.trigger = make(chan chan error)
	}
}

// Run schedules until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	s.init()
	var next <-chan time.Time
	var timer *time.Timer
	if s.Interval > 0 {
		timer = time.NewTimer(s.firstDelay(ctx))
		defer timer.Stop()
		next = timer.C
	}
	poll := time.NewTicker(s.Poll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case done := <-s.trigger:
			done <- s.UpdateNow(ctx)
		case <-next:
			if err := s.UpdateNow(ctx); err != nil && !errors.Is(err, ErrUpdateRunning) && ctx.Err() == nil {
				s.Logger.Warn("scheduled feed update failed", "err", err)
			}
			timer.Reset(s.Interval)
		case <-poll.C:
			s.reassess(ctx)
		}
	}
}

// firstDelay waits out the rest of the interval since the last update,
// so restarts do not update on every start.
func (s *Scheduler) firstDelay(ctx context.Context) time.Duration {
	v, err := s.Store.Meta(ctx, "feeds.last_update")
	if err != nil || v == "" {
		return 0
	}
	last, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0
	}
	return max(0, s.Interval-time.Since(last))
}

// Trigger asks the running scheduler for an update now and waits for it.
func (s *Scheduler) Trigger(ctx context.Context) error {
	s.init()
	done := make(chan error, 1)
	select {
	case s.trigger <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// UpdateNow runs one update under the cross-replica lock, then the delta
// re-assessment.
func (s *Scheduler) UpdateNow(ctx context.Context) error {
	s.init()
	// A short lease, renewed while the update runs: a replica killed
	// mid-update holds up the next one (SQLite) for a minute at most.
	const ttl = time.Minute
	lock, err := s.Store.TryLock(ctx, "feeds", s.Holder, ttl)
	if err != nil {
		return err
	}
	if lock == nil {
		return ErrUpdateRunning
	}
	renewed := make(chan struct{})
	uctx, stop := context.WithCancel(ctx)
	go func() {
		defer close(renewed)
		t := time.NewTicker(ttl / 4)
		defer t.Stop()
		for {
			select {
			case <-uctx.Done():
				return
			case <-t.C:
				if err := lock.Held(uctx); err != nil && uctx.Err() == nil {
					s.Logger.Warn("feed update lock", "err", err)
				}
			}
		}
	}()
	start := time.Now()
	uerr := s.Update(uctx)
	stop()
	<-renewed
	if uerr == nil {
		uerr = s.Store.SetMeta(ctx, "feeds.last_update", time.Now().UTC().Format(time.RFC3339Nano))
	}
	lock.Release(context.WithoutCancel(ctx))
	s.Logger.Info("feed update finished", "took", time.Since(start).Round(time.Millisecond), "err", uerr)
	// Whatever the update managed to apply is re-assessed, even when a
	// source failed.
	rerr := s.reassess(ctx)
	if uerr != nil {
		return fmt.Errorf("feed update: %w", uerr)
	}
	return rerr
}

func (s *Scheduler) reassess(ctx context.Context) error {
	res, err := s.Monitor.Reassess(ctx)
	if errors.Is(err, ErrBusy) || errors.Is(err, images.ErrNoAdvisories) {
		// Another replica is at it, or there is no database yet (the
		// server says so once at start).
		return nil
	}
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Warn("re-assessment failed", "err", err)
		}
		return err
	}
	if len(res.Events) > 0 && s.OnEvents != nil {
		s.OnEvents(res.Events)
	}
	return nil
}
