package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilproject/vigil/internal/client"
	"github.com/vigilproject/vigil/internal/server/api"
)

func newSubscriptionsCmd(g *globals) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:     "subscriptions",
		Aliases: []string{"subscription", "subs"},
		Short:   "Manage the webhooks a vigil serve delivers its events to",
		Long: `Manage the webhook subscriptions of a 'vigil serve', through its API: --server
(VIGIL_SERVER) names the server, VIGIL_TOKEN (or --token) holds an API token (admin
scope to change subscriptions, read to list them).

Each event the server records (the lifecycle events of 'vigil events') that passes a
subscription's filter is delivered to its URL, at least once, with retries: a
CloudEvents 1.0 JSON document signed with the subscription's secret (header
Vigil-Signature), or a Slack message. Deliveries that failed every attempt are dead
until redriven. See docs/notifications.md for the format and how to verify it.`,
	}
	f.register(cmd)
	cmd.AddCommand(newSubscriptionsAddCmd(g, &f), newSubscriptionsListCmd(g, &f), newSubscriptionsRmCmd(g, &f),
		newSubscriptionsToggleCmd(g, &f, true), newSubscriptionsToggleCmd(g, &f, false),
		newSubscriptionsDeliveriesCmd(g, &f), newSubscriptionsRedriveCmd(g, &f))
	return cmd
}

