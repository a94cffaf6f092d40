package main

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/client"
)

func newReassessCmd(g *globals) *cobra.Command {
	var f clientFlags
	var all bool
	var format string
	cmd := &cobra.Command{
		Use:   "reassess",
		Short: "Have a vigil serve re-assess its images now",
		Long: `Have a 'vigil serve' (--server, VIGIL_SERVER; an admin token in VIGIL_TOKEN)
re-assess its stored images against its vulnerability database, and wait for it.
Without --all, only the packages the database's change log names since the last
re-assessment are matched again, as the workers do after each update; with --all,
every stored package. The events recorded are shown by 'vigil events' and delivered
to the subscriptions. One re-assessment runs at a time across the replicas.`,
		Example: `  vigil reassess
  vigil reassess --all --server https://vigil.internal`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			res, err := c.Reassess(cmd.Context(), all)
			var e *client.Error
			if errors.As(err, &e) && e.Status == http.StatusConflict {
				return fmt.Errorf("%w (try again once it is done)", err)
			}
			if err != nil {
				return serverError(err)
			}
			if format == "json" {
				return writeJSON(g.stdout, res)
			}
			_, err = fmt.Fprintf(g.stdout, "Re-assessed against database version %d: %d changes, %d keys, %d packages matched again, %d events recorded.\n",
				res.DBVersion, res.Changes, res.Keys, res.Packages, res.Events)
			return err
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "match every stored package again, whatever the change log says")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}
