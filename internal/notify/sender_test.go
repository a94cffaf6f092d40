package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/notify"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// fixture is an event of testdata/events.json.
type fixture struct {
	Name       string          `json:"name"`
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Time       time.Time       `json:"time"`
	Digest     string          `json:"digest"`
	Repository string          `json:"repository"`
	VulnID     string          `json:"vulnID"`
	Severity   string          `json:"severity"`
	KEV        bool            `json:"kev"`
	Data       store.EventData `json:"data"`
}

func fixtures(t *testing.T) map[string]store.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fs []fixture
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatalf("testdata/events.json: %v", err)
	}
	out := map[string]store.Event{}
	for _, f := range fs {
		sev, _ := advisory.ParseSeverity(f.Severity)
		out[f.Name] = store.Event{ID: f.ID, Type: f.Type, Time: f.Time, Digest: sbom.Digest(f.Digest), Repository: f.Repository,
			VulnID: f.VulnID, Severity: sev, KEV: f.KEV, Data: f.Data}
	}
	return out
}

func outgoing(e store.Event, kind, secret string) *store.Outgoing {
	return &store.Outgoing{
		Delivery:     store.Delivery{ID: 42, SubscriptionID: 7, EventID: e.ID, EventType: e.Type, Attempts: 1},
		Event:        e,
		Subscription: store.Subscription{ID: 7, Name: "hooks", URL: "https://hooks.example/vigil", Kind: kind, HasSecret: secret != ""},
		Secret:       secret,
	}
}

// TestBodiesGolden compares the request bodies of every event type, in both
// formats, with testdata/golden (go test -update rewrites them).
func TestBodiesGolden(t *testing.T) {
	s := &notify.Sender{Source: notify.Source("vigil-0")}
	evs := fixtures(t)
	if len(evs) != len(store.EventTypes) {
		t.Errorf("testdata/events.json has %d events, want one of each of the %d types", len(evs), len(store.EventTypes))
	}
	for name, e := range evs {
		for _, kind := range []string{store.KindCloudEvents, store.KindSlack} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				body, _, err := s.Body(outgoing(e, kind, ""))
				if err != nil {
					t.Fatal(err)
				}
				var pretty bytes.Buffer
				if err := json.Indent(&pretty, body, "", "  "); err != nil {
					t.Fatalf("body is not JSON: %v\n%s", err, body)
				}
				pretty.WriteByte('\n')
				golden := filepath.Join("testdata", "golden", name+"."+kind+".json")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (go test -update writes it)", err)
				}
				if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
					t.Errorf("%s (-golden +got):\n%s", golden, diff)
				}
			})
		}
	}
}

// attribute names of CloudEvents 1.0: lower-case ASCII letters and digits.
var attrName = regexp.MustCompile(`^[a-z0-9]{1,20}$`)

