package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/server/api"
	"github.com/vigilproject/vigil/internal/store"
)

// storeFlags locate the inventory store of vigil serve.
type storeFlags struct {
	dsn string
}

func (f *storeFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.dsn, "db", "", "inventory store: sqlite:///path or postgres://… (env VIGIL_DB; default sqlite:///<data dir>/server.db, the data dir being $VIGIL_DATA_DIR, $XDG_DATA_HOME/vigil or ~/.local/share/vigil)")
}

// resolve returns the store's DSN: the flag, $VIGIL_DB, else an SQLite
// file in the data directory.
func (f *storeFlags) resolve() string {
	switch {
	case f.dsn != "":
		return f.dsn
	case os.Getenv("VIGIL_DB") != "":
		return os.Getenv("VIGIL_DB")
	}
	return "sqlite://" + filepath.Join(defaultDataDir(), "server.db")
}

// defaultDataDir is where vigil keeps what is not a cache: $VIGIL_DATA_DIR,
// else $XDG_DATA_HOME/vigil, else ~/.local/share/vigil.
func defaultDataDir() string {
	if d := os.Getenv("VIGIL_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "vigil")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "vigil")
	}
	return filepath.Join(os.TempDir(), "vigil-data")
}

// openStore opens the inventory store, explaining the one failure an
// operator must act on: a store migrated by a newer vigil.
func openStore(ctx context.Context, g *globals, f *storeFlags) (*store.Store, error) {
	st, err := store.Open(ctx, f.resolve(), store.Options{Logger: g.logger()})
	if errors.Is(err, store.ErrSchemaTooNew) {
		return nil, fmt.Errorf("%w\nthe store was upgraded by a newer vigil (this is %s, store schema %d): run that version, or restore a backup", err, version, store.SchemaVersion())
	}
	return st, err
}

func newTokenCmd(g *globals) *cobra.Command {
	var f storeFlags
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage the API tokens of vigil serve",
		Long: `Create, list and revoke the API tokens 'vigil serve' accepts. These commands work
on the server's store directly (--db, the same as the server's), not through the
API, so the first token can be made before any exists.

A token has a scope: read (list and show images, impact queries), write (also
register and delete images) or admin (also manage tokens through the API). Only a
token's SHA-256 is stored: its secret is printed once, at creation.`,
	}
	f.register(cmd)
	cmd.AddCommand(newTokenCreateCmd(g, &f), newTokenListCmd(g, &f), newTokenRevokeCmd(g, &f))
	return cmd
}

