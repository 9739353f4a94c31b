package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	var delta bool
	var memoryLimit string
	cmd := &cobra.Command{
		Use:   "ingest [--leads N] [--dir DIR] [--delta] [--memory-limit 4GB]",
		Short: "handoff ingest of a canonical sample vs DuckDB's own COPY (SELECT * FROM read_csv(…)) TO parquet",
		Long: `Times handoff ingest of a canonical sample into a new lake against DuckDB's
own COPY (SELECT * FROM read_csv(…)) TO parquet of the same files, each in a
child process of its own.

--delta also times a daily delta into the lake the ingest made: 1% new
leads with their stage changes, activities, assignments, dispositions and
opportunities, and 1% of the existing leads updated (a new title and
updated_at), against the fresh ingest of the whole sample.

--memory-limit caps DuckDB's memory on every side (handoff ingest
--memory-limit; the baseline's SET memory_limit); Go's own memory is apart.`,
		Example: `  handoff bench ingest --leads 1000000 --dir /tmp/bench
  handoff bench ingest --leads 100000 --delta`,
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
			var deltaDir string
			if delta {
				if deltaDir, err = benchDelta(cmd.Context(), e, dir, data, leads); err != nil {
					return err
				}
			}
			defer os.RemoveAll(filepath.Join(dir, "out-handoff"))
			for _, name := range []string{"baseline", "handoff", "delta"} {
				if name == "delta" && !delta {
					continue
				}
				out := filepath.Join(dir, "out-"+name)
				input := data
				if name == "delta" {
					// the lake the fresh ingest made, copied so it can be
					// timed again; the copy is not timed
					input = deltaDir
					os.RemoveAll(out)
					if err := copyDir(filepath.Join(dir, "out-handoff"), out); err != nil {
						return err
					}
				} else {
					os.RemoveAll(out)
				}
				childSide := name
				if name == "delta" {
					childSide = "handoff"
				}
				child := exec.CommandContext(cmd.Context(), self, "bench", "child", "--memory-limit", memoryLimit, childSide, input, out)
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
				if name != "handoff" || !delta {
					os.RemoveAll(out)
				}
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
			if delta {
				fmt.Fprintf(e.stdout, "ratio delta ÷ fresh ingest: time %.2f×, peak memory %.2f× (rows/s above counts the whole sample's rows for every side)\n",
					sides[2].elapsed.Seconds()/sides[1].elapsed.Seconds(), float64(sides[2].maxRSS)/float64(sides[1].maxRSS))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&delta, "delta", false, "also time a daily delta (1% new leads, 1% updated) into the ingested lake")
	cmd.Flags().StringVar(&memoryLimit, "memory-limit", "", "DuckDB memory limit on every side, such as 4GB (default: DuckDB's, 80% of RAM)")
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
	var memoryLimit string
	cmd := &cobra.Command{
		Use:    "child baseline|handoff DATA OUT",
		Hidden: true,
		Args:   args(cobra.ExactArgs(3)),
		RunE: func(cmd *cobra.Command, a []string) error {
			side, data, out := a[0], a[1], a[2]
			switch side {
			case "baseline":
				if err := copyBaseline(cmd.Context(), data, out, memoryLimit); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, 0, bench.OwnPeakRSS())
				return nil
			case "handoff":
				res, err := ingest.Run(cmd.Context(), ingest.Options{Lake: out, Logger: e.log, MemoryLimit: memoryLimit}, []string{data})
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, res.Accepted, bench.OwnPeakRSS())
				return nil
			}
			return usagef("unknown side %q", side)
		},
	}
	cmd.Flags().StringVar(&memoryLimit, "memory-limit", "", "")
	return cmd
}

