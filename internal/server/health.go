package server

import (
	"context"
	_ "embed"
	"net/http"
	"time"
)

//go:embed openapi.json
var openapiDoc []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.WriteHeader(http.StatusOK)
	w.Write(openapiDoc)
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readiness is the body of /readyz. Problems are named, not detailed:
// the endpoint needs no token, so it must not tell where the database is.
type readiness struct {
	Status     string     `json:"status"` // ok or unavailable
	Store      string     `json:"store"`
	Advisories string     `json:"advisories"`
	DBVersion  int64      `json:"dbVersion,omitempty"`
	DBBuilt    *time.Time `json:"dbBuilt,omitempty"`
}

// builder is what a vulnerability database may tell of its feeds' age.
type builder interface {
	Built(ctx context.Context) (time.Time, error)
}

// readyz answers 200 when the store answers and a vulnerability database
// is loaded, else 503.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	out := readiness{Status: "ok", Store: "ok", Advisories: "ok"}
	if err := s.cfg.Store.Ping(ctx); err != nil {
		out.Status, out.Store = "unavailable", "unreachable"
		if rec, ok := w.(*recorder); ok {
			rec.cause = err
		}
	}
	var adv interface {
		Version(ctx context.Context) (int64, error)
	}
	if s.cfg.Advisories != nil {
		if a := s.cfg.Advisories(); a != nil {
			adv = a
		}
	}
	if adv == nil {
		out.Status, out.Advisories = "unavailable", "none loaded"
	} else if v, err := adv.Version(ctx); err != nil {
		out.Status, out.Advisories = "unavailable", "unreadable"
		if rec, ok := w.(*recorder); ok {
			rec.cause = err
		}
	} else {
		out.DBVersion = v
		if b, ok := adv.(builder); ok {
			if t, err := b.Built(ctx); err == nil && !t.IsZero() {
				out.DBBuilt = &t
			}
		}
	}
	status := http.StatusOK
	if out.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
	return nil
}
