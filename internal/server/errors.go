package server

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vigilproject/vigil/internal/images"
	"github.com/vigilproject/vigil/internal/sbomfile"
	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

// httpError is an error the handlers decide the answer of themselves.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error {
	return &httpError{http.StatusBadRequest, "bad_request", msg}
}

// classify maps an error to its answer: a 4xx for anything the client
// can change, 503 for what a retry may cure, 500 for the rest.
func classify(err error) (status int, code string) {
	var he *httpError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he.status, he.code
	case errors.As(err, &tooLarge), errors.Is(err, sbomfile.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, store.ErrNotFound), errors.Is(err, images.ErrUnknownVuln):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, store.ErrBadCursor), errors.Is(err, images.ErrBadQuery):
		return http.StatusBadRequest, "bad_request"
	case errors.Is(err, images.ErrBadReference), errors.Is(err, images.ErrNotAllowed),
		errors.Is(err, images.ErrBadSBOM), errors.Is(err, images.ErrTooManyPkgs):
		return http.StatusUnprocessableEntity, "unprocessable"
	case errors.Is(err, images.ErrNoAdvisories), unavailable(err):
		return http.StatusServiceUnavailable, "unavailable"
	}
	return http.StatusInternalServerError, "internal"
}

// unavailable reports an error a retry may cure: the database connection
// lost, refused or busy, or the request's own deadline.
func unavailable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57P0x: administrator or crash
		// shutdown, cannot connect now; 53: insufficient resources;
		// 40001, 40P01: serialization failure, deadlock; 23505: a unique
		// row inserted by a concurrent transaction (two first uploads of
		// one image), which a retry finds.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") ||
			strings.HasPrefix(pe.Code, "53") || pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "23505"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) {
		return true
	}
	msg := err.Error()
	// pgx's own errors for a connection that died under a query, and
	// SQLite's for a database locked longer than its busy timeout.
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "conn busy") ||
		strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// fail answers with the JSON error of err. 5xx answers say nothing of the
// cause, which is logged with the request.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := classify(err)
	msg := err.Error()
	var ae *authError
	if errors.As(err, &ae) {
		w.Header().Set("WWW-Authenticate", ae.challenge)
	}
	if status >= 500 {
		if rec, ok := w.(*recorder); ok {
			rec.cause = err
		}
		msg = http.StatusText(status)
		var he *httpError
		if errors.Is(err, images.ErrNoAdvisories) {
			msg = "no vulnerability database is loaded yet"
		} else if errors.As(err, &he) {
			msg = he.msg // written for the client
		} else if id := w.Header().Get("X-Request-Id"); id != "" {
			msg += " (request " + id + ")"
		}
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
	}
	writeError(w, status, code, msg)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, api.Error{Error: api.ErrorBody{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"encoding the answer failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte("\n"))
}
