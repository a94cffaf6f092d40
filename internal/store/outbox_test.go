package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

// clock is a settable clock for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// outboxTests runs fn on a fresh store of every backend.
func outboxTests(t *testing.T, fn func(t *testing.T, s *store.Store, c *clock)) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
			fn(t, storetest.Open(t, b.DSN(t), store.Options{Now: c.Now}), c)
		})
	}
}

func event(id, typ, repo string, sev advisory.Severity, kev bool) store.Event {
	digest := "sha256:" + id
	return store.Event{ID: id, Type: typ, Time: time.Date(2026, 11, 1, 11, 0, 0, 0, time.UTC), Digest: sbom.Digest(digest),
		Repository: repo, VulnID: "CVE-2026-" + id, Severity: sev, KEV: kev,
		Data: store.EventData{Image: store.EventImage{Digest: digest, Repository: repo}, DBVersion: 7,
			Vulnerability: &store.EventVuln{ID: "CVE-2026-" + id, Severity: sev.String(), KEV: kev, Status: "fixed"}}}
}

func record(t *testing.T, s *store.Store, evs ...store.Event) []store.Event {
	t.Helper()
	got, err := s.RecordEventsForTest(context.Background(), evs)
	if err != nil {
		t.Fatalf("RecordEventsForTest: %v", err)
	}
	return got
}

func subscribe(t *testing.T, s *store.Store, n store.NewSubscription) store.Subscription {
	t.Helper()
	if n.URL == "" {
		n.URL = "https://hooks.example/" + n.Name
	}
	sub, err := s.CreateSubscription(context.Background(), n)
	if err != nil {
		t.Fatalf("CreateSubscription(%s): %v", n.Name, err)
	}
	return sub
}

// eventIDs returns the event ids of a subscription's deliveries, sorted.
func eventIDs(t *testing.T, s *store.Store, sub int64, state string) []string {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), store.DeliveryFilter{Subscription: sub, State: state, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.EventID)
	}
	slices.Sort(ids)
	return ids
}

func TestFilterMatches(t *testing.T) {
	const repo = "registry.example/team/app"
	tests := []struct {
		name   string
		filter store.Filter
		event  store.Event
		want   bool
	}{
		{"zero filter takes all", store.Filter{}, event("a", store.EventFindingNew, repo, advisory.SeverityLow, false), true},
		{"type listed", store.Filter{EventTypes: []string{store.EventFindingNew, store.EventKEVAdded}}, event("a", store.EventKEVAdded, repo, advisory.SeverityLow, false), true},
		{"type not listed", store.Filter{EventTypes: []string{store.EventFindingNew}}, event("a", store.EventFindingResolved, repo, advisory.SeverityCritical, true), false},
		{"severity at minimum", store.Filter{MinSeverity: advisory.SeverityHigh}, event("a", store.EventFindingNew, repo, advisory.SeverityHigh, false), true},
		{"severity below minimum", store.Filter{MinSeverity: advisory.SeverityHigh}, event("a", store.EventFindingNew, repo, advisory.SeverityMedium, false), false},
		{"kev only, kev", store.Filter{KEVOnly: true}, event("a", store.EventImageWentBad, repo, advisory.SeverityLow, true), true},
		{"kev only, not kev", store.Filter{KEVOnly: true}, event("a", store.EventFindingNew, repo, advisory.SeverityCritical, false), false},
		{"recovered ignores severity and kev", store.Filter{MinSeverity: advisory.SeverityCritical, KEVOnly: true}, event("a", store.EventImageRecovered, repo, advisory.SeverityLow, false), true},
		{"recovered still filtered by type", store.Filter{EventTypes: []string{store.EventImageWentBad}}, event("a", store.EventImageRecovered, repo, advisory.SeverityLow, false), false},
		{"recovered still filtered by repository", store.Filter{Repository: "other/*"}, event("a", store.EventImageRecovered, repo, advisory.SeverityLow, false), false},
		{"glob star crosses slashes", store.Filter{Repository: "registry.example/*"}, event("a", store.EventFindingNew, repo, 0, false), true},
		{"glob star in the middle", store.Filter{Repository: "*/team/*"}, event("a", store.EventFindingNew, repo, 0, false), true},
		{"glob exact", store.Filter{Repository: repo}, event("a", store.EventFindingNew, repo, 0, false), true},
		{"glob other registry", store.Filter{Repository: "docker.io/*"}, event("a", store.EventFindingNew, repo, 0, false), false},
		{"glob prefix is not enough", store.Filter{Repository: "registry.example/team"}, event("a", store.EventFindingNew, repo, 0, false), false},
		{"glob question mark matches a slash", store.Filter{Repository: "registry.example?team?app"}, event("a", store.EventFindingNew, repo, 0, false), true},
		{"glob class", store.Filter{Repository: "registry.example/[st]eam/*"}, event("a", store.EventFindingNew, repo, 0, false), true},
		{"glob on an image without repository", store.Filter{Repository: "registry.example/*"}, event("a", store.EventFindingNew, "", 0, false), false},
		{"star takes an empty repository", store.Filter{Repository: "*"}, event("a", store.EventFindingNew, "", 0, false), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.filter.Matches(&tc.event); got != tc.want {
				t.Errorf("%+v.Matches(%s %s %s kev=%v) = %v, want %v", tc.filter, tc.event.Type, tc.event.Repository, tc.event.Severity, tc.event.KEV, got, tc.want)
			}
		})
	}
}

