package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/bench"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/server"
)

// servePaths are what the load test asks for: every dashboard page and the
// API answers a BI tool or a script would pull.
var servePaths = []string{
	"/overview", "/funnel", "/speed", "/aging", "/sources", "/sla", "/quality", "/leaks", "/review", "/leads?what=won",
	"/api/v1/reports/funnel?by=source", "/api/v1/reports/response?by=owner",
	"/api/v1/reports/sla?by=team", "/api/v1/reports/overview",
}

func benchServeCommand(e *env) *cobra.Command {
	var (
		leads    int
		dir      string
		clients  int
		duration time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve [--leads N] [--dir DIR] [--clients C] [--duration D]",
		Short: "Load-test the dashboards and API on 127.0.0.1: cold, cached and uncached",
		Long: `Builds (or reuses, in --dir) a lake of generated leads, serves it on a free
port of 127.0.0.1 in this process, and measures, with nothing else talking
to the server:

  floor     /healthz with --clients clients for a quarter of --duration:
            what the HTTP stack alone costs on this machine, the baseline
  cold      each page and API path once, one after another, on an empty
            cache (the first also opens the lake)
  cached    --clients clients for --duration, round robin over the same
            paths: what a team sees once the morning's first person loaded
            the pages
  uncached  --clients clients for half of --duration, each request a
            funnel with an end date nobody asked for before, so every one
            is computed

Every phase stops by itself at its time (and at 100,000 requests). Errors
are any status other than 200 or a failed connection; the goal is none.`,
		Example: `  handoff bench serve --leads 1000000 --dir /tmp/bench
  handoff bench serve --leads 20000 --clients 4 --duration 10s`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if leads < 100 || clients < 1 || duration < time.Second {
				return usagef("want --leads ≥ 100, --clients ≥ 1, --duration ≥ 1s")
			}
			dir, cleanup, err := benchDir(dir)
			if err != nil {
				return err
			}
			defer cleanup()
			lakeDir, err := benchLake(ctx, e, dir, leads)
			if err != nil {
				return err
			}
			// The API needs a token: one for this run, revoked at its end.
			tok, secret, err := server.CreateToken(lakeDir, "bench serve", []string{server.ScopeReports})
			if err != nil {
				return err
			}
			defer server.RevokeToken(lakeDir, tok.ID)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			srvCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				done <- server.New(server.Options{Lake: lakeDir, Config: reports.DefaultConfig(),
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Serve(srvCtx, ln)
			}()
			defer func() { stop(); <-done }()
			base := "http://" + ln.Addr().String()
			fmt.Fprintf(e.stdout, "serving %s on %s; %d clients\n", lakeDir, base, clients)

			const budget = 100_000
			out := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(out, "phase\trequests\terrors\treq/s\tp50\tp95\tp99\tmax\tp50 ÷ floor p50\t")
			row := func(name string, r bench.LoadResult, floor time.Duration) {
				ratio := "–"
				if floor > 0 {
					ratio = fmt.Sprintf("%.0f×", float64(r.Percentile(50))/float64(floor))
				}
				fmt.Fprintf(out, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t\n", name, r.Requests, r.Errors, r.RPS(),
					ms(r.Percentile(50)), ms(r.Percentile(95)), ms(r.Percentile(99)), ms(r.Percentile(100)), ratio)
				for _, s := range r.ErrorSamples {
					fmt.Fprintf(e.stderr, "  %s error: %s\n", name, s)
				}
			}

			// The server warms the lake as it starts (the clocks and leak
			// cases its pages share); cold pages are timed after that, as a
			// person opening them a little after an ingest meets them.
			warmStart := time.Now()
			if err := waitWarmed(ctx, base, 10*time.Minute); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "warmed in %.1f s\n", time.Since(warmStart).Seconds())
			fmt.Fprintln(e.stdout, "cold: each path once on an empty cache")
			coldOut := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			var cold bench.LoadResult
			for _, p := range servePaths {
				r := bench.Load(ctx, bench.LoadOptions{Base: base, Next: func(int) string { return p }, Clients: 1, Duration: 10 * time.Minute, MaxRequests: 1, Token: secret})
				status := "computed"
				switch {
				case r.Errors > 0:
					status = r.ErrorSamples[0]
				case r.CacheHits > 0:
					status = "cached: a page before computed it"
				}
				fmt.Fprintf(coldOut, "  %s\t%s\t%s\t\n", p, ms(r.Elapsed), status)
				cold.Merge(r)
			}
			coldOut.Flush()

			floor := bench.Load(ctx, bench.LoadOptions{Base: base, Next: func(int) string { return "/healthz" },
				Clients: clients, Duration: duration / 4, MaxRequests: budget, Token: secret})
			cached := bench.Load(ctx, bench.LoadOptions{Base: base, Next: func(i int) string { return servePaths[i%len(servePaths)] },
				Clients: clients, Duration: duration, MaxRequests: budget, Token: secret})
			first := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			uncached := bench.Load(ctx, bench.LoadOptions{Base: base, Clients: clients, Duration: duration / 2, MaxRequests: budget, Token: secret,
				Next: func(i int) string {
					return "/api/v1/reports/funnel?to=" + first.AddDate(0, 0, i).Format(time.DateOnly)
				}})
			fp := floor.Percentile(50)
			row("floor", floor, fp)
			row("cold", cold, fp)
			row("cached", cached, fp)
			row("uncached", uncached, fp)
			out.Flush()
			fmt.Fprintf(e.stdout, "cached phase: %d of %d answers came from the cache\n", cached.CacheHits, cached.Cached)
			if n := floor.Errors + cold.Errors + cached.Errors + uncached.Errors; n > 0 {
				return fmt.Errorf("%d requests failed", n)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&leads, "leads", 1_000_000, "leads in the generated lake")
	f.StringVar(&dir, "dir", "", "keep the generated data and lake here and reuse them (default: a temporary directory)")
	f.IntVar(&clients, "clients", 8, "concurrent clients")
	f.DurationVar(&duration, "duration", 30*time.Second, "how long the cached phase runs (floor a quarter, uncached half)")
	return cmd
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// waitWarmed polls /readyz until the server says the lake is warmed, for
// at most limit.
func waitWarmed(ctx context.Context, base string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var ready struct {
				Warmed bool `json:"warmed"`
			}
			decodeErr := json.NewDecoder(resp.Body).Decode(&ready)
			resp.Body.Close()
			if decodeErr == nil && ready.Warmed {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the server did not warm the lake within %s", limit)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
