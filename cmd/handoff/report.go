package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

func reportCommand(e *env) *cobra.Command {
	var (
		lakeDir, from, to, asOf, tz, window, by, format, out, grain, clock, configPath, sla, what, rulesPath string
		filters                                                                                              []string
	)
	var list strings.Builder
	for _, spec := range reports.Catalog() {
		fmt.Fprintf(&list, "  %-15s %s\n", spec.Name, spec.Short)
	}
	cmd := &cobra.Command{
		Use:   "report NAME --lake DIR [flags]",
		Short: "Compute a report (funnel, response, sla, sources, ...) from the lake",
		Long: `Computes one report from the lake, exactly as docs/reports.md defines its
columns, and prints it as a table or writes it as CSV, JSON or Parquet.

Reports:
` + list.String() + `
Times: --from and --to are dates in the reporting time zone (--tz), both
included. --as-of defaults to the latest event in the lake, so an old export
reads as of its own end. Weeks start on Monday.

Breakdowns and filters (--by, --filter): source, campaign, segment, region,
industry, owner, team; response also takes week, hour and weekday_hour,
sla takes week. With --rules, funnel, sources, quality and response-curve
also break down by score_band: the quadrant of each lead's score at handoff
(sales, nurture, watch, no_action; unscored before its scoring time).

Drill-down: report leads lists the leads behind a number, --what says
which (created, lead, mql, sql, assigned, handed_off, opportunity, won):
  handoff report leads --lake ./lake --what mql --from 2026-09-01 --to 2026-09-30
Leaks: report leaks counts the MQLs lost in the handoff by the first crack
each fell into (limits in handoff.yaml's reports.leaks); report leaked
lists them with the evidence, --what CRACK for one:
  handoff report leaked --lake ./lake --what never_touched --from 2026-09-01
A filter may repeat: values of one dimension are ORed, dimensions ANDed.`,
		Example: `  handoff report funnel --lake ./lake --by source
  handoff report response --lake ./lake --by owner --clock business --from 2026-09-01
  handoff report sla --lake ./lake --filter team="SDR NA" --format csv --out sla.csv
  handoff report sources --lake ./lake --by campaign --format parquet --out sources.parquet
  handoff report response-curve --lake ./lake --by score_band --rules examples/rules.yaml`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			name := argv[0]
			spec, ok := reports.Lookup(name)
			if !ok {
				return usagef("unknown report %q: want one of %s", name, strings.Join(reports.Names(), ", "))
			}
			if lakeDir == "" {
				return usagef("--lake is required")
			}
			if !slices.Contains(reports.Formats, format) {
				return usagef("--format %q: want one of %s", format, strings.Join(reports.Formats, ", "))
			}
			if format == "parquet" && out == "" {
				return usagef("--format parquet writes a file: give --out FILE")
			}
			p, err := reports.Query{From: from, To: to, AsOf: asOf, TZ: tz, Grain: grain, Window: window,
				By: by, Clock: clock, What: what, Filters: filters, Flags: true}.Params()
			if err != nil {
				return usageError{err}
			}
			cfg, err := loadReportsConfig(configPath)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			l, err := lake.Open(ctx, lakeDir)
			if err != nil {
				if errors.Is(err, lake.ErrNoLake) {
					return fmt.Errorf("%s is not a lake yet (it has no manifest.json): run handoff ingest --lake %s PATH... first", lakeDir, lakeDir)
				}
				return err
			}
			defer l.Close()
			if rulesPath != "" {
				kinds, err := scoring.LakeKinds(ctx, l)
				if err != nil {
					return err
				}
				r, err := scoring.LoadRules(rulesPath, kinds)
				if err != nil {
					return err
				}
				p.ScoreBands = func(ctx context.Context, l *lake.Lake) error { return scoring.PrepareBands(ctx, l, r) }
			}
			started := time.Now()
			failed := func(err error) error {
				if errors.Is(err, reports.ErrBadParam) {
					return usageError{err}
				}
				return fmt.Errorf("report %s: %w", name, err)
			}
			// A list report goes to a file as its rows come: millions of
			// them never sit in memory.
			if spec.Stream != nil && format != "table" {
				err := streamReport(ctx, e, l, format, out, func(open reports.Opener) (int, error) {
					return spec.Stream(ctx, l, p, cfg, sla, open)
				})
				if err != nil {
					return failed(err)
				}
				e.log.Debug("report streamed", "report", name, "elapsed", time.Since(started))
				return nil
			}
			tb, err := spec.Run(ctx, l, p, cfg, sla)
			if err != nil {
				return failed(err)
			}
			e.log.Debug("report computed", "report", name, "rows", len(tb.Rows), "elapsed", time.Since(started))
			return writeReport(ctx, e, l, tb, format, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&lakeDir, "lake", "", "lake directory")
	f.StringVar(&from, "from", "", "first day of the period, YYYY-MM-DD (default: all data)")
	f.StringVar(&to, "to", "", "last day of the period, YYYY-MM-DD, included")
	f.StringVar(&asOf, "as-of", "", "compute as of this time, RFC 3339 or YYYY-MM-DD (default: the latest event)")
	f.StringVar(&tz, "tz", "UTC", "reporting time zone (IANA name) for periods, weeks and hours")
	f.StringVar(&window, "window", "90d", "funnel conversion window, e.g. 30d, 12w")
	f.StringVar(&grain, "grain", "month", "period length: "+strings.Join(reports.Grains, ", "))
	f.StringVar(&by, "by", "", "break down by a dimension: "+strings.Join(reports.Dimensions, ", ")+"; score_band with --rules")
	f.StringVar(&rulesPath, "rules", "", "rules file with a scoring: section, for --by score_band")
	f.StringArrayVar(&filters, "filter", nil, "keep rows where DIM=VALUE (repeatable)")
	f.StringVar(&clock, "clock", "calendar", "response clock: calendar, or business (the rep's working hours)")
	f.StringVar(&format, "format", "table", "output: "+strings.Join(reports.Formats, ", "))
	f.StringVar(&out, "out", "", "write to this file instead of standard output")
	f.StringVar(&configPath, "config", "", "handoff.yaml with a reports: section (SLAs, stuck limits, MQL commitments)")
	f.StringVar(&sla, "sla", "", "sla-breaches: only this SLA")
	f.StringVar(&what, "what", "", "leads: the list behind a number ("+strings.Join(reports.DrillLists, ", ")+"); leaked: one crack ("+strings.Join(reports.Cracks, ", ")+")")
	return cmd
}

func writeReport(ctx context.Context, e *env, l *lake.Lake, tb reports.Table, format, out string) error {
	if format == "table" {
		return writeFile(e, out, func(w io.Writer) (int, error) { return len(tb.Rows), reports.WriteText(w, tb) })
	}
	return streamReport(ctx, e, l, format, out, func(open reports.Opener) (int, error) {
		rw, err := open(tb)
		if err != nil {
			return 0, err
		}
		for _, row := range tb.Rows {
			if err := rw.Write(row); err != nil {
				reports.Abort(rw)
				return 0, err
			}
		}
		return len(tb.Rows), rw.Close()
	})
}

// streamReport writes a report as csv, json or parquet through the row
// writer the report opens once it knows its columns: run hands it the
// rows (a list report streams them as DuckDB returns them). CSV and JSON
// go to standard output or, with out, to a file renamed into place once
// whole; Parquet always to out.
func streamReport(ctx context.Context, e *env, l *lake.Lake, format, out string, run func(reports.Opener) (int, error)) error {
	if format == "parquet" {
		n, err := run(func(head reports.Table) (reports.RowWriter, error) {
			return reports.NewParquetWriter(ctx, l.DB, head, out)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote %s to %s\n", plural(n, "row", "rows"), out)
		return nil
	}
	return writeFile(e, out, func(w io.Writer) (int, error) {
		return run(func(head reports.Table) (reports.RowWriter, error) {
			if format == "json" {
				return reports.NewJSONWriter(w, head), nil
			}
			return reports.NewCSVWriter(w, head), nil
		})
	})
}

// writeFile runs write on standard output or, with out, on a temporary
// file beside out renamed into place once whole, and then says how many
// rows write wrote.
func writeFile(e *env, out string, write func(io.Writer) (int, error)) error {
	if out == "" {
		_, err := write(e.stdout)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	rows, err := write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(e.stderr, "wrote %s to %s\n", plural(rows, "row", "rows"), out)
	return nil
}
