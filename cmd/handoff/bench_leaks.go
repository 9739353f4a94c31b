package main

import (
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/reports"
)

func benchLeaksCommand(e *env) *cobra.Command {
	var (
		leads, runs int
		dir         string
	)
	cmd := &cobra.Command{
		Use:   "leaks [--leads N] [--dir DIR] [--runs R]",
		Short: "Time the leaks report against the funnel report on the same lake",
		Long: `Builds (or reuses, in --dir) a lake of generated leads and times, in this one
process and on one open lake, the funnel report and the leaks report at
their default parameters, alternately, --runs times each after one
untimed run of both (which opens the lake's files and creates the
models' macros). Prints each median and the ratio leaks ÷ funnel.`,
		Example: `  handoff bench leaks --leads 1000000 --dir /tmp/bench`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The computation is timed, not the memo a second run would read.
			ctx := models.WithoutSharing(cmd.Context())
			l, _, done, err := openBenchLake(ctx, e, dir, leads)
			if err != nil {
				return err
			}
			defer done()
			cfg := reports.DefaultConfig()
			funnel := func() error { _, err := reports.Funnel(ctx, l, reports.Params{}); return err }
			leaks := func() error { _, err := reports.Leaks(ctx, l, reports.Params{}, cfg); return err }
			if err := funnel(); err != nil {
				return err
			}
			if err := leaks(); err != nil {
				return err
			}
			var tf, tl []float64
			for i := 0; i < runs; i++ {
				for _, x := range []struct {
					run func() error
					out *[]float64
				}{{funnel, &tf}, {leaks, &tl}} {
					start := time.Now()
					if err := x.run(); err != nil {
						return err
					}
					*x.out = append(*x.out, time.Since(start).Seconds())
				}
			}
			mf, ml := median(tf), median(tl)
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(e.stdout, "\nleaks against funnel, %d leads, median of %d runs\n\n", leads, runs)
			fmt.Fprintln(tw, "report\tmedian s\truns s\t")
			fmt.Fprintf(tw, "funnel\t%.2f\t%s\t\n", mf, seconds(tf))
			fmt.Fprintf(tw, "leaks\t%.2f\t%s\t\n", ml, seconds(tl))
			tw.Flush()
			fmt.Fprintf(e.stdout, "\nleaks ÷ funnel: %.2f×\n", ml/mf)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&leads, "leads", 1_000_000, "leads in the generated lake")
	f.StringVar(&dir, "dir", "", "keep the generated data and lake here and reuse them (default: a temporary directory)")
	f.IntVar(&runs, "runs", 5, "timed runs of each report")
	return cmd
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func seconds(xs []float64) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.2f", x)
	}
	return out
}
