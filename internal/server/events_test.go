package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/sbom"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
)

func TestUpdateDB(t *testing.T) {
	var next error // what the next update returns
	calls := 0
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t), update: func(ctx context.Context) error {
		calls++
		return next
	}})
	none := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)})
	tests := []struct {
		name       string
		e          *env
		token      func(*env) string
		path       string
		err        error
		wantStatus int
		wantCode   string
		wantCalls  int
	}{
		{name: "updated", e: e, err: nil, wantStatus: http.StatusOK, wantCalls: 1},
		{name: "already running", e: e, err: monitor.ErrUpdateRunning, wantStatus: http.StatusConflict, wantCode: "conflict", wantCalls: 1},
		{name: "failed", e: e, err: errors.New("feed update: osv: connection refused"), wantStatus: http.StatusInternalServerError, wantCode: "internal", wantCalls: 1},
		{name: "write token", e: e, token: func(e *env) string { return e.write }, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "unknown parameter", e: e, path: "?now=1", wantStatus: http.StatusBadRequest, wantCode: "bad_request"},
		{name: "no scheduler", e: none, wantStatus: http.StatusServiceUnavailable, wantCode: "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, calls = tt.err, 0
			tok := tt.e.admin
			if tt.token != nil {
				tok = tt.token(tt.e)
			}
			r := tt.e.call(http.MethodPost, "/v1/db/update"+tt.path, tok, nil)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if calls != tt.wantCalls {
				t.Errorf("Update called %d times, want %d", calls, tt.wantCalls)
			}
			if tt.wantCode == "" {
				if got := decode[api.UpdateResponse](t, r, http.StatusOK); got.Status != "updated" {
					t.Errorf("answer %+v", got)
				}
				return
			}
			if got := decode[api.Error](t, r, tt.wantStatus); got.Error.Code != tt.wantCode {
				t.Errorf("error code %q, want %q: %s", got.Error.Code, tt.wantCode, r.body)
			}
		})
	}
}

// testEvents are n events of alternating types, ids "ev-<first+i>".
func testEvents(first, n int) []store.Event {
	var out []store.Event
	for i := first; i < first+n; i++ {
		id := strconv.Itoa(i)
		digest := fmt.Sprintf("sha256:%064d", i)
		e := store.Event{ID: "ev-" + id, Type: store.EventFindingNew, Time: time.Date(2026, 11, 1, 11, 0, i, 0, time.UTC),
			Digest: sbom.Digest(digest), Repository: "registry.example/app", VulnID: "CVE-2026-" + id, Severity: advisory.SeverityHigh,
			Data: store.EventData{Image: store.EventImage{Digest: digest, Repository: "registry.example/app"}, DBVersion: 7,
				Vulnerability: &store.EventVuln{ID: "CVE-2026-" + id, Severity: "high", Status: "fixed"}}}
		if i%2 == 0 {
			e.Type, e.VulnID, e.Severity = store.EventImageWentBad, "", 0
			e.Data.Vulnerability, e.Data.Summary = nil, &store.EventImageSummary{High: 1}
		}
		out = append(out, e)
	}
	return out
}

func recordEvents(t *testing.T, st *store.Store, evs []store.Event) []store.Event {
	t.Helper()
	got, err := st.RecordEventsForTest(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(evs) {
		t.Fatalf("recorded %d events of %d", len(got), len(evs))
	}
	return got
}

// sseEvent is one event of a stream as a client reads it.
type sseEvent struct {
	id, event string
	data      api.Event
}

// sseReader reads Server-Sent Events, skipping comments.
type sseReader struct {
	t  *testing.T
	sc *bufio.Scanner
}

func (r *sseReader) next() (sseEvent, error) {
	var ev sseEvent
	var data string
	seen := false
	for r.sc.Scan() {
		line := r.sc.Text()
		if line == "" {
			if !seen {
				continue // the end of a comment
			}
			if err := json.Unmarshal([]byte(data), &ev.data); err != nil {
				return ev, fmt.Errorf("event %s: data %q: %w", ev.id, data, err)
			}
			return ev, nil
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		k, v, _ := strings.Cut(line, ": ")
		seen = true
		switch k {
		case "id":
			ev.id = v
		case "event":
			ev.event = v
		case "data":
			data += v
		default:
			return ev, fmt.Errorf("unexpected SSE line %q", line)
		}
	}
	if err := r.sc.Err(); err != nil {
		return ev, err
	}
	return ev, io.EOF
}

// stream opens GET /v1/events; the stream is closed with the test or by
// cancelling the context.
func stream(t *testing.T, ctx context.Context, e *env, query, lastID string) *sseReader {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+"/v1/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.read)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET /v1/events%s: %d %s: %s", query, res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	return &sseReader{t: t, sc: bufio.NewScanner(res.Body)}
}

// readAll reads a stream to its end.
func (r *sseReader) readAll() []sseEvent {
	r.t.Helper()
	var out []sseEvent
	for {
		ev, err := r.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, ev)
	}
}

func (r *sseReader) read(n int) []sseEvent {
	r.t.Helper()
	var out []sseEvent
	for range n {
		ev, err := r.next()
		if err != nil {
			r.t.Fatalf("after %d events: %v", len(out), err)
		}
		out = append(out, ev)
	}
	return out
}

func checkSeqs(t *testing.T, got []sseEvent, want []store.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.id != strconv.FormatInt(w.Seq, 10) || g.event != w.Type || g.data.Seq != w.Seq || g.data.ID != w.ID || g.data.Type != w.Type ||
			g.data.Digest != string(w.Digest) || g.data.Vulnerability != w.VulnID {
			t.Errorf("event %d: got id %s event %s %+v, want %+v", i, g.id, g.event, g.data, w)
		}
	}
}

