package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"net"
	"os"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/handoff-dev/handoff/internal/config"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
	"github.com/handoff-dev/handoff/server"
)

func serveCommand(e *env) *cobra.Command {
	var lakeDir, configPath, addr, flightAddr, rulesPath, flightCert, flightKey string
	var requireToken bool
	var hosts, trustedProxies []string
	var maxUpload, flightMemory string
	var readTimeout, writeTimeout, idleTimeout, flightTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "serve --lake DIR [--config FILE] [--rules rules.yaml] [--addr HOST:PORT] [--flight-addr HOST:PORT|off]",
		Short: "Serve the dashboards and the reports' JSON API",
		Long: `Serves the dashboards (/overview, /funnel, /speed, /aging, /sources, /sla,
/quality, /leaks, /scoring and /routing with --rules, /leads and a page per lead
at /leads/ID, /data, and the weekly review at /review; filters live in the URL) and
every report of 'handoff report' over HTTP: /api/v1/reports/NAME takes
the same parameters as the command line (from, to, as_of, tz, grain, window,
by, clock, filter=DIM=VALUE or DIM=VALUE directly, sla) plus format
(json, csv, parquet), offset and limit. /api/v1/openapi.json describes it all;
/healthz and /readyz answer for monitors.

The API needs a token (handoff token create --lake DIR --scope reports:read):
curl -H "Authorization: Bearer hnd_…". The dashboards and their downloads
are open on 127.0.0.1 and ask for a token on any other address.

SQL clients connect to the Arrow Flight SQL endpoint on --flight-addr
(127.0.0.1:8815): the canonical tables, and in the schema reports one table
per report at its default parameters, read-only, with a token of scope
lake:read (docs/exports.md shows Go and JDBC).

Results are cached per lake state: an ingest that commits while the server
runs shows its numbers on the next request, never stale ones. The server
listens on 127.0.0.1 unless --addr says otherwise. Ctrl-C (or SIGTERM)
stops taking requests and lets those in flight finish.

Each request is logged on stderr (--log-format json for machines).`,
		Example: `  handoff serve --lake ./lake
  handoff serve --lake ./lake --config handoff.yaml --addr 127.0.0.1:9000
  curl -H "Authorization: Bearer $(handoff token create --lake ./lake --scope reports:read)" \
    'http://127.0.0.1:8080/api/v1/reports/funnel?by=source&format=csv'`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lakeDir == "" {
				return usagef("--lake is required")
			}
			opts := server.Options{Lake: lakeDir, Config: reports.DefaultConfig(), Logger: e.log, RequireToken: requireToken,
				Hosts: hosts, TrustedProxies: trustedProxies, ReadTimeout: readTimeout, WriteTimeout: writeTimeout, IdleTimeout: idleTimeout}
			opts.Flight.QueryTimeout = flightTimeout
			for _, size := range []struct {
				flag, text string
				into       *int64
			}{{"--max-upload", maxUpload, &opts.MaxUpload}, {"--flight-memory-limit", flightMemory, &opts.Flight.MemoryLimit}} {
				if size.text == "" {
					continue
				}
				n, err := humanize.ParseBytes(size.text)
				if err != nil || n == 0 || n > math.MaxInt64 {
					return usagef("%s %q: want a size such as 512MB or 2GiB", size.flag, size.text)
				}
				*size.into = int64(n)
			}
			if (flightCert == "") != (flightKey == "") {
				return usagef("--flight-tls-cert and --flight-tls-key go together")
			}
			if flightCert != "" {
				pair, err := tls.LoadX509KeyPair(flightCert, flightKey)
				if err != nil {
					return fmt.Errorf("flight sql tls: %w", err)
				}
				opts.FlightTLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
			}
			if configPath != "" {
				cfg, err := config.Load(configPath)
				if err != nil {
					return err
				}
				opts.Config, opts.Ingest, opts.Exports = cfg.Reports, cfg.Ingest, cfg.Exports.Exports
			}
			if rulesPath != "" {
				raw, err := os.ReadFile(rulesPath)
				if err != nil {
					return fmt.Errorf("read rules: %w", err)
				}
				if err := withRules(cmd.Context(), &opts, rulesPath, raw); err != nil {
					return err
				}
				// PUT /api/v1/rules saves replacements here.
				opts.RulesPath = rulesPath
			}
			return serveLake(cmd.Context(), e, opts, addr, flightAddr, cmd.Flags().Changed("flight-addr"))
		},
	}
	cmd.Flags().StringVar(&lakeDir, "lake", "", "lake directory (it may be empty until a first ingest)")
	cmd.Flags().StringVar(&configPath, "config", "", "handoff.yaml: its reports: (SLAs, stuck limits, MQL commitments), ingest: (for uploads) and exports: (run on schedule) sections")
	cmd.Flags().StringVar(&addr, "addr", server.DefaultAddr, "address to listen on")
	cmd.Flags().StringVar(&flightAddr, "flight-addr", server.DefaultFlightAddr, `address of the Arrow Flight SQL endpoint, or "off"`)
	cmd.Flags().StringVar(&flightCert, "flight-tls-cert", "", "PEM certificate (chain) to serve Flight SQL over TLS, with --flight-tls-key")
	cmd.Flags().StringVar(&flightKey, "flight-tls-key", "", "PEM private key of --flight-tls-cert")
	cmd.Flags().BoolVar(&requireToken, "require-token", false, "ask for a token at the dashboards even on 127.0.0.1 (behind a reverse proxy)")
	cmd.Flags().StringVar(&rulesPath, "rules", "", "rules.yaml: its scoring rules for the /scoring page, its routing rules for /routing")
	cmd.Flags().StringArrayVar(&hosts, "host", nil, `a host name the server answers to (repeatable), besides its address, localhost and 127.0.0.1; other Host headers are refused ("*" allows any)`)
	cmd.Flags().StringArrayVar(&trustedProxies, "trusted-proxy", nil, "an address or CIDR whose X-Forwarded-For is believed in the logs (repeatable); none by default")
	cmd.Flags().StringVar(&maxUpload, "max-upload", "", "largest upload the data page takes (default 512MiB)")
	cmd.Flags().DurationVar(&readTimeout, "read-timeout", 0, "time to read a whole request, body included (default 10m)")
	cmd.Flags().DurationVar(&writeTimeout, "write-timeout", 0, "time to compute and write an answer (default 10m)")
	cmd.Flags().DurationVar(&idleTimeout, "idle-timeout", 0, "how long a kept-alive connection may wait for its next request (default 2m)")
	cmd.Flags().StringVar(&flightMemory, "flight-memory-limit", "", "memory the Flight SQL queries share, such as 4GiB (default a quarter of the machine's)")
	cmd.Flags().DurationVar(&flightTimeout, "flight-query-timeout", 0, "time one Flight SQL query may take (default 2m)")
	return cmd
}