// copyBaseline is what DuckDB alone does with the same files: read each CSV
// and write it as zstd Parquet, with no validation, mapping or merge.
func copyBaseline(ctx context.Context, data, out, memoryLimit string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	if memoryLimit != "" {
		db.SetMaxOpenConns(1) // a setting holds for the connection that made it
		if _, err := db.ExecContext(ctx, "SET memory_limit = "+lake.Literal(memoryLimit)); err != nil {
			return fmt.Errorf("memory limit %q: %w", memoryLimit, err)
		}
	}
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

// benchDelta is a daily delta for the canonical sample of n leads in data,
// made on first use in dir and reused after: 1% new leads (a sample of
// n/100 leads of another seed, every id renamed so none meets the base
// sample's), with all their rows, and 1% of the base sample's leads again
// with a new title and a later updated_at.
func benchDelta(ctx context.Context, e *env, dir, data string, n int) (string, error) {
	out := filepath.Join(dir, fmt.Sprintf("daily-delta-%d", n))
	if _, err := os.Stat(filepath.Join(out, "leads.csv")); err == nil {
		return out, nil
	}
	fmt.Fprintf(e.stdout, "making the daily delta of %d leads in %s …\n", n, out)
	fresh := out + ".new"
	os.RemoveAll(fresh)
	// A day's new leads: created in the day after the sample's export,
	// with what happened to them by its end.
	if _, err := sample.Generate(ctx, fresh, sample.Options{Leads: max(n/100, 1), Seed: 2, End: sample.DefaultEnd.Add(24 * time.Hour), Span: 24 * time.Hour}); err != nil {
		return "", err
	}
	tmp := out + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	// Ids start with a letter per kind (L, A, O): the delta's start with
	// another, so its leads are new.
	renames := map[string]map[string]string{
		"leads":         {"lead_id": "N"},
		"stage_changes": {"lead_id": "N"},
		"activities":    {"lead_id": "N", "activity_id": "B"},
		"assignments":   {"lead_id": "N"},
		"dispositions":  {"lead_id": "N"},
		"opportunities": {"lead_id": "N", "opportunity_id": "P"},
	}
	for table, cols := range renames {
		if _, err := os.Stat(filepath.Join(fresh, table+".csv")); errors.Is(err, fs.ErrNotExist) {
			continue // nothing of the kind happened in the day
		}
		if err := rewriteCSV(filepath.Join(fresh, table+".csv"), filepath.Join(tmp, table+".csv"), func(header, rec []string) {
			for i, h := range header {
				if p, ok := cols[h]; ok && rec[i] != "" {
					rec[i] = p + rec[i][1:]
				}
			}
		}, nil); err != nil {
			return "", err
		}
	}
	// 1% of the base sample's leads, updated, after the new leads.
	updated := filepath.Join(tmp, "leads-updated.tmp")
	k := 0
	if err := rewriteCSV(filepath.Join(data, "leads.csv"), updated, func(header, rec []string) {
		for i, h := range header {
			switch h {
			case "title":
				rec[i] = strings.TrimSpace(rec[i] + " (updated)")
			case "updated_at":
				rec[i] = sample.DefaultEnd.Format(time.RFC3339)
			}
		}
	}, func(int) bool { k++; return k%100 == 0 }); err != nil {
		return "", err
	}
	// one leads file: the importer knows a canonical table by its file name
	if err := appendBody(updated, filepath.Join(tmp, "leads.csv")); err != nil {
		return "", err
	}
	os.RemoveAll(fresh)
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}

// rewriteCSV copies the CSV file in to out, header first, passing each
// record to edit; keep, when not nil, says which records (numbered from 1)
// to write.
func rewriteCSV(in, out string, edit func(header, rec []string), keep func(int) bool) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	r, w := csv.NewReader(bufio.NewReaderSize(f, 1<<20)), csv.NewWriter(o)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		o.Close()
		return fmt.Errorf("%s: %w", in, err)
	}
	header = slices.Clone(header)
	if err := w.Write(header); err != nil {
		o.Close()
		return err
	}
	for n := 1; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			o.Close()
			return fmt.Errorf("%s: %w", in, err)
		}
		if keep != nil && !keep(n) {
			continue
		}
		edit(header, rec)
		if err := w.Write(rec); err != nil {
			o.Close()
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}

// appendBody appends the CSV file from, without its header line, to the
// CSV file to, and removes from.
func appendBody(from, to string) error {
	raw, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		raw = raw[i+1:]
	}
	f, err := os.OpenFile(to, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Remove(from)
}

// copyDir copies the directory tree src to dst (a lake, to time a second
// ingest into the same state).
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
