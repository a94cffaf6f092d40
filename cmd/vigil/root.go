package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	quiet    bool
	debug    bool
	cacheDir string
	noCache  bool
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
}

func (g *globals) logger() *slog.Logger {
	if !g.debug {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// stderrIsTerminal tells whether progress may be drawn.
func (g *globals) stderrIsTerminal() bool {
	f, ok := g.stderr.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// defaultCacheDir is $VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil (or the
// platform's user cache directory).
func defaultCacheDir() string {
	if d := os.Getenv("VIGIL_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "vigil")
	}
	return filepath.Join(os.TempDir(), "vigil-cache")
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "vigil",
		Short: "Inventory container images and keep watch over their vulnerabilities",
		Long: `Vigil reads container images — from a registry, an OCI layout, a docker-archive
tarball or an unpacked root filesystem — and lists every component in them with
its origin: package manager, version, source package, licence, and the layer
that introduced it.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "print no progress")
	pf.BoolVar(&g.debug, "debug", false, "write debug logs to stderr")
	pf.StringVar(&g.cacheDir, "cache-dir", defaultCacheDir(), "cache directory (env VIGIL_CACHE_DIR)")
	pf.BoolVar(&g.noCache, "no-cache", false, "neither read nor write the layer cache")
	root.AddCommand(newSBOMCmd(g), newScanCmd(g), newDBCmd(g), newVersionCmd(g))
	root.AddCommand(newServeCmd(g), newImagesCmd(g), newImpactCmd(g), newTokenCmd(g), newEventsCmd(g))
	root.AddCommand(newSubscriptionsCmd(g), newReassessCmd(g), newCacheCmd(g))
	return root
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := io.WriteString(g.stdout, "vigil "+version+"\n")
			return err
		},
	}
}
