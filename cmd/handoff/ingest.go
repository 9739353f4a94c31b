package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
)

func ingestCommand(e *env) *cobra.Command {
	var opts ingest.Options
	var configPath string
	cmd := &cobra.Command{
		Use:   "ingest --lake DIR [--source auto|canonical|hubspot|salesforce|marketo] PATH...",
		Short: "Validate exports and add them to the lake",
		Long: `Reads CSV (and canonical NDJSON) exports, maps them onto the canonical tables,
and commits them to the lake in one atomic step. Rows that fail validation go
to quarantine/<run>/<file>.csv in the lake with their line, column and reason;
every good row is kept. Re-ingesting the same export changes nothing; a newer
export of the same records updates them.

Directories are read for *.csv, *.ndjson and *.jsonl. With --source auto (the
default) each file's vendor and kind is recognised from its header, and a
canonical file's table from its name (leads.csv, stage_changes-2026-05.ndjson).

Exit status: 0 when the run committed (even with quarantined rows, unless
--strict), 1 on failure (the lake is left as it was), 2 on a usage error.`,
		Example: `  handoff ingest --lake ./lake exports/hubspot/
  handoff ingest --lake ./lake --source salesforce Lead.csv LeadHistory.csv
  handoff ingest --lake ./lake --config handoff.yaml --strict leads.csv`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if opts.Lake == "" {
				return usagef("--lake is required")
			}
			if configPath != "" {
				cfg, err := ingest.LoadConfig(configPath)
				if err != nil {
					return err
				}
				opts.Config = cfg
			}
			opts.Logger = e.log
			res, err := ingestWithProgress(cmd, e, opts, paths)
			if err != nil {
				if len(res.Files) > 0 {
					printIngest(e.stdout, opts.Lake, res)
				}
				return err
			}
			printIngest(e.stdout, opts.Lake, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Lake, "lake", "", "lake directory (created if missing)")
	f.StringVar(&opts.Source, "source", "auto", "export format: "+strings.Join(ingest.Sources, ", "))
	f.StringVar(&opts.Table, "table", "", "canonical table of every file (canonical source only): "+strings.Join(lake.TableNames(), ", "))
	f.StringVar(&configPath, "config", "", "handoff.yaml with ingest settings (time zone, date formats, mapping overrides)")
	f.BoolVar(&opts.Strict, "strict", false, "fail, leaving the lake unchanged, if any row is refused")
	return cmd
}

// ingestWithProgress runs an ingest with a progress bar when stderr is a
// terminal; piped or in CI it stays silent.
func ingestWithProgress(cmd *cobra.Command, e *env, opts ingest.Options, paths []string) (ingest.Result, error) {
	if e.stderrIsTerminal() {
		var bar *progressbar.ProgressBar
		opts.Progress = func(done, total int64) {
			if bar == nil {
				bar = progressbar.NewOptions64(total,
					progressbar.OptionSetWriter(e.stderr),
					progressbar.OptionSetDescription("ingesting"),
					progressbar.OptionShowBytes(true),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionThrottle(100_000_000))
			}
			bar.Set64(done)
		}
		defer func() {
			if bar != nil {
				bar.Finish()
			}
		}()
	}
	return ingest.Run(cmd.Context(), opts, paths)
}

// printIngest reports per file what was accepted and refused, and where the
// quarantine is.
func printIngest(w io.Writer, lakeDir string, res ingest.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tRECOGNISED AS\tROWS\tACCEPTED\tQUARANTINED\tSKIPPED")
	for _, f := range res.Files {
		fmt.Fprintf(tw, "%s\t%s %s\t%d\t%d\t%d\t%d\n", f.Path, f.Source, f.Kind, f.Rows, f.Accepted, f.Quarantined, f.Skipped)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d rows accepted, %d quarantined.\n", res.Accepted, res.Quarantined)
	for _, f := range res.Files {
		if f.Quarantined == 0 {
			continue
		}
		if f.Quarantine != "" {
			fmt.Fprintf(w, "\n%s: %d rows quarantined in %s\n", f.Path, f.Quarantined, filepath.Join(lakeDir, f.Quarantine))
		} else {
			fmt.Fprintf(w, "\n%s: %d rows refused\n", f.Path, f.Quarantined)
		}
		for _, e := range f.Errors {
			fmt.Fprintf(w, "  %v\n", e)
		}
		if int64(len(f.Errors)) < f.Quarantined {
			fmt.Fprintf(w, "  … and %d more\n", f.Quarantined-int64(len(f.Errors)))
		}
	}
	if res.Run.ID != "" {
		changed := "no table changed"
		if len(res.Run.Changed) > 0 {
			changed = "changed: " + strings.Join(res.Run.Changed, ", ")
		}
		fmt.Fprintf(w, "\nRun %s committed to %s (generation %d; %s).\n", res.Run.ID, lakeDir, res.Manifest.Generation, changed)
	}
}
