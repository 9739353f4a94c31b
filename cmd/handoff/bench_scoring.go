package main

import (
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/bench"
	"github.com/handoff-dev/handoff/examples"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/scoring"
)

func benchScoringCommand(e *env) *cobra.Command {
	var (
		leads, runs int
		dir         string
	)
	cmd := &cobra.Command{
		Use:   "scoring [--leads N] [--dir DIR] [--runs R]",
		Short: "Time scoring every lead and a 20-threshold backtest against a plain DuckDB aggregate",
		Long: `Builds (or reuses, in --dir) a lake of generated leads and times, with the
example rules (examples/rules.yaml), in this one process:

  baseline  a plain DuckDB aggregate over the same activities: events of
            the rules' kinds per lead and kind with a fixed decay, no rule
            logic (bench/sql/duckdb_engagement_baseline.sql)
  score     handoff score: fit and engagement of every lead as of the
            latest event, quadrant, MQL verdict, typed rows
  backtest  handoff backtest: every lead scored at its own handoff, its
            outcome, 20 thresholds, AUC, deciles, capacity

Each is run --runs times after one warm-up, alternating, and the medians
are reported with their ratio to the baseline.`,
		Example: `  handoff bench scoring --leads 1000000 --dir /tmp/bench`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if leads < 100 || runs < 1 {
				return usagef("want --leads ≥ 100 and --runs ≥ 1")
			}
			l, _, done, err := openBenchLake(ctx, e, dir, leads)
			if err != nil {
				return err
			}
			defer done()
			lakeDir := l.Dir
			kinds, err := scoring.LakeKinds(ctx, l)
			if err != nil {
				return err
			}
			r, err := scoring.ParseRules("examples/rules.yaml", examples.Rules, kinds)
			if err != nil {
				return err
			}
			asOf, err := models.LatestEvent(ctx, l)
			if err != nil {
				return err
			}
			var ruleKinds []string
			for _, k := range r.Engagement.Kinds {
				ruleKinds = append(ruleKinds, k.Kind)
			}
			sides := []struct {
				name string
				run  func() (int, error)
			}{
				{"baseline", func() (int, error) { return bench.EngagementBaseline(ctx, l, asOf, ruleKinds) }},
				{"score", func() (int, error) {
					rows, _, err := scoring.Score(ctx, l, r, scoring.Params{AsOf: asOf})
					return len(rows), err
				}},
				{"backtest", func() (int, error) {
					b, err := scoring.RunBacktest(ctx, l, r, scoring.BacktestParams{Params: scoring.Params{AsOf: asOf}})
					return int(b.Leads), err
				}},
			}
			times := make([][]time.Duration, len(sides))
			rowsOut := make([]int, len(sides))
			for run := 0; run <= runs; run++ {
				for i, s := range sides {
					start := time.Now()
					n, err := s.run()
					if err != nil {
						return fmt.Errorf("%s: %w", s.name, err)
					}
					if run > 0 { // the first run warms the caches
						times[i] = append(times[i], time.Since(start))
					}
					rowsOut[i] = n
				}
			}
			median := func(d []time.Duration) time.Duration {
				sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
				return d[len(d)/2]
			}
			base := median(times[0])
			fmt.Fprintf(e.stdout, "\nscoring %d leads (%s), as of %s, median of %d runs\n\n", leads, lakeDir, asOf.Format(time.RFC3339), runs)
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "side\trows\tseconds\t÷ baseline\t")
			for i, s := range sides {
				m := median(times[i])
				fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f×\t\n", s.name, rowsOut[i], m.Seconds(), m.Seconds()/base.Seconds())
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.IntVar(&leads, "leads", 1_000_000, "leads in the generated lake")
	f.StringVar(&dir, "dir", "", "keep the generated data and lake here and reuse them (default: a temporary directory)")
	f.IntVar(&runs, "runs", 3, "timed runs per side, after one warm-up")
	return cmd
}
