package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/feed"
	feedall "github.com/vigilproject/vigil/internal/feed/all"
	"github.com/vigilproject/vigil/internal/vulndb"
)

// dbFlags locate the vulnerability database.
type dbFlags struct {
	path string
}

func (f *dbFlags) register(cmd *cobra.Command, g *globals) {
	cmd.PersistentFlags().StringVar(&f.path, "db-path", "", "vulnerability database file (default <cache-dir>/db/vigil.db, env VIGIL_DB_PATH)")
}

func (f *dbFlags) resolve(g *globals) string {
	switch {
	case f.path != "":
		return f.path
	case os.Getenv("VIGIL_DB_PATH") != "":
		return os.Getenv("VIGIL_DB_PATH")
	}
	return filepath.Join(g.cacheDir, "db", "vigil.db")
}

// DefaultMaxAge is how old the database may grow before status and scan warn.
const DefaultMaxAge = 72 * time.Hour

func newDBCmd(g *globals) *cobra.Command {
	var f dbFlags
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the vulnerability database",
		Long: `Manage the vulnerability database: an embedded SQLite file fed from OSV (every
ecosystem), the Debian security tracker, Alpine secdb, CISA KEV and EPSS.

For air-gapped use, point every source at a mirror with --mirror BASE (or
VIGIL_FEEDS_MIRROR): a source URL https://HOST/PATH is then read from BASE/HOST/PATH,
where BASE is an http(s):// URL or file:///dir. A mirror is a plain copy of the
upstream files in that layout. Or move a whole database with 'vigil db export' and
'vigil db import'.`,
	}
	f.register(cmd, g)
	cmd.AddCommand(newDBUpdateCmd(g, &f), newDBStatusCmd(g, &f), newDBExportCmd(g, &f), newDBImportCmd(g, &f))
	return cmd
}

