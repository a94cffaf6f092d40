package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilproject/vigil/internal/server/api"
)

func TestTokenCommands(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "server.db")
	t.Setenv("VIGIL_DB", dsn) // the default store, as an operator sets it

	code, out, errOut := runCLI(t, "token", "list")
	if code != 0 || !strings.Contains(out, "No tokens") {
		t.Fatalf("empty list: exit %d: %s %s", code, out, errOut)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "create", args: []string{"token", "create", "--name", "ci", "--scope", "write", "--expires", "720h"}, wantOut: "vgl_", wantErr: "expires 20"},
		{name: "create admin", args: []string{"token", "create", "--name", "ops", "--scope", "admin", "-q"}, wantOut: "vgl_"},
		{name: "no name", args: []string{"token", "create", "--scope", "read"}, wantCode: 2, wantErr: "--name"},
		{name: "bad scope", args: []string{"token", "create", "--name", "x", "--scope", "root"}, wantCode: 2, wantErr: "--scope"},
		{name: "negative lifetime", args: []string{"token", "create", "--name", "x", "--expires", "-1h"}, wantCode: 2, wantErr: "--expires"},
		{name: "bad format", args: []string{"token", "list", "-f", "yaml"}, wantCode: 2, wantErr: "--format"},
		{name: "revoke", args: []string{"token", "revoke", "2"}, wantErr: "revoked token 2"},
		{name: "revoke unknown", args: []string{"token", "revoke", "99"}, wantCode: 2, wantErr: "no token 99"},
		{name: "revoke by name", args: []string{"token", "revoke", "ci"}, wantCode: 2, wantErr: "token id"},
		{name: "list", args: []string{"token", "list"}, wantOut: "ops   admin  vgl_"},
		{name: "list shows revoked", args: []string{"token", "list"}, wantOut: "revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, out)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, errOut)
			}
		})
	}

	// The JSON list never carries a secret; the creation's JSON does.
	code, out, _ = runCLI(t, "token", "list", "-f", "json")
	var list api.TokenList
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Tokens) != 2 {
		t.Fatalf("list -f json: %s", out)
	}
	for _, tk := range list.Tokens {
		if tk.Secret != "" {
			t.Errorf("token %d listed with its secret", tk.ID)
		}
	}
	if !list.Tokens[1].Revoked || list.Tokens[0].Expires == nil || list.Tokens[1].Expires != nil {
		t.Errorf("tokens: %+v", list.Tokens)
	}
}
