package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/bench"
	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/reports"
)

func benchReportsCommand(e *env) *cobra.Command {
	var (
		leads       int
		runs        int
		dir         string
		only        []string
		memoryLimit string
		postgresBin string
	)
	cmd := &cobra.Command{
		Use:   "reports [--leads N] [--dir DIR] [--runs R] [--memory-limit SIZE] [--postgres BIN|off]",
		Short: "Each report through handoff vs its bare model SQL on DuckDB vs PostgreSQL",
		Long: `Builds (or reuses, in --dir) a lake of generated leads, then times every report
with default parameters two ways in one child process per report, so each
report's peak memory is its own:

  handoff   the report layer: parameter checks, as-of lookup, macros, the
            model, typed rows
  raw SQL   the statements that run executed, replayed straight on DuckDB
            with database/sql, every value read

Then, unless --postgres off, it starts PostgreSQL 15 on 127.0.0.1 in --dir,
loads the same data, and times funnel and speed to lead against
PostgreSQL's equivalent SQL (bench/sql/pg_*.sql), checking that both return
the same rows. The server and its data are removed at the end.

Times are medians of --runs runs after one warm-up; the two sides alternate
so a busy machine slows both alike. --memory-limit caps DuckDB (it spills
to --dir past it).`,
		Example: `  handoff bench reports --leads 1000000 --dir /tmp/bench
  handoff bench reports --leads 10000000 --dir /tmp/bench --memory-limit 4GB --postgres off
  handoff bench reports --leads 20000 --reports funnel,response`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The computation is timed, here and against PostgreSQL, not
			// the memo a second run would read.
			ctx := models.WithoutSharing(cmd.Context())
			if leads < 100 {
				return usagef("--leads must be at least 100")
			}
			if runs < 1 {
				return usagef("--runs must be at least 1")
			}
			names := reports.Names()
			if len(only) > 0 {
				for _, n := range only {
					if !slices.Contains(names, n) {
						return usagef("--reports: unknown report %q: want some of %s", n, strings.Join(names, ", "))
					}
				}
				names = only
			}
			dir, cleanup, err := benchDir(dir)
			if err != nil {
				return err
			}
			defer cleanup()
			lakeDir, err := benchLake(ctx, e, dir, leads)
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}

			heading := fmt.Sprintf("\nreports on %d leads (%s), median of %d runs", leads, lakeDir, runs)
			if memoryLimit != "" {
				heading += ", DuckDB memory limit " + memoryLimit
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "REPORT\tROWS\tHANDOFF S\tRAW SQL S\tHANDOFF ÷ RAW\tPEAK RSS\t")
			var sumHandoff, sumRaw time.Duration
			for _, name := range names {
				fmt.Fprintf(e.stderr, "timing %s …\n", name)
				argv := []string{"bench", "child-report", "--runs", strconv.Itoa(runs), "--memory-limit", memoryLimit,
					"--spill", filepath.Join(dir, "spill"), lakeDir, name}
				child := exec.CommandContext(ctx, self, argv...)
				child.Stderr = e.stderr
				raw, err := child.Output()
				if err != nil {
					return fmt.Errorf("bench report %s: %w", name, err)
				}
				var t bench.ReportTiming
				if err := json.Unmarshal(raw, &t); err != nil {
					return fmt.Errorf("bench report %s: read child output: %w", name, err)
				}
				rss := childPeak(child, t.PeakRSS)
				h, r := t.HandoffMedian(), t.RawMedian()
				sumHandoff += h
				sumRaw += r
				label := name
				if t.Streamed {
					label += " (streamed)"
				}
				fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.2f×\t%s\t\n", label, t.Rows, h.Seconds(), r.Seconds(), h.Seconds()/r.Seconds(), lake.HumanBytes(rss))
			}
			fmt.Fprintf(tw, "all\t\t%.3f\t%.3f\t%.2f×\t\t\n", sumHandoff.Seconds(), sumRaw.Seconds(), sumHandoff.Seconds()/sumRaw.Seconds())
			fmt.Fprintf(e.stdout, "%s\n\n", heading)
			tw.Flush()

			if postgresBin == "off" {
				return nil
			}
			return benchPostgres(ctx, e, dir, lakeDir, postgresBin, runs)
		},
	}
	cmd.Flags().IntVar(&leads, "leads", 100_000, "leads in the generated lake (about 18 rows each)")
	cmd.Flags().IntVar(&runs, "runs", 3, "timed runs of each side, after one warm-up")
	cmd.Flags().StringVar(&dir, "dir", "", "working directory; the sample and lake are kept there and reused (default: a temporary one)")
	cmd.Flags().StringSliceVar(&only, "reports", nil, "only these reports (comma-separated; default all)")
	cmd.Flags().StringVar(&memoryLimit, "memory-limit", "", "DuckDB memory limit, such as 4GB (default: DuckDB's, 80% of RAM)")
	cmd.Flags().StringVar(&postgresBin, "postgres", bench.DefaultPostgresBin, `PostgreSQL server programs to compare against, or "off"`)
	return cmd
}

