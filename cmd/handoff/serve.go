package main

import (
	"context"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
	"github.com/handoff-dev/handoff/server"
)

func serveCommand(e *env) *cobra.Command {
	var lakeDir, configPath, addr, rulesPath string
	cmd := &cobra.Command{
		Use:   "serve --lake DIR [--config FILE] [--rules rules.yaml] [--addr HOST:PORT]",
		Short: "Serve the dashboards and the reports' JSON API",
		Long: `Serves the dashboards (/overview, /funnel, /speed, /aging, /sources, /sla,
/quality, /scoring with --rules, /leads, /data; filters live in the URL) and
every report of 'handoff report' over HTTP: /api/v1/reports/NAME takes
the same parameters as the command line (from, to, as_of, tz, grain, window,
by, clock, filter=DIM=VALUE or DIM=VALUE directly, sla) plus format
(json, csv, parquet), offset and limit. /api/v1/openapi.json describes it all;
/healthz and /readyz answer for monitors.

Results are cached per lake state: an ingest that commits while the server
runs shows its numbers on the next request, never stale ones. The server
listens on 127.0.0.1 unless --addr says otherwise. Ctrl-C (or SIGTERM)
stops taking requests and lets those in flight finish.

Each request is logged on stderr (--log-format json for machines).`,
		Example: `  handoff serve --lake ./lake
  handoff serve --lake ./lake --config handoff.yaml --addr 127.0.0.1:9000
  curl 'http://127.0.0.1:8080/api/v1/reports/funnel?by=source&format=csv'`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" {
				return usagef("--lake is required")
			}
			opts := server.Options{Lake: lakeDir, Config: reports.DefaultConfig(), Logger: e.log}
			if configPath != "" {
				var err error
				if opts.Config, err = reports.LoadConfig(configPath); err != nil {
					return err
				}
				if opts.Ingest, err = ingest.LoadConfig(configPath); err != nil {
					return err
				}
			}
			if rulesPath != "" {
				r, err := serveRules(cmd.Context(), lakeDir, rulesPath, nil)
				if err != nil {
					return err
				}
				opts.Rules = &r
			}
			return serveLake(cmd.Context(), e, opts, addr)
		},
	}
	cmd.Flags().StringVar(&lakeDir, "lake", "", "lake directory (it may be empty until a first ingest)")
	cmd.Flags().StringVar(&configPath, "config", "", "handoff.yaml: its reports: section (SLAs, stuck limits, MQL commitments) and ingest: section (for uploads)")
	cmd.Flags().StringVar(&addr, "addr", server.DefaultAddr, "address to listen on")
	cmd.Flags().StringVar(&rulesPath, "rules", "", "rules.yaml whose scoring rules the /scoring page backtests")
	return cmd
}

// serveRules reads scoring rules for the server: from path, or raw when
// path names embedded content. The lake, when there is one already, adds
// the activity kinds it holds to those a rule may name.
func serveRules(ctx context.Context, lakeDir, path string, raw []byte) (scoring.Rules, error) {
	var kinds []string
	if l, err := lake.Open(ctx, lakeDir); err == nil {
		kinds, _ = scoring.LakeKinds(ctx, l)
		l.Close()
	}
	if raw != nil {
		return scoring.ParseRules(path, raw, kinds)
	}
	return scoring.LoadRules(path, kinds)
}

// serveLake serves opts.Lake on addr until ctx ends.
func serveLake(ctx context.Context, e *env, opts server.Options, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another handoff running? pick another port with --addr)", addr, err)
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "\nServing %s on %s\n  dashboards: %s/overview (also /funnel, /speed, /aging, /sources, /sla, /quality, /scoring, /data)\n  API:        %s/api/v1/reports (described at /api/v1/openapi.json)\nCtrl-C stops.\n", opts.Lake, url, url, url)
	err = server.New(opts).Serve(ctx, ln)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "Stopped.")
	return nil
}
