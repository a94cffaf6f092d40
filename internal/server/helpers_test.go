package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/catalog/all"
	"github.com/vigilproject/vigil/internal/image"
	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/store"
	"github.com/vigilproject/vigil/internal/store/storetest"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// scratch is a directory shared by the package's tests (the databases
// built once), removed when they end.
var scratch string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-server-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	scratch = dir
	code := m.Run()
	closeShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

// emptyDB returns an empty vulnerability database, opened once: enough
// for assessments that find nothing.
var emptyDB = sync.OnceValues(func() (*vulndb.DB, error) {
	return vulndb.Open(context.Background(), filepath.Join(scratch, "empty.db"), vulndb.Options{})
})

func emptyAdvisories(t testing.TB) func() images.Advisories {
	t.Helper()
	db, err := emptyDB()
	if err != nil {
		t.Fatal(err)
	}
	return func() images.Advisories { return db }
}

// envOptions configure newEnv.
type envOptions struct {
	dsn        string
	advisories func() images.Advisories // nil: none
	allow      []string                 // registries the guard allows
	worker     string
	dev        bool
	maxBody    int64
	logger     *slog.Logger
	run        bool // start the service's workers
	lease      time.Duration
	update     func(context.Context) error // Config.Update
	reassess   ReassessFunc                // Config.Reassess
	webhooks   *netguard.Guard             // Config.WebhookGuard
}

// env is one server on a real store, served on 127.0.0.1.
type env struct {
	t     testing.TB
	store *store.Store
	svc   *images.Service
	srv   *Server
	ts    *httptest.Server
	// Tokens of each scope.
	read, write, admin string
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.logger == nil {
		o.logger = testLogger(t)
	}
	st := storetest.Open(t, o.dsn, store.Options{Logger: o.logger})
	svc, err := images.New(images.Config{
		Store:       st,
		Advisories:  o.advisories,
		Catalogers:  all.Catalogers(),
		Image:       image.Options{Insecure: true, Timeout: 30 * time.Second},
		Registries:  &images.Guard{Allow: o.allow},
		Worker:      o.worker,
		Lease:       o.lease,
		TagInterval: -1,
		Logger:      o.logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Service: svc, Logger: o.logger, Dev: o.dev, MaxBody: o.maxBody, Advisories: o.advisories, Update: o.update,
		Reassess: o.reassess, WebhookGuard: o.webhooks})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, svc: svc, srv: srv, ts: httptest.NewServer(srv)}
	t.Cleanup(e.ts.Close)
	if o.run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			svc.Run(ctx, 2, 50*time.Millisecond)
		}()
		// Registered after the store's Close: runs before it.
		t.Cleanup(func() {
			cancel()
			<-done
		})
	}
	for _, sc := range []string{store.ScopeRead, store.ScopeWrite, store.ScopeAdmin} {
		secret, _, err := st.CreateToken(context.Background(), "test-"+sc, sc, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		switch sc {
		case store.ScopeRead:
			e.read = secret
		case store.ScopeWrite:
			e.write = secret
		case store.ScopeAdmin:
			e.admin = secret
		}
	}
	return e
}

// testLogger logs at warning level and above to the test's log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// response is an answer the test client checked against the OpenAPI
// document.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request to the env's server and checks the answer against
// the OpenAPI document. body is sent as is ([]byte, string) or as JSON.
func (e *env) call(method, path, token string, body any) response {
	e.t.Helper()
	return e.callType(method, path, token, "application/json", body)
}

func (e *env) callType(method, path, token, contentType string, body any) response {
	e.t.Helper()
	r, err := e.try(method, path, token, contentType, body)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// try is call for any goroutine: it reports a failed exchange instead of
// ending the test. The answer is still checked against the document.
func (e *env) try(method, path, token, contentType string, body any) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if rd != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	r := response{status: res.StatusCode, header: res.Header, body: out}
	checkAgainstDocument(e.t, e.srv, req, r)
	return r, nil
}

// decode decodes an answer's JSON body, failing the test on a status other
// than want.
func decode[T any](t testing.TB, r response, want int) T {
	t.Helper()
	var v T
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return v
}

// waitJob polls a job until it is done or failed.
func (e *env) waitJob(id int64, timeout time.Duration) jobState {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j, err := e.store.Job(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if j.State == store.JobDone || j.State == store.JobFailed {
			return jobState{j.State, j.Attempts, j.Error, string(j.Result)}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %d still %s after %v (attempts %d, error %q)", id, j.State, timeout, j.Attempts, j.Error)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitIdle waits until no job is queued or running.
func (e *env) waitIdle(timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := e.store.Stats(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if st.Jobs[store.JobQueued]+st.Jobs[store.JobRunning] == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("jobs still pending after %v: %v", timeout, st.Jobs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type jobState struct {
	state    string
	attempts int
	err      string
	result   string
}

// sharedDir returns the shared test data directory, or skips.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIL_SHARED")
	if dir == "" {
		dir = "../../../shared"
	}
	for _, need := range []string{"images/debian-app/index.json", "images/debian-minbase/index.json", "vulnfeeds/debian-derived/tracker.json"} {
		if _, err := os.Stat(filepath.Join(dir, need)); err != nil {
			t.Skipf("shared test data not found at %s (set VIGIL_SHARED): %v", dir, err)
		}
	}
	return dir
}

// syncBuffer is a log sink safe to read while servers write to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// slogTo logs everything, as text, to w.
func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
