package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

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
rows are measured against DuckDB's Parquet COPY.

Last, a Flight SQL client on 127.0.0.1 reads the whole activities table
through handoff's endpoint (record batches counted, not kept), against the
same Parquet COPY.`,
		Example: `  handoff bench exports --leads 1000000 --dir /tmp/bench`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The computation is timed, not the memo a second run would read.
			ctx := models.WithoutSharing(cmd.Context())
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
			// A Flight SQL client on 127.0.0.1 reading all of activities,
			// against DuckDB's Parquet COPY of the same rows.
			rows, took, err := benchFlightScan(ctx, lakeDir, "SELECT * FROM activities")
			if err != nil {
				return fmt.Errorf("flight sql scan: %w", err)
			}
			base := filepath.Join(out, "flight.baseline")
			start := time.Now()
			if _, err := l.DB.ExecContext(ctx, "COPY (SELECT * FROM activities) TO "+lake.Literal(base)+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
				return fmt.Errorf("baseline flight: %w", err)
			}
			baseline := time.Since(start)
			os.Remove(base)
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.2f\t%.2f×\t\n", "table", "Flight SQL scan", rows, took.Seconds(), baseline.Seconds(), took.Seconds()/baseline.Seconds())
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.IntVar(&leads, "leads", 1_000_000, "leads in the generated lake")
	f.StringVar(&dir, "dir", "", "keep the generated data and lake here and reuse them (default: a temporary directory)")
	return cmd
}

// benchFlightScan serves the lake's Flight SQL on a free 127.0.0.1 port,
// runs query through arrow-go's client, and reads every record batch; it
// returns the rows read and the time from the query to the last batch.
// The server stops before it returns.
func benchFlightScan(ctx context.Context, lakeDir, query string) (int64, time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	const token = "bench-flight"
	f := exports.NewFlight(exports.FlightOptions{Lake: lakeDir, Config: reports.DefaultConfig(), Authorize: func(t string) error {
		if t != token {
			return errors.New("not the bench token")
		}
		return nil
	}})
	srvCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- f.Serve(srvCtx, ln) }()
	defer func() { stop(); <-served }()

	cl, err := flightsql.NewClient(ln.Addr().String(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	callCtx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	// A first query opens the lake state (and locks it down), as the
	// server's first client would; the scan is timed on a warm server.
	if _, err := cl.Execute(callCtx, "SELECT 1"); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	info, err := cl.Execute(callCtx, query)
	if err != nil {
		return 0, 0, err
	}
	var rows int64
	for _, ep := range info.Endpoint {
		rdr, err := cl.DoGet(callCtx, ep.Ticket)
		if err != nil {
			return 0, 0, err
		}
		for rdr.Next() {
			rows += rdr.RecordBatch().NumRows()
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil {
			return 0, 0, err
		}
	}
	return rows, time.Since(start), nil
}
