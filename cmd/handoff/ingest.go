package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/internal/config"
	"github.com/handoff-dev/handoff/lake"
)

func ingestCommand(e *env) *cobra.Command {
	var opts ingest.Options
	var configPath string
	var explain bool
	cmd := &cobra.Command{
		Use:   "ingest --lake DIR [--source auto|canonical|hubspot|salesforce|marketo] PATH...",
		Short: "Validate exports and add them to the lake",
		Long: `Reads exports (CSV and other delimited text, XLSX, Parquet, canonical NDJSON),
maps them onto the canonical tables, and commits them to the lake in one
atomic step. Rows that fail validation go to quarantine/<run>/<file>.csv in
the lake with their line, column and reason; every good row is kept. An
optional value that cannot be read (a bad date in updated_at) leaves that
field blank and is listed in quarantine/<run>/<file>.warnings.csv.
Re-ingesting the same files changes nothing; a newer export of the same
records updates them.

Directories are read for *.csv, *.tsv, *.txt, *.xlsx, *.parquet, *.ndjson and
*.jsonl. With --source auto (the default) each file's vendor and layout is
recognised from its header (Salesforce Data Export, Data Loader and report
exports, HubSpot, Marketo, Fivetran and Airbyte tables), and a canonical
file's table from its name (leads.csv, stage_changes-2026-05.ndjson). The
encoding (UTF-8, UTF-16, Windows-1252), delimiter and date order are found
per file and shown; --explain shows them, and where each column goes,
without writing anything.

A file whose header fits no known layout is skipped and named in the
summary; the other files are committed.

The lake also keeps per-lead tables built at every commit (each lead's
first entry into each stage, each assignment's window and first stops,
each MQL's first stops) that reports read instead of working them out
again. --rebuild builds them again from the canonical tables, with or
without new inputs: for a lake an older handoff wrote.

Exit status: 0 when the run committed (even with quarantined rows, unless
--strict), 3 when it committed but skipped files it did not recognise
(unless --strict), 1 on failure (the lake is left as it was), 2 on a usage
error.`,
		Example: `  handoff ingest --lake ./lake exports/hubspot/
  handoff ingest --explain exports/salesforce/
  handoff ingest --lake ./lake --source salesforce Lead.csv LeadHistory.csv
  handoff ingest --lake ./lake --sheet Contacts hubspot-contacts.xlsx
  handoff ingest --lake ./lake --config handoff.yaml --strict leads.csv
  handoff ingest --lake ./lake --rebuild`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if len(paths) == 0 && !opts.RebuildKept {
				return usagef("name the exports to ingest (files or directories), or give --rebuild")
			}
			if !slices.Contains(ingest.Sources, opts.Source) {
				return usagef("--source %q: want one of %s", opts.Source, strings.Join(ingest.Sources, ", "))
			}
			if opts.MemoryLimit != "" {
				n, err := humanize.ParseBytes(opts.MemoryLimit)
				if err != nil || n < 1<<20 {
					return usagef("--memory-limit %q: want a size of at least 1 MiB, such as 4GB or 512MiB", opts.MemoryLimit)
				}
				opts.MemoryLimit = fmt.Sprintf("%dKiB", n>>10)
			}
			if configPath != "" {
				cfg, err := config.Load(configPath)
				if err != nil {
					return err
				}
				opts.Config = cfg.Ingest
			}
			if explain {
				exps, err := ingest.Explain(cmd.Context(), opts, paths)
				if err != nil {
					return err
				}
				printExplain(e.stdout, exps)
				return nil
			}
			if opts.Lake == "" {
				return usagef("--lake is required (or --explain, to look without ingesting)")
			}
			opts.Logger = e.log
			if len(paths) == 0 {
				m, err := ingest.Rebuild(cmd.Context(), opts)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "rebuilt the kept tables of %s (generation %d):\n", opts.Lake, m.Generation)
				for _, k := range lake.Kept {
					fmt.Fprintf(e.stdout, "  %-20s %s rows\n", k.Name, humanize.Comma(m.Kept[k.Name].Rows))
				}
				return nil
			}
			res, err := ingestWithProgress(cmd, e, opts, paths)
			if err != nil {
				if len(res.Files) > 0 {
					printIngest(e.stdout, opts.Lake, res)
				}
				return err
			}
			printIngest(e.stdout, opts.Lake, res)
			if res.SkippedFiles > 0 {
				return partialError{code: exitSkipped, msg: fmt.Sprintf("committed, but %d of %d files were skipped as not recognised (exit status 3; --strict makes this a failure)", res.SkippedFiles, len(res.Files))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Lake, "lake", "", "lake directory (created if missing)")
	f.StringVar(&opts.Source, "source", "auto", "export format: "+strings.Join(ingest.Sources, ", "))
	f.StringVar(&opts.Table, "table", "", "canonical table of every file (canonical source only): "+strings.Join(lake.TableNames(), ", "))
	f.StringVar(&opts.Sheet, "sheet", "", "worksheet of XLSX inputs (default: the first)")
	f.StringVar(&opts.MemoryLimit, "memory-limit", "", "cap DuckDB's memory while staging, such as 4GB; past it DuckDB spills to the lake's staging directory (default: 80% of RAM)")
	f.StringVar(&configPath, "config", "", "handoff.yaml with ingest settings (encoding, time zone, date order, mapping overrides)")
	f.BoolVar(&opts.Strict, "strict", false, "fail, leaving the lake unchanged, if any row is refused or any file is not recognised")
	f.BoolVar(&opts.RebuildKept, "rebuild", false, "build the lake's kept per-lead tables again from its canonical tables (no PATH needed)")
	f.BoolVar(&explain, "explain", false, "write nothing; show how each file would be read and where each column goes")
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

// printIngest reports per file what was accepted and refused, how it was
// read, and where the quarantine and warnings are.
func printIngest(w io.Writer, lakeDir string, res ingest.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tRECOGNISED AS\tREAD AS\tROWS\tACCEPTED\tQUARANTINED\tWARNINGS\tSKIPPED")
	for _, f := range res.Files {
		if f.Unrecognised != "" {
			what := "(not recognised)"
			if f.NotNeeded {
				what = "(not needed)"
			}
			fmt.Fprintf(tw, "%s\t%s\t\t-\t-\t-\t-\t-\n", f.Path, what)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%d\t%d\t%d\t%d\t%d\n", f.Path, f.Source, f.Kind, readAs(f.RunInput), f.Rows, f.Accepted, f.Quarantined, f.Warnings, f.Skipped)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s accepted, %d quarantined, %s.\n", plural(res.Accepted, "row", "rows"), res.Quarantined, plural(res.Warnings, "warning", "warnings"))
	for _, f := range res.Files {
		if f.EncodingNote != "" {
			fmt.Fprintf(w, "\n%s: %s\n", f.Path, f.EncodingNote)
		}
		if f.DateOrder != "" {
			fmt.Fprintf(w, "\n%s: slash dates read %s\n", f.Path, f.DateOrder)
		}
	}
	for _, f := range res.Files {
		if f.Unrecognised != "" {
			fmt.Fprintf(w, "\n%s: skipped: %s\n", f.Path, f.Unrecognised)
		}
	}
	committed := res.Run.ID != ""
	for _, f := range res.Files {
		printSamples(w, f.Path, f.Quarantined, f.Errors, sideFile(lakeDir, f.Quarantine, committed),
			"%s quarantined in %s", "%s refused")
	}
	for _, f := range res.Files {
		printSamples(w, f.Path, f.Warnings, f.WarningSamples, sideFile(lakeDir, f.WarningsFile, committed),
			"%s could not be read and were left blank (rows kept); listed in %s", "%s could not be read and were left blank (rows kept)")
	}
	switch {
	case res.Unchanged:
		fmt.Fprintf(w, "\nNothing changed: every file was ingested before (run %s) and the lake already holds its rows. No new generation (still %d).\n", res.SeenIn, res.Manifest.Generation)
	case res.Run.ID != "":
		changed := "no table changed"
		if len(res.Run.Changed) > 0 {
			changed = "changed: " + strings.Join(res.Run.Changed, ", ")
		}
		fmt.Fprintf(w, "\nRun %s committed to %s (generation %d; %s).\n", res.Run.ID, lakeDir, res.Manifest.Generation, changed)
	}
}

// sideFile is where a quarantine or warnings file lies in the lake, "" when
// the run did not commit it.
func sideFile(lakeDir, rel string, committed bool) string {
	if rel == "" || !committed {
		return ""
	}
	return filepath.Join(lakeDir, rel)
}

// printSamples says how many rows of a file were refused (or values left
// blank), where they are listed, and the first few.
func printSamples(w io.Writer, path string, n int64, samples []*ingest.Error, where, withFile, withoutFile string) {
	if n == 0 {
		return
	}
	what := plural(n, "row", "rows")
	if strings.Contains(withFile, "could not be read") {
		what = plural(n, "value", "values")
	}
	if where != "" {
		fmt.Fprintf(w, "\n%s: "+withFile+"\n", path, what, where)
	} else {
		fmt.Fprintf(w, "\n%s: "+withoutFile+"\n", path, what)
	}
	for _, e := range samples {
		fmt.Fprintf(w, "  %v\n", e)
	}
	if int64(len(samples)) < n {
		fmt.Fprintf(w, "  … and %d more\n", n-int64(len(samples)))
	}
}

// readAs says how a file was read: its encoding and delimiter.
func readAs(in lake.RunInput) string {
	parts := []string{}
	if in.Encoding != "" {
		parts = append(parts, in.Encoding)
	}
	if in.Delimiter != "" {
		parts = append(parts, ingest.DelimiterName(in.Delimiter))
	}
	return strings.Join(parts, ", ")
}

// printExplain shows, per file, how it would be read and where each column
// goes, with a handoff.yaml fragment for what is left unplaced.
func printExplain(w io.Writer, exps []ingest.Explanation) {
	for i, ex := range exps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n", ex.Path)
		if ex.Err != nil {
			fmt.Fprintf(w, "  cannot be read: %v\n", ex.Err)
			continue
		}
		if ex.Layout != "" {
			fmt.Fprintf(w, "  layout:     %s (%s)\n", ex.Layout, ex.Description)
		} else {
			fmt.Fprintf(w, "  layout:     none: %s\n", ex.Unrecognised)
		}
		d := ex.Dialect
		fmt.Fprintf(w, "  encoding:   %s\n", d.Encoding)
		if d.EncodingNote != "" {
			fmt.Fprintf(w, "              %s\n", d.EncodingNote)
		}
		if d.Delimiter != "" {
			fmt.Fprintf(w, "  delimiter:  %s; line ending %s\n", ingest.DelimiterName(d.Delimiter), d.LineEnding)
		}
		if d.DateOrder != "" {
			fmt.Fprintf(w, "  date order: %s\n", d.DateOrder)
		} else if ex.Layout != "" {
			fmt.Fprintf(w, "  date order: no slash dates in the file\n")
		}
		fmt.Fprintln(w, "  columns:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range ex.Columns {
			where := strings.Join(c.Targets, "; ")
			if c.Ignored != "" {
				where = "ignored: " + c.Ignored
			}
			fmt.Fprintf(tw, "    %s\t→ %s\n", c.Column, where)
		}
		tw.Flush()
		if ex.Suggestion != "" {
			fmt.Fprintln(w, "  to place the rest, add to handoff.yaml:")
			for _, line := range strings.Split(strings.TrimRight(ex.Suggestion, "\n"), "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
}
