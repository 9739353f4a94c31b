package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/routing"
	"github.com/handoff-dev/handoff/scoring"
)

func crmExportCommand(e *env) *cobra.Command {
	var lakeDir, rulesPath, format, since, out string
	cmd := &cobra.Command{
		Use:   "crm-export --lake DIR --rules rules.yaml --format hubspot|salesforce [--since DATE] [--out FILE]",
		Short: "Owner and score updates as a CSV that HubSpot or Salesforce imports",
		Long: `For teams that upload by hand: every lead's current score (fit, engagement,
total, quadrant, MQL) and owner, as a CSV in the CRM's own update import:
HubSpot's contacts import keyed on Record ID, or Salesforce Data Loader's
Lead update keyed on Id (create the handoff_* properties or Handoff_*__c
fields once). The owner is the one the routing rules chose for leads handed
to sales since --since, and the current owner for the rest. With --since,
only leads routed since then or whose score moved since then are written.`,
		Example: `  handoff crm-export --lake ./lake --rules rules.yaml --format salesforce --since 2026-10-01 --out leads-update.csv`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if !slices.Contains(routing.CRMFormats, format) {
				return usagef("--format %q: want %s", format, strings.Join(routing.CRMFormats, " or "))
			}
			q, err := reports.Query{From: since, Flags: true}.Params()
			if err != nil {
				return usageError{err}
			}
			l, rules, err := openForScoring(ctx, lakeDir, rulesPath)
			if err != nil {
				return err
			}
			defer l.Close()
			scores, asOf, err := scoring.Score(ctx, l, rules, scoring.Params{})
			if err != nil {
				return err
			}
			owners := map[string]string{}
			changed := map[string]bool{}
			if !q.From.IsZero() {
				cfg, err := loadRouting(ctx, l, rulesPath)
				if err != nil {
					return err
				}
				r, err := routing.RunReplay(ctx, l, cfg, routing.ReplayParams{Since: q.From, AsOf: asOf, Scoring: &rules})
				if err != nil {
					return err
				}
				for _, d := range r.Decisions {
					if d.Rep != nil {
						owners[d.Lead.ID], changed[d.Lead.ID] = d.Rep.ID, true
					}
				}
				before, _, err := scoring.Score(ctx, l, rules, scoring.Params{AsOf: q.From})
				if err != nil {
					return err
				}
				was := map[string]scoring.ScoreRow{}
				for _, b := range before {
					was[b.LeadID] = b
				}
				for _, s := range scores {
					b, ok := was[s.LeadID]
					if !ok || b.MQL != s.MQL || s.Total-b.Total >= 1 || b.Total-s.Total >= 1 {
						changed[s.LeadID] = true
					}
				}
			}
			currentOwner, err := leadOwners(ctx, l)
			if err != nil {
				return err
			}
			var updates []routing.CRMUpdate
			for _, s := range scores {
				if !q.From.IsZero() && !changed[s.LeadID] {
					continue
				}
				owner, ok := owners[s.LeadID]
				if !ok {
					owner = currentOwner[s.LeadID]
				}
				updates = append(updates, routing.CRMUpdate{LeadID: s.LeadID, OwnerID: owner, Score: s})
			}
			w := e.stdout
			var f *os.File
			if out != "" {
				if f, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*"); err != nil {
					return err
				}
				defer os.Remove(f.Name())
				w = f
			}
			if err := routing.WriteCRM(w, format, updates); err != nil {
				return err
			}
			if f != nil {
				if err := f.Close(); err != nil {
					return err
				}
				if err := os.Rename(f.Name(), out); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "wrote %d leads to %s\n", len(updates), out)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&lakeDir, "lake", "", "lake directory")
	f.StringVar(&rulesPath, "rules", "", "rules file with scoring: and routing: sections")
	f.StringVar(&format, "format", "", "hubspot or salesforce")
	f.StringVar(&since, "since", "", "only leads routed, or whose score moved, from this day, YYYY-MM-DD")
	f.StringVar(&out, "out", "", "write to this file instead of standard output")
	return cmd
}

type leadOwner struct {
	LeadID  string `col:"lead_id"`
	OwnerID string `col:"owner_id"`
}

func leadOwners(ctx context.Context, l *lake.Lake) (map[string]string, error) {
	rows, err := models.QueryAll[leadOwner](ctx, l, "lead_owners", nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.LeadID] = r.OwnerID
	}
	return out, nil
}
