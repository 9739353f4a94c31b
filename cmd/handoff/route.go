package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/routing"
	"github.com/handoff-dev/handoff/scoring"
)

func routeCommand(e *env) *cobra.Command {
	var (
		lakeDir, rulesPath, since, asOf, configPath, format, out string
		dryRun                                                   bool
		audit                                                    int
	)
	cmd := &cobra.Command{
		Use:   "route --dry-run --lake DIR --rules rules.yaml --since DATE",
		Short: "Replay history through proposed routing rules: leads per rep, fairness, capacity, SLA",
		Long: `Routes again every lead first handed to sales since --since, in the order
they came, through the routing: section of the rules file (quadrants come
from its scoring: section, each lead scored at its handoff), starting from
the load the reps actually carried. Then sets the result beside what
actually happened: leads per rep, fairness (standard deviation ÷ mean of
leads per pooled rep; 0 is even), leads given to reps already at capacity,
leads nobody could take, and the first-touch SLA compliance to expect,
weighting each lead by its rep's observed met rate.

--audit N prints the audit record of the first N decisions: the rules
tried and why each matched or not, the reps skipped and why, the rep
chosen. --format csv|json|parquet writes every decision's audit instead.

Only --dry-run exists yet: live routing arrives with the feed back to the
CRM.`,
		Example: `  handoff route --dry-run --lake ./lake --rules examples/rules.yaml --since 2026-09-01
  handoff route --dry-run --lake ./lake --rules rules.yaml --since 2026-09-01 --audit 20
  handoff route --dry-run --lake ./lake --rules rules.yaml --since 2026-09-01 --format csv --out decisions.csv`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if !dryRun {
				return usagef("only --dry-run is available: live routing arrives with the feed back to the CRM")
			}
			if !slices.Contains(reports.Formats, format) {
				return usagef("--format %q: want one of %s", format, strings.Join(reports.Formats, ", "))
			}
			q, err := reports.Query{From: since, AsOf: asOf, Flags: true}.Params()
			if err != nil {
				return usageError{err}
			}
			if q.From.IsZero() {
				return usagef("--since is required: the first day of the history to replay, YYYY-MM-DD")
			}
			l, scoreRules, err := openForScoring(ctx, lakeDir, rulesPath)
			if err != nil {
				return err
			}
			defer l.Close()
			cfg, err := loadRouting(ctx, l, rulesPath)
			if err != nil {
				return err
			}
			clock, limit, err := firstTouch(configPath)
			if err != nil {
				return err
			}
			started := time.Now()
			r, err := routing.RunReplay(ctx, l, cfg, routing.ReplayParams{Since: q.From, AsOf: q.AsOf, Scoring: &scoreRules,
				FirstTouchClock: clock, FirstTouchLimit: limit})
			if err != nil {
				return err
			}
			e.log.Debug("replayed", "decisions", len(r.Decisions), "elapsed", time.Since(started))
			if format != "table" {
				tb := reports.Result[routing.DecisionRow]{Report: "route", Params: reports.Params{AsOf: r.AsOf}, Rows: routing.DecisionRows(r.Decisions)}.Table()
				return writeReport(ctx, e, l, tb, format, out)
			}
			printReplay(e, r, since)
			for i := 0; i < audit && i < len(r.Decisions); i++ {
				fmt.Fprintln(e.stdout, r.Decisions[i].Audit())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dryRun, "dry-run", false, "replay history; assign nothing")
	f.StringVar(&lakeDir, "lake", "", "lake directory")
	f.StringVar(&rulesPath, "rules", "", "rules file with routing: (and scoring:) sections")
	f.StringVar(&since, "since", "", "replay leads first handed to sales from this day, YYYY-MM-DD")
	f.StringVar(&asOf, "as-of", "", "end of the replay (default: the latest event)")
	f.StringVar(&configPath, "config", "", "handoff.yaml whose first-touch SLA the compliance estimate uses (default 60 minutes)")
	f.IntVar(&audit, "audit", 0, "print the audit record of the first N decisions")
	f.StringVar(&format, "format", "table", "output: "+strings.Join(reports.Formats, ", ")+" (other than table: every decision)")
	f.StringVar(&out, "out", "", "write to this file instead of standard output")
	return cmd
}

func printReplay(e *env, r routing.Replay, since string) {
	w := e.stdout
	pct := func(f *float64) string {
		if f == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", *f*100)
	}
	num := func(f *float64) string {
		if f == nil {
			return "–"
		}
		return fmt.Sprintf("%.2f", *f)
	}
	fmt.Fprintf(w, "Replayed %d leads handed to sales from %s to %s: %d by the fallback pool, %d waited in a queue for a rep's working hours (%d past the first-touch limit), %d left unassigned (nobody eligible).\n",
		r.Leads, since, r.AsOf.Format("2006-01-02"), r.Fallback, r.Queued, r.QueuedPastLimit, r.Unassigned)
	fmt.Fprintf(w, "Fairness (0 is even): proposed %s, actual %s. Expected first-touch SLA compliance: proposed %s, actual %s.\n\n",
		num(r.ProposedFairness), num(r.ActualFairness), pct(r.ProposedCompliance), pct(r.ActualCompliance))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rep\tteam\tproposed\tactual\tfirst-touch met\tactually over capacity\t")
	for _, rep := range r.Reps {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t\n", rep.Rep, rep.Team, rep.Proposed, rep.Actual, pct(rep.MetRate), rep.ActualOverCapacity)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// loadRouting reads the routing section of the rules file, checked against
// the lake's users.
func loadRouting(ctx context.Context, l *lake.Lake, rulesPath string) (routing.Config, error) {
	f, err := scoring.ReadFile(rulesPath)
	if err != nil {
		return routing.Config{}, err
	}
	users, err := routing.Users(ctx, l)
	if err != nil {
		return routing.Config{}, err
	}
	return routing.ParseConfig(f, users)
}
