package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/routing"
)

func webhookCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Register the receivers handoff pushes scores, MQLs, assignments and SLA events to",
		Long: `handoff serve --rules rules.yaml turns each new state of the lake into events
(score.changed, lead.mql, lead.assigned, sla.nudge_owner, sla.nudge_manager,
sla.reassign) and posts them, as JSON, to every registered endpoint.

Deliveries are signed as Standard Webhooks: headers webhook-id (stable per
event: drop repeats), webhook-timestamp and webhook-signature, "v1," and the
base64 HMAC-SHA256 of "id.timestamp.body" under the endpoint's own secret
(whsec_…, made when the endpoint is added, shown once). They are kept on disk
until the receiver answers 2xx, retried with exponential backoff and jitter
for about a day, in order; a restart of handoff loses none.`,
	}
	var lakeDir, url string
	var events []string
	add := &cobra.Command{
		Use:     "add --lake DIR --url URL [--event TYPE]...",
		Short:   "Register a receiver and print its signing secret, once",
		Example: `  handoff webhook add --lake ./lake --url https://crm.example.com/hooks/handoff --event lead.mql --event lead.assigned`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" || url == "" {
				return usagef("--lake and --url are required")
			}
			ep, err := routing.AddEndpoint(lakeDir, url, events)
			if err != nil {
				return usageError{err}
			}
			which := "every event"
			if len(events) > 0 {
				which = strings.Join(events, ", ")
			}
			fmt.Fprintf(e.stderr, "Endpoint %s will receive %s at %s. Its signing secret:\n", ep.ID, which, ep.URL)
			fmt.Fprintln(e.stdout, ep.Secret)
			return nil
		},
	}
	add.Flags().StringVar(&lakeDir, "lake", "", "lake directory")
	add.Flags().StringVar(&url, "url", "", "where to post events")
	add.Flags().StringArrayVar(&events, "event", nil, "an event type to send (repeatable; default every one): "+strings.Join(routing.EventTypes, ", "))
	list := &cobra.Command{
		Use:   "list --lake DIR",
		Short: "List the receivers and what waits for each",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" {
				return usagef("--lake is required")
			}
			eps, err := routing.ReadEndpoints(lakeDir)
			if err != nil {
				return err
			}
			box, err := routing.OpenOutbox(routing.OutboxDir(lakeDir))
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tURL\tEVENTS\tCREATED\tWAITING")
			for _, ep := range eps {
				pending, _ := box.Pending(ep.ID)
				which := "all"
				if len(ep.Events) > 0 {
					which = strings.Join(ep.Events, ",")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", ep.ID, ep.URL, which, ep.CreatedAt.Format(time.DateOnly), len(pending))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&lakeDir, "lake", "", "lake directory")
	cmd.AddCommand(add, list)
	return cmd
}
