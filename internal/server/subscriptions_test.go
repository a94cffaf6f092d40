package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

const testSecret = "s3cr3t-never-shown-0123456789"

// TestSubscriptionsAPI runs on SQLite, and on PostgreSQL when one is
// configured.
func TestSubscriptionsAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSubscriptionsAPI(t, storetest.SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { testSubscriptionsAPI(t, storetest.PostgresDSN(t)) })
}

func testSubscriptionsAPI(t *testing.T, dsn string) {
	e := newEnv(t, envOptions{dsn: dsn,
		webhooks: &netguard.Guard{Allow: []string{"hooks.example.com", "*.hooks.example.net", "127.0.0.1:9"}}})
	// Every answer is kept: none may hold the secret.
	var bodies []string
	call := func(method, path, token string, body any) response {
		t.Helper()
		r := e.call(method, path, token, body)
		bodies = append(bodies, string(r.body))
		return r
	}
	good := api.CreateSubscriptionRequest{URL: "https://hooks.example.com/vigil", Secret: testSecret,
		Events: []string{store.EventFindingNew}, MinSeverity: "high", Repository: "registry.example/*", KEVOnly: true}
	for _, tc := range []struct {
		name  string
		token string
		body  any
		want  int
	}{
		{"malformed JSON", e.admin, `{"url":`, 400},
		{"empty body", e.admin, ``, 400},
		{"unknown field", e.admin, `{"url":"https://hooks.example.com/","secrets":"x"}`, 400},
		{"not http", e.admin, api.CreateSubscriptionRequest{URL: "ftp://hooks.example.com/x"}, 400},
		{"no host", e.admin, api.CreateSubscriptionRequest{URL: "https:///x"}, 400},
		{"user information", e.admin, api.CreateSubscriptionRequest{URL: "https://u:p@hooks.example.com/x"}, 400},
		{"bad kind", e.admin, api.CreateSubscriptionRequest{URL: "https://hooks.example.com/", Kind: "email"}, 400},
		{"bad event type", e.admin, api.CreateSubscriptionRequest{URL: "https://hooks.example.com/", Events: []string{"finding.old"}}, 400},
		{"bad severity", e.admin, api.CreateSubscriptionRequest{URL: "https://hooks.example.com/", MinSeverity: "dire"}, 400},
		{"bad glob", e.admin, api.CreateSubscriptionRequest{URL: "https://hooks.example.com/", Repository: "["}, 400},
		{"host not allowed", e.admin, api.CreateSubscriptionRequest{URL: "https://evil.example/"}, 422},
		{"loopback not listed", e.admin, api.CreateSubscriptionRequest{URL: "http://127.0.0.1:10/"}, 422},
		{"private matching no entry", e.admin, api.CreateSubscriptionRequest{URL: "http://10.0.0.1/"}, 422},
		{"read token", e.read, good, 403},
		{"write token", e.write, good, 403},
		{"no token", "", good, 401},
		{"wildcard entry", e.admin, api.CreateSubscriptionRequest{URL: "https://a.hooks.example.net/"}, 201},
		{"loopback listed", e.admin, api.CreateSubscriptionRequest{URL: "http://127.0.0.1:9/hook", Kind: store.KindSlack}, 201},
		{"good", e.admin, good, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := call("POST", "/v1/subscriptions", tc.token, tc.body); r.status != tc.want {
				t.Errorf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
		})
	}
	list := decode[api.SubscriptionList](t, call("GET", "/v1/subscriptions", e.read, nil), 200)
	if len(list.Subscriptions) != 3 {
		t.Fatalf("%d subscriptions, want 3", len(list.Subscriptions))
	}
	sub := list.Subscriptions[2]
	want := api.Subscription{ID: sub.ID, Name: "hooks.example.com", URL: good.URL, Kind: store.KindCloudEvents, HasSecret: true,
		Events: good.Events, MinSeverity: "high", Repository: good.Repository, KEVOnly: true, Created: sub.Created}
	if d := cmp.Diff(want, sub); d != "" {
		t.Errorf("listed subscription (-want +got):\n%s", d)
	}
	if got := decode[api.Subscription](t, call("GET", fmt.Sprintf("/v1/subscriptions/%d", sub.ID), e.read, nil), 200); !cmp.Equal(got, sub) {
		t.Errorf("GET = %+v, want %+v", got, sub)
	}
	if list.Subscriptions[1].HasSecret || list.Subscriptions[1].Kind != store.KindSlack {
		t.Errorf("slack subscription: %+v", list.Subscriptions[1])
	}
	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/v1/subscriptions/999", e.read, 404},
		{"GET", "/v1/subscriptions/x", e.read, 400},
		{"DELETE", "/v1/subscriptions/999", e.admin, 404},
		{"DELETE", fmt.Sprintf("/v1/subscriptions/%d", sub.ID), e.read, 403},
		{"POST", "/v1/subscriptions/999/disable", e.admin, 404},
		{"GET", "/v1/deliveries?state=lost", e.read, 400},
		{"GET", "/v1/deliveries?limit=0", e.read, 400},
		{"GET", "/v1/deliveries?subscription=-1", e.read, 400},
		{"GET", "/v1/deliveries?colour=red", e.read, 400},
		{"GET", "/v1/subscriptions?x=1", e.read, 400},
	} {
		if r := call(tc.method, tc.path, tc.token, nil); r.status != tc.want {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, r.status, tc.want, r.body)
		}
	}

	// Disabled and enabled.
	got := decode[api.Subscription](t, call("POST", fmt.Sprintf("/v1/subscriptions/%d/disable", sub.ID), e.admin, nil), 200)
	if !got.Disabled || got.DisabledReason == "" {
		t.Errorf("after disable: %+v", got)
	}
	got = decode[api.Subscription](t, call("POST", fmt.Sprintf("/v1/subscriptions/%d/enable", sub.ID), e.admin, nil), 200)
	if got.Disabled || got.DisabledReason != "" {
		t.Errorf("after enable: %+v", got)
	}

	// Events queue deliveries; the filter of sub keeps the KEV finding
	// in its repository only.
	evs := testEvents(1, 4)
	evs[0].KEV = true
	recordEvents(t, e.store, evs)
	ds := decode[api.DeliveryList](t, call("GET", fmt.Sprintf("/v1/deliveries?subscription=%d", sub.ID), e.read, nil), 200)
	if len(ds.Deliveries) != 1 || ds.Deliveries[0].EventID != "ev-1" || ds.Deliveries[0].State != store.DeliveryPending {
		t.Errorf("deliveries of %d: %+v", sub.ID, ds.Deliveries)
	}
	all := decode[api.DeliveryList](t, call("GET", "/v1/deliveries?state=pending&limit=1000", e.read, nil), 200)
	if len(all.Deliveries) != 9 { // 4 to each unfiltered subscription, 1 to sub
		t.Errorf("%d pending deliveries, want 9", len(all.Deliveries))
	}
	page := decode[api.DeliveryList](t, call("GET", "/v1/deliveries?limit=2", e.read, nil), 200)
	next := decode[api.DeliveryList](t, call("GET", fmt.Sprintf("/v1/deliveries?limit=2&before=%d", page.Deliveries[1].ID), e.read, nil), 200)
	if len(page.Deliveries) != 2 || len(next.Deliveries) != 2 || next.Deliveries[0].ID >= page.Deliveries[1].ID {
		t.Errorf("pages %+v then %+v", page.Deliveries, next.Deliveries)
	}
	if dead := decode[api.DeliveryList](t, call("GET", "/v1/deliveries?state=dead", e.read, nil), 200); len(dead.Deliveries) != 0 {
		t.Errorf("dead deliveries: %+v", dead.Deliveries)
	}

	// Redrive: nothing is dead yet.
	for _, tc := range []struct {
		body  any
		token string
		want  int
	}{
		{`{}`, e.admin, 400},
		{`{"subscription":`, e.admin, 400},
		{api.RedriveRequest{Deliveries: []int64{0}}, e.admin, 400},
		{api.RedriveRequest{Subscription: 999}, e.admin, 404},
		{api.RedriveRequest{Subscription: sub.ID}, e.read, 403},
		{api.RedriveRequest{Subscription: sub.ID}, e.admin, 200},
		{api.RedriveRequest{Deliveries: []int64{ds.Deliveries[0].ID}}, e.admin, 200},
	} {
		r := call("POST", "/v1/deliveries/redrive", tc.token, tc.body)
		if r.status != tc.want {
			t.Errorf("redrive %v: %d, want %d: %s", tc.body, r.status, tc.want, r.body)
		} else if r.status == 200 {
			if n := decode[api.RedriveResponse](t, r, 200).Redriven; n != 0 {
				t.Errorf("redrive %v: %d redriven, want 0", tc.body, n)
			}
		}
	}

	r := call("DELETE", fmt.Sprintf("/v1/subscriptions/%d", sub.ID), e.admin, nil)
	if r.status != 204 {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	if r := call("GET", fmt.Sprintf("/v1/subscriptions/%d", sub.ID), e.read, nil); r.status != 404 {
		t.Errorf("GET after DELETE: %d", r.status)
	}
	if ds := decode[api.DeliveryList](t, call("GET", fmt.Sprintf("/v1/deliveries?subscription=%d", sub.ID), e.read, nil), 200); len(ds.Deliveries) != 0 {
		t.Errorf("deliveries of a deleted subscription: %+v", ds.Deliveries)
	}

	for _, b := range bodies {
		if strings.Contains(b, testSecret) {
			t.Errorf("an answer holds the secret: %s", b)
		}
	}
}

