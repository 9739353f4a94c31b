package bench

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/sample"
)

// sampleLake generates n leads, ingests them and opens the lake.
func sampleLake(t *testing.T, n int) *lake.Lake {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if _, err := sample.Generate(ctx, data, sample.Options{Leads: n, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	lakeDir := filepath.Join(dir, "lake")
	if _, err := ingest.Run(ctx, ingest.Options{Lake: lakeDir}, []string{data}); err != nil {
		t.Fatal(err)
	}
	l, err := lake.Open(ctx, lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TimeReport fails when the replayed statements do not return the rows the
// report did, so this checks that the raw side of the benchmark runs
// exactly the report's SQL, for every report.
func TestReplayReturnsTheReportsRows(t *testing.T) {
	l := sampleLake(t, 1500)
	for _, spec := range reports.Catalog() {
		t.Run(spec.Name, func(t *testing.T) {
			timing, err := TimeReport(context.Background(), l, spec, reports.DefaultConfig(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if timing.Statements < 1 || len(timing.Handoff) != 1 || len(timing.Raw) != 1 {
				t.Fatalf("got %+v: want at least one statement and one run per side", timing)
			}
		})
	}
}

// PostgreSQL computes funnel and speed to lead with its own SQL
// (sql/pg_*.sql): an independent route to the same numbers, on a sample with
// reassignments, skipped stages and recycles.
func TestPostgresAgreesWithHandoff(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	l := sampleLake(t, 4000)
	pg, err := StartPostgres(ctx, DefaultPostgresBin)
	if err != nil {
		t.Fatalf("%v\n(scripts/test installs Debian's postgresql package)", err)
	}
	defer pg.Stop()
	st, err := pg.Load(ctx, l, filepath.Join(t.TempDir(), "load"))
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, name := range pgTables {
		want += l.Manifest.Tables[name].Rows
	}
	if st.Rows != want {
		t.Fatalf("loaded %d rows into PostgreSQL, the lake's tables hold %d", st.Rows, want)
	}
	cmp, err := ComparePostgres(ctx, l, pg, reports.DefaultConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cmp); got != len(pgQueries) {
		t.Fatalf("compared %d reports, want %d", got, len(pgQueries))
	}
	for _, c := range cmp {
		if c.Match != "" {
			t.Errorf("%s: %s", c.Report, c.Match)
		}
	}
}

func TestSameRowsFindsDifferences(t *testing.T) {
	tb := reports.Table{
		Columns: []reports.Column{{Name: "cohort", Kind: reflect.String}, {Name: "n", Kind: reflect.Int64}, {Name: "rate", Kind: reflect.Float64}},
		Rows:    [][]any{{"2026-01-01", int64(3), 0.5}, {"2026-02-01", int64(0), nil}},
	}
	for _, tc := range []struct {
		name string
		pg   [][]any
		want string // "" for agreement, else a fragment of the difference
	}{
		{"same", [][]any{{"2026-01-01", int64(3), 0.5}, {"2026-02-01", int64(0), nil}}, ""},
		{"float in the last bits", [][]any{{"2026-01-01", int64(3), 0.5000000000001}, {"2026-02-01", int64(0), nil}}, ""},
		{"row missing", [][]any{{"2026-01-01", int64(3), 0.5}}, "2 rows"},
		{"count differs", [][]any{{"2026-01-01", int64(4), 0.5}, {"2026-02-01", int64(0), nil}}, "column n"},
		{"rate differs", [][]any{{"2026-01-01", int64(3), 0.51}, {"2026-02-01", int64(0), nil}}, "column rate"},
		{"null against value", [][]any{{"2026-01-01", int64(3), 0.5}, {"2026-02-01", int64(0), 0.0}}, "row 2 column rate"},
		{"text differs", [][]any{{"2026-01-02", int64(3), 0.5}, {"2026-02-01", int64(0), nil}}, "column cohort"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sameRows(tb, tc.pg)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("sameRows = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStatementsSplitsAScript(t *testing.T) {
	got := statements("-- header; with a semicolon\nCREATE TABLE a (x int);\nCREATE INDEX i\n  ON a (x);\nVACUUM ANALYZE;\n")
	want := []string{"CREATE TABLE a (x int);", "CREATE INDEX i\n  ON a (x);", "VACUUM ANALYZE;"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("statements = %q, want %q", got, want)
	}
}
