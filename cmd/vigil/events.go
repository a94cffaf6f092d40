package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/server/api"
)

func newEventsCmd(g *globals) *cobra.Command {
	var f clientFlags
	var format string
	var follow bool
	var after int64
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the lifecycle events a 'vigil serve' recorded",
		Long: `Show the events a 'vigil serve' recorded as it re-assessed its images after
database updates: findings new, resolved, re-rated, fixable or in KEV, images going
bad or recovering. One line per event, oldest first, from the one after --after;
with --follow, new events are shown as they are recorded until interrupted. With
-f json, each event is one JSON object on its own line.`,
		Example: `  vigil events
  vigil events --follow --after 1200 -f json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if after < 0 {
				return fmt.Errorf("--after %d: want an event's sequence number", after)
			}
			if follow {
				f.timeout = 0 // a followed stream has no end
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			write := func(e api.Event) error { return writeEventLine(g.stdout, e) }
			if format == "json" {
				write = func(e api.Event) error { return writeJSONLine(g.stdout, e) }
			}
			err = c.Events(cmd.Context(), after, follow, write)
			if errors.Is(err, context.Canceled) {
				return nil // interrupted
			}
			return serverError(err)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "f", "table", "output format: table, json")
	fl.BoolVar(&follow, "follow", false, "keep showing new events as they are recorded")
	fl.Int64Var(&after, "after", 0, "start after this event's sequence number")
	return cmd
}

// writeEventLine writes an event as one line: sequence number, time, type,
// image and, for a finding, its vulnerability and severity.
func writeEventLine(w io.Writer, e api.Event) error {
	image := e.Repository
	if image == "" {
		image = e.Digest
	}
	line := fmt.Sprintf("%d  %s  %-24s  %s", e.Seq, e.Time.UTC().Format(time.RFC3339), cleanCell(e.Type), cleanCell(image))
	if e.Vulnerability != "" {
		line += "  " + cleanCell(e.Vulnerability) + " (" + cleanCell(e.Severity) + ")"
		if e.KEV {
			line += " KEV"
		}
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// writeJSONLine writes v as one line of JSON (JSON Lines), so that a
// followed stream can be read line by line.
func writeJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}