func TestReassessAPI(t *testing.T) {
	busy := false
	var gotAll []bool
	reassess := func(ctx context.Context, all bool) (*monitor.Result, error) {
		if busy {
			return nil, monitor.ErrBusy
		}
		gotAll = append(gotAll, all)
		return &monitor.Result{DBVersion: 5, Changes: 3, Keys: 2, Packages: 1, Events: make([]store.Event, 4)}, nil
	}
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t), reassess: reassess})
	for _, tc := range []struct {
		path, token string
		busy        bool
		want        int
	}{
		{"/v1/reassess", e.write, false, 403},
		{"/v1/reassess?all=maybe", e.admin, false, 400},
		{"/v1/reassess?full=true", e.admin, false, 400},
		{"/v1/reassess", e.admin, true, 409},
		{"/v1/reassess", e.admin, false, 200},
		{"/v1/reassess?all=true", e.admin, false, 200},
	} {
		busy = tc.busy
		r := e.call("POST", tc.path, tc.token, nil)
		if r.status != tc.want {
			t.Errorf("POST %s: %d, want %d: %s", tc.path, r.status, tc.want, r.body)
			continue
		}
		if r.status == 200 {
			got := decode[api.ReassessResponse](t, r, 200)
			if want := (api.ReassessResponse{DBVersion: 5, Changes: 3, Keys: 2, Packages: 1, Events: 4}); got != want {
				t.Errorf("POST %s = %+v, want %+v", tc.path, got, want)
			}
		}
	}
	if want := []bool{false, true}; !cmp.Equal(gotAll, want) {
		t.Errorf("Reassess called with all %v, want %v", gotAll, want)
	}

	none := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)})
	if r := none.call("POST", "/v1/reassess", none.admin, nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("without Reassess: %d, want 503", r.status)
	}
	failing := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t), reassess: func(context.Context, bool) (*monitor.Result, error) {
		return nil, errors.New("boom")
	}})
	if r := failing.call("POST", "/v1/reassess", failing.admin, nil); r.status != http.StatusInternalServerError || strings.Contains(string(r.body), "boom") {
		t.Errorf("failing Reassess: %d %s, want 500 without the cause", r.status, r.body)
	}
}

