package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/notify"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

// clock is the real time moved on by an offset, so that a test can make
// leases expire without waiting for them.
type clock struct{ off atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// env is a store (of one backend), a receiver and its subscription.
type env struct {
	t     *testing.T
	dsn   string
	clock *clock
	st    *store.Store
	rcv   *receiver
	sub   store.Subscription
}

func backends(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

func newEnv(t *testing.T, b storetest.Backend, kind, secret string, respond func(key string, n int) answer) *env {
	t.Helper()
	e := &env{t: t, dsn: b.DSN(t), clock: &clock{}}
	e.st = storetest.Open(t, e.dsn, store.Options{Now: e.clock.Now})
	e.rcv = newReceiver(t, secret, respond)
	var err error
	e.sub, err = e.st.CreateSubscription(context.Background(), store.NewSubscription{Name: "receiver", URL: e.rcv.url(), Kind: kind, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// record records n finding.new events and returns their ids.
func (e *env) record(prefix string, n int) []string {
	e.t.Helper()
	var evs []store.Event
	for i := range n {
		id := fmt.Sprintf("%s-%03d", prefix, i)
		digest := "sha256:" + strings.Repeat("ab", 32)
		evs = append(evs, store.Event{ID: id, Type: store.EventFindingNew, Time: e.clock.Now(), Digest: sbom.Digest(digest),
			Repository: "registry.example/team/app", VulnID: "CVE-2026-" + id, Severity: advisory.SeverityHigh,
			Data: store.EventData{Image: store.EventImage{Digest: digest, Repository: "registry.example/team/app"},
				Vulnerability: &store.EventVuln{ID: "CVE-2026-" + id, Severity: "high", Status: "fixed"}, DBVersion: 3}})
	}
	got, err := e.st.RecordEventsForTest(context.Background(), evs)
	if err != nil || len(got) != n {
		e.t.Fatalf("RecordEventsForTest = %d events, %v; want %d", len(got), err, n)
	}
	ids := make([]string, n)
	for i := range evs {
		ids[i] = evs[i].ID
	}
	return ids
}

// config is a worker's configuration for tests: the receiver allowed
// explicitly, short pauses.
func (e *env) config(name string) notify.Config {
	return notify.Config{
		Store: e.st, Guard: &netguard.Guard{Allow: []string{e.rcv.host()}}, Name: name, ServerName: "test",
		Logger:  slog.New(slog.NewTextHandler(testWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Workers: 4, BackoffBase: 5 * time.Millisecond, BackoffCap: 40 * time.Millisecond, Poll: 10 * time.Millisecond,
		Timeout: 5 * time.Second, Lease: 30 * time.Second, Now: e.clock.Now,
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// start runs a worker until the returned stop is called (or the test
// ends); stop waits for Run to return.
func start(t *testing.T, cfg notify.Config) (*notify.Worker, func()) {
	t.Helper()
	w, err := notify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	w.Wake()
	return w, stop
}

// waitFor polls cond until it holds; the deadline only keeps a broken
// test from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) stats() store.OutboxStats {
	e.t.Helper()
	st, err := e.st.OutboxStats(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) deliveries(state string) []store.Delivery {
	e.t.Helper()
	ds, err := e.st.Deliveries(context.Background(), store.DeliveryFilter{State: state, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

// TestRetryUntilRecovered: the receiver answers 500 to the first attempts
// of every event, then recovers; every event is processed once, with no
// gap, each accepted by exactly one request.
func TestRetryUntilRecovered(t *testing.T) {
	backends(t, func(t *testing.T, b storetest.Backend) {
		const events, failures = 25, 3
		e := newEnv(t, b, store.KindCloudEvents, "s3cret", func(_ string, n int) answer {
			if n <= failures {
				return answer{status: http.StatusInternalServerError}
			}
			return answer{status: http.StatusOK}
		})
		ids := e.record("e", events)
		w, _ := start(t, e.config("w1"))
		waitFor(t, "all delivered", func() bool { return e.stats().Delivered == events })
		e.rcv.check(t, ids)
		for _, id := range ids {
			if req, acc := e.rcv.count(id); req != failures+1 || acc != 1 {
				t.Errorf("event %s: %d requests, %d accepted; want %d, 1", id, req, acc, failures+1)
			}
		}
		for _, d := range e.deliveries(store.DeliveryDelivered) {
			if d.Attempts != failures+1 || d.LastStatus != 200 || d.LastError != "" || d.Delivered.IsZero() {
				t.Errorf("delivery %+v", d)
			}
		}
		if st, want := w.Stats(), (notify.Stats{Delivered: events, Retried: events * failures}); st != want {
			t.Errorf("worker Stats = %+v, want %+v", st, want)
		}
		if st := e.stats(); st.Pending != 0 || st.Dead != 0 || st.OldestPending != 0 {
			t.Errorf("OutboxStats = %+v", st)
		}
	})
}

// TestDeadLetterThenRedrive: a receiver down for longer than the attempts
// last leaves dead deliveries; once it is back, a redrive delivers them.
func TestDeadLetterThenRedrive(t *testing.T) {
	backends(t, func(t *testing.T, b storetest.Backend) {
		const events, attempts = 5, 3
		var down atomic.Bool
		down.Store(true)
		e := newEnv(t, b, store.KindCloudEvents, "s3cret", func(string, int) answer {
			if down.Load() {
				return answer{status: http.StatusServiceUnavailable}
			}
			return answer{status: http.StatusNoContent}
		})
		ids := e.record("d", events)
		cfg := e.config("w1")
		cfg.MaxAttempts = attempts
		w, _ := start(t, cfg)
		waitFor(t, "all dead", func() bool { return e.stats().Dead == events })
		for _, id := range ids {
			if req, acc := e.rcv.count(id); req != attempts || acc != 0 {
				t.Errorf("event %s: %d requests, %d accepted; want %d, 0", id, req, acc, attempts)
			}
		}
		for _, d := range e.deliveries(store.DeliveryDead) {
			if d.Attempts != attempts || d.LastStatus != 503 || !strings.Contains(d.LastError, "503 Service Unavailable") {
				t.Errorf("dead delivery %+v", d)
			}
		}
		if st := w.Stats(); st.Dead != events || st.Retried != events*(attempts-1) || st.Delivered != 0 {
			t.Errorf("worker Stats = %+v", st)
		}

		down.Store(false)
		n, err := e.st.Redrive(context.Background(), e.sub.ID)
		if err != nil || n != events {
			t.Fatalf("Redrive = %d, %v; want %d", n, err, events)
		}
		w.Wake()
		waitFor(t, "all delivered after the redrive", func() bool { return e.stats().Delivered == events })
		e.rcv.check(t, ids)
		for _, id := range ids {
			if req, acc := e.rcv.count(id); req != attempts+1 || acc != 1 {
				t.Errorf("event %s: %d requests, %d accepted; want %d, 1", id, req, acc, attempts+1)
			}
		}
	})
}

// TestAnswers follows one delivery through receivers answering in
// different ways.
func TestAnswers(t *testing.T) {
	tests := []struct {
		name     string
		answers  []answer // the n-th request gets the n-th, the last repeats
		state    string
		requests int
		disabled bool
		errHas   string
	}{
		{"accepted", []answer{{status: 202}}, store.DeliveryDelivered, 1, false, ""},
		{"400 is dead at once", []answer{{status: 400}}, store.DeliveryDead, 1, false, "400 Bad Request"},
		{"401 is dead at once", []answer{{status: 401}}, store.DeliveryDead, 1, false, "401 Unauthorized"},
		{"408 is retried", []answer{{status: 408}, {status: 200}}, store.DeliveryDelivered, 2, false, ""},
		{"429 is retried", []answer{{status: 429, header: map[string]string{"Retry-After": "1"}}, {status: 200}}, store.DeliveryDelivered, 2, false, ""},
		{"502 then 504 then accepted", []answer{{status: 502}, {status: 504}, {status: 200}}, store.DeliveryDelivered, 3, false, ""},
		{"redirects are not followed", []answer{{status: 302, header: map[string]string{"Location": "http://elsewhere.example/"}}}, store.DeliveryDead, 1, false, "redirect"},
		{"410 disables the subscription", []answer{{status: 410}}, store.DeliveryPending, 1, true, "410 Gone"},
	}
	backends(t, func(t *testing.T, b storetest.Backend) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, b, store.KindCloudEvents, "k", func(_ string, n int) answer {
					return tc.answers[min(n, len(tc.answers))-1]
				})
				ids := e.record("a", 1)
				start(t, e.config("w1"))
				settled := func() bool {
					ds := e.deliveries("")
					return len(ds) == 1 && ds[0].State == tc.state && ds[0].LeaseUntil.IsZero() && ds[0].Attempts == tc.requests
				}
				waitFor(t, "the delivery is "+tc.state, settled)
				d := e.deliveries("")[0]
				if !strings.Contains(d.LastError, tc.errHas) {
					t.Errorf("last error %q, want it to say %q", d.LastError, tc.errHas)
				}
				sub, err := e.st.Subscription(context.Background(), e.sub.ID)
				if err != nil || sub.Disabled != tc.disabled {
					t.Errorf("subscription disabled = %v (%q), %v; want %v", sub.Disabled, sub.DisabledReason, err, tc.disabled)
				}
				if req, _ := e.rcv.count(ids[0]); req != tc.requests {
					t.Errorf("%d requests, want %d", req, tc.requests)
				}
				if !tc.disabled {
					return
				}
				// The receiver is back and the subscription enabled again:
				// the delivery kept waiting goes.
				e.rcv.setRespond(func(string, int) answer { return answer{status: 200} })
				if err := e.st.SetSubscriptionDisabled(context.Background(), e.sub.ID, false, ""); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "delivered after enabling", func() bool { return e.stats().Delivered == 1 })
				e.rcv.check(t, ids)
			})
		}
	})
}

// TestGuardRefuses: a receiver the guard does not allow gets nothing, and
// the delivery is dead at once.
func TestGuardRefuses(t *testing.T) {
	tests := []struct {
		name  string
		allow []string
	}{
		{"default: public hosts only", nil},
		{"another host allowed", []string{"hooks.example.com"}},
		{"loopback only by an explicit entry", []string{"*.0.1"}},
	}
	backends(t, func(t *testing.T, b storetest.Backend) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, b, store.KindSlack, "", nil)
				e.record("g", 1)
				cfg := e.config("w1")
				cfg.Guard = &netguard.Guard{Allow: tc.allow}
				start(t, cfg)
				waitFor(t, "dead", func() bool { return e.stats().Dead == 1 })
				d := e.deliveries(store.DeliveryDead)[0]
				if d.Attempts != 1 || !strings.Contains(d.LastError, netguard.ErrNotAllowed.Error()) || strings.Contains(d.LastError, "/hooks/") {
					t.Errorf("dead delivery %+v", d)
				}
				if n := e.rcv.total(); n != 0 {
					t.Errorf("the receiver got %d requests", n)
				}
			})
		}
	})
}

// crashable is the store as a worker's process sees it: once crashed,
// nothing the worker does reaches it any more.
type crashable struct {
	notify.Outbox
	crashed atomic.Bool
}

var errCrashed = errors.New("process killed")

func (c *crashable) ClaimDeliveries(ctx context.Context, worker string, n int, lease time.Duration) ([]store.Outgoing, error) {
	if c.crashed.Load() {
		return nil, errCrashed
	}
	return c.Outbox.ClaimDeliveries(ctx, worker, n, lease)
}

func (c *crashable) DeliverySucceeded(ctx context.Context, id int64, worker string, status int) error {
	if c.crashed.Load() {
		return errCrashed
	}
	return c.Outbox.DeliverySucceeded(ctx, id, worker, status)
}

func (c *crashable) DeliveryFailed(ctx context.Context, id int64, worker string, status int, cause error, retryAt time.Time, dead bool) error {
	if c.crashed.Load() {
		return errCrashed
	}
	return c.Outbox.DeliveryFailed(ctx, id, worker, status, cause, retryAt, dead)
}

// TestCrashLosesNothing kills a worker while its requests are at the
// receiver: the receiver accepts them, but the worker dies before
// recording it. Once the leases expire another worker sends those events
// again — the only duplicates, which the receiver's dedupe absorbs — and
// every other event once.
func TestCrashLosesNothing(t *testing.T) {
	backends(t, func(t *testing.T, b storetest.Backend) {
		const events, inFlight = 20, 4
		var gated atomic.Int32
		arrived := make(chan string, inFlight)
		release := make(chan struct{})
		e := newEnv(t, b, store.KindCloudEvents, "s3cret", func(key string, n int) answer {
			if gated.Add(1) <= inFlight {
				arrived <- key
				<-release
			}
			return answer{status: http.StatusOK}
		})
		ids := e.record("c", events)
		cfgA := e.config("doomed")
		crash := &crashable{Outbox: e.st}
		cfgA.Store = crash
		_, stopA := start(t, cfgA)
		var lost []string
		for range inFlight {
			lost = append(lost, <-arrived)
		}
		// SIGKILL: from now on the worker's process does nothing more; the
		// receiver answers the requests it holds, but nobody records that.
		crash.crashed.Store(true)
		close(release)
		stopA()
		if st := e.stats(); st.InFlight != inFlight || st.Delivered != 0 {
			t.Fatalf("after the crash: %+v; want %d leased, none delivered", st, inFlight)
		}

		// A new worker delivers the rest at once, and the lost ones once
		// their leases expire.
		_, _ = start(t, e.config("survivor"))
		waitFor(t, "the rest delivered", func() bool { return e.stats().Delivered == events-inFlight })
		e.clock.Advance(cfgA.Lease + time.Second)
		waitFor(t, "all delivered", func() bool { return e.stats().Delivered == events })

		e.rcv.check(t, ids)
		for _, id := range ids {
			want := 1
			if slices.Contains(lost, id) {
				want = 2
			}
			if req, acc := e.rcv.count(id); req != want || acc != want {
				t.Errorf("event %s: %d requests, %d accepted; want %d", id, req, acc, want)
			}
		}
		for _, d := range e.deliveries(store.DeliveryDelivered) {
			if slices.Contains(lost, d.EventID) != (d.Attempts == 2) || d.Worker != "survivor" && slices.Contains(lost, d.EventID) {
				t.Errorf("delivery %+v", d)
			}
		}
	})
}

// TestStopFinishesInFlight: a worker told to stop while a request is at
// the receiver waits for the answer and records it, so the event is not
// sent again.
func TestStopFinishesInFlight(t *testing.T) {
	backends(t, func(t *testing.T, b storetest.Backend) {
		var gated atomic.Bool
		arrived, release := make(chan struct{}), make(chan struct{})
		e := newEnv(t, b, store.KindCloudEvents, "s3cret", func(string, int) answer {
			if gated.CompareAndSwap(false, true) {
				close(arrived)
				<-release
			}
			return answer{status: http.StatusOK}
		})
		ids := e.record("s", 3)
		cfg := e.config("first")
		cfg.Workers = 1
		_, stop := start(t, cfg)
		<-arrived
		stopped := make(chan struct{})
		go func() { stop(); close(stopped) }()
		close(release)
		<-stopped
		if st := e.stats(); st.Delivered != 1 || st.InFlight != 0 {
			t.Fatalf("after stopping: %+v; want the request in flight recorded", st)
		}
		start(t, e.config("second"))
		waitFor(t, "all delivered", func() bool { return e.stats().Delivered == 3 })
		e.rcv.check(t, ids)
		for _, id := range ids {
			if req, _ := e.rcv.count(id); req != 1 {
				t.Errorf("event %s: %d requests, want 1", id, req)
			}
		}
	})
}

// TestTwoReplicas runs two workers, each with its own connection pool as
// two replicas have, on one database while events keep coming: each
// delivery is sent exactly as often as the receiver's answers require.
func TestTwoReplicas(t *testing.T) {
	backends(t, func(t *testing.T, b storetest.Backend) {
		const batches, perBatch = 6, 25
		// Every fifth event is refused once: retries interleave too.
		failsOnce := func(key string) bool {
			h := fnv.New32a()
			h.Write([]byte(key))
			return h.Sum32()%5 == 0
		}
		e := newEnv(t, b, store.KindCloudEvents, "s3cret", func(key string, n int) answer {
			if n == 1 && failsOnce(key) {
				return answer{status: http.StatusBadGateway}
			}
			return answer{status: http.StatusOK}
		})
		other := storetest.Open(t, e.dsn, store.Options{Now: e.clock.Now})
		w1, _ := start(t, e.config("replica-1"))
		cfg2 := e.config("replica-2")
		cfg2.Store = other
		w2, _ := start(t, cfg2)
		var ids []string
		for i := range batches {
			ids = append(ids, e.record(fmt.Sprint("r", i), perBatch)...)
			w1.Wake()
			w2.Wake()
		}
		waitFor(t, "all delivered", func() bool { return e.stats().Delivered == len(ids) })
		e.rcv.check(t, ids)
		for _, id := range ids {
			want := 1
			if failsOnce(id) {
				want = 2
			}
			if req, acc := e.rcv.count(id); req != want || acc != 1 {
				t.Errorf("event %s: %d requests, %d accepted; want %d, 1", id, req, acc, want)
			}
		}
		s1, s2 := w1.Stats(), w2.Stats()
		if s1.Delivered+s2.Delivered != uint64(len(ids)) {
			t.Errorf("workers delivered %d + %d, want %d in all", s1.Delivered, s2.Delivered, len(ids))
		}
		t.Logf("replica-1 delivered %d, replica-2 %d", s1.Delivered, s2.Delivered)
	})
}

// TestSlackDelivery: a Slack subscription gets the message format, with
// no signature (Slack has no secret), and the idempotency key all the
// same.
func TestSlackDelivery(t *testing.T) {
	backends(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, store.KindSlack, "", nil)
		ids := e.record("s", 2)
		start(t, e.config("w1"))
		waitFor(t, "delivered", func() bool { return e.stats().Delivered == 2 })
		e.rcv.check(t, ids)
		e.rcv.mu.Lock()
		defer e.rcv.mu.Unlock()
		for key, body := range e.rcv.bodies {
			var m struct {
				Text   string           `json:"text"`
				Blocks []map[string]any `json:"blocks"`
			}
			if err := json.Unmarshal(body, &m); err != nil || !strings.HasPrefix(m.Text, "New high vulnerability CVE-2026-"+key) || len(m.Blocks) != 2 {
				t.Errorf("Slack message %s (%v)", body, err)
			}
			h := e.rcv.headers[key]
			if h.Get("Content-Type") != "application/json" || h.Get(notify.SignatureHeader) != "" {
				t.Errorf("Slack request headers %v", h)
			}
		}
	})
}

func TestConfigValidate(t *testing.T) {
	st := storetest.Open(t, storetest.SQLiteDSN(t), store.Options{})
	cfg := notify.Config{Store: st}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.MaxAttempts != 8 || cfg.BackoffBase != 2*time.Second || cfg.BackoffCap != 10*time.Minute || cfg.Timeout != 10*time.Second ||
		cfg.Lease <= cfg.Timeout || cfg.Poll != 200*time.Millisecond || cfg.Guard == nil || len(cfg.Guard.Allow) != 0 || cfg.Name == "" {
		t.Errorf("defaults = %+v", cfg)
	}
	for _, bad := range []notify.Config{
		{},
		{Store: st, Timeout: time.Minute, Lease: time.Minute},
		{Store: st, BackoffBase: time.Minute, BackoffCap: time.Second},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
}
