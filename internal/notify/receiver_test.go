package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/notify"
)

// The receiver's side, exactly as docs/notifications.md shows it
// (TestDocSnippet keeps the two equal): standard library only, since
// receivers cannot import Vigil's internal packages.

// BEGIN verifyVigil
// verifyVigil checks the signature of a Vigil webhook request and returns
// its body. tolerance bounds the difference between the signature's time
// and the receiver's clock (5 minutes is a good value).
func verifyVigil(r *http.Request, secret string, tolerance time.Duration) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(r.Header.Get("Vigil-Signature"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, errors.New("no Vigil-Signature timestamp")
	}
	if d := time.Since(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return nil, fmt.Errorf("signature made %v ago: replayed, or a clock is wrong", d)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range sigs {
		if got, err := hex.DecodeString(s); err == nil && hmac.Equal(got, want) {
			return body, nil
		}
	}
	return nil, errors.New("bad Vigil-Signature")
}

// END verifyVigil

func TestDocSnippet(t *testing.T) {
	src, err := os.ReadFile("receiver_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(src), "// BEGIN verifyVigil\n")
	snippet, _, ok := strings.Cut(rest, "\n// END verifyVigil")
	if !ok || snippet == "" {
		t.Fatal("receiver_test.go: no verifyVigil snippet between its markers")
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "notifications.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), snippet) {
		t.Errorf("docs/notifications.md does not show verifyVigil as receiver_test.go has it; copy it there:\n%s", snippet)
	}
}

// answer is how a receiver answers one request: a status and headers.
type answer struct {
	status int
	header map[string]string
}

// receiver is a webhook receiver written as docs/notifications.md
// advises: it verifies signatures with verifyVigil and deduplicates on the
// Idempotency-Key, processing each event once.
type receiver struct {
	t      *testing.T
	secret string
	srv    *httptest.Server

	mu sync.Mutex
	// respond decides the answer to the n-th request (from 1) of a key;
	// nil accepts everything.
	respond   func(key string, n int) answer
	requests  map[string]int         // requests per key
	processed map[string]int         // events processed per key: 1 with dedupe
	accepted  map[string]int         // 2xx answers per key, duplicates included
	bad       []string               // what failed verification
	bodies    map[string][]byte      // of the events processed
	headers   map[string]http.Header // of the events processed
}

func newReceiver(t *testing.T, secret string, respond func(key string, n int) answer) *receiver {
	r := &receiver{t: t, secret: secret, respond: respond, requests: map[string]int{}, processed: map[string]int{},
		accepted: map[string]int{}, bodies: map[string][]byte{}, headers: map[string]http.Header{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	var body []byte
	var err error
	if r.secret != "" {
		body, err = verifyVigil(req, r.secret, 5*time.Minute)
	} else {
		body, err = io.ReadAll(req.Body)
	}
	key := req.Header.Get(notify.IdempotencyKeyHeader)
	r.mu.Lock()
	if err != nil || key == "" {
		r.bad = append(r.bad, fmt.Sprintf("%s: %v", key, err))
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.requests[key]++
	n, respond := r.requests[key], r.respond
	r.mu.Unlock()
	a := answer{status: http.StatusOK}
	if respond != nil {
		a = respond(key, n) // outside the lock: it may block
	}
	if a.status >= 200 && a.status < 300 {
		r.mu.Lock()
		r.accepted[key]++
		if r.processed[key] == 0 { // the dedupe a receiver does
			r.processed[key]++
			r.bodies[key] = body
			r.headers[key] = req.Header.Clone()
		}
		r.mu.Unlock()
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	io.WriteString(w, http.StatusText(a.status))
}

// setRespond changes how the receiver answers.
func (r *receiver) setRespond(fn func(key string, n int) answer) {
	r.mu.Lock()
	r.respond = fn
	r.mu.Unlock()
}

// host is the receiver's host:port, for the guard's allow list.
func (r *receiver) host() string { return r.srv.Listener.Addr().String() }

func (r *receiver) url() string { return r.srv.URL + "/hooks/vigil" }

// check verifies that the receiver processed exactly the events wanted,
// once each, and that every request it got was correctly signed.
func (r *receiver) check(t *testing.T, wantIDs []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var got []string
	for k, n := range r.processed {
		got = append(got, k)
		if n != 1 {
			t.Errorf("event %s processed %d times", k, n)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(wantIDs))
	if !slices.Equal(got, want) {
		t.Errorf("receiver processed %d events, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	if len(r.bad) > 0 {
		t.Errorf("%d requests failed verification: %v", len(r.bad), r.bad)
	}
	for k, b := range r.bodies {
		if r.secret == "" {
			continue // a Slack receiver
		}
		var ce notify.CloudEvent
		if err := json.Unmarshal(b, &ce); err != nil {
			t.Errorf("event %s: body is not a CloudEvent: %v", k, err)
			continue
		}
		if ce.ID != k || ce.SpecVersion != "1.0" || !strings.HasPrefix(ce.Type, notify.TypePrefix) {
			t.Errorf("event %s: CloudEvent id %q, specversion %q, type %q", k, ce.ID, ce.SpecVersion, ce.Type)
		}
	}
}

// count returns a key's requests and 2xx answers.
func (r *receiver) count(key string) (requests, accepted int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[key], r.accepted[key]
}

func (r *receiver) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.requests {
		n += c
	}
	return n
}
