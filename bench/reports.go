// Package bench owns the benchmarks that compare handoff with a baseline
// measured in the same run: the report layer against the same model SQL
// run straight on DuckDB, and the metrics against PostgreSQL running
// equivalent SQL (sql/pg_*.sql) on the same data. The command line
// (handoff bench) runs them and prints the figures; docs/benchmarks.md
// keeps them.
package bench

import (
	"context"
	"embed"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/reports"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// ReportTiming is one report timed through the report layer and as the
// bare statements it ran.
type ReportTiming struct {
	Report string `json:"report"`
	// Rows is the number of rows the report returned.
	Rows int `json:"rows"`
	// Statements is how many model statements one run of the report
	// executes once the lake's as-of time is known.
	Statements int `json:"statements"`
	// Handoff and Raw are the timed runs, in the order they ran.
	Handoff []time.Duration `json:"handoff_ns"`
	Raw     []time.Duration `json:"raw_ns"`
	// PeakRSS is the child's own peak resident memory (OwnPeakRSS).
	PeakRSS int64 `json:"peak_rss"`
	// Streamed: the handoff side is the streamed list (Spec.Stream).
	Streamed bool `json:"streamed"`
}

// counter is a row writer that keeps nothing.
type counter struct{ n int }

func (c *counter) Write([]any) error { c.n++; return nil }
func (c *counter) Close() error      { return nil }

// HandoffMedian is the median of the handoff runs.
func (t ReportTiming) HandoffMedian() time.Duration { return median(t.Handoff) }

// RawMedian is the median of the raw runs.
func (t ReportTiming) RawMedian() time.Duration { return median(t.Raw) }

// TimeReport runs spec with default parameters and cfg: once untimed to
// warm the file cache and the lake's per-lake setup (macros, the as-of
// time), once more untimed to record the statements a steady-state run
// executes, then runs times each through the report layer and as a replay
// of the recorded statements straight on the lake's DuckDB, alternating so
// drift on a busy machine falls on both sides alike.
func TimeReport(ctx context.Context, l *lake.Lake, spec reports.Spec, cfg reports.Config, runs int) (ReportTiming, error) {
	t := ReportTiming{Report: spec.Name}
	if _, err := spec.Run(ctx, l, reports.Params{}, cfg, ""); err != nil {
		return t, fmt.Errorf("report %s: %w", spec.Name, err)
	}
	var recorded []models.Statement
	observed := models.WithObserver(ctx, func(s models.Statement) { recorded = append(recorded, s) })
	tb, err := spec.Run(observed, l, reports.Params{}, cfg, "")
	if err != nil {
		return t, fmt.Errorf("report %s: %w", spec.Name, err)
	}
	t.Rows, t.Statements = len(tb.Rows), len(recorded)
	replayed, err := replay(ctx, l, recorded)
	if err != nil {
		return t, err
	}
	if replayed != t.Rows {
		return t, fmt.Errorf("report %s: the replayed statements returned %d rows, the report %d", spec.Name, replayed, t.Rows)
	}
	// A list report goes out as it is read (Spec.Stream): that is the
	// path the command line and the API take, so it is the one timed, to
	// a writer that only counts.
	run := func() error {
		_, err := spec.Run(ctx, l, reports.Params{}, cfg, "")
		return err
	}
	if spec.Stream != nil {
		t.Streamed = true
		run = func() error {
			n, err := spec.Stream(ctx, l, reports.Params{}, cfg, "", func(reports.Table) (reports.RowWriter, error) { return &counter{}, nil })
			if err == nil && n != t.Rows {
				err = fmt.Errorf("streamed %d rows, the report has %d", n, t.Rows)
			}
			return err
		}
	}
	for range runs {
		start := time.Now()
		if err := run(); err != nil {
			return t, fmt.Errorf("report %s: %w", spec.Name, err)
		}
		t.Handoff = append(t.Handoff, time.Since(start))
		start = time.Now()
		if _, err := replay(ctx, l, recorded); err != nil {
			return t, err
		}
		t.Raw = append(t.Raw, time.Since(start))
	}
	return t, nil
}

// replay runs each statement with database/sql and reads every value of
// every row, which is the least any caller of the SQL must do.
func replay(ctx context.Context, l *lake.Lake, sts []models.Statement) (int, error) {
	n := 0
	for _, st := range sts {
		rows, err := l.DB.QueryContext(ctx, st.Model.SQL, st.NamedArgs()...)
		if err != nil {
			return n, fmt.Errorf("replay %s: %w", st.Model.Name, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return n, err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return n, fmt.Errorf("replay %s: %w", st.Model.Name, err)
			}
			n++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return n, fmt.Errorf("replay %s: %w", st.Model.Name, err)
		}
	}
	return n, nil
}

// SetMemoryLimit caps DuckDB's memory on l and points its spill files at
// dir. limit is DuckDB's own syntax, such as 4GB or 512MiB.
func SetMemoryLimit(ctx context.Context, l *lake.Lake, limit, dir string) error {
	if !memoryLimitPattern.MatchString(limit) {
		return fmt.Errorf("memory limit %q: want a size such as 4GB or 512MiB", limit)
	}
	for _, stmt := range []string{
		"SET memory_limit = " + lake.Literal(limit),
		"SET temp_directory = " + lake.Literal(dir),
	} {
		if _, err := l.DB.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

var memoryLimitPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

// PostgresComparison is one metric computed by handoff's report layer and
// by PostgreSQL's equivalent SQL.
type PostgresComparison struct {
	Report   string          `json:"report"`
	Handoff  []time.Duration `json:"handoff_ns"`
	Postgres []time.Duration `json:"postgres_ns"`
	// Match is "" when both returned the same rows, else the first
	// difference.
	Match string `json:"mismatch,omitempty"`
}

// HandoffMedian is the median of the handoff runs.
func (c PostgresComparison) HandoffMedian() time.Duration { return median(c.Handoff) }

// PostgresMedian is the median of the PostgreSQL runs.
func (c PostgresComparison) PostgresMedian() time.Duration { return median(c.Postgres) }

// pgQueries are the reports with an equivalent PostgreSQL query, and the
// query's arguments for the default parameters.
var pgQueries = map[string]struct {
	file string
	args func(asOf time.Time, cfg reports.Config) []any
}{
	"funnel": {"pg_funnel.sql", func(asOf time.Time, _ reports.Config) []any {
		return []any{asOf, "UTC", "month", int64(reports.DefaultWindow / time.Second)}
	}},
	"response": {"pg_response.sql", func(asOf time.Time, cfg reports.Config) []any {
		return []any{asOf, cfg.FirstTouchLimit().Minutes()}
	}},
}

// PostgresReports are the reports the PostgreSQL comparison covers.
func PostgresReports() []string {
	names := make([]string, 0, len(pgQueries))
	for n := range pgQueries {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ComparePostgres times each report with a PostgreSQL equivalent on both
// sides (one untimed warm-up each, then runs alternating) and checks that
// both return the same rows.
func ComparePostgres(ctx context.Context, l *lake.Lake, pg *Postgres, cfg reports.Config, runs int) ([]PostgresComparison, error) {
	asOf, err := reports.LatestEvent(ctx, l)
	if err != nil {
		return nil, err
	}
	var out []PostgresComparison
	for _, name := range PostgresReports() {
		q := pgQueries[name]
		spec, _ := reports.Lookup(name)
		args := q.args(asOf, cfg)
		c := PostgresComparison{Report: name}
		tb, err := spec.Run(ctx, l, reports.Params{}, cfg, "")
		if err != nil {
			return nil, err
		}
		rows, err := pg.Query(ctx, q.file, args...)
		if err != nil {
			return nil, err
		}
		c.Match = sameRows(tb, rows)
		for range runs {
			start := time.Now()
			if _, err := spec.Run(ctx, l, reports.Params{}, cfg, ""); err != nil {
				return nil, err
			}
			c.Handoff = append(c.Handoff, time.Since(start))
			start = time.Now()
			if _, err := pg.Query(ctx, q.file, args...); err != nil {
				return nil, err
			}
			c.Postgres = append(c.Postgres, time.Since(start))
		}
		out = append(out, c)
	}
	return out, nil
}

// sameRows compares a report's table with PostgreSQL's rows, value by
// value; floats may differ in the last bits (the two engines sum and
// interpolate in different orders). It returns "" when they agree.
func sameRows(tb reports.Table, pgRows [][]any) string {
	if len(tb.Rows) != len(pgRows) {
		return fmt.Sprintf("handoff has %d rows, postgres %d", len(tb.Rows), len(pgRows))
	}
	for i, row := range tb.Rows {
		if len(row) != len(pgRows[i]) {
			return fmt.Sprintf("row %d: handoff has %d columns, postgres %d", i+1, len(row), len(pgRows[i]))
		}
		for j, v := range row {
			if !sameValue(v, pgRows[i][j]) {
				return fmt.Sprintf("row %d column %s: handoff %v, postgres %v", i+1, tb.Columns[j].Name, v, pgRows[i][j])
			}
		}
	}
	return ""
}

func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && math.Abs(fa-fb) <= 1e-9*math.Max(1, math.Max(math.Abs(fa), math.Abs(fb)))
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	return 0, false
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
