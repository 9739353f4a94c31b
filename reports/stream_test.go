package reports

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// Every list report streamed writes the same bytes as the report computed
// whole and then written (the whole path is the one the hand-worked
// fixture checks), in CSV and JSON, and the same rows to Parquet; the
// other reports have no stream.
func TestStreamedListsEqualTheWholeReports(t *testing.T) {
	l := openFixture(t)
	ctx := context.Background()
	cfg := DefaultConfig()
	cases := []struct {
		report string
		p      Params
	}{
		{"leads", Params{AsOf: fixtureAsOf, What: "mql"}},
		{"leads", Params{AsOf: fixtureAsOf, What: "assigned"}},
		{"leaked", Params{AsOf: fixtureAsOf}},
		{"stuck", Params{AsOf: fixtureAsOf}},
		{"sla-breaches", Params{AsOf: fixtureAsOf}},
	}
	streamed := map[string]bool{}
	for _, c := range cases {
		t.Run(c.report+" "+c.p.What, func(t *testing.T) {
			spec, _ := Lookup(c.report)
			if spec.Stream == nil {
				t.Fatalf("%s has no stream", c.report)
			}
			streamed[c.report] = true
			tb, err := spec.Run(ctx, l, c.p, cfg, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(tb.Rows) == 0 {
				t.Fatalf("%s: no rows to compare", c.report)
			}
			for _, format := range []struct {
				name  string
				whole func(*bytes.Buffer, Table) error
				open  func(*bytes.Buffer, Table) RowWriter
			}{
				{"csv", func(b *bytes.Buffer, tb Table) error { return WriteCSV(b, tb) }, func(b *bytes.Buffer, h Table) RowWriter { return NewCSVWriter(b, h) }},
				{"json", func(b *bytes.Buffer, tb Table) error { return WriteJSON(b, tb) }, func(b *bytes.Buffer, h Table) RowWriter { return NewJSONWriter(b, h) }},
			} {
				var whole, stream bytes.Buffer
				if err := format.whole(&whole, tb); err != nil {
					t.Fatal(err)
				}
				n, err := spec.Stream(ctx, l, c.p, cfg, "", func(head Table) (RowWriter, error) {
					if len(head.Rows) != 0 {
						t.Errorf("the head carries %d rows", len(head.Rows))
					}
					return format.open(&stream, head), nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if n != len(tb.Rows) || whole.String() != stream.String() {
					t.Errorf("%s: streamed %d rows, whole %d; bytes equal %v\nwhole:\n%s\nstreamed:\n%s", format.name, n, len(tb.Rows), whole.String() == stream.String(), whole.String(), stream.String())
				}
			}
			// Parquet, read back by DuckDB: the same rows as the CSV.
			path := filepath.Join(t.TempDir(), "out.parquet")
			if _, err := spec.Stream(ctx, l, c.p, cfg, "", func(head Table) (RowWriter, error) {
				return NewParquetWriter(ctx, l.DB, head, path)
			}); err != nil {
				t.Fatal(err)
			}
			var rows int
			if err := l.DB.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet(?)", path).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows != len(tb.Rows) {
				t.Errorf("parquet: %d rows, want %d", rows, len(tb.Rows))
			}
		})
	}
	for _, spec := range Catalog() {
		if spec.Stream != nil && !streamed[spec.Name] {
			t.Errorf("%s streams but is not compared here", spec.Name)
		}
	}
}

// A writer that fails mid-list stops the stream with its error, and a
// Parquet writer given up leaves no file and no scratch table.
func TestStreamStopsOnAWriterError(t *testing.T) {
	l := openFixture(t)
	ctx := context.Background()
	spec, _ := Lookup("leads")
	full := errors.New("disk full")
	_, err := spec.Stream(ctx, l, Params{AsOf: fixtureAsOf}, DefaultConfig(), "", func(head Table) (RowWriter, error) {
		return &failing{after: 1, err: full}, nil
	})
	if !errors.Is(err, full) {
		t.Errorf("stream with a failing writer: %v", err)
	}

	before := scratchTables(t, l.DB)
	path := filepath.Join(t.TempDir(), "out.parquet")
	pw, err := NewParquetWriter(ctx, l.DB, Table{Columns: []Column{{Name: "a", Kind: reflect.Int64}}}, path)
	if err != nil {
		t.Fatal(err)
	}
	Abort(pw)
	if got := scratchTables(t, l.DB); got != before {
		t.Errorf("scratch tables after an abort: %d, before %d", got, before)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*")); len(m) != 0 {
		t.Errorf("files after an abort: %v", m)
	}
}

type failing struct {
	after, n int
	err      error
}

func (f *failing) Write([]any) error {
	if f.n++; f.n > f.after {
		return f.err
	}
	return nil
}

func (f *failing) Close() error { return nil }

func scratchTables(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_report_out_%'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A head keeps the first rows of the whole list (or the first of each
// value of a column) and counts them all.
func TestHeadKeepsTheFirstRowsAndCountsAll(t *testing.T) {
	l := openFixture(t)
	ctx := context.Background()
	cfg := DefaultConfig()
	for _, c := range []struct {
		report, per string
		n           int
	}{{"leads", "", 2}, {"sla-breaches", "sla", 1}, {"sla-breaches", "sla", 2}, {"sla-breaches", "", 3}, {"stuck", "", 1000}} {
		spec, _ := Lookup(c.report)
		whole, err := spec.Run(ctx, l, Params{AsOf: fixtureAsOf}, cfg, "")
		if err != nil {
			t.Fatal(err)
		}
		head := NewHead(c.n, c.per)
		if _, err := spec.Stream(ctx, l, Params{AsOf: fixtureAsOf}, cfg, "", head.Open); err != nil {
			t.Fatal(err)
		}
		got := head.Table()
		// the head worked out from the whole list
		var want [][]any
		seen := map[any]int{}
		for _, row := range whole.Rows {
			key := any(nil)
			if c.per != "" {
				key = row[col(whole, c.per)]
			}
			if seen[key] < c.n {
				seen[key]++
				want = append(want, row)
			}
		}
		if got.Count() != len(whole.Rows) || !reflect.DeepEqual(got.Rows, want) {
			t.Errorf("%s head %d per %q: %d rows of %d counted, want %d of %d", c.report, c.n, c.per, len(got.Rows), got.Count(), len(want), len(whole.Rows))
		}
	}
	if _, err := NewHead(1, "nonesuch").Open(Table{Report: "leads"}); err == nil {
		t.Error("a head per a column the report lacks opened")
	}
}

func col(tb Table, name string) int {
	for i, c := range tb.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// A driver value becomes the kind its column holds, as scanning into the
// row type makes it: narrower numbers widen, times are UTC, NULL only
// where the column may hold it.
func TestAsKind(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, berlin)
	tests := []struct {
		v    any
		col  Column
		want any
		bad  bool
	}{
		{int32(7), Column{Kind: reflect.Int64}, int64(7), false},
		{uint8(7), Column{Kind: reflect.Int64}, int64(7), false},
		{float32(1.5), Column{Kind: reflect.Float64}, 1.5, false},
		{int64(3), Column{Kind: reflect.Float64}, 3.0, false},
		{at, Column{Kind: reflect.Struct}, at.UTC(), false},
		{"x", Column{Kind: reflect.String}, "x", false},
		{true, Column{Kind: reflect.Bool}, true, false},
		{nil, Column{Kind: reflect.String, Nullable: true}, nil, false},
		{nil, Column{Kind: reflect.String}, nil, true},
		{"7", Column{Kind: reflect.Int64}, nil, true},
	}
	for _, tc := range tests {
		got, err := asKind(tc.v, tc.col)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("asKind(%#v, %v) = %#v, %v; want %#v (error %v)", tc.v, tc.col.Kind, got, err, tc.want, tc.bad)
		}
	}
	if got, _ := asKind(at, Column{Kind: reflect.Struct}); got.(time.Time).Location() != time.UTC {
		t.Error("a time is not made UTC")
	}
}