// TestCloudEventConformance checks the rules of the CloudEvents 1.0
// specification and its JSON format that a structured-mode event must
// follow.
func TestCloudEventConformance(t *testing.T) {
	s := &notify.Sender{Source: notify.Source("vigil-0")}
	for name, e := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			body, ctype, err := s.Body(outgoing(e, store.KindCloudEvents, ""))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ctype, "application/cloudevents+json") {
				t.Errorf("Content-Type %q, want application/cloudevents+json", ctype)
			}
			var attrs map[string]json.RawMessage
			if err := json.Unmarshal(body, &attrs); err != nil {
				t.Fatal(err)
			}
			str := func(k string) string {
				var v string
				if err := json.Unmarshal(attrs[k], &v); err != nil {
					t.Errorf("attribute %s = %s: want a string", k, attrs[k])
				}
				return v
			}
			for k := range attrs {
				if !attrName.MatchString(k) {
					t.Errorf("attribute name %q is not lower-case alphanumeric", k)
				}
			}
			for _, k := range []string{"specversion", "id", "source", "type"} {
				if str(k) == "" {
					t.Errorf("required attribute %s is empty", k)
				}
			}
			if v := str("specversion"); v != "1.0" {
				t.Errorf("specversion %q", v)
			}
			if v := str("id"); v != e.ID {
				t.Errorf("id %q, want the event's ID %q", v, e.ID)
			}
			if _, err := url.Parse(str("source")); err != nil || str("source") != "urn:vigil:vigil-0" {
				t.Errorf("source %q: want urn:vigil:vigil-0 (a URI-reference)", str("source"))
			}
			if v := str("type"); v != "dev.vigil."+e.Type {
				t.Errorf("type %q", v)
			}
			if v := str("subject"); v != string(e.Digest) {
				t.Errorf("subject %q, want the digest", v)
			}
			if tm, err := time.Parse(time.RFC3339Nano, str("time")); err != nil || !tm.Equal(e.Time) {
				t.Errorf("time %q: want RFC 3339 of %v (%v)", str("time"), e.Time, err)
			}
			if v := str("datacontenttype"); v != "application/json" {
				t.Errorf("datacontenttype %q", v)
			}
			var data store.EventData
			if err := json.Unmarshal(attrs["data"], &data); err != nil {
				t.Fatalf("data: %v", err)
			}
			if diff := cmp.Diff(e.Data, data); diff != "" {
				t.Errorf("data (-event +sent):\n%s", diff)
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	e := fixtures(t)["finding-new"]
	now := time.Date(2026, 11, 2, 8, 16, 0, 0, time.UTC)
	s := &notify.Sender{Source: notify.Source("vigil-0"), Now: func() time.Time { return now }}
	for _, tc := range []struct {
		kind, secret string
		ctype        string
	}{
		{store.KindCloudEvents, "k3y", notify.ContentTypeCloudEvents},
		{store.KindCloudEvents, "", notify.ContentTypeCloudEvents},
		{store.KindSlack, "", "application/json"},
	} {
		req, err := s.Request(context.Background(), outgoing(e, tc.kind, tc.secret))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := readAll(req)
		got := map[string]string{}
		for _, h := range []string{"Content-Type", notify.IdempotencyKeyHeader, notify.DeliveryHeader, notify.AttemptHeader} {
			got[h] = req.Header.Get(h)
		}
		want := map[string]string{"Content-Type": tc.ctype, notify.IdempotencyKeyHeader: e.ID, notify.DeliveryHeader: "42", notify.AttemptHeader: "1"}
		if diff := cmp.Diff(want, got); diff != "" || req.Method != http.MethodPost || req.URL.String() != "https://hooks.example/vigil" {
			t.Errorf("%s: %s %s, headers (-want +got):\n%s", tc.kind, req.Method, req.URL, diff)
		}
		sig := req.Header.Get(notify.SignatureHeader)
		if tc.secret == "" {
			if sig != "" {
				t.Errorf("%s without a secret: signed %q", tc.kind, sig)
			}
			continue
		}
		if err := notify.Verify(tc.secret, sig, body, time.Minute, now); err != nil {
			t.Errorf("Verify(%q) = %v", sig, err)
		}
		if !strings.HasPrefix(sig, "t=1793607360,v1=") {
			t.Errorf("signature %q: want t=<unix seconds of now>", sig)
		}
	}
	o := outgoing(e, "email", "")
	if _, err := s.Request(context.Background(), o); err == nil {
		t.Error("Request of an unknown kind succeeded")
	}
}

func readAll(req *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(req.Body)
	return b.Bytes(), err
}

