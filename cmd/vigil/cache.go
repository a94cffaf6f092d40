package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/catalog"
)

// defaultCacheUnusedFor is how long a layer cache entry may go unused
// before `vigil cache prune` and `vigil serve` delete it.
const defaultCacheUnusedFor = 30 * 24 * time.Hour

func newCacheCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Manage the layer cache",
		Long: `The layer cache in --cache-dir keeps what 'vigil sbom', 'vigil scan' and
'vigil serve' learnt from each layer they walked, so a layer met again is not
read again. An entry is used when it is written or read.`,
	}
	cmd.AddCommand(newCachePruneCmd(g))
	return cmd
}

func newCachePruneCmd(g *globals) *cobra.Command {
	var unusedFor time.Duration
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete layer cache entries unused for a while",
		Long: `Prune deletes the entries of the layer cache in --cache-dir that were neither
written nor read for --unused-for (a read renews an entry at most once an hour),
and temporary files an interrupted run left. --unused-for 0 deletes every
entry. 'vigil serve' prunes its caches by itself (--cache-unused-for).`,
		Example: `  vigil cache prune
  vigil cache prune --unused-for 168h
  vigil cache prune --unused-for 0 --cache-dir /var/cache/vigil`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if unusedFor < 0 {
				return fmt.Errorf("--unused-for %v: must not be negative", unusedFor)
			}
			s, err := catalog.OpenCacheDir(g.cacheDir)
			if err != nil {
				return err
			}
			// A moment in the future deletes entries written this instant.
			before := time.Now().Add(-unusedFor)
			if unusedFor == 0 {
				before = time.Now().Add(time.Minute)
			}
			n, err := catalog.NewCache(s).Prune(cmd.Context(), before)
			if !g.quiet {
				fmt.Fprintf(g.stderr, "vigil cache prune: deleted %d entries unused for %v from %s\n", n, unusedFor, g.cacheDir)
			}
			return err
		},
	}
	cmd.Flags().DurationVar(&unusedFor, "unused-for", defaultCacheUnusedFor, "delete the entries unused for this long (0: every entry)")
	return cmd
}
