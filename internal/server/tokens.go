package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

// createToken answers POST /v1/tokens: the new token with its secret,
// shown this once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req api.CreateTokenRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	switch {
	case req.Name == "" || utf8.RuneCountInString(req.Name) > 200 || !utf8.ValidString(req.Name):
		return badRequest("name: want 1 to 200 characters naming who uses the token")
	case req.Scope != store.ScopeRead && req.Scope != store.ScopeWrite && req.Scope != store.ScopeAdmin:
		return badRequest(fmt.Sprintf("scope %q: want read, write or admin", req.Scope))
	case req.Expires != nil && !req.Expires.After(s.cfg.Now()):
		return badRequest("expires is in the past")
	}
	var expires time.Time
	if req.Expires != nil {
		expires = *req.Expires
	}
	secret, tok, err := s.cfg.Store.CreateToken(r.Context(), req.Name, req.Scope, expires)
	if err != nil {
		return err
	}
	out := apiToken(tok)
	out.Secret = secret
	w.Header().Set("Location", "/v1/tokens/"+strconv.FormatInt(tok.ID, 10))
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// listTokens answers GET /v1/tokens, without secrets (none are kept).
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.cfg.Store.Tokens(r.Context())
	if err != nil {
		return err
	}
	out := api.TokenList{Tokens: make([]api.Token, 0, len(ts))}
	for _, t := range ts {
		out.Tokens = append(out.Tokens, apiToken(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// revokeToken answers DELETE /v1/tokens/{id}.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "token")
	if err != nil {
		return err
	}
	if err := s.cfg.Store.RevokeToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