// benchLake returns the lake of n generated leads in dir, generating and
// ingesting it on first use.
func benchLake(ctx context.Context, e *env, dir string, n int) (string, error) {
	lakeDir := filepath.Join(dir, fmt.Sprintf("lake-%d", n))
	if _, err := lake.ReadManifest(lakeDir); err == nil {
		if l, err := lake.Open(ctx, lakeDir); err == nil {
			ok := l.Manifest.Tables["leads"].Rows == int64(n)
			l.Close()
			if ok {
				return lakeDir, nil
			}
		}
		if err := os.RemoveAll(lakeDir); err != nil {
			return "", err
		}
	}
	data, err := benchSample(ctx, e, dir, n)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(e.stdout, "ingesting %s into %s …\n", data, lakeDir)
	if _, err := ingest.Run(ctx, ingest.Options{Lake: lakeDir, Logger: e.log}, []string{data}); err != nil {
		return "", err
	}
	return lakeDir, nil
}

// benchPostgres loads the lake into a fresh PostgreSQL and compares the
// metrics that have an equivalent query there.
func benchPostgres(ctx context.Context, e *env, dir, lakeDir, bin string, runs int) error {
	l, err := lake.Open(ctx, lakeDir)
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(e.stdout, "\nstarting PostgreSQL from %s …\n", bin)
	pg, err := bench.StartPostgres(ctx, bin)
	if err != nil {
		return err
	}
	defer pg.Stop()
	load, err := pg.Load(ctx, l, filepath.Join(dir, "pg-load"))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "PostgreSQL %s: loaded %d rows (export from the lake %.1f s, COPY %.1f s, indexes and VACUUM ANALYZE %.1f s)\n\n",
		pg.Version, load.Rows, load.Export.Seconds(), load.Copy.Seconds(), load.Idx.Seconds())
	cmp, err := bench.ComparePostgres(ctx, l, pg, reports.DefaultConfig(), runs)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "REPORT\tHANDOFF S\tPOSTGRES S\tPOSTGRES ÷ HANDOFF\tSAME ROWS\t")
	var mismatch []string
	for _, c := range cmp {
		same := "yes"
		if c.Match != "" {
			same = "NO"
			mismatch = append(mismatch, c.Report+": "+c.Match)
		}
		h, p := c.HandoffMedian(), c.PostgresMedian()
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.1f×\t%s\t\n", c.Report, h.Seconds(), p.Seconds(), p.Seconds()/h.Seconds(), same)
	}
	tw.Flush()
	if len(mismatch) > 0 {
		return fmt.Errorf("handoff and PostgreSQL disagree: %s", strings.Join(mismatch, "; "))
	}
	return nil
}

// benchChildReportCommand times one report in its own process and prints
// its figures as JSON.
func benchChildReportCommand(e *env) *cobra.Command {
	var runs int
	var memoryLimit, spill string
	cmd := &cobra.Command{
		Use:    "child-report LAKE REPORT",
		Hidden: true,
		Args:   args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			// The computation is timed, not the memo a second run would read.
			ctx := models.WithoutSharing(cmd.Context())
			spec, ok := reports.Lookup(a[1])
			if !ok {
				return usagef("unknown report %q", a[1])
			}
			l, err := lake.Open(ctx, a[0])
			if err != nil {
				return err
			}
			defer l.Close()
			if memoryLimit != "" {
				if err := bench.SetMemoryLimit(ctx, l, memoryLimit, spill); err != nil {
					return err
				}
			}
			t, err := bench.TimeReport(ctx, l, spec, reports.DefaultConfig(), runs)
			if err != nil {
				return err
			}
			t.PeakRSS = bench.OwnPeakRSS()
			return json.NewEncoder(e.stdout).Encode(t)
		},
	}
	cmd.Flags().IntVar(&runs, "runs", 3, "")
	cmd.Flags().StringVar(&memoryLimit, "memory-limit", "", "")
	cmd.Flags().StringVar(&spill, "spill", "", "")
	return cmd
}
