package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/sample"
)

type generateFlags struct {
	out    string
	leads  int
	seed   int64
	format string
}

func (g *generateFlags) register(cmd *cobra.Command, defaultLeads int, withOut bool) {
	f := cmd.Flags()
	if withOut {
		f.StringVar(&g.out, "out", "", "output directory (created if missing)")
	}
	f.IntVar(&g.leads, "leads", defaultLeads, "number of leads, 100 to 10,000,000")
	f.Int64Var(&g.seed, "seed", 1, "random seed: the same seed writes the same bytes")
}

func (g *generateFlags) validate() error {
	if g.leads < 1 || g.leads > 10_000_000 {
		return usagef("--leads must be between 1 and 10,000,000, got %d", g.leads)
	}
	return nil
}

// generate runs the generator with a progress bar on a terminal.
func (g *generateFlags) generate(cmd *cobra.Command, e *env, dir, format string) (sample.Result, error) {
	opts := sample.Options{Leads: g.leads, Seed: g.seed, Format: format}
	if e.stderrIsTerminal() && g.leads >= 50_000 {
		bar := progressbar.NewOptions(g.leads, progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetDescription("generating"),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
		opts.Progress = func(done, _ int) { bar.Set(done) }
		defer bar.Finish()
	}
	return sample.Generate(cmd.Context(), dir, opts)
}

func generateCommand(e *env) *cobra.Command {
	var g generateFlags
	cmd := &cobra.Command{
		Use:   "generate --out DIR [--leads N] [--seed S] [--format canonical|hubspot|salesforce|marketo|mixed]",
		Short: "Write a realistic, deterministic sample of CRM exports",
		Long: `Simulates a company's year of leads (sources with different conversion, reps
in teams and time zones with working hours, a real speed-to-lead effect,
reassignments, recycles, dispositions, deals and monthly spend) and writes it
as canonical CSV files or as HubSpot, Salesforce or Marketo exports.

Vendor exports carry a handful of deliberately bad rows; bad_rows.json lists
them with their lines, so you can check that ingest quarantines exactly those.
"mixed" writes Salesforce (North America), HubSpot (EMEA) and Marketo (APAC)
exports of one company into subfolders, as the demo does.`,
		Example: `  handoff generate --out sample --leads 10000
  handoff generate --out exports --format hubspot --seed 7`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.out == "" {
				return usagef("--out is required")
			}
			if err := g.validate(); err != nil {
				return err
			}
			valid := false
			for _, f := range sample.Formats {
				valid = valid || f == g.format
			}
			if !valid {
				return usagef("--format %q: use one of %s", g.format, strings.Join(sample.Formats, ", "))
			}
			res, err := g.generate(cmd, e, g.out, g.format)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Wrote %d leads as %s exports to %s:\n", res.Leads, g.format, res.Dir)
			for _, f := range res.Files {
				fmt.Fprintf(e.stdout, "  %s\n", f)
			}
			if len(res.BadRows) > 0 {
				fmt.Fprintf(e.stdout, "%s spoiled on purpose (listed in %s).\n", plural(len(res.BadRows), "row is", "rows are"), sample.BadRowsFile)
			}
			// The lake beside the exports, as the README's tour has it
			// (demo-data/exports → demo-data/lake).
			fmt.Fprintf(e.stdout, "Next: handoff ingest --lake %s %s\n", filepath.Join(filepath.Dir(filepath.Clean(res.Dir)), "lake"), res.Dir)
			return nil
		},
	}
	g.register(cmd, 5000, true)
	cmd.Flags().StringVar(&g.format, "format", "canonical", "export format: "+strings.Join(sample.Formats, ", "))
	return cmd
}