func newDBUpdateCmd(g *globals, f *dbFlags) *cobra.Command {
	var mirror, server, token string
	var ecosystems, alpine []string
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch what changed upstream and import it",
		Long: `Fetch every source and import what changed since the last update. A source whose
upstream is unchanged (ETag, Last-Modified, OSV's modified_id.csv) is not imported
again; an OSV ecosystem with few changes fetches only the changed records. Each
source is applied atomically: a failed or interrupted source keeps its previous
data. The exit code is 2 when any source failed (the others are still updated).

With --server, the command asks that 'vigil serve' to run the update (and the
re-assessment of its images after it) and waits for it; the other flags do not
apply.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if server != "" {
				return remoteDBUpdate(cmd.Context(), g, server, token)
			}
			return runDBUpdate(cmd.Context(), g, f, feed.Config{Mirror: mirror, OSVEcosystems: ecosystems, AlpineBranches: alpine})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&mirror, "mirror", "", "read every source from this mirror: http(s)://… or file:///dir (env VIGIL_FEEDS_MIRROR)")
	fl.StringSliceVar(&ecosystems, "osv-ecosystems", nil, "OSV ecosystems to import (default: every ecosystem Vigil catalogs)")
	fl.StringSliceVar(&alpine, "alpine-branches", nil, "Alpine secdb branches (default: the supported ones and edge)")
	fl.StringVar(&server, "server", "", "ask this vigil serve to update its database instead (POST /v1/db/update; needs an admin token)")
	fl.StringVar(&token, "token", "", "API token for --server (env VIGIL_TOKEN, preferred: a flag shows in the process list)")
	return cmd
}

// remoteDBUpdate asks a server for an update and waits for it: no
// timeout, as an update may take long; an interrupt ends the wait.
func remoteDBUpdate(ctx context.Context, g *globals, server, token string) error {
	f := clientFlags{server: server, token: token}
	c, err := f.client()
	if err != nil {
		return err
	}
	if _, err := c.UpdateDB(ctx); err != nil {
		return serverError(err)
	}
	if !g.quiet {
		fmt.Fprintf(g.stderr, "%s: vulnerability database updated, images re-assessed\n", server)
	}
	return nil
}

// runDBUpdate updates every source of the database f names; the mirror
// defaults to $VIGIL_FEEDS_MIRROR. `vigil scan` calls it to create a
// missing database.
func runDBUpdate(ctx context.Context, g *globals, f *dbFlags, cfg feed.Config) error {
	var opts feed.RunOptions
	if !g.quiet && g.stderrIsTerminal() {
		p := &feedProgress{w: g.stderr}
		opts.Progress = p.update
		defer p.finish()
	}
	rep, runErr := updateVulnDB(ctx, f.resolve(g), cfg, g.logger(), opts)
	if !g.quiet {
		tw := tabwriter.NewWriter(g.stderr, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SOURCE\tRESULT\tADDED\tMODIFIED\tWITHDRAWN\tSKIPPED\tTIME")
		for _, s := range rep.Sources {
			result := string(s.Outcome)
			if s.Err != nil {
				result += ": " + s.Err.Error()
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", s.Source, result, s.Stats.Added, s.Stats.Modified, s.Stats.Withdrawn, s.Stats.Skipped, s.Duration.Round(time.Millisecond))
		}
		tw.Flush()
	}
	if runErr != nil {
		return fmt.Errorf("update incomplete: %w", runErr)
	}
	return nil
}

// updateVulnDB runs a feed update of the database file at path, creating
// it if need be; it prints nothing. A failed source is in the report and
// in the error; the others are still applied.
func updateVulnDB(ctx context.Context, path string, cfg feed.Config, log *slog.Logger, opts feed.RunOptions) (feed.Report, error) {
	if cfg.Mirror == "" {
		cfg.Mirror = os.Getenv("VIGIL_FEEDS_MIRROR")
	}
	updaters, err := feedall.Default(cfg)
	if err != nil {
		return feed.Report{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return feed.Report{}, fmt.Errorf("database %s: %w", path, err)
	}
	db, err := vulndb.Open(ctx, path, vulndb.Options{})
	if err != nil {
		return feed.Report{}, err
	}
	defer db.Close()
	opts.TempDir, opts.Logger = filepath.Dir(path), log
	return feed.Run(ctx, db, updaters, opts)
}

// feedProgress draws one status line per update on a terminal.
type feedProgress struct {
	mu    sync.Mutex
	w     io.Writer
	drawn bool
}

func (p *feedProgress) update(ev feed.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r\033[K%-24s %-10s %8.1f MB %9d records", ev.Source, ev.Phase, float64(ev.Bytes)/1e6, ev.Records)
	p.drawn = true
}

func (p *feedProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func newDBStatusCmd(g *globals, f *dbFlags) *cobra.Command {
	var maxAge time.Duration
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each source's last update, record count, age and errors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			path := f.resolve(g)
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("no vulnerability database at %s: run 'vigil db update'", path)
			}
			db, err := vulndb.Open(ctx, path, vulndb.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer db.Close()
			states, err := db.Status(ctx)
			if err != nil {
				return err
			}
			size, _ := db.Size(ctx)
			ver, _ := db.Version(ctx)
			now := time.Now()
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(g.stdout, "Database: %s (%.1f MB, change log at %d)\n\n", path, float64(size)/1e6, ver)
			fmt.Fprintln(tw, "SOURCE\tRECORDS\tLAST SUCCESS\tAGE\tLAST ERROR")
			var stale []string
			for _, s := range states {
				age := "never"
				when := "-"
				if !s.LastSuccess.IsZero() {
					d := now.Sub(s.LastSuccess)
					age = d.Round(time.Minute).String()
					when = s.LastSuccess.UTC().Format(time.RFC3339)
					if d > maxAge {
						stale = append(stale, s.Source)
					}
				} else {
					stale = append(stale, s.Source)
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", s.Source, s.Records, when, age, s.LastError)
			}
			tw.Flush()
			if len(stale) > 0 {
				fmt.Fprintf(g.stderr, "warning: %d source(s) older than %s: %s; run 'vigil db update'\n", len(stale), maxAge, strings.Join(stale, ", "))
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&maxAge, "max-age", DefaultMaxAge, "warn about sources not updated for longer")
	return cmd
}

func newDBExportCmd(g *globals, f *dbFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "export FILE",
		Short: "Write the database as one self-verifying bundle",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			// VACUUM INTO, which makes the consistent copy, needs a
			// writable connection, though it changes nothing.
			db, err := vulndb.Open(ctx, f.resolve(g), vulndb.Options{})
			if err != nil {
				return err
			}
			defer db.Close()
			return writeOutput(g, args[0], func(w io.Writer, _ bool) error { return db.Export(ctx, w) })
		},
	}
}

func newDBImportCmd(g *globals, f *dbFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Verify a bundle made by 'vigil db export' and install it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			path := f.resolve(g)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := vulndb.Import(cmd.Context(), in, path); err != nil {
				return fmt.Errorf("import %s: %w", args[0], err)
			}
			if !g.quiet {
				fmt.Fprintf(g.stderr, "installed %s as %s\n", args[0], path)
			}
			return nil
		},
	}
}