func TestEventsBacklog(t *testing.T) {
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)})
	evs := recordEvents(t, e.store, testEvents(1, 5))
	tests := []struct {
		name, query, lastID string
		want                []store.Event
	}{
		{name: "all", query: "?follow=false", want: evs},
		{name: "after", query: "?follow=false&after=" + strconv.FormatInt(evs[1].Seq, 10), want: evs[2:]},
		{name: "Last-Event-ID", query: "?follow=false", lastID: strconv.FormatInt(evs[3].Seq, 10), want: evs[4:]},
		{name: "Last-Event-ID wins over after", query: "?follow=false&after=0", lastID: strconv.FormatInt(evs[3].Seq, 10), want: evs[4:]},
		{name: "none left", query: "?follow=false&after=" + strconv.FormatInt(evs[4].Seq, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkSeqs(t, stream(t, context.Background(), e, tt.query, tt.lastID).readAll(), tt.want)
		})
	}
	t.Run("payload", func(t *testing.T) {
		got := stream(t, context.Background(), e, "?follow=false", "").readAll()
		var data store.EventData
		if err := json.Unmarshal(got[0].data.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.Vulnerability == nil || data.Vulnerability.ID != evs[0].VulnID || data.DBVersion != 7 || got[0].data.Severity != "high" {
			t.Errorf("first event %+v, data %+v", got[0].data, data)
		}
		if got[1].data.Severity != "" || got[1].data.Vulnerability != "" {
			t.Errorf("an image event names a vulnerability: %+v", got[1].data)
		}
	})
}

func TestEventsRefused(t *testing.T) {
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)})
	tests := []struct {
		name, query string
		token       string
		lastID      string
		wantStatus  int
	}{
		{name: "no token", query: "?follow=false", wantStatus: http.StatusUnauthorized},
		{name: "bad after", query: "?after=x", token: e.read, wantStatus: http.StatusBadRequest},
		{name: "negative after", query: "?after=-1", token: e.read, wantStatus: http.StatusBadRequest},
		{name: "bad follow", query: "?follow=maybe", token: e.read, wantStatus: http.StatusBadRequest},
		{name: "bad Last-Event-ID", lastID: "abc", token: e.read, wantStatus: http.StatusBadRequest},
		{name: "unknown parameter", query: "?type=finding.new", token: e.read, wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, e.ts.URL+"/v1/events"+tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.lastID != "" {
				req.Header.Set("Last-Event-ID", tt.lastID)
			}
			res, err := e.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			r := response{status: res.StatusCode, header: res.Header, body: b}
			checkAgainstDocument(t, e.srv, req, r)
			if r.status != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", r.status, tt.wantStatus, b)
			}
		})
	}
}

// TestEventsResume reads part of a live stream, reconnects with
// Last-Event-ID as an SSE client does, and gets exactly the rest,
// including events recorded while it follows.
func TestEventsResume(t *testing.T) {
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)})
	evs := recordEvents(t, e.store, testEvents(1, 5))

	ctx, cancel := context.WithCancel(context.Background())
	first := stream(t, ctx, e, "", "").read(2)
	cancel()
	checkSeqs(t, first, evs[:2])

	r := stream(t, context.Background(), e, "", first[1].id)
	checkSeqs(t, r.read(3), evs[2:])
	later := recordEvents(t, e.store, testEvents(6, 2))
	checkSeqs(t, r.read(2), later)

	rest := stream(t, context.Background(), e, "?follow=false", strconv.FormatInt(later[1].Seq, 10)).readAll()
	checkSeqs(t, rest, nil)
}

// TestEventsStopStreams ends a following stream when the server stops.
func TestEventsStopStreams(t *testing.T) {
	e := newEnv(t, envOptions{dsn: storetest.SQLiteDSN(t)})
	evs := recordEvents(t, e.store, testEvents(1, 1))
	r := stream(t, context.Background(), e, "", "")
	checkSeqs(t, r.read(1), evs)
	e.srv.StopStreams()
	if got := r.readAll(); len(got) != 0 {
		t.Errorf("after the stop: %+v", got)
	}
}