func newTokenCreateCmd(g *globals, f *storeFlags) *cobra.Command {
	var name, scope, format string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create --name NAME --scope read|write|admin",
		Short: "Create a token and print its secret, once",
		Long: `Create a token and print its secret on stdout, alone on its line (with -f json,
in the token's JSON), so that it can be captured. The secret is not stored and
cannot be shown again.`,
		Example: `  export VIGIL_TOKEN=$(vigil token create --name ci --scope write --expires 720h)
  vigil token create --db postgres://vigil@db.internal/vigil --name admin --scope admin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if strings.TrimSpace(name) == "" {
				return errors.New("--name: a token needs a name")
			}
			if !store.ScopeAllows(scope, store.ScopeRead) {
				return fmt.Errorf("--scope %q: want read, write or admin", scope)
			}
			if expires < 0 {
				return fmt.Errorf("--expires %s: want a positive duration (0: never)", expires)
			}
			ctx := cmd.Context()
			st, err := openStore(ctx, g, f)
			if err != nil {
				return err
			}
			defer st.Close()
			var exp time.Time
			if expires > 0 {
				exp = time.Now().Add(expires)
			}
			secret, t, err := st.CreateToken(ctx, name, scope, exp)
			if err != nil {
				return err
			}
			if format == "json" {
				w := wireToken(t)
				w.Secret = secret
				return writeJSON(g.stdout, w)
			}
			if !g.quiet {
				when := "never expires"
				if !t.Expires.IsZero() {
					when = "expires " + t.Expires.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(g.stderr, "created token %d %q, scope %s, %s; its secret is shown only now:\n", t.ID, t.Name, t.Scope, when)
			}
			_, err = fmt.Fprintln(g.stdout, secret)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "what the token is for (required)")
	fl.StringVar(&scope, "scope", store.ScopeRead, "read, write or admin")
	fl.DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h (default: never expires)")
	fl.StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}

func newTokenListCmd(g *globals, f *storeFlags) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tokens, revoked ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := openStore(ctx, g, f)
			if err != nil {
				return err
			}
			defer st.Close()
			ts, err := st.Tokens(ctx)
			if err != nil {
				return err
			}
			out := api.TokenList{Tokens: []api.Token{}}
			for _, t := range ts {
				out.Tokens = append(out.Tokens, wireToken(t))
			}
			if format == "json" {
				return writeJSON(g.stdout, out)
			}
			return writeTokenTable(g.stdout, out.Tokens, time.Now())
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}

func newTokenRevokeCmd(g *globals, f *storeFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token: the server refuses it from then on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("token id %q: want the number 'vigil token list' shows", args[0])
			}
			ctx := cmd.Context()
			st, err := openStore(ctx, g, f)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.RevokeToken(ctx, id); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no token %d", id)
				}
				return err
			}
			if !g.quiet {
				fmt.Fprintf(g.stderr, "revoked token %d\n", id)
			}
			return nil
		},
	}
}

// wireToken is a stored token as the API shows it.
func wireToken(t store.Token) api.Token {
	w := api.Token{ID: t.ID, Name: t.Name, Scope: t.Scope, Prefix: t.Prefix, Created: t.Created, Revoked: t.Revoked}
	if !t.Expires.IsZero() {
		e := t.Expires
		w.Expires = &e
	}
	if !t.LastUsed.IsZero() {
		u := t.LastUsed
		w.LastUsed = &u
	}
	return w
}

func writeTokenTable(w io.Writer, ts []api.Token, now time.Time) error {
	if len(ts) == 0 {
		_, err := io.WriteString(w, "No tokens: create one with 'vigil token create'.\n")
		return err
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tPREFIX\tCREATED\tEXPIRES\tLAST USED\tSTATE")
	for _, t := range ts {
		state := "active"
		switch {
		case t.Revoked:
			state = "revoked"
		case t.Expires != nil && !now.Before(*t.Expires):
			state = "expired"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", t.ID, cleanCell(t.Name), t.Scope, t.Prefix,
			stamp(&t.Created), orDash(stamp(t.Expires), "never"), orDash(stamp(t.LastUsed), "never"), state)
	}
	return tw.Flush()
}

// stamp formats a time for tables: UTC to the minute; "" for none.
func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func orDash(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// cleanCell keeps a server- or user-supplied string from breaking a table
// or writing terminal escapes: control characters become spaces, and long
// values are cut.
func cleanCell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

// checkFormat accepts the formats of the server commands.
func checkFormat(format string) error {
	if format != "table" && format != "json" {
		return fmt.Errorf("--format %q: want table or json", format)
	}
	return nil
}

// table is an aligned table whose lines keep no trailing blanks (the last
// columns may be empty).
type table struct {
	w   io.Writer
	buf bytes.Buffer
	*tabwriter.Writer
}

func newTable(w io.Writer) *table {
	t := &table{w: w}
	t.Writer = tabwriter.NewWriter(&t.buf, 0, 4, 2, ' ', 0)
	return t
}

// Flush writes the table.
func (t *table) Flush() error {
	if err := t.Writer.Flush(); err != nil {
		return err
	}
	var out bytes.Buffer
	for line := range bytes.Lines(t.buf.Bytes()) {
		out.Write(bytes.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := t.w.Write(out.Bytes())
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
