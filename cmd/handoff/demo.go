package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/examples"
	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/server"
)

func demoCommand(e *env) *cobra.Command {
	var g generateFlags
	var dir, addr, flightAddr string
	var noServe bool
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR] [--leads N] [--seed S] [--addr HOST:PORT] [--flight-addr HOST:PORT|off] [--no-serve]",
		Short: "Generate a sample company, ingest its exports, and show what landed",
		Long: `The whole job on built-in sample data: generates a year of one company's
Salesforce (North America), HubSpot (EMEA) and Marketo (APAC) exports,
ingests them through the real importers into a Parquet lake (quarantining the
rows spoiled on purpose), prints what is in the lake and where, then serves
the reports on --addr (127.0.0.1:8080) until Ctrl-C, as 'handoff serve'
would. --no-serve stops after ingesting.`,
		Example: `  handoff demo
  handoff demo --dir /tmp/handoff-demo --leads 50000 --seed 7`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.validate(); err != nil {
				return err
			}
			exports := filepath.Join(dir, "exports")
			lakeDir := filepath.Join(dir, "lake")
			fmt.Fprintf(e.stdout, "Generating %d leads (seed %d) as Salesforce, HubSpot and Marketo exports in %s …\n", g.leads, g.seed, exports)
			gen, err := g.generate(cmd, e, exports, "mixed")
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Ingesting %d files into %s …\n\n", len(gen.Files), lakeDir)
			// The demo shows the server's requests at info, not each
			// file the ingest reads: the summary below says that.
			quiet := slog.New(minLevel{e.log.Handler(), slog.LevelWarn})
			res, err := ingestWithProgress(cmd, e, ingest.Options{Lake: lakeDir, Logger: quiet}, []string{exports})
			if err != nil {
				return err
			}
			printIngest(e.stdout, lakeDir, res)
			l, err := lake.Open(cmd.Context(), lakeDir)
			if err != nil {
				return err
			}
			defer l.Close()
			sum, err := l.Summary(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout)
			printSummary(e.stdout, sum)
			fmt.Fprintf(e.stdout, "\nThe lake is %s (Parquet, one folder per table, partitioned by month; manifest.json lists every file).\n", lakeDir)
			fmt.Fprintf(e.stdout, "%s spoiled on purpose (%s) and sit in quarantine with their line and reason.\n",
				plural(len(gen.BadRows), "row was", "rows were"), filepath.Join(exports, "bad_rows.json"))
			fmt.Fprintf(e.stdout, "Query it with DuckDB: SELECT * FROM read_parquet('%s/current/leads/**/*.parquet')\n", lakeDir)
			fmt.Fprintf(e.stdout, "See the numbers: handoff report funnel --lake %s   (also response, sla, sources, stuck, quality: docs/reports.md)\n", lakeDir)
			fmt.Fprintf(e.stdout, "What fell through the cracks: handoff report leaks --lake %s; the weekly review: handoff review --lake %s --out review.html\n", lakeDir, lakeDir)
			if noServe {
				return nil
			}
			l.Close()
			opts := server.Options{Lake: lakeDir, Config: reports.DefaultConfig(), Logger: e.log}
			if err := withRules(cmd.Context(), &opts, "examples/rules.yaml", examples.Rules); err != nil {
				return err
			}
			return serveLake(cmd.Context(), e, opts, addr, flightAddr, cmd.Flags().Changed("flight-addr"))
		},
	}
	g.register(cmd, 5000, false)
	cmd.Flags().StringVar(&dir, "dir", "handoff-demo", "working directory for the exports and the lake")
	cmd.Flags().StringVar(&addr, "addr", server.DefaultAddr, "where to serve the reports")
	cmd.Flags().StringVar(&flightAddr, "flight-addr", server.DefaultFlightAddr, `where to serve Arrow Flight SQL, or "off"`)
	cmd.Flags().BoolVar(&noServe, "no-serve", false, "stop after ingesting")
	return cmd
}

func printSummary(w io.Writer, sum []lake.TableSummary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tFILES\tSIZE\tFROM\tTO")
	for _, s := range sum {
		from, to := "", ""
		if !s.First.IsZero() {
			from, to = s.First.Format("2006-01-02"), s.Last.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", s.Table, s.Rows, s.Files, lake.HumanBytes(s.Bytes), from, to)
	}
	tw.Flush()
}

// minLevel passes on only records at or above its level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.level && m.Handler.Enabled(ctx, l)
}
