package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	_ "github.com/duckdb/duckdb-go/v2" // the baseline opens DuckDB directly

	"github.com/handoff-dev/handoff/bench"
	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/sample"
)

func benchCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmarks, each against a baseline run in the same invocation",
		Long: `Benchmarks report ratios against a baseline measured in the same run, because
absolute times on shared machines are noise. Each side runs in its own child
process so its peak memory (max RSS) is its own. docs/benchmarks.md keeps
the figures with the command that produced them.`,
		Example: `  handoff bench ingest --leads 1000000 --dir /tmp/bench
  handoff bench reports --leads 1000000 --dir /tmp/bench`,
	}
	cmd.AddCommand(benchIngestCommand(e), benchReportsCommand(e), benchServeCommand(e), benchScoringCommand(e), benchExportsCommand(e), benchLeaksCommand(e), benchChildCommand(e), benchChildReportCommand(e))
	return cmd
}

func benchIngestCommand(e *env) *cobra.Command {
	var leads int
	var dir string
	cmd := &cobra.Command{
		Use:   "ingest [--leads N] [--dir DIR]",
		Short: "handoff ingest of a canonical sample vs DuckDB's own COPY (SELECT * FROM read_csv(…)) TO parquet",
		Example: `  handoff bench ingest --leads 1000000 --dir /tmp/bench
  handoff bench ingest --leads 100000`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if leads < 1 {
				return usagef("--leads must be positive")
			}
			dir, cleanup, err := benchDir(dir)
			if err != nil {
				return err
			}
			defer cleanup()
			data, err := benchSample(cmd.Context(), e, dir, leads)
			if err != nil {
				return err
			}
			var rows int64
			var bytes int64
			files, _ := filepath.Glob(filepath.Join(data, "*.csv"))
			for _, f := range files {
				st, _ := os.Stat(f)
				bytes += st.Size()
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			type side struct {
				name    string
				elapsed time.Duration
				maxRSS  int64
			}
			var sides []side
			for _, name := range []string{"baseline", "handoff"} {
				out := filepath.Join(dir, "out-"+name)
				os.RemoveAll(out)
				child := exec.CommandContext(cmd.Context(), self, "bench", "child", name, data, out)
				child.Stderr = e.stderr
				start := time.Now()
				raw, err := child.Output()
				if err != nil {
					return fmt.Errorf("bench %s: %w", name, err)
				}
				elapsed := time.Since(start)
				var accepted, peak int64
				fmt.Sscan(strings.TrimSpace(string(raw)), &accepted, &peak)
				if name == "handoff" {
					rows = accepted
				}
				sides = append(sides, side{name, elapsed, childPeak(child, peak)})
				os.RemoveAll(out)
			}
			fmt.Fprintf(e.stdout, "\ningest of %d leads (%d rows, %s of CSV in %d files)\n\n", leads, rows, lake.HumanBytes(bytes), len(files))
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SIDE\tSECONDS\tROWS/S\tPEAK RSS")
			for _, s := range sides {
				fmt.Fprintf(tw, "%s\t%.1f\t%.0f\t%s\n", s.name, s.elapsed.Seconds(), float64(rows)/s.elapsed.Seconds(), lake.HumanBytes(s.maxRSS))
			}
			tw.Flush()
			fmt.Fprintf(e.stdout, "\nratio handoff ÷ baseline: time %.2f×, peak memory %.2f×\n",
				sides[1].elapsed.Seconds()/sides[0].elapsed.Seconds(), float64(sides[1].maxRSS)/float64(sides[0].maxRSS))
			return nil
		},
	}
	cmd.Flags().IntVar(&leads, "leads", 100_000, "leads in the generated canonical sample (about 18 rows each)")
	cmd.Flags().StringVar(&dir, "dir", "", "working directory; the sample is kept there and reused (default: a temporary one)")
	return cmd
}

// childPeak is a benchmark child's peak resident memory: what it said of
// itself (bench.OwnPeakRSS), else, where the kernel does not say, the
// rusage wait4 gave, which also counts the parent's memory at the fork.
func childPeak(child *exec.Cmd, own int64) int64 {
	if own > 0 {
		return own
	}
	if ru, ok := child.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}

// benchDir is the benchmark's working directory: dir, or a temporary one
// that cleanup removes.
func benchDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "handoff-bench-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// benchSample is the canonical sample of n leads in dir, generated on
// first use and reused after.
func benchSample(ctx context.Context, e *env, dir string, n int) (string, error) {
	data := filepath.Join(dir, fmt.Sprintf("canonical-%d", n))
	if _, err := os.Stat(filepath.Join(data, "leads.csv")); err == nil {
		return data, nil
	}
	fmt.Fprintf(e.stdout, "generating %d leads into %s …\n", n, data)
	if _, err := sample.Generate(ctx, data, sample.Options{Leads: n, Seed: 1}); err != nil {
		return "", err
	}
	return data, nil
}

// benchChildCommand runs one side of a benchmark in its own process.
func benchChildCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:    "child baseline|handoff DATA OUT",
		Hidden: true,
		Args:   args(cobra.ExactArgs(3)),
		RunE: func(cmd *cobra.Command, a []string) error {
			side, data, out := a[0], a[1], a[2]
			switch side {
			case "baseline":
				if err := copyBaseline(cmd.Context(), data, out); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, 0, bench.OwnPeakRSS())
				return nil
			case "handoff":
				res, err := ingest.Run(cmd.Context(), ingest.Options{Lake: out, Logger: e.log}, []string{data})
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, res.Accepted, bench.OwnPeakRSS())
				return nil
			}
			return usagef("unknown side %q", side)
		},
	}
}

// copyBaseline is what DuckDB alone does with the same files: read each CSV
// and write it as zstd Parquet, with no validation, mapping or merge.
func copyBaseline(ctx context.Context, data, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	files, _ := filepath.Glob(filepath.Join(data, "*.csv"))
	if len(files) == 0 {
		return errors.New("no CSV files to copy")
	}
	for _, f := range files {
		target := filepath.Join(out, strings.TrimSuffix(filepath.Base(f), ".csv")+".parquet")
		q := fmt.Sprintf("COPY (SELECT * FROM read_csv(%s, header = true)) TO %s (FORMAT parquet, COMPRESSION zstd)",
			lake.Literal(f), lake.Literal(target))
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("baseline copy of %s: %w", f, err)
		}
	}
	return nil
}

// openBenchLake is the lake of n generated leads in dir (a temporary one
// when dir is ""), built on first use and reused after, opened. done closes
// it and removes a temporary dir.
func openBenchLake(ctx context.Context, e *env, dir string, n int) (*lake.Lake, string, func(), error) {
	dir, cleanup, err := benchDir(dir)
	if err != nil {
		return nil, "", nil, err
	}
	lakeDir, err := benchLake(ctx, e, dir, n)
	if err != nil {
		cleanup()
		return nil, "", nil, err
	}
	l, err := lake.Open(ctx, lakeDir)
	if err != nil {
		cleanup()
		return nil, "", nil, err
	}
	return l, dir, func() { l.Close(); cleanup() }, nil
}
