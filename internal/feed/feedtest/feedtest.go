// Package feedtest helps test feed updaters offline: an HTTP server laid
// out like the upstream hosts (used as a mirror), a client with short
// timeouts pointed at it, the shared test data, and an in-memory Sink.
package feedtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/feed"
)

// Server serves files by URL path with ETag and Last-Modified validators,
// and counts the requests each path gets. Paths are laid out like a mirror:
// "/<upstream host>/<upstream path>".
type Server struct {
	*httptest.Server

	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
	// Hook, when set, runs before a request is served; returning true
	// means it wrote the response itself.
	Hook func(w http.ResponseWriter, r *http.Request) bool
}

// NewServer starts a server on 127.0.0.1, closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{files: map[string][]byte{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Set makes path serve body (a new body gets a new ETag).
func (s *Server) Set(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = body
}

// SetUpstream serves body at the mirror path of an upstream URL.
func (s *Server) SetUpstream(t testing.TB, upstream string, body []byte) {
	t.Helper()
	m, err := feed.MirrorURL("http://mirror", upstream)
	if err != nil {
		t.Fatal(err)
	}
	s.Set(m[len("http://mirror"):], body)
}

// Delete makes path answer 404.
func (s *Server) Delete(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, path)
}

// Hits returns how many requests path got.
func (s *Server) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// TotalHits returns how many requests the server got.
func (s *Server) TotalHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += h
	}
	return n
}

// ResetHits forgets the counts.
func (s *Server) ResetHits() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits = map[string]int{}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	body, ok := s.files[r.URL.Path]
	hook := s.Hook
	s.mu.Unlock()
	if hook != nil && hook(w, r) {
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}

// Config returns a feed configuration that mirrors every source through
// the server, with short timeouts and fast retries for tests.
func (s *Server) Config() feed.Config {
	return feed.Config{
		Mirror:         s.URL,
		ConnectTimeout: 2 * time.Second,
		HeaderTimeout:  2 * time.Second,
		IdleTimeout:    2 * time.Second,
		RequestTimeout: 20 * time.Second,
		Retries:        1,
		RetryBackoff:   time.Millisecond,
	}
}

// Client returns a feed client for Config.
func (s *Server) Client() *feed.Client { return feed.NewClient(s.Config()) }

// SharedDir returns the shared vulnerability feed data
// (/work/shared/vulnfeeds): $VIGIL_SHARED/vulnfeeds, else found by walking
// up from the working directory; the test is skipped when it is absent.
func SharedDir(t testing.TB) string {
	t.Helper()
	if root := os.Getenv("VIGIL_SHARED"); root != "" {
		if dir := filepath.Join(root, "vulnfeeds"); isDir(dir) {
			return dir
		}
	}
	dir, err := os.Getwd()
	if err == nil {
		for range 8 {
			if cand := filepath.Join(dir, "shared", "vulnfeeds"); isDir(cand) {
				return cand
			}
			dir = filepath.Dir(dir)
		}
	}
	t.Skip("shared feed data (shared/vulnfeeds) not found: set VIGIL_SHARED or run from the work tree beside shared/")
	return ""
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Collect drains an iterator into its values and its errors.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, []error) {
	var vals []T
	var errs []error
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		vals = append(vals, v)
	}
	return vals, errs
}

// Sink is an in-memory feed.Sink for tests: each source's latest records,
// its state, and every call.
type Sink struct {
	mu         sync.Mutex
	states     map[string]feed.SourceState
	advisories map[string]map[string]advisory.Advisory
	kev        map[string][]advisory.KEV
	epss       map[string][]advisory.EPSS
	// Applies counts Apply calls per source; Failures records the errors
	// passed to RecordFailure.
	Applies  map[string]int
	Failures map[string][]string
}

// NewSink returns an empty Sink.
func NewSink() *Sink {
	return &Sink{
		states: map[string]feed.SourceState{}, advisories: map[string]map[string]advisory.Advisory{},
		kev: map[string][]advisory.KEV{}, epss: map[string][]advisory.EPSS{},
		Applies: map[string]int{}, Failures: map[string][]string{},
	}
}

// Apply stores the batch, or nothing when ctx ends or the iterator breaks.
func (s *Sink) Apply(ctx context.Context, b feed.Batch, st feed.SourceState) (feed.ApplyStats, error) {
	var stats feed.ApplyStats
	skip := func(err error) {
		stats.Skipped++
		if len(stats.SkippedErrors) < 5 {
			stats.SkippedErrors = append(stats.SkippedErrors, err.Error())
		}
	}
	advs := map[string]advisory.Advisory{}
	var kevs []advisory.KEV
	var epss []advisory.EPSS
	s.mu.Lock()
	old := s.advisories[b.Source]
	s.mu.Unlock()
	if !b.Full {
		for id, a := range old {
			advs[id] = a
		}
	}
	switch {
	case b.Advisories != nil:
		for a, err := range b.Advisories {
			if err != nil {
				skip(err)
				continue
			}
			prev, had := old[a.ID]
			switch {
			case !had:
				stats.Added++
			case prev.Modified.Equal(a.Modified) && prev.IsWithdrawn() == a.IsWithdrawn():
				stats.Unchanged++
			default:
				stats.Modified++
			}
			advs[a.ID] = a
		}
		if b.Full {
			for id := range old {
				if _, ok := advs[id]; !ok {
					stats.Withdrawn++
				}
			}
		}
	case b.KEV != nil:
		for k, err := range b.KEV {
			if err != nil {
				skip(err)
				continue
			}
			kevs = append(kevs, k)
			stats.Added++
		}
	case b.EPSS != nil:
		for e, err := range b.EPSS {
			if err != nil {
				skip(err)
				continue
			}
			epss = append(epss, e)
			stats.Added++
		}
	default:
		return stats, errors.New("feedtest: batch without an iterator")
	}
	if err := ctx.Err(); err != nil {
		return stats, fmt.Errorf("feedtest: apply of %s rolled back: %w", b.Source, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Applies[b.Source]++
	switch {
	case b.Advisories != nil:
		s.advisories[b.Source] = advs
		st.Records = len(advs)
	case b.KEV != nil:
		s.kev[b.Source] = kevs
		st.Records = len(kevs)
	default:
		s.epss[b.Source] = epss
		st.Records = len(epss)
	}
	s.states[b.Source] = st
	return stats, nil
}

// State returns the stored state of a source.
func (s *Sink) State(_ context.Context, source string) (feed.SourceState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.states[source], nil
}

// RecordFailure stores the attempt and the error, keeping the data.
func (s *Sink) RecordFailure(_ context.Context, source string, attempt time.Time, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.states[source]
	st.Source, st.LastAttempt, st.LastError = source, attempt, err.Error()
	s.states[source] = st
	s.Failures[source] = append(s.Failures[source], err.Error())
	return nil
}

// RecordUnchanged stores the attempt of a source that had nothing new.
func (s *Sink) RecordUnchanged(_ context.Context, source string, attempt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.states[source]
	st.Source, st.LastAttempt, st.LastError = source, attempt, ""
	s.states[source] = st
	return nil
}

// Advisories returns a source's stored advisories sorted by id.
func (s *Sink) Advisories(source string) []advisory.Advisory {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []advisory.Advisory
	for _, a := range s.advisories[source] {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b advisory.Advisory) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// KEV returns a source's stored KEV entries.
func (s *Sink) KEV(source string) []advisory.KEV {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kev[source]
}

// EPSS returns a source's stored EPSS entries.
func (s *Sink) EPSS(source string) []advisory.EPSS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epss[source]
}
