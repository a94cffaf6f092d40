package feed_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/feed"
)

// fastConfig has short limits so failures show within a test's patience.
func fastConfig() feed.Config {
	return feed.Config{
		ConnectTimeout: time.Second, HeaderTimeout: time.Second, IdleTimeout: time.Second,
		RequestTimeout: 5 * time.Second, Retries: -1, RetryBackoff: time.Millisecond,
	}
}

func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchConditional(t *testing.T) {
	var hits atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Sun, 29 Nov 2026 00:00:00 GMT")
		if r.Header.Get("If-None-Match") == `"v1"` || r.Header.Get("If-Modified-Since") == "Sun, 29 Nov 2026 00:00:00 GMT" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "hello")
	})
	c := feed.NewClient(fastConfig())
	var buf bytes.Buffer
	fp, err := c.Fetch(context.Background(), srv.URL+"/x", feed.Fingerprint{}, &buf)
	if err != nil || buf.String() != "hello" || fp.ETag != `"v1"` || fp.LastModified == "" ||
		fp.Digest != "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("first fetch: %v %q %+v", err, buf.String(), fp)
	}
	for _, prev := range []feed.Fingerprint{{ETag: `"v1"`}, {LastModified: fp.LastModified}} {
		if _, err := c.Fetch(context.Background(), srv.URL+"/x", prev, &bytes.Buffer{}); !errors.Is(err, feed.ErrUnchanged) {
			t.Errorf("conditional fetch with %+v: %v", prev, err)
		}
	}
	// Same bytes from a server that ignores validators: FetchSingle says
	// unchanged by digest.
	if _, err := feed.FetchSingle(context.Background(), c, srv.URL+"/x", feed.Fingerprint{Digest: fp.Digest}, &bytes.Buffer{}); !errors.Is(err, feed.ErrUnchanged) {
		t.Errorf("FetchSingle: %v", err)
	}
}

func TestFetchStatusAndRetries(t *testing.T) {
	var hits atomic.Int32
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		switch r.URL.Path {
		case "/missing":
			http.NotFound(w, r)
		case "/flaky":
			if n%3 != 0 {
				w.Header().Set("Retry-After", "0")
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, "ok")
		case "/down":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/busy":
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}
	})
	cfg := fastConfig()
	cfg.Retries = 2
	c := feed.NewClient(cfg)
	ctx := context.Background()

	_, err := c.Fetch(ctx, srv.URL+"/missing", feed.Fingerprint{}, &bytes.Buffer{})
	var se *feed.StatusError
	if !errors.As(err, &se) || se.Code != 404 || !strings.Contains(err.Error(), srv.URL+"/missing: 404 Not Found") || hits.Load() != 1 {
		t.Errorf("404: %v after %d requests (not retried)", err, hits.Load())
	}

	hits.Store(0)
	var buf bytes.Buffer
	if _, err := c.Fetch(ctx, srv.URL+"/flaky", feed.Fingerprint{}, &buf); err != nil || buf.String() != "ok" || hits.Load() != 3 {
		t.Errorf("flaky: %v %q after %d requests", err, buf.String(), hits.Load())
	}

	for _, path := range []string{"/down", "/busy"} {
		hits.Store(0)
		_, err := c.Fetch(ctx, srv.URL+path, feed.Fingerprint{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), srv.URL+path+": ") || hits.Load() != 3 {
			t.Errorf("%s: %v after %d requests, want 3", path, err, hits.Load())
		}
	}
}

// hang blocks a handler until the client goes away.
func hang(r *http.Request) { <-r.Context().Done() }

func TestFetchTimeouts(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/no-headers":
			hang(r)
		case "/stall":
			w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			hang(r)
		case "/slow-loris":
			// A byte every 20 ms: never idle, never done.
			for {
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
	})
	cfg := fastConfig()
	cfg.HeaderTimeout = 200 * time.Millisecond
	cfg.IdleTimeout = 200 * time.Millisecond
	cfg.RequestTimeout = 600 * time.Millisecond
	c := feed.NewClient(cfg)
	for path, want := range map[string]string{
		"/no-headers": "timeout awaiting response headers",
		"/stall":      "no data for 200ms",
		"/slow-loris": "request deadline passed while reading",
	} {
		start := time.Now()
		_, err := c.Fetch(context.Background(), srv.URL+path, feed.Fingerprint{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), srv.URL+path) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one naming the URL and %q", path, err, want)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", path, d)
		}
	}
}