// TestSendClassifies sends to a real receiver answering each status once
// and checks what the answer means.
func TestSendClassifies(t *testing.T) {
	tests := []struct {
		status     int
		header     map[string]string
		ok         bool
		permanent  bool
		gone       bool
		retryAfter time.Duration
	}{
		{status: 200, ok: true},
		{status: 202, ok: true},
		{status: 204, ok: true},
		{status: 301, header: map[string]string{"Location": "https://elsewhere.example/"}, permanent: true},
		{status: 400, permanent: true},
		{status: 401, permanent: true},
		{status: 404, permanent: true},
		{status: 408},
		{status: 410, gone: true},
		{status: 413, permanent: true},
		{status: 425},
		{status: 429, header: map[string]string{"Retry-After": "120"}, retryAfter: 2 * time.Minute},
		{status: 500},
		{status: 502},
		{status: 503, header: map[string]string{"Retry-After": "7"}, retryAfter: 7 * time.Second},
		{status: 504},
	}
	e := fixtures(t)["finding-new"]
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			rcv := newReceiver(t, "k", func(string, int) answer { return answer{tc.status, tc.header} })
			g := &netguard.Guard{Allow: []string{rcv.host()}}
			s := &notify.Sender{Client: notify.NewClient(g, 5*time.Second), Guard: g, Source: "urn:vigil:t"}
			o := outgoing(e, store.KindCloudEvents, "k")
			o.Subscription.URL = rcv.url()
			r := s.Send(context.Background(), o)
			if (r.Err == nil) != tc.ok || r.Permanent != tc.permanent || r.Gone != tc.gone || r.RetryAfter != tc.retryAfter || r.Status != tc.status {
				t.Errorf("Send = %+v; want ok %v, permanent %v, gone %v, retry after %v", r, tc.ok, tc.permanent, tc.gone, tc.retryAfter)
			}
			if r.Err != nil && strings.Contains(r.Err.Error(), "/hooks/vigil") {
				t.Errorf("error shows the URL's path: %v", r.Err)
			}
		})
	}
}

// TestSendRefused checks the guard and transport failures: what may never
// reach a receiver is dead at once, what may later is retried, and no
// error shows the URL's path (a Slack URL's credential).
func TestSendRefused(t *testing.T) {
	rcv := newReceiver(t, "k", nil)
	e := fixtures(t)["kev-added"]
	const path = "/services/T0001/B0001/SeCrEtToKeN"
	tests := []struct {
		name      string
		guard     *netguard.Guard
		url       string
		permanent bool
		notAllow  bool
	}{
		{"loopback without an explicit entry", &netguard.Guard{}, rcv.srv.URL + path, true, true},
		{"host not on the list", &netguard.Guard{Allow: []string{"hooks.example.com"}}, rcv.srv.URL + path, true, true},
		{"a wildcard never allows loopback", &netguard.Guard{Allow: []string{"*.1"}}, rcv.srv.URL + path, true, true},
		{"connection refused is retried", &netguard.Guard{Allow: []string{"127.0.0.1:1"}}, "http://127.0.0.1:1" + path, false, false},
		{"not http", &netguard.Guard{}, "file:///etc/passwd", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &notify.Sender{Client: notify.NewClient(tc.guard, 5*time.Second), Guard: tc.guard, Source: "urn:vigil:t"}
			o := outgoing(e, store.KindSlack, "k")
			o.Subscription.URL = tc.url
			r := s.Send(context.Background(), o)
			if r.Err == nil || r.Permanent != tc.permanent || (tc.notAllow && !errors.Is(r.Err, netguard.ErrNotAllowed)) {
				t.Errorf("Send = %+v (%v); want an error, permanent %v, not allowed %v", r, r.Err, tc.permanent, tc.notAllow)
			}
			if r.Err != nil && strings.Contains(r.Err.Error(), "SeCrEtToKeN") {
				t.Errorf("error shows the URL's path: %v", r.Err)
			}
		})
	}
	if n := rcv.total(); n != 0 {
		t.Errorf("the receiver got %d requests, want none", n)
	}
}

func TestBackoff(t *testing.T) {
	const base, limit = 2 * time.Second, 10 * time.Minute
	tests := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{1, 0.999999, 2*time.Second - 2*time.Microsecond},
		{1, 0.5, time.Second},
		{2, 0.5, 2 * time.Second},
		{5, 1, 32 * time.Second},
		{9, 1, 8*time.Minute + 32*time.Second},
		{10, 1, limit},
		{64, 1, limit},
		{1000, 0.5, limit / 2},
		{3, 0, 0},
		{0, 1, base},
	}
	for _, tc := range tests {
		if got := notify.Backoff(tc.attempt, base, limit, tc.r); got != tc.want {
			t.Errorf("Backoff(%d, r=%v) = %v, want %v", tc.attempt, tc.r, got, tc.want)
		}
	}
}
