package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigilproject/vigil/internal/store"
)

// authorize checks a request's bearer token against the scope the route
// needs; it returns who made the request, for the log ("token 12",
// "dev"). Without a token, dev mode lets loopback requests in.
func (s *Server) authorize(r *http.Request, scope string) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if s.cfg.Dev && loopback(r.RemoteAddr) {
			return "dev", nil
		}
		return "", unauthorized("", "a bearer token is required (Authorization: Bearer vgl_…)")
	}
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return "", unauthorized("invalid_request", "the Authorization header must be \"Bearer <token>\"")
	}
	tok, err := s.cfg.Store.VerifyToken(r.Context(), strings.TrimSpace(secret))
	if errors.Is(err, store.ErrBadToken) {
		return "", unauthorized("invalid_token", "the token is unknown, revoked or expired")
	}
	if err != nil {
		return "", err
	}
	who := "token " + strconv.FormatInt(tok.ID, 10)
	if !store.ScopeAllows(tok.Scope, scope) {
		return who, &httpError{http.StatusForbidden, "forbidden",
			fmt.Sprintf("this %s token may not do this: it needs the %s scope", tok.Scope, scope)}
	}
	return who, nil
}

// authError is a 401 with its WWW-Authenticate challenge (RFC 6750).
type authError struct {
	httpError
	challenge string
}

func (e *authError) Unwrap() error { return &e.httpError }

func unauthorized(code, msg string) error {
	c := `Bearer realm="vigil"`
	if code != "" {
		c += `, error="` + code + `"`
	}
	return &authError{httpError{http.StatusUnauthorized, "unauthorized", msg}, c}
}

// loopback reports whether a RemoteAddr is a loopback address.
func loopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
