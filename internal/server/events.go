package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilproject/vigil/internal/monitor"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

// Event stream timing: how often the store is polled for new events (the
// store, not this process, so every replica streams every replica's
// events), and how often an idle stream sends a comment to keep proxies
// from closing it.
const (
	eventPoll      = 500 * time.Millisecond
	eventHeartbeat = 15 * time.Second
	eventBatch     = 500
)

// updateDB runs a feed update and the re-assessment after it.
func (s *Server) updateDB(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	if s.cfg.Update == nil {
		return &httpError{http.StatusServiceUnavailable, "unavailable", "this server runs no feed updates (it has no workers)"}
	}
	err := s.cfg.Update(r.Context())
	if errors.Is(err, monitor.ErrUpdateRunning) {
		return &httpError{http.StatusConflict, "conflict", "a feed update is already running"}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.UpdateResponse{Status: "updated"})
	return nil
}

// events streams the recorded events as Server-Sent Events, from the one
// after Last-Event-ID (or ?after=), then as they are recorded, until the
// client goes away, the server stops, or, with ?follow=false, the backlog
// is sent.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "after", "follow"); err != nil {
		return err
	}
	var after int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badRequest(fmt.Sprintf("Last-Event-ID %q: want an event's sequence number", v))
		}
		after = n
	} else if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badRequest(fmt.Sprintf("after=%q: want an event's sequence number", v))
		}
		after = n
	}
	follow := true
	if q.Has("follow") {
		f, err := boolParam(q, "follow")
		if err != nil {
			return err
		}
		follow = f
	}
	ctx := r.Context()
	// The first page is read before answering, so a store that fails
	// gets a JSON error rather than an empty stream.
	evs, err := s.cfg.Store.Events(ctx, after, eventBatch)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc.Flush()

	poll := time.NewTicker(eventPoll)
	defer poll.Stop()
	lastWrite := time.Now()
	for {
		for _, e := range evs {
			if err := writeEvent(w, e); err != nil {
				return nil // the client went away
			}
			after = e.Seq
		}
		if len(evs) > 0 {
			lastWrite = time.Now()
			if rc.Flush() != nil {
				return nil
			}
		}
		if len(evs) == eventBatch {
			// More are waiting: no pause.
		} else if !follow {
			return nil
		} else {
			select {
			case <-ctx.Done():
				return nil
			case <-s.stop:
				return nil
			case <-poll.C:
			}
			if time.Since(lastWrite) >= eventHeartbeat {
				if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil || rc.Flush() != nil {
					return nil
				}
				lastWrite = time.Now()
			}
		}
		if evs, err = s.cfg.Store.Events(ctx, after, eventBatch); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("event stream: reading events failed", "after", after, "err", err)
			}
			// The answer has begun: the client reconnects with
			// Last-Event-ID.
			return nil
		}
	}
}

func writeEvent(w http.ResponseWriter, e store.Event) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	ae := api.Event{Seq: e.Seq, ID: e.ID, Type: e.Type, Time: e.Time.UTC(), Digest: string(e.Digest),
		Repository: e.Repository, Vulnerability: e.VulnID, KEV: e.KEV, Data: data}
	if e.VulnID != "" {
		ae.Severity = e.Severity.String()
	}
	b, err := json.Marshal(ae)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, b)
	return err
}

// StopStreams ends the event streams in flight: they would otherwise
// hold a graceful shutdown (http.Server.Shutdown) until its deadline.
// Register it with http.Server.RegisterOnShutdown.
func (s *Server) StopStreams() {
	s.stopOnce.Do(func() { close(s.stop) })
}