func TestSubscriptionValidation(t *testing.T) {
	tests := []struct {
		name string
		sub  store.NewSubscription
		ok   bool
	}{
		{"defaults", store.NewSubscription{URL: "https://hooks.example/x"}, true},
		{"slack", store.NewSubscription{URL: "https://hooks.slack.com/services/T/B/X", Kind: store.KindSlack}, true},
		{"plain http", store.NewSubscription{URL: "http://127.0.0.1:8080/hook"}, true},
		{"no scheme", store.NewSubscription{URL: "hooks.example/x"}, false},
		{"ftp", store.NewSubscription{URL: "ftp://hooks.example/x"}, false},
		{"no host", store.NewSubscription{URL: "https:///x"}, false},
		{"user information", store.NewSubscription{URL: "https://u:p@hooks.example/x"}, false},
		{"unknown kind", store.NewSubscription{URL: "https://hooks.example/x", Kind: "email"}, false},
		{"unknown event type", store.NewSubscription{URL: "https://hooks.example/x", Filter: store.Filter{EventTypes: []string{"finding.created"}}}, false},
		{"bad glob", store.NewSubscription{URL: "https://hooks.example/x", Filter: store.Filter{Repository: "team/[app"}}, false},
		{"severity out of range", store.NewSubscription{URL: "https://hooks.example/x", Filter: store.Filter{MinSeverity: 9}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sub.Validate()
			if tc.ok && err != nil {
				t.Errorf("Validate = %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, store.ErrInvalidSubscription) {
				t.Errorf("Validate = %v, want ErrInvalidSubscription", err)
			}
		})
	}
}

func TestSubscriptions(t *testing.T) {
	outboxTests(t, func(t *testing.T, s *store.Store, c *clock) {
		ctx := context.Background()
		const secret = "s3cret-never-shown"
		a := subscribe(t, s, store.NewSubscription{Name: "a", Secret: secret,
			Filter: store.Filter{EventTypes: []string{store.EventImageWentBad, store.EventFindingNew, store.EventFindingNew}, MinSeverity: advisory.SeverityHigh, Repository: "r/*", KEVOnly: true}})
		b := subscribe(t, s, store.NewSubscription{URL: "https://chat.example/hook", Kind: store.KindSlack})
		want := []store.Subscription{
			{ID: a.ID, Name: "a", URL: "https://hooks.example/a", Kind: store.KindCloudEvents, HasSecret: true, Created: c.Now(),
				Filter: store.Filter{EventTypes: []string{store.EventFindingNew, store.EventImageWentBad}, MinSeverity: advisory.SeverityHigh, Repository: "r/*", KEVOnly: true}},
			{ID: b.ID, Name: "chat.example", URL: "https://chat.example/hook", Kind: store.KindSlack, Created: c.Now()},
		}
		got, err := s.Subscriptions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Subscriptions (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want[0], a); diff != "" {
			t.Errorf("CreateSubscription (-want +got):\n%s", diff)
		}
		one, err := s.Subscription(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[0], one); diff != "" {
			t.Errorf("Subscription (-want +got):\n%s", diff)
		}
		for _, v := range []any{a, one, got} {
			if strings.Contains(fmt.Sprintf("%+v", v), secret) {
				t.Errorf("the secret is readable in %+v", v)
			}
		}
		if err := s.SetSubscriptionDisabled(ctx, b.ID, true, "receiver answered 410 Gone"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Subscription(ctx, b.ID); !got.Disabled || got.DisabledReason != "receiver answered 410 Gone" {
			t.Errorf("disabled subscription = %+v", got)
		}
		if err := s.DeleteSubscription(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Subscription(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Subscription after delete = %v, want ErrNotFound", err)
		}
		if err := s.DeleteSubscription(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteSubscription = %v, want ErrNotFound", err)
		}
		if err := s.SetSubscriptionDisabled(ctx, a.ID, false, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetSubscriptionDisabled of a deleted subscription = %v, want ErrNotFound", err)
		}
	})
}

// TestOutboxEnqueue: the deliveries queued with events follow the
// filters, skip disabled subscriptions, and are queued once however often
// the same events are recorded.
func TestOutboxEnqueue(t *testing.T) {
	outboxTests(t, func(t *testing.T, s *store.Store, c *clock) {
		ctx := context.Background()
		all := subscribe(t, s, store.NewSubscription{Name: "all"})
		crit := subscribe(t, s, store.NewSubscription{Name: "crit", Filter: store.Filter{MinSeverity: advisory.SeverityCritical}})
		team := subscribe(t, s, store.NewSubscription{Name: "team", Filter: store.Filter{Repository: "reg.example/team/*", EventTypes: []string{store.EventFindingNew}}})
		kev := subscribe(t, s, store.NewSubscription{Name: "kev", Filter: store.Filter{KEVOnly: true}})
		off := subscribe(t, s, store.NewSubscription{Name: "off"})
		if err := s.SetSubscriptionDisabled(ctx, off.ID, true, "paused"); err != nil {
			t.Fatal(err)
		}
		evs := []store.Event{
			event("e1", store.EventFindingNew, "reg.example/team/app", advisory.SeverityCritical, false),
			event("e2", store.EventFindingNew, "reg.example/team/sub/tool", advisory.SeverityLow, true),
			event("e3", store.EventFindingResolved, "reg.example/team/app", advisory.SeverityCritical, false),
			event("e4", store.EventImageWentBad, "reg.example/other", advisory.SeverityHigh, true),
		}
		if got := record(t, s, evs...); len(got) != len(evs) {
			t.Fatalf("recorded %d events, want %d", len(got), len(evs))
		}
		// Again, with one new event: only the new one is queued.
		if got := record(t, s, append(evs, event("e5", store.EventImageRecovered, "reg.example/team/app", advisory.SeverityLow, false))...); len(got) != 1 {
			t.Fatalf("recorded again %d events, want 1", len(got))
		}
		want := map[int64][]string{
			all.ID:  {"e1", "e2", "e3", "e4", "e5"},
			crit.ID: {"e1", "e3", "e5"},
			team.ID: {"e1", "e2"},
			kev.ID:  {"e2", "e4", "e5"},
			off.ID:  nil,
		}
		for id, w := range want {
			if diff := cmp.Diff(w, eventIDs(t, s, id, store.DeliveryPending)); diff != "" {
				t.Errorf("subscription %d: pending deliveries (-want +got):\n%s", id, diff)
			}
		}
		st, err := s.OutboxStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
		st2, _ := s.OutboxStats(ctx)
		if w := (store.OutboxStats{Pending: 13, Subscriptions: 5, Disabled: 1}); st != w {
			t.Errorf("OutboxStats = %+v, want %+v", st, w)
		}
		if st2.OldestPending != time.Minute {
			t.Errorf("OldestPending a minute later = %v", st2.OldestPending)
		}
		// Deleting a subscription deletes its deliveries.
		if err := s.DeleteSubscription(ctx, all.ID); err != nil {
			t.Fatal(err)
		}
		if got := eventIDs(t, s, all.ID, ""); len(got) != 0 {
			t.Errorf("deliveries of a deleted subscription: %v", got)
		}
	})
}

// TestOutboxClaimedOnce has many workers race for many deliveries: each
// must be claimed exactly once.
func TestOutboxClaimedOnce(t *testing.T) {
	outboxTests(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		const events, workers = 90, 6
		subscribe(t, s, store.NewSubscription{Name: "a"})
		subscribe(t, s, store.NewSubscription{Name: "b"})
		var evs []store.Event
		for i := range events {
			evs = append(evs, event(fmt.Sprint("e", i), store.EventFindingNew, "r/x", advisory.SeverityHigh, false))
		}
		record(t, s, evs...)
		var mu sync.Mutex
		seen := map[int64]string{}
		var errs []error
		fail := func(err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				name := fmt.Sprintf("w%d", w)
				for {
					ds, err := s.ClaimDeliveries(ctx, name, 4, time.Minute)
					if err != nil {
						fail(err)
						return
					}
					if len(ds) == 0 {
						return
					}
					for _, d := range ds {
						mu.Lock()
						prev, dup := seen[d.ID]
						seen[d.ID] = name
						mu.Unlock()
						if dup {
							fail(fmt.Errorf("delivery %d claimed by %s and %s", d.ID, prev, name))
						}
						if d.Worker != name || d.Attempts != 1 || d.Event.ID != d.EventID || d.Subscription.ID != d.SubscriptionID {
							fail(fmt.Errorf("claimed delivery %+v", d.Delivery))
						}
						if err := s.DeliverySucceeded(ctx, d.ID, name, 204); err != nil {
							fail(err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		if len(seen) != 2*events {
			t.Errorf("%d deliveries claimed, want %d", len(seen), 2*events)
		}
		st, _ := s.OutboxStats(ctx)
		if st.Delivered != 2*events || st.Pending != 0 {
			t.Errorf("OutboxStats = %+v, want all delivered", st)
		}
	})
}

// TestOutboxClaim checks what a claim returns, its order, and that a
// worker that died leaves its deliveries to the next once its lease ends.
func TestOutboxClaim(t *testing.T) {
	outboxTests(t, func(t *testing.T, s *store.Store, c *clock) {
		ctx := context.Background()
		sub := subscribe(t, s, store.NewSubscription{Name: "a", Secret: "k"})
		evs := record(t, s, event("e1", store.EventFindingNew, "r/x", advisory.SeverityHigh, true))
		c.Advance(time.Second)
		record(t, s, event("e2", store.EventFindingNew, "r/x", advisory.SeverityHigh, false))

		ds, err := s.ClaimDeliveries(ctx, "dead", 1, time.Minute)
		if err != nil || len(ds) != 1 {
			t.Fatalf("ClaimDeliveries = %d, %v; want 1", len(ds), err)
		}
		d := ds[0]
		if diff := cmp.Diff(evs[0], d.Event); diff != "" {
			t.Errorf("claimed event (-recorded +claimed):\n%s", diff)
		}
		if d.Secret != "k" || d.Subscription.ID != sub.ID || d.Subscription.URL != sub.URL || d.LeaseUntil != c.Now().Add(time.Minute) {
			t.Errorf("claimed delivery = %+v, subscription %+v", d.Delivery, d.Subscription)
		}
		ds2, _ := s.ClaimDeliveries(ctx, "other", 5, time.Minute)
		if len(ds2) != 1 || ds2[0].EventID != "e2" {
			t.Fatalf("second claim = %v, want e2 alone (e1 is leased)", ds2)
		}
		if err := s.DeliverySucceeded(ctx, ds2[0].ID, "other", 200); err != nil {
			t.Fatal(err)
		}
		c.Advance(2 * time.Minute)
		// The first worker died: its delivery goes to the next claimer,
		// and the dead worker can no longer record anything.
		ds3, err := s.ClaimDeliveries(ctx, "alive", 5, time.Minute)
		if err != nil || len(ds3) != 1 || ds3[0].ID != d.ID || ds3[0].Attempts != 2 {
			t.Fatalf("claim after expiry = %v, %v; want delivery %d, attempt 2", ds3, err, d.ID)
		}
		if err := s.DeliverySucceeded(ctx, d.ID, "dead", 200); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("DeliverySucceeded by the dead worker = %v, want ErrLeaseLost", err)
		}
		if err := s.DeliveryFailed(ctx, d.ID, "dead", 500, errors.New("x"), c.Now(), false); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("DeliveryFailed by the dead worker = %v, want ErrLeaseLost", err)
		}
		if err := s.DeliverySucceeded(ctx, d.ID, "alive", 202); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDelivered})
		// Newest first: e1's delivery was created first.
		if len(got) != 2 || got[1].ID != d.ID || got[1].LastStatus != 202 || got[1].Delivered != c.Now() || got[1].EventType != store.EventFindingNew {
			t.Errorf("delivered = %+v", got)
		}
		if ds, _ := s.ClaimDeliveries(ctx, "alive", 5, time.Minute); len(ds) != 0 {
			t.Errorf("delivered deliveries claimed again: %v", ds)
		}
		if _, err := s.ClaimDeliveries(ctx, "", 1, time.Minute); err == nil {
			t.Error("ClaimDeliveries without a worker name succeeded")
		}
		// Pruning keeps what was delivered after the cut.
		if n, err := s.PruneDeliveries(ctx, c.Now()); err != nil || n != 1 {
			t.Errorf("PruneDeliveries = %d, %v; want 1", n, err)
		}
	})
}

// TestOutboxRetryDeadRedrive follows a delivery through failed attempts,
// the dead letter state and a redrive.
func TestOutboxRetryDeadRedrive(t *testing.T) {
	outboxTests(t, func(t *testing.T, s *store.Store, c *clock) {
		ctx := context.Background()
		const maxAttempts = 3
		sub := subscribe(t, s, store.NewSubscription{Name: "a"})
		other := subscribe(t, s, store.NewSubscription{Name: "b", Filter: store.Filter{EventTypes: []string{store.EventImageWentBad}}})
		record(t, s, event("e1", store.EventFindingNew, "r/x", advisory.SeverityHigh, false), event("e2", store.EventImageWentBad, "r/x", advisory.SeverityHigh, false))

		// Every attempt fails: the worker retries after a pause, and marks
		// the delivery dead at its last attempt.
		var dead []int64
		for attempt := 1; attempt <= maxAttempts; attempt++ {
			ds, err := s.ClaimDeliveries(ctx, "w", 10, time.Minute)
			if err != nil || len(ds) != 3 {
				t.Fatalf("attempt %d: claimed %d, %v; want 3", attempt, len(ds), err)
			}
			for _, d := range ds {
				if d.Attempts != attempt {
					t.Errorf("attempt %d: delivery says %d", attempt, d.Attempts)
				}
				isDead := d.Attempts >= maxAttempts
				if err := s.DeliveryFailed(ctx, d.ID, "w", 503, errors.New("503 Service Unavailable"), c.Now().Add(10*time.Second), isDead); err != nil {
					t.Fatal(err)
				}
				if isDead {
					dead = append(dead, d.ID)
				}
			}
			if ds, _ := s.ClaimDeliveries(ctx, "w", 10, time.Minute); len(ds) != 0 {
				t.Fatalf("attempt %d: retried before its time: %v", attempt, ds)
			}
			c.Advance(11 * time.Second)
		}
		if ds, _ := s.ClaimDeliveries(ctx, "w", 10, time.Minute); len(ds) != 0 {
			t.Fatalf("dead deliveries claimed: %v", ds)
		}
		got, err := s.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].LastStatus != 503 || got[0].LastError != "503 Service Unavailable" || got[0].Attempts != maxAttempts {
			t.Errorf("dead deliveries = %+v", got)
		}
		if st, _ := s.OutboxStats(ctx); st.Dead != 3 || st.Pending != 0 {
			t.Errorf("OutboxStats = %+v, want 3 dead", st)
		}

		// Redrive one by id, then all of a subscription.
		if _, err := s.Redrive(ctx, 0); err == nil {
			t.Error("Redrive of nothing succeeded")
		}
		od, _ := s.Deliveries(ctx, store.DeliveryFilter{Subscription: other.ID, State: store.DeliveryDead})
		if len(od) != 1 || !slices.Contains(dead, od[0].ID) {
			t.Fatalf("dead deliveries of subscription %d = %+v", other.ID, od)
		}
		n, err := s.Redrive(ctx, 0, od[0].ID)
		if err != nil || n != 1 {
			t.Fatalf("Redrive(%d) = %d, %v", od[0].ID, n, err)
		}
		if n, _ := s.Redrive(ctx, 0, od[0].ID); n != 0 {
			t.Errorf("Redrive of a pending delivery revived %d", n)
		}
		ds, _ := s.ClaimDeliveries(ctx, "w", 10, time.Minute)
		if len(ds) != 1 || ds[0].ID != od[0].ID || ds[0].Attempts != 1 {
			t.Fatalf("claim after redrive = %v", ds)
		}
		if err := s.DeliverySucceeded(ctx, ds[0].ID, "w", 200); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Redrive(ctx, other.ID); err != nil || n != 0 {
			t.Errorf("Redrive(subscription %d) = %d, %v; want 0, nothing is dead", other.ID, n, err)
		}
		if n, err := s.Redrive(ctx, sub.ID); err != nil || n != 2 {
			t.Fatalf("Redrive(subscription %d) = %d, %v; want 2", sub.ID, n, err)
		}
		if got := eventIDs(t, s, sub.ID, store.DeliveryPending); !slices.Equal(got, []string{"e1", "e2"}) {
			t.Errorf("pending deliveries after redrive: %v", got)
		}
		if st, _ := s.OutboxStats(ctx); st.Dead != 0 || st.Pending != 2 || st.Delivered != 1 {
			t.Errorf("OutboxStats = %+v, want 2 pending, 1 delivered", st)
		}
	})
}

// TestOutboxDisabled: a disabled subscription's deliveries wait, and
// resume when it is enabled again.
func TestOutboxDisabled(t *testing.T) {
	outboxTests(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		sub := subscribe(t, s, store.NewSubscription{Name: "a"})
		record(t, s, event("e1", store.EventFindingNew, "r/x", advisory.SeverityHigh, false))
		if err := s.SetSubscriptionDisabled(ctx, sub.ID, true, "gone"); err != nil {
			t.Fatal(err)
		}
		record(t, s, event("e2", store.EventFindingNew, "r/x", advisory.SeverityHigh, false))
		if ds, _ := s.ClaimDeliveries(ctx, "w", 10, time.Minute); len(ds) != 0 {
			t.Fatalf("deliveries of a disabled subscription claimed: %v", ds)
		}
		if err := s.SetSubscriptionDisabled(ctx, sub.ID, false, ""); err != nil {
			t.Fatal(err)
		}
		ds, _ := s.ClaimDeliveries(ctx, "w", 10, time.Minute)
		if len(ds) != 1 || ds[0].EventID != "e1" {
			t.Errorf("claim after enabling = %v, want e1 alone (e2 came while disabled)", ds)
		}
	})
}

// TestOutboxDamagedEvent: a delivery whose event cannot be read is dead,
// and does not keep the others from being claimed.
func TestOutboxDamagedEvent(t *testing.T) {
	outboxTests(t, func(t *testing.T, s *store.Store, c *clock) {
		ctx := context.Background()
		subscribe(t, s, store.NewSubscription{Name: "a"})
		record(t, s, event("e1", store.EventFindingNew, "r/x", advisory.SeverityHigh, false))
		c.Advance(time.Second)
		record(t, s, event("e2", store.EventFindingNew, "r/x", advisory.SeverityHigh, false))
		if err := s.ExecForTest(ctx, `UPDATE events SET data = ? WHERE id = ?`, []byte("{"), "e1"); err != nil {
			t.Fatal(err)
		}
		ds, err := s.ClaimDeliveries(ctx, "w", 10, time.Minute)
		if err != nil || len(ds) != 1 || ds[0].EventID != "e2" {
			t.Fatalf("ClaimDeliveries = %v, %v; want e2 alone", ds, err)
		}
		dead, _ := s.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if len(dead) != 1 || dead[0].EventID != "e1" || dead[0].LastError != "event missing or damaged" {
			t.Errorf("dead deliveries = %+v", dead)
		}
	})
}