// withRules gives the server a rules file: its scoring rules for the
// scoring page, the file for the routing page. The lake, when there is one
// already, adds the activity kinds it holds to those a rule may name.
func withRules(ctx context.Context, opts *server.Options, name string, raw []byte) error {
	var kinds []string
	if l, err := lake.Open(ctx, opts.Lake); err == nil {
		kinds, _ = scoring.LakeKinds(ctx, l)
		l.Close()
	}
	r, err := scoring.ParseRules(name, raw, kinds)
	if err != nil {
		return err
	}
	f, err := scoring.ParseFile(name, raw)
	if err != nil {
		return err
	}
	opts.Rules, opts.RulesFile, opts.RulesRaw = &r, f, raw
	return nil
}

// serveLake serves opts.Lake on addr, and Flight SQL on flightAddr unless
// it is "off", until ctx ends. A Flight SQL address that was not asked for
// (the default) and is taken only costs a warning: the dashboards still
// start.
func serveLake(ctx context.Context, e *env, opts server.Options, addr, flightAddr string, flightAsked bool) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another handoff running? pick another port with --addr)", addr, err)
	}
	var flightLn net.Listener
	if flightAddr != "off" {
		flightLn, err = net.Listen("tcp", flightAddr)
		switch {
		case err != nil && flightAsked:
			ln.Close()
			return fmt.Errorf("listen on %s for Flight SQL: %w (pick another port with --flight-addr, or --flight-addr off)", flightAddr, err)
		case err != nil:
			fmt.Fprintf(e.stderr, "warning: no Flight SQL endpoint: %v (pick a free port with --flight-addr)\n", err)
			flightLn = nil
		}
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "\nServing %s on %s\n  dashboards: %s/overview (also /funnel, /speed, /aging, /sources, /sla, /quality, /leaks, /scoring, /routing, /leads, /review, /data)\n  API:        %s/api/v1/reports (described at /api/v1/openapi.json)\n", opts.Lake, url, url, url)
	if flightLn != nil {
		security := "plain gRPC"
		if opts.FlightTLS != nil {
			security = "TLS"
		}
		fmt.Fprintf(e.stdout, "  SQL:        flightsql://%s (Arrow Flight SQL, read-only, %s; token: handoff token create --lake %s --scope lake:read)\n", flightLn.Addr(), security, opts.Lake)
	}
	fmt.Fprintln(e.stdout, "Ctrl-C stops.")
	srv := server.New(opts)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(gctx, ln) })
	if flightLn != nil {
		g.Go(func() error { return srv.ServeFlight(gctx, flightLn) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "Stopped.")
	return nil
}