func newSubscriptionsAddCmd(g *globals, f *clientFlags) *cobra.Command {
	var req api.CreateSubscriptionRequest
	var secretEnv, format string
	cmd := &cobra.Command{
		Use:   "add --url URL",
		Short: "Subscribe a webhook to the server's events",
		Long: `Subscribe a webhook to the events the server records from now on. The secret
keys the HMAC-SHA256 signature of every delivery (header Vigil-Signature); give it
with --secret-env (the name of an environment variable holding it) rather than
--secret, which shows in the process list. The server never shows it again.

The URL's host must be allowed by the server's --allow-webhook-hosts (by default
any public host; loopback and private addresses only when listed there).`,
		Example: `  VIGIL_HOOK_SECRET=… vigil subscriptions add --url https://hooks.example.com/vigil --secret-env VIGIL_HOOK_SECRET \
      --events finding.new,finding.kev_added --min-severity high --repository 'registry.example/team/*'
  vigil subscriptions add --url https://hooks.slack.com/services/… --kind slack --kev-only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if req.URL == "" {
				return errors.New("--url is required")
			}
			if secretEnv != "" {
				if req.Secret != "" {
					return errors.New("give --secret or --secret-env, not both")
				}
				v, ok := os.LookupEnv(secretEnv)
				if !ok || v == "" {
					return fmt.Errorf("--secret-env %s: the variable is not set", secretEnv)
				}
				req.Secret = v
			}
			for i, e := range req.Events {
				req.Events[i] = strings.TrimSpace(e)
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			sub, err := c.CreateSubscription(cmd.Context(), req)
			if err != nil {
				return serverError(err)
			}
			if format == "json" {
				return writeJSON(g.stdout, sub)
			}
			return writeSubscriptionTable(g.stdout, []api.Subscription{*sub})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.URL, "url", "", "the webhook's URL, http or https")
	fl.StringVar(&req.Name, "name", "", "a name for the subscription (default the URL's host)")
	fl.StringVar(&req.Kind, "kind", "cloudevents", "delivery format: cloudevents, slack")
	fl.StringVar(&req.Secret, "secret", "", "secret signing the deliveries (prefer --secret-env: a flag shows in the process list)")
	fl.StringVar(&secretEnv, "secret-env", "", "environment variable holding the secret")
	fl.StringSliceVar(&req.Events, "events", nil, "event types to deliver, comma-separated (default all): finding.new, finding.resolved, …")
	fl.StringVar(&req.MinSeverity, "min-severity", "", "deliver events of at least this severity: low, medium, high, critical")
	fl.StringVar(&req.Repository, "repository", "", "deliver events of repositories matching this glob ('*' also matches '/')")
	fl.BoolVar(&req.KEVOnly, "kev-only", false, "deliver events of vulnerabilities in the KEV catalogue only")
	fl.StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}

func newSubscriptionsListCmd(g *globals, f *clientFlags) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the subscriptions (never their secrets)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			list, err := c.Subscriptions(cmd.Context())
			if err != nil {
				return serverError(err)
			}
			if format == "json" {
				return writeJSON(g.stdout, list)
			}
			if len(list.Subscriptions) == 0 {
				_, err := fmt.Fprintln(g.stdout, "No subscriptions.")
				return err
			}
			return writeSubscriptionTable(g.stdout, list.Subscriptions)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}

func writeSubscriptionTable(w io.Writer, subs []api.Subscription) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tURL\tSIGNED\tFILTER\tSTATE")
	for _, s := range subs {
		var filter []string
		if len(s.Events) > 0 {
			filter = append(filter, strings.Join(s.Events, ","))
		}
		if s.MinSeverity != "" {
			filter = append(filter, ">="+s.MinSeverity)
		}
		if s.Repository != "" {
			filter = append(filter, s.Repository)
		}
		if s.KEVOnly {
			filter = append(filter, "KEV")
		}
		state := "enabled"
		if s.Disabled {
			state = "disabled"
			if s.DisabledReason != "" {
				state += ": " + s.DisabledReason
			}
		}
		signed := "no"
		if s.HasSecret {
			signed = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, cleanCell(s.Name), cleanCell(s.Kind), cleanCell(s.URL), signed,
			cleanCell(strings.Join(filter, " ")), cleanCell(state))
	}
	return tw.Flush()
}

func parseID(arg, what string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s id %q: want a positive integer", what, arg)
	}
	return id, nil
}

func newSubscriptionsRmCmd(g *globals, f *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "rm ID",
		Short: "Delete a subscription and its deliveries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0], "subscription")
			if err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			if err := c.DeleteSubscription(cmd.Context(), id); err != nil {
				return serverError(err)
			}
			if !g.quiet {
				fmt.Fprintf(g.stderr, "Subscription %d deleted.\n", id)
			}
			return nil
		},
	}
}

func newSubscriptionsToggleCmd(g *globals, f *clientFlags, disable bool) *cobra.Command {
	use, short := "enable ID", "Enable a subscription again: its pending deliveries resume"
	if disable {
		use, short = "disable ID", "Disable a subscription: nothing is sent nor queued for it until enabled"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0], "subscription")
			if err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			sub, err := c.SetSubscriptionDisabled(cmd.Context(), id, disable)
			if err != nil {
				return serverError(err)
			}
			return writeSubscriptionTable(g.stdout, []api.Subscription{*sub})
		},
	}
}

func newSubscriptionsDeliveriesCmd(g *globals, f *clientFlags) *cobra.Command {
	var q client.DeliveryQuery
	var format string
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "List webhook deliveries, newest first",
		Example: `  vigil subscriptions deliveries --state dead
  vigil subscriptions deliveries --subscription 3 -f json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			switch q.State {
			case "", "pending", "delivered", "dead":
			default:
				return fmt.Errorf("--state %q: want pending, delivered or dead", q.State)
			}
			if q.Limit < 0 || q.Limit > 1000 {
				return fmt.Errorf("--limit %d: want 1 to 1000", q.Limit)
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			list, err := c.Deliveries(cmd.Context(), q)
			if err != nil {
				return serverError(err)
			}
			if format == "json" {
				return writeJSON(g.stdout, list)
			}
			if len(list.Deliveries) == 0 {
				_, err := fmt.Fprintln(g.stdout, "No deliveries.")
				return err
			}
			tw := newTable(g.stdout)
			fmt.Fprintln(tw, "ID\tSUBSCRIPTION\tEVENT\tTYPE\tSTATE\tATTEMPTS\tUPDATED\tLAST ERROR")
			for _, d := range list.Deliveries {
				fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Subscription, d.EventSeq, cleanCell(d.EventType),
					cleanCell(d.State), d.Attempts, d.Updated.UTC().Format(time.RFC3339), cleanCell(d.LastError))
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&q.State, "state", "", "only deliveries in this state: pending, delivered, dead")
	fl.Int64Var(&q.Subscription, "subscription", 0, "only the deliveries of this subscription")
	fl.IntVar(&q.Limit, "limit", 0, "most deliveries listed (default 100, at most 1000)")
	fl.Int64Var(&q.Before, "before", 0, "list deliveries with smaller ids: the next page")
	fl.StringVarP(&format, "format", "f", "table", "output format: table, json")
	return cmd
}

func newSubscriptionsRedriveCmd(g *globals, f *clientFlags) *cobra.Command {
	var deliveries []int64
	cmd := &cobra.Command{
		Use:   "redrive [ID] [--delivery N,…]",
		Short: "Send dead deliveries again: every one of a subscription, or the ones listed",
		Example: `  vigil subscriptions redrive 3
  vigil subscriptions redrive --delivery 120,121`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req api.RedriveRequest
			if len(args) == 1 {
				id, err := parseID(args[0], "subscription")
				if err != nil {
					return err
				}
				req.Subscription = id
			}
			req.Deliveries = deliveries
			if req.Subscription == 0 && len(req.Deliveries) == 0 {
				return errors.New("name a subscription (ID) or deliveries (--delivery)")
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			res, err := c.Redrive(cmd.Context(), req)
			if err != nil {
				return serverError(err)
			}
			_, err = fmt.Fprintf(g.stdout, "%d dead deliveries made pending again.\n", res.Redriven)
			return err
		},
	}
	cmd.Flags().Int64SliceVar(&deliveries, "delivery", nil, "ids of the deliveries to redrive, comma-separated")
	return cmd
}
