package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/internal/config"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

// openForScoring opens the lake and reads the rules against the activity
// kinds it holds.
func openForScoring(ctx context.Context, lakeDir, rulesPath string) (*lake.Lake, scoring.Rules, error) {
	if lakeDir == "" || rulesPath == "" {
		return nil, scoring.Rules{}, usagef("--lake and --rules are required (a commented example: examples/rules.yaml)")
	}
	l, err := lake.Open(ctx, lakeDir)
	if err != nil {
		if errors.Is(err, lake.ErrNoLake) {
			return nil, scoring.Rules{}, fmt.Errorf("%s is not a lake yet (it has no manifest.json): run handoff ingest --lake %s PATH... first", lakeDir, lakeDir)
		}
		return nil, scoring.Rules{}, err
	}
	kinds, err := scoring.LakeKinds(ctx, l)
	if err != nil {
		l.Close()
		return nil, scoring.Rules{}, err
	}
	r, err := scoring.LoadRules(rulesPath, kinds)
	if err != nil {
		l.Close()
		return nil, scoring.Rules{}, err
	}
	return l, r, nil
}

func scoreCommand(e *env) *cobra.Command {
	var (
		lakeDir, rulesPath, asOf, at, format, out string
		filters, leads                            []string
		limit                                     int
	)
	cmd := &cobra.Command{
		Use:   "score --lake DIR --rules rules.yaml [--as-of T] [--lead ID]...",
		Short: "Score every lead as of a time: fit, engagement, quadrant, MQL, explained rule by rule",
		Long: `Computes each lead's fit and engagement score as of a time from the rules
file (scoring: section; examples/rules.yaml is a commented example), with
its quadrant and whether it passes the MQL threshold. Only events strictly
before the scoring time count, so a score never knows what happened next.

--at chooses when each lead is scored: as_of (every lead at --as-of, the
default), handoff (at its first assignment; a lead never assigned a week
after creation, or handoff+14d), created+7d (a week after creation).

--lead ID explains that lead's score rule by rule (repeatable).

Columns: lead_id, source, campaign, segment, region, owner, team,
scored_at, fit, engagement, total, quadrant (sales, nurture, watch,
no_action), mql. Highest total first.`,
		Example: `  handoff score --lake ./lake --rules examples/rules.yaml --limit 20
  handoff score --lake ./lake --rules rules.yaml --lead 00Q8d00000001AAA
  handoff score --lake ./lake --rules rules.yaml --filter source=webinar --format csv --out scores.csv`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if !slices.Contains(reports.Formats, format) {
				return usagef("--format %q: want one of %s", format, strings.Join(reports.Formats, ", "))
			}
			if format == "parquet" && out == "" {
				return usagef("--format parquet writes a file: give --out FILE")
			}
			p, err := scoreParams(asOf, at, filters)
			if err != nil {
				return err
			}
			l, r, err := openForScoring(ctx, lakeDir, rulesPath)
			if err != nil {
				return err
			}
			defer l.Close()
			rows, scoredAsOf, err := scoring.Score(ctx, l, r, p)
			if err != nil {
				return err
			}
			if len(leads) > 0 {
				return explainLeads(ctx, e, l, r, p, rows, leads, format, out)
			}
			if limit > 0 && len(rows) > limit {
				rows = rows[:limit]
			}
			tb := reports.Result[scoring.ScoreRow]{Report: "score", Params: reports.Params{AsOf: scoredAsOf}, Rows: rows}.Table()
			return writeReport(ctx, e, l, tb, format, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&lakeDir, "lake", "", "lake directory")
	f.StringVar(&rulesPath, "rules", "", "rules file with a scoring: section")
	f.StringVar(&asOf, "as-of", "", "score as of this time, RFC 3339 or YYYY-MM-DD (default: the latest event)")
	f.StringVar(&at, "at", "as_of", "when each lead is scored: as_of, handoff[+Nd], created+Nd")
	f.StringArrayVar(&filters, "filter", nil, "keep leads where DIM=VALUE (repeatable)")
	f.StringArrayVar(&leads, "lead", nil, "explain this lead's score rule by rule (repeatable)")
	f.IntVar(&limit, "limit", 0, "print only the N highest scores (0: all)")
	f.StringVar(&format, "format", "table", "output: "+strings.Join(reports.Formats, ", "))
	f.StringVar(&out, "out", "", "write to this file instead of standard output")
	return cmd
}

// scoreParams reads the flags every scoring command shares.
func scoreParams(asOf, at string, filters []string) (scoring.Params, error) {
	q, err := reports.Query{AsOf: asOf, Filters: filters, Flags: true}.Params()
	if err != nil {
		return scoring.Params{}, usageError{err}
	}
	a, err := scoring.ParseAt(at)
	if err != nil {
		return scoring.Params{}, usageError{err}
	}
	return scoring.Params{AsOf: q.AsOf, At: a, Filters: q.Filters}, nil
}

func explainLeads(ctx context.Context, e *env, l *lake.Lake, r scoring.Rules, p scoring.Params, rows []scoring.ScoreRow, leads []string, format, out string) error {
	parts, err := scoring.Explain(ctx, l, r, p, leads)
	if err != nil {
		return err
	}
	if format != "table" {
		tb := reports.Result[scoring.PartRow]{Report: "score-explain", Params: reports.Params{AsOf: p.AsOf}, Rows: parts}.Table()
		return writeReport(ctx, e, l, tb, format, out)
	}
	for _, id := range leads {
		i := slices.IndexFunc(rows, func(s scoring.ScoreRow) bool { return s.LeadID == id })
		if i < 0 {
			return fmt.Errorf("lead %s is not scored as of then: unknown, created after the scoring time, or filtered out", id)
		}
		for _, line := range scoring.Explanation(rows[i], parts, r) {
			fmt.Fprintln(e.stdout, line)
		}
	}
	return nil
}

func backtestCommand(e *env) *cobra.Command {
	var (
		lakeDir, rulesPath, asOf, at, from, to, outcome, window, thresholds, configPath, format, out, show string
		filters                                                                                            []string
		capacity                                                                                           float64
		maxBreach                                                                                          string
	)
	cmd := &cobra.Command{
		Use:   "backtest --lake DIR --rules rules.yaml [--capacity N] [--max-breach 30%] [--thresholds LIST]",
		Short: "What each MQL threshold would have done on history: volume, precision, recall, capacity",
		Long: `Scores historical leads as of their handoff (or creation + N days, --at) and,
for each candidate threshold, says what handing over every lead at or above
it would have done: leads per month and per working day, precision (the
share that reached --outcome within --window), recall, lift over the base
rate, and whether the team could have taken them (--capacity new leads a
working day; default: the users' capacities, per month, over 21.75 days).
The first-touch SLA breaches that load would have brought come from a
model of each rep's breach share against the new leads their day brought,
fitted on the period's history (docs/scoring.md, "The load model").
Also the score's ROC AUC and the conversion of each score decile.

Leads whose window has not closed by --as-of are left out (their outcome
is not known yet), as are leads that had already reached the outcome when
they were scored.

The recommended threshold is the lowest one within capacity and, with
--max-breach, whose expected breach share is within that ceiling: the most
converting leads the team can answer in time.`,
		Example: `  handoff backtest --lake ./lake --rules examples/rules.yaml --capacity 20
  handoff backtest --lake ./lake --rules rules.yaml --max-breach 25% --config handoff.yaml
  handoff backtest --lake ./lake --rules rules.yaml --thresholds 20:80:5 --outcome opportunity --window 120d
  handoff backtest --lake ./lake --rules rules.yaml --format csv --show deciles --out deciles.csv`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if !slices.Contains(reports.Formats, format) {
				return usagef("--format %q: want one of %s", format, strings.Join(reports.Formats, ", "))
			}
			if !slices.Contains(backtestShows, show) {
				return usagef("--show %q: want one of %s", show, strings.Join(backtestShows, ", "))
			}
			ceiling, err := scoring.ParseShare(maxBreach)
			if err != nil {
				return usageError{fmt.Errorf("--max-breach: %w", err)}
			}
			p, err := scoreParams(asOf, at, filters)
			if err != nil {
				return err
			}
			q, err := reports.Query{From: from, To: to, Window: window, Flags: true}.Params()
			if err != nil {
				return usageError{err}
			}
			ts, err := scoring.ParseThresholds(thresholds)
			if err != nil {
				return usageError{err}
			}
			clock, limit, err := firstTouch(configPath)
			if err != nil {
				return err
			}
			l, r, err := openForScoring(ctx, lakeDir, rulesPath)
			if err != nil {
				return err
			}
			defer l.Close()
			b, err := scoring.RunBacktest(ctx, l, r, scoring.BacktestParams{
				Params: p, From: q.From, To: q.To, Outcome: outcome, Window: q.Window,
				Thresholds: ts, Capacity: capacity, MaxBreach: ceiling, FirstTouchClock: clock, FirstTouchLimit: limit,
			})
			if err != nil {
				return err
			}
			if b.Leads == 0 {
				return fmt.Errorf("no lead to judge: none was scored in the period with its %s window closed by %s", window, b.AsOf.Format(time.DateOnly))
			}
			if format != "table" {
				tb := reports.Result[scoring.ThresholdRow]{Report: "backtest", Params: reports.Params{AsOf: b.AsOf}, Rows: b.Thresholds}.Table()
				switch show {
				case "deciles":
					tb = reports.Result[scoring.DecileRow]{Report: "backtest-deciles", Params: reports.Params{AsOf: b.AsOf}, Rows: b.Deciles}.Table()
				case "loads":
					tb = reports.Result[scoring.RepPrediction]{Report: "backtest-loads", Params: reports.Params{AsOf: b.AsOf}, Rows: b.RepLoads}.Table()
				case "model":
					var reps []scoring.RepLoad
					if b.Load != nil {
						reps = b.Load.Reps
					}
					tb = reports.Result[scoring.RepLoad]{Report: "backtest-model", Params: reports.Params{AsOf: b.AsOf}, Rows: reps}.Table()
				}
				// The backtest's own parameters and what it concluded:
				// not a report's window, grain and clock.
				tb.Described = map[string]any{"as_of": b.AsOf.UTC().Format(time.RFC3339), "outcome": outcome, "window": window,
					"at": at, "from": from, "to": to, "capacity": capacity, "max_breach": ceiling, "thresholds": thresholds, "filters": filters,
					"first_touch_clock": clock, "first_touch_limit": limit.String()}
				tb.Summary = backtestSummary(b)
				return writeReport(ctx, e, l, tb, format, out)
			}
			printBacktest(e, b, outcome, window)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&lakeDir, "lake", "", "lake directory")
	f.StringVar(&rulesPath, "rules", "", "rules file with a scoring: section")
	f.StringVar(&asOf, "as-of", "", "judge with what was known at this time (default: the latest event)")
	f.StringVar(&at, "at", "handoff", "when each lead is scored: handoff[+Nd] (never-assigned leads N days after creation, default 7), created+Nd")
	f.StringVar(&from, "from", "", "first day of scoring times to judge, YYYY-MM-DD")
	f.StringVar(&to, "to", "", "last day of scoring times to judge, included")
	f.StringVar(&outcome, "outcome", "sql", "the stage a good lead reaches: "+strings.Join(scoring.Outcomes, ", "))
	f.StringVar(&window, "window", "90d", "how long after scoring a lead has to reach the outcome")
	f.StringVar(&thresholds, "thresholds", "", "thresholds to judge: a list (30,40,50) or FROM:TO:STEP (default: 20 at the score's percentiles)")
	f.Float64Var(&capacity, "capacity", 0, "new leads the team can take per working day (default: users' capacity ÷ 21.75)")
	f.StringVar(&maxBreach, "max-breach", "", "the first-touch breach share the recommendation must keep within: 25% or 0.25 (default: no ceiling)")
	f.StringVar(&configPath, "config", "", "handoff.yaml whose first-touch SLA the load model uses (default 60 calendar minutes)")
	f.StringArrayVar(&filters, "filter", nil, "keep leads where DIM=VALUE (repeatable)")
	f.StringVar(&show, "show", "thresholds", "with --format csv, json or parquet: thresholds, deciles, loads (each rep's day at each threshold) or model (each rep's fitted curve)")
	f.StringVar(&format, "format", "table", "output: "+strings.Join(reports.Formats, ", "))
	f.StringVar(&out, "out", "", "write to this file instead of standard output")
	return cmd
}

// backtestShows are the tables --show picks for a file.
var backtestShows = []string{"thresholds", "deciles", "loads", "model"}

// backtestSummary is what the backtest concluded, for its JSON.
func backtestSummary(b scoring.Backtest) map[string]any {
	out := map[string]any{
		"leads": b.Leads, "converted": b.Positive, "base_rate": b.BaseRate, "auc": b.AUC,
		"months": b.Months, "working_days": b.WorkingDays,
		"capacity_per_working_day": b.CapacityPerDay, "observed_breach_rate": b.ObservedBreachRate,
		"max_breach":            b.MaxBreach,
		"recommended_threshold": b.Recommended, "recommended_by": b.RecommendedBy, "why": b.Why(),
	}
	if m := b.Load; m != nil {
		out["load_model"] = map[string]any{"slope": m.Slope, "slope_floored": m.SlopeFloored, "reps": len(m.Reps), "working_days": m.WorkingDays}
	}
	return out
}

func printBacktest(e *env, b scoring.Backtest, outcome, window string) {
	w := e.stdout
	pct := func(f *float64) string {
		if f == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", *f*100)
	}
	fmt.Fprintf(w, "Backtest as of %s: %d leads scored at handoff, %d reached %s within %s (base rate %s).\n",
		b.AsOf.Format("2006-01-02"), b.Leads, b.Positive, outcome, window, pct(b.BaseRate))
	auc := "–"
	if b.AUC != nil {
		auc = fmt.Sprintf("%.3f", *b.AUC)
	}
	fmt.Fprintf(w, "ROC AUC %s (0.5 is chance). Span: %.0f months, %d working days. Capacity %.1f leads a working day; first-touch breach share %s.\n",
		auc, b.Months, b.WorkingDays, b.CapacityPerDay, pct(b.ObservedBreachRate))
	if m := b.Load; m != nil {
		slope := fmt.Sprintf("each new lead in a rep's day moves them %.2f along the normal curve of late first touches", m.Slope)
		if m.SlopeFloored {
			slope = "history shows no rep slower on busier days, so load is taken as harmless"
		}
		fmt.Fprintf(w, "Load model: %d reps over %d working days; %s. \"In hours\" is the leads that arrive when their rep is at work: the breaches load moves.\n", len(m.Reps), m.WorkingDays, slope)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "threshold\thanded off\tper month\tper day\tper rep-day\tprecision\trecall\tlift\tof capacity\texpected breaches\tin hours\t\t")
	for _, t := range b.Thresholds {
		lift, load, perRep := "–", "–", "–"
		if t.Lift != nil {
			lift = fmt.Sprintf("%.2f×", *t.Lift)
		}
		if t.Utilization != nil {
			load = fmt.Sprintf("%.0f%%", *t.Utilization*100)
		}
		if t.LeadsPerRepDay != nil {
			perRep = fmt.Sprintf("%.1f", *t.LeadsPerRepDay)
		}
		mark := ""
		if b.Recommended != nil && *b.Recommended == t.Threshold {
			mark = "← recommended"
		}
		fmt.Fprintf(tw, "%g\t%d\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", t.Threshold, t.HandedOff, t.PerMonth, t.PerWorkingDay, perRep,
			pct(t.Precision), pct(t.Recall), lift, load, pct(t.ExpectedBreachRate), pct(t.ExpectedInHoursBreachRate), mark)
	}
	tw.Flush()
	if b.Recommended == nil {
		fmt.Fprintf(w, "\nNo recommendation: %s.\n", b.Why())
	} else {
		fmt.Fprintf(w, "\nRecommended %g: %s.\n", *b.Recommended, b.Why())
	}
	fmt.Fprintln(w, "\nConversion by score decile (lowest scores first):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "decile\tleads\tscores\tconverted\trate\t")
	for _, d := range b.Deciles {
		fmt.Fprintf(tw, "%d\t%d\t%.1f to %.1f\t%d\t%s\t\n", d.Decile, d.Leads, d.MinScore, d.MaxScore, d.Converted, pct(d.Rate))
	}
	tw.Flush()
}

// loadReportsConfig is handoff.yaml's reports section, or the defaults
// without a file.
func loadReportsConfig(path string) (reports.Config, error) {
	if path == "" {
		return reports.DefaultConfig(), nil
	}
	c, err := config.Load(path)
	return c.Reports, err
}

// firstTouch is the first-touch SLA of handoff.yaml (or the default 60
// calendar minutes): its clock and limit.
func firstTouch(configPath string) (string, time.Duration, error) {
	cfg, err := loadReportsConfig(configPath)
	if err != nil {
		return "", 0, err
	}
	clock, limit := cfg.FirstTouchClock()
	return clock, limit, nil
}
