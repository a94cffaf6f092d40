package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenPrefix starts every API token, so a leaked one is recognisable by
// secret scanners.
const TokenPrefix = "vgl_"

func hashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateToken makes a token of a scope; the secret is returned once and
// only its SHA-256 is stored. A zero expires never expires.
func (s *Store) CreateToken(ctx context.Context, name, scope string, expires time.Time) (string, Token, error) {
	if !ScopeAllows(scope, ScopeRead) {
		return "", Token{}, fmt.Errorf("store: token scope %q: want read, write or admin", scope)
	}
	var raw [20]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Token{}, err
	}
	secret := TokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	now := s.now()
	t := Token{Name: name, Scope: scope, Prefix: secret[:len(TokenPrefix)+6], Created: now.UTC().Truncate(time.Millisecond), Expires: expires}
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO tokens (name, scope, hash, prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		name, scope, hashToken(secret), t.Prefix, now.UnixMilli(), ms(expires)).Scan(&t.ID)
	if err != nil {
		return "", Token{}, s.wrap(err)
	}
	return secret, t, nil
}

const tokenCols = `id, name, scope, prefix, created_at, expires_at, last_used_at, revoked`

func scanToken(r rowScanner) (Token, error) {
	var t Token
	var c, e, u int64
	var rev int
	err := r.Scan(&t.ID, &t.Name, &t.Scope, &t.Prefix, &c, &e, &u, &rev)
	t.Created, t.Expires, t.LastUsed, t.Revoked = fromMS(c), fromMS(e), fromMS(u), rev != 0
	return t, err
}

// VerifyToken returns the token of a secret; ErrBadToken when it is
// unknown, revoked or expired. Its last use is recorded at most once a
// minute.
func (s *Store) VerifyToken(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return Token{}, ErrBadToken
	}
	t, err := scanToken(s.db.QueryRowContext(ctx, s.q(`SELECT `+tokenCols+` FROM tokens WHERE hash = ?`), hashToken(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrBadToken
	}
	if err != nil {
		return Token{}, s.wrap(err)
	}
	now := s.now()
	if t.Revoked || (!t.Expires.IsZero() && !now.Before(t.Expires)) {
		return Token{}, ErrBadToken
	}
	if now.Sub(t.LastUsed) > time.Minute {
		if _, err := s.db.ExecContext(ctx, s.q(`UPDATE tokens SET last_used_at = ? WHERE id = ?`), now.UnixMilli(), t.ID); err != nil {
			return Token{}, s.wrap(err)
		}
		t.LastUsed = now.UTC().Truncate(time.Millisecond)
	}
	return t, nil
}

// Tokens lists every token, revoked ones included.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT `+tokenCols+` FROM tokens ORDER BY id`)
	return collect(s, rs, err, scanToken)
}

// RevokeToken revokes a token by id.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE tokens SET revoked = 1 WHERE id = ?`), id)
	if err != nil {
		return s.wrap(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: token %d", ErrNotFound, id)
	}
	return nil
}
