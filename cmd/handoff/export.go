package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/exports"
	"github.com/handoff-dev/handoff/internal/config"
	"github.com/handoff-dev/handoff/lake"
)

func exportCommand(e *env) *cobra.Command {
	var lakeDir, configPath string
	var names []string
	var now bool
	cmd := &cobra.Command{
		Use:   "export --now --lake DIR --config handoff.yaml [--name NAME]...",
		Short: "Run the exports of handoff.yaml once, now (handoff serve runs them on schedule)",
		Long: `Writes each export of the exports: section of handoff.yaml (a report with its
parameters, or a whole canonical table, as Parquet, CSV or Arrow IPC) into
its folder, named for today, e.g. funnel_cohort/2026-11-23.parquet. Each
file is written beside its place and renamed in, then a manifest beside it
(FILE.json: rows, columns, parameters, lake generation, checksum), so a BI
loader only ever sees whole files. Retention (keep: N) removes the oldest.

For cron or CI users; handoff serve --config runs the same exports on their
schedules, once on start for a time it missed while down.
examples/handoff.yaml is a commented example.`,
		Example: `  handoff export --now --lake ./lake --config examples/handoff.yaml
  handoff export --now --lake ./lake --config handoff.yaml --name funnel_cohort`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if !now {
				return usagef("only --now runs exports from the command line: handoff serve --config runs them on schedule")
			}
			if lakeDir == "" || configPath == "" {
				return usagef("--lake and --config are required")
			}
			whole, err := config.Load(configPath)
			if err != nil {
				return err
			}
			cfg, reportsCfg := whole.Exports, whole.Reports
			todo := cfg.Exports
			if len(names) > 0 {
				todo = nil
				for _, n := range names {
					found := false
					for _, x := range cfg.Exports {
						if x.Name == n {
							todo, found = append(todo, x), true
						}
					}
					if !found {
						return usagef("no export %q in %s", n, configPath)
					}
				}
			}
			if len(todo) == 0 {
				return usagef("%s has no exports: section (see examples/handoff.yaml)", configPath)
			}
			l, err := lake.Open(ctx, lakeDir)
			if err != nil {
				return err
			}
			defer l.Close()
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "EXPORT\tFILE\tROWS")
			var failed []string
			at := time.Now()
			for _, x := range todo {
				m, err := exports.Run(ctx, l, x, reportsCfg, at)
				if err != nil {
					fmt.Fprintf(e.stderr, "%v (the previous files stay)\n", err)
					failed = append(failed, x.Name)
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\n", x.Name, x.Dir+"/"+x.Name+"/"+m.File, m.Rows)
			}
			tw.Flush()
			if len(failed) > 0 {
				return fmt.Errorf("%d export(s) failed: %s", len(failed), strings.Join(failed, ", "))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&now, "now", false, "run the exports once, now")
	f.StringVar(&lakeDir, "lake", "", "lake directory")
	f.StringVar(&configPath, "config", "", "handoff.yaml with an exports: section")
	f.StringArrayVar(&names, "name", nil, "only this export (repeatable)")
	return cmd
}