func TestOutboxMetrics(t *testing.T) {
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)})
	e.srv.metrics.statsTTL = 0
	s := parseExposition(t, string(e.call("GET", "/metrics", "", nil).body))
	for _, k := range []string{`vigil_outbox_deliveries{state="pending"}`, `vigil_outbox_deliveries{state="dead"}`, `vigil_outbox_oldest_pending_seconds`, `vigil_subscriptions{disabled="false"}`} {
		if v, ok := s[k]; !ok || v != 0 {
			t.Errorf("empty outbox: %s = %v (present %v), want 0", k, v, ok)
		}
	}
	if _, err := e.store.CreateSubscription(context.Background(), store.NewSubscription{URL: "https://hooks.example.com/"}); err != nil {
		t.Fatal(err)
	}
	recordEvents(t, e.store, testEvents(1, 3))
	s = parseExposition(t, string(e.call("GET", "/metrics", "", nil).body))
	for k, want := range map[string]float64{
		`vigil_outbox_deliveries{state="pending"}`:   3,
		`vigil_outbox_deliveries{state="delivered"}`: 0,
		`vigil_outbox_deliveries{state="dead"}`:      0,
		`vigil_outbox_in_flight`:                     0,
		`vigil_subscriptions{disabled="false"}`:      1,
		`vigil_subscriptions{disabled="true"}`:       0,
	} {
		if got, ok := s[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if _, ok := s[`vigil_outbox_oldest_pending_seconds`]; !ok {
		t.Error("no vigil_outbox_oldest_pending_seconds")
	}
}

func TestShownURL(t *testing.T) {
	for _, tc := range []struct{ url, kind, want string }{
		{"https://hooks.example.com/vigil", store.KindCloudEvents, "https://hooks.example.com/vigil"},
		{"https://hooks.example.com/vigil?token=abc", store.KindCloudEvents, "https://hooks.example.com/vigil?…"},
		{"https://hooks.slack.com/services/T0/B0/XXXX", store.KindSlack, "https://hooks.slack.com/…"},
		{"https://hooks.slack.com/services/T0?x=1", store.KindSlack, "https://hooks.slack.com/…?…"},
		{"https://hooks.slack.com", store.KindSlack, "https://hooks.slack.com"},
	} {
		if got := shownURL(tc.url, tc.kind); got != tc.want {
			t.Errorf("shownURL(%q, %s) = %q, want %q", tc.url, tc.kind, got, tc.want)
		}
	}
}