func TestFetchSizeLimit(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/endless":
			chunk := bytes.Repeat([]byte("A"), 32<<10)
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/announced":
			w.Header().Set("Content-Length", "10000000000")
			w.WriteHeader(http.StatusOK)
		case "/exact":
			w.Write(bytes.Repeat([]byte("B"), 1<<20))
		}
	})
	cfg := fastConfig()
	cfg.MaxResponseBytes = 1 << 20
	c := feed.NewClient(cfg)
	for _, path := range []string{"/endless", "/announced"} {
		start := time.Now()
		var buf bytes.Buffer
		_, err := c.Fetch(context.Background(), srv.URL+path, feed.Fingerprint{}, &buf)
		if !errors.Is(err, feed.ErrTooLarge) || !strings.Contains(err.Error(), srv.URL+path) || buf.Len() > 1<<20 {
			t.Errorf("%s: %v, %d bytes kept", path, err, buf.Len())
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", path, d)
		}
	}
	var buf bytes.Buffer
	if _, err := c.Fetch(context.Background(), srv.URL+"/exact", feed.Fingerprint{}, &buf); err != nil || buf.Len() != 1<<20 {
		t.Errorf("a body of exactly the limit: %v, %d bytes", err, buf.Len())
	}
}

// A body cut half-way is fetched again when the destination can be
// rewound (the runner's temporary file), and fails otherwise.
func TestFetchRetriesBrokenBody(t *testing.T) {
	var hits atomic.Int32
	body := strings.Repeat("0123456789", 1000)
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			conn, bw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)/2])
			bw.Flush()
			conn.Close()
			return
		}
		fmt.Fprint(w, body)
	})
	cfg := fastConfig()
	cfg.Retries = 1
	c := feed.NewClient(cfg)
	f, err := os.CreateTemp(t.TempDir(), "dst")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("prefix:")
	if _, err := c.Fetch(context.Background(), srv.URL, feed.Fingerprint{}, f); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(f.Name())
	if string(got) != "prefix:"+body || hits.Load() != 2 {
		t.Errorf("file holds %d bytes after %d requests", len(got), hits.Load())
	}

	hits.Store(0)
	_, err = c.Fetch(context.Background(), srv.URL, feed.Fingerprint{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), srv.URL) || hits.Load() != 1 {
		t.Errorf("into a buffer: %v after %d requests", err, hits.Load())
	}
}

func TestFetchFileAndMirror(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "example.org", "feeds"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "example.org", "feeds", "data.json"), []byte(`{"ok":true}`), 0o644)
	os.WriteFile(filepath.Join(dir, "big"), bytes.Repeat([]byte("x"), 2048), 0o644)

	cfg := fastConfig()
	cfg.MaxResponseBytes = 1024
	c := feed.NewClient(cfg)
	var buf bytes.Buffer
	fp, err := c.Fetch(context.Background(), "file://"+filepath.Join(dir, "example.org", "feeds", "data.json"), feed.Fingerprint{}, &buf)
	if err != nil || buf.String() != `{"ok":true}` || fp.LastModified == "" || fp.Digest == "" {
		t.Errorf("file URL: %v %q %+v", err, buf.String(), fp)
	}
	if _, err := c.Fetch(context.Background(), "file://"+filepath.Join(dir, "big"), feed.Fingerprint{}, &bytes.Buffer{}); !errors.Is(err, feed.ErrTooLarge) || !strings.Contains(err.Error(), "big") {
		t.Errorf("big file: %v", err)
	}
	if _, err := c.Fetch(context.Background(), "file://"+filepath.Join(dir, "nope"), feed.Fingerprint{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing file: %v", err)
	}

	// A file mirror: https://example.org/feeds/data.json from dir.
	cfg.Mirror = "file://" + dir
	buf.Reset()
	if _, err := feed.NewClient(cfg).Fetch(context.Background(), "https://example.org/feeds/data.json", feed.Fingerprint{}, &buf); err != nil || buf.String() != `{"ok":true}` {
		t.Errorf("file mirror: %v %q", err, buf.String())
	}
	// An HTTP mirror gets the host as the first path element.
	var path atomic.Value
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { path.Store(r.URL.Path); fmt.Fprint(w, "m") })
	cfg.Mirror = srv.URL + "/base"
	if _, err := feed.NewClient(cfg).Fetch(context.Background(), "https://example.org/feeds/data.json", feed.Fingerprint{}, &bytes.Buffer{}); err != nil || path.Load() != "/base/example.org/feeds/data.json" {
		t.Errorf("http mirror: %v, path %v", err, path.Load())
	}
}

func TestFetchConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = feed.NewClient(fastConfig()).Fetch(context.Background(), "http://"+addr+"/x", feed.Fingerprint{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "http://"+addr+"/x") {
		t.Errorf("refused: %v", err)
	}
}
