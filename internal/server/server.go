// Package server is vigil serve's HTTP API: the JSON endpoints in front of
// the images service and the store, with authentication, request limits,
// metrics and the OpenAPI document that describes them.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/netguard"
	"github.com/vigilproject/vigil/internal/store"
)

// Config configures a Server.
type Config struct {
	// Service registers and queries images; required.
	Service *images.Service
	// Store is the service's store (tokens, jobs, stats); default
	// Service.Store().
	Store  *store.Store
	Logger *slog.Logger
	// Dev lets requests without a token in, with every scope, when they
	// come from a loopback address. Requests from anywhere else still need
	// a token.
	Dev bool
	// MaxBody bounds the body of POST /v1/images, where SBOMs are
	// uploaded (default 64 MiB). Other bodies are bounded by 1 MiB.
	MaxBody int64
	// MaxPackages refuses, before decoding them, SBOMs listing more
	// components (default 200,000, images.Config's default; set both
	// alike).
	MaxPackages int
	// Advisories returns the vulnerability database, for /readyz and the
	// feed metrics; nil means there is none. A value that also has
	// Built(ctx) (time.Time, error), as *vulndb.DB does, reports the
	// feeds' age.
	Advisories func() images.Advisories
	// Update runs a feed update of the vulnerability database and the
	// re-assessment after it, for POST /v1/db/update; it returns
	// monitor.ErrUpdateRunning when one is running already. Nil: the
	// endpoint answers 503.
	Update func(ctx context.Context) error
	// Reassess runs a re-assessment for POST /v1/reassess (all: of every
	// stored package, else from the change log); it returns
	// monitor.ErrBusy when one is running. Nil: the endpoint answers 503.
	Reassess ReassessFunc
	// WebhookGuard is the guard webhook deliveries go through
	// (--allow-webhook-hosts): subscriptions to hosts it refuses are
	// refused. Nil: any public host.
	WebhookGuard *netguard.Guard
	// Wake, when set, is called after deliveries are made due again
	// (a redrive), to wake the delivery worker.
	Wake func()
	// Now replaces the clock, for tests.
	Now func() time.Time
}

// Default limits.
const (
	DefaultMaxBody     = 64 << 20
	DefaultMaxPackages = 200_000
	// maxJSONBody bounds every JSON body but SBOM uploads.
	maxJSONBody = 1 << 20
)

// Server is the HTTP API; it is an http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []route
	metrics *metrics
	// uploads bounds the SBOM uploads decoded at once: each may hold
	// several copies of a document of up to MaxBody in memory.
	uploads chan struct{}
	// stop is closed by StopStreams.
	stop     chan struct{}
	stopOnce sync.Once
}

// route is one endpoint: its ServeMux pattern, the token scope it needs
// ("" for none) and the bound of its JSON body (0: it reads none).
type route struct {
	pattern string
	scope   string
	body    int64
	handle  func(w http.ResponseWriter, r *http.Request) error
}

// New returns a server; it starts nothing: serve it with an http.Server.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("server: no images service")
	}
	if cfg.Store == nil {
		cfg.Store = cfg.Service.Store()
	}
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxPackages <= 0 {
		cfg.MaxPackages = DefaultMaxPackages
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		mux:     http.NewServeMux(),
		uploads: make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
		stop:    make(chan struct{}),
	}
	s.metrics = newMetrics(s)
	s.routes = []route{
		{"GET /healthz", "", 0, s.healthz},
		{"GET /readyz", "", 0, s.readyz},
		{"GET /metrics", "", 0, s.serveMetrics},
		{"GET /openapi.json", "", 0, serveOpenAPI},
		{"POST /v1/images", store.ScopeWrite, cfg.MaxBody, s.addImage},
		{"GET /v1/images", store.ScopeRead, 0, s.listImages},
		{"GET /v1/images/{digest}", store.ScopeRead, 0, s.getImage},
		{"DELETE /v1/images/{digest}", store.ScopeWrite, 0, s.deleteImage},
		{"GET /v1/jobs/{id}", store.ScopeRead, 0, s.getJob},
		{"GET /v1/vulnerabilities/{id}/impact", store.ScopeRead, 0, s.impact},
		{"GET /v1/packages", store.ScopeRead, 0, s.packages},
		{"POST /v1/tokens", store.ScopeAdmin, maxJSONBody, s.createToken},
		{"GET /v1/tokens", store.ScopeAdmin, 0, s.listTokens},
		{"DELETE /v1/tokens/{id}", store.ScopeAdmin, 0, s.revokeToken},
		{"POST /v1/db/update", store.ScopeAdmin, 0, s.updateDB},
		{"GET /v1/events", store.ScopeRead, 0, s.events},
		{"POST /v1/reassess", store.ScopeAdmin, 0, s.reassess},
		{"POST /v1/subscriptions", store.ScopeAdmin, maxJSONBody, s.createSubscription},
		{"GET /v1/subscriptions", store.ScopeRead, 0, s.listSubscriptions},
		{"GET /v1/subscriptions/{id}", store.ScopeRead, 0, s.getSubscription},
		{"DELETE /v1/subscriptions/{id}", store.ScopeAdmin, 0, s.deleteSubscription},
		{"POST /v1/subscriptions/{id}/enable", store.ScopeAdmin, 0, s.enableSubscription},
		{"POST /v1/subscriptions/{id}/disable", store.ScopeAdmin, 0, s.disableSubscription},
		{"GET /v1/deliveries", store.ScopeRead, 0, s.listDeliveries},
		{"POST /v1/deliveries/redrive", store.ScopeAdmin, maxJSONBody, s.redrive},
	}
	for _, rt := range s.routes {
		s.mux.Handle(rt.pattern, s.endpoint(rt))
	}
	return s, nil
}

