package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilproject/vigil/internal/advisory"
	"github.com/vigilproject/vigil/internal/store"
)

// metrics are the server's Prometheus metrics, written in the text
// exposition format (version 0.0.4). The server's own: request latency by
// route, in-flight requests. The store's and the database's, computed when
// scraped and kept statsTTL so that many scrapers cost one query.
type metrics struct {
	s        *Server
	inFlight atomic.Int64

	mu       sync.Mutex
	requests map[requestKey]*histogram

	statsMu  sync.Mutex
	statsTTL time.Duration
	statsAt  time.Time
	gauges   []byte // the scrape-time gauges as last rendered
}

type requestKey struct{ route, method, code string }

// buckets of the request latency histogram, in seconds.
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

func newMetrics(s *Server) *metrics {
	return &metrics{s: s, requests: map[requestKey]*histogram{}, statsTTL: 5 * time.Second}
}

// methods bounds the method label: anything else is "other".
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

func (m *metrics) observe(route, method string, code int, took time.Duration) {
	if !slices.Contains(methods, method) {
		method = "other"
	}
	k := requestKey{route, method, strconv.Itoa(code)}
	sec := took.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.requests[k]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets)+1)}
		m.requests[k] = h
	}
	i, _ := slices.BinarySearch(buckets, sec)
	h.counts[i]++
	h.sum += sec
	h.n++
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	var b bytes.Buffer
	s.metrics.writeRequests(&b)
	b.Write(s.metrics.scrapeGauges(r.Context()))
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
	return nil
}

func (m *metrics) writeRequests(b *bytes.Buffer) {
	m.mu.Lock()
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b requestKey) int {
		return strings.Compare(a.route+"\x00"+a.method+"\x00"+a.code, b.route+"\x00"+b.method+"\x00"+b.code)
	})
	const name = "vigil_http_request_duration_seconds"
	header(b, name, "histogram", "Time to answer HTTP requests, by route pattern, method and status code.")
	for _, k := range keys {
		h := m.requests[k]
		labels := fmt.Sprintf(`route=%s,method=%s,code=%s`, quote(k.route), quote(k.method), quote(k.code))
		var cum uint64
		for i, ub := range buckets {
			cum += h.counts[i]
			fmt.Fprintf(b, "%s_bucket{%s,le=%q} %d\n", name, labels, strconv.FormatFloat(ub, 'g', -1, 64), cum)
		}
		fmt.Fprintf(b, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, labels, h.n)
		fmt.Fprintf(b, "%s_sum{%s} %s\n", name, labels, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(b, "%s_count{%s} %d\n", name, labels, h.n)
	}
	m.mu.Unlock()
	header(b, "vigil_http_requests_in_flight", "gauge", "HTTP requests being answered.")
	fmt.Fprintf(b, "vigil_http_requests_in_flight %d\n", m.inFlight.Load())
}

// scrapeGauges renders the gauges read from the store and the database,
// at most once per statsTTL.
func (m *metrics) scrapeGauges(ctx context.Context) []byte {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	now := time.Now()
	if m.gauges != nil && now.Sub(m.statsAt) < m.statsTTL {
		return m.gauges
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var b bytes.Buffer
	st, err := m.s.cfg.Store.Stats(ctx)
	header(&b, "vigil_store_up", "gauge", "Whether the store answered the last scrape.")
	if err != nil {
		m.s.log.Warn("reading store statistics failed", "err", err)
		b.WriteString("vigil_store_up 0\n")
	} else {
		b.WriteString("vigil_store_up 1\n")
		header(&b, "vigil_jobs", "gauge", "Background jobs by state.")
		for _, state := range []string{store.JobQueued, store.JobRunning, store.JobDone, store.JobFailed} {
			fmt.Fprintf(&b, "vigil_jobs{state=%s} %d\n", quote(state), st.Jobs[state])
		}
		header(&b, "vigil_images", "gauge", "Stored images.")
		fmt.Fprintf(&b, "vigil_images %d\n", st.Images)
		header(&b, "vigil_images_by_severity", "gauge", "Stored images by the highest severity of their findings (unknown: none).")
		for sev := advisory.SeverityCritical; sev >= advisory.SeverityUnknown; sev-- {
			fmt.Fprintf(&b, "vigil_images_by_severity{severity=%s} %d\n", quote(sev.String()), st.BySeverity[sev])
		}
		header(&b, "vigil_packages", "gauge", "Distinct packages in the reverse index.")
		fmt.Fprintf(&b, "vigil_packages %d\n", st.Packages)
	}
	if ob, err := m.s.cfg.Store.OutboxStats(ctx); err != nil {
		m.s.log.Warn("reading outbox statistics failed", "err", err)
	} else {
		header(&b, "vigil_outbox_deliveries", "gauge", "Webhook deliveries by state (pending includes those in flight).")
		fmt.Fprintf(&b, "vigil_outbox_deliveries{state=\"pending\"} %d\n", ob.Pending)
		fmt.Fprintf(&b, "vigil_outbox_deliveries{state=\"delivered\"} %d\n", ob.Delivered)
		fmt.Fprintf(&b, "vigil_outbox_deliveries{state=\"dead\"} %d\n", ob.Dead)
		header(&b, "vigil_outbox_in_flight", "gauge", "Pending webhook deliveries under a worker's lease.")
		fmt.Fprintf(&b, "vigil_outbox_in_flight %d\n", ob.InFlight)
		header(&b, "vigil_outbox_oldest_pending_seconds", "gauge", "Age of the oldest pending webhook delivery (0: none pending).")
		fmt.Fprintf(&b, "vigil_outbox_oldest_pending_seconds %s\n", strconv.FormatFloat(ob.OldestPending.Seconds(), 'f', 0, 64))
		header(&b, "vigil_subscriptions", "gauge", "Webhook subscriptions, by whether they are disabled.")
		fmt.Fprintf(&b, "vigil_subscriptions{disabled=\"false\"} %d\n", ob.Subscriptions-ob.Disabled)
		fmt.Fprintf(&b, "vigil_subscriptions{disabled=\"true\"} %d\n", ob.Disabled)
	}
	header(&b, "vigil_advisories_loaded", "gauge", "Whether a vulnerability database is loaded.")
	var adv interface {
		Version(ctx context.Context) (int64, error)
	}
	if m.s.cfg.Advisories != nil {
		if a := m.s.cfg.Advisories(); a != nil {
			adv = a
		}
	}
	if adv == nil {
		b.WriteString("vigil_advisories_loaded 0\n")
	} else {
		b.WriteString("vigil_advisories_loaded 1\n")
		if v, err := adv.Version(ctx); err == nil {
			header(&b, "vigil_advisories_version", "gauge", "Version of the vulnerability database (its change counter).")
			fmt.Fprintf(&b, "vigil_advisories_version %d\n", v)
		}
		if bl, ok := adv.(builder); ok {
			if t, err := bl.Built(ctx); err == nil && !t.IsZero() {
				header(&b, "vigil_feed_age_seconds", "gauge", "Seconds since the newest successful feed update.")
				fmt.Fprintf(&b, "vigil_feed_age_seconds %s\n", strconv.FormatFloat(m.s.cfg.Now().Sub(t).Seconds(), 'f', 0, 64))
			}
		}
	}
	m.gauges, m.statsAt = b.Bytes(), now
	return m.gauges
}

func header(b *bytes.Buffer, name, typ, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// quote writes a label value: backslash, double quote and newline escaped.
func quote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}
