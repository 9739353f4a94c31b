package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/exports"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/reports"
)

func benchExportsCommand(e *env) *cobra.Command {
	var (
		leads int
		dir   string
	)
	cmd := &cobra.Command{
		Use:   "exports [--leads N] [--dir DIR]",
		Short: "Time the exports of a large report and the activities table against DuckDB's own COPY",
		Long: `Builds (or reuses, in --dir) a lake of generated leads and writes, in each
format (Parquet, CSV, Arrow IPC), in this one process:

  report  the leads report (--what created: one row per lead) as a
          scheduled export writes it: computed through the report layer,
          written beside its place, renamed, with its manifest
  table   the activities table, whole

each against DuckDB's own COPY (...) TO of the same rows: the report's
statement (captured as it runs) or SELECT * FROM activities. DuckDB has no
Arrow IPC writer without an extension handoff cannot download, so the Arrow
rows are measured against DuckDB's Parquet COPY.`,
		Example: `  handoff bench exports --leads 1000000 --dir /tmp/bench`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			l, dir, done, err := openBenchLake(ctx, e, dir, leads)
			if err != nil {
				return err
			}
			defer done()
			lakeDir := l.Dir
			out, err := os.MkdirTemp(dir, "exports-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(out)

			// The report's statement, captured as the report layer runs it.
			var stmt models.Statement
			capture := models.WithObserver(ctx, func(s models.Statement) { stmt = s })
			if _, err := reports.Leads(capture, l, reports.Params{What: "created"}, reports.DefaultConfig()); err != nil {
				return err
			}
			reportSQL := strings.TrimRight(strings.TrimSpace(stmt.Model.SQL), ";")

			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(e.stdout, "\nexports of %d leads (%s)\n\n", leads, lakeDir)
			fmt.Fprintln(tw, "what\tformat\trows\thandoff s\tDuckDB COPY s\thandoff ÷ COPY\t")
			for _, what := range []string{"report", "table"} {
				for _, format := range exports.Formats {
					x := exports.Export{Name: what + "_" + format, Dir: out, Format: format}
					if what == "report" {
						x.Report, x.Params = "leads", map[string]string{"what": "created"}
					} else {
						x.Table = "activities"
					}
					if err := x.Check(); err != nil {
						return err
					}
					start := time.Now()
					m, err := exports.Run(ctx, l, x, reports.DefaultConfig(), time.Now())
					if err != nil {
						return err
					}
					took := time.Since(start)
					copyFormat := "FORMAT parquet, COMPRESSION zstd"
					if format == "csv" {
						copyFormat = "FORMAT csv, HEADER true"
					}
					base := filepath.Join(out, what+"_"+format+".baseline")
					start = time.Now()
					if what == "report" {
						_, err = l.DB.ExecContext(ctx, "COPY ("+reportSQL+") TO "+lake.Literal(base)+" ("+copyFormat+")", stmt.NamedArgs()...)
					} else {
						_, err = l.DB.ExecContext(ctx, "COPY (SELECT * FROM activities) TO "+lake.Literal(base)+" ("+copyFormat+")")
					}
					if err != nil {
						return fmt.Errorf("baseline %s %s: %w", what, format, err)
					}
					baseline := time.Since(start)
					fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.2f\t%.2f×\t\n", what, format, m.Rows, took.Seconds(), baseline.Seconds(), took.Seconds()/baseline.Seconds())
					os.Remove(base)
				}
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.IntVar(&leads, "leads", 1_000_000, "leads in the generated lake")
	f.StringVar(&dir, "dir", "", "keep the generated data and lake here and reuse them (default: a temporary directory)")
	return cmd
}