// recorder is the ResponseWriter handlers see: it keeps what the request
// log and the metrics need.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	// token names the caller in the log: a token id, "dev" or "".
	token string
	// cause is the error behind a 5xx answer, logged, never sent.
	cause error
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP serves the API: every answer, even to a path or method that
// does not exist or a handler that panicked, is JSON, timed and logged.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.metrics.inFlight.Add(1)
	defer s.metrics.inFlight.Add(-1)
	id := fmt.Sprintf("%016x", rand.Uint64())
	w.Header().Set("X-Request-Id", id)
	rec := &recorder{ResponseWriter: w}
	h, pattern := s.mux.Handler(r)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			rec.cause = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
			if rec.status == 0 {
				writeError(rec, http.StatusInternalServerError, "internal", "internal error (request "+id+")")
			}
		}
		s.done(rec, r, pattern, id, time.Since(start))
	}()
	if pattern == "" {
		s.unrouted(rec, r, h)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// unrouted answers a request no route matched, in JSON: 404, or 405 with
// the Allow header the mux computed.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	c := &capture{header: http.Header{}}
	h.ServeHTTP(c, r)
	switch c.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", c.header.Get("Allow"))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s %s: allowed methods are %s", r.Method, r.URL.Path, c.header.Get("Allow")))
	case http.StatusNotFound, 0:
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no endpoint %s", r.URL.Path))
	default:
		// A redirect to the cleaned path.
		for k, v := range c.header {
			w.Header()[k] = v
		}
		w.WriteHeader(c.status)
	}
}

// capture records the status and headers of the mux's own answers.
type capture struct {
	header http.Header
	status int
}

func (c *capture) Header() http.Header { return c.header }
func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}

// done logs a request and records its metrics. The Authorization header
// and request bodies are never logged.
func (s *Server) done(rec *recorder, r *http.Request, pattern, id string, took time.Duration) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	route := pattern
	if route == "" {
		route = "unmatched"
	}
	s.metrics.observe(route, r.Method, rec.status, took)
	level := slog.LevelInfo
	switch {
	case rec.status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case rec.status >= 500:
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("request", id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", route),
		slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes),
		slog.Duration("took", took),
		slog.String("remote", r.RemoteAddr),
	}
	if rec.token != "" {
		attrs = append(attrs, slog.String("token", rec.token))
	}
	if rec.cause != nil {
		attrs = append(attrs, slog.String("err", rec.cause.Error()))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// endpoint wraps a route's handler: authentication, the content type and
// size of its body, and errors turned into JSON answers.
func (s *Server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec, _ := w.(*recorder)
		if rt.scope != "" {
			who, err := s.authorize(r, rt.scope)
			if rec != nil {
				rec.token = who
			}
			if err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if rt.body > 0 {
			if !isJSON(r.Header.Get("Content-Type")) {
				s.fail(w, r, &httpError{http.StatusUnsupportedMediaType, "unsupported_media_type",
					fmt.Sprintf("Content-Type %q: want application/json", r.Header.Get("Content-Type"))})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, rt.body)
		}
		if err := rt.handle(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// isJSON reports whether a Content-Type names JSON: application/json or
// any application/…+json, with any parameters.
func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
