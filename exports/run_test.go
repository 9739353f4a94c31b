package exports

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/handoff-dev/handoff/ingest/ingesttest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

func fixtureLake(t *testing.T) *lake.Lake {
	t.Helper()
	l, err := lake.Open(context.Background(), ingesttest.Fixture(t, "reports"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// duck reads export files back with a DuckDB of its own.
func duck(t *testing.T, q string) (a, b, c float64) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(q).Scan(&a, &b, &c); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return
}

// The funnel of testdata/reports as of 2026-04-01, worked by hand in its
// README: 15 rows; reached_from adds up to 29 + 12 + 7 = 48 and reached_to
// to 19 + 8 + 1 = 28 over the three cohorts.
func TestExportsHoldTheReportsNumbers(t *testing.T) {
	l := fixtureLake(t)
	out := t.TempDir()
	run := time.Date(2026, 4, 2, 6, 0, 0, 0, time.UTC)
	for _, format := range Formats {
		e := Export{Name: "funnel_" + format, Report: "funnel", Dir: out, Format: format, Params: map[string]string{"as_of": "2026-04-01T00:00:00Z"}}
		if err := e.Check(); err != nil {
			t.Fatal(err)
		}
		m, err := Run(context.Background(), l, e, reports.DefaultConfig(), run)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(out, "funnel_"+format, "2026-04-02."+e.ext())
		var rows, from, to float64
		switch format {
		case "parquet":
			rows, from, to = duck(t, "SELECT count(*), sum(reached_from), sum(reached_to) FROM read_parquet('"+path+"')")
		case "csv":
			rows, from, to = duck(t, "SELECT count(*), sum(reached_from), sum(reached_to) FROM read_csv('"+path+"', header = true)")
		case "arrow":
			rows, from, to = arrowSums(t, path)
		}
		if rows != 15 || from != 48 || to != 28 || m.Rows != 15 {
			t.Errorf("%s: %v rows, reached_from %v, reached_to %v (manifest %d rows); want 15, 48, 28", format, rows, from, to, m.Rows)
		}
		checkManifest(t, path, m, l.Manifest.Generation)
	}

	// A canonical table, whole: the fixture's 13 leads.
	e := Export{Name: "leads", Table: "leads", Dir: out}
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
	m, err := Run(context.Background(), l, e, reports.DefaultConfig(), run)
	if err != nil {
		t.Fatal(err)
	}
	n, _, _ := duck(t, "SELECT count(*), 0, 0 FROM read_parquet('"+filepath.Join(out, "leads", "2026-04-02.parquet")+"')")
	if n != 13 || m.Rows != 13 {
		t.Errorf("leads export: %v rows (manifest %d), want 13", n, m.Rows)
	}

	// The same table as Arrow IPC, straight from DuckDB's rows: 13 leads,
	// times as UTC timestamps, company sizes adding up to leads.csv's.
	e = Export{Name: "leads_arrow", Table: "leads", Dir: out, Format: "arrow"}
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), l, e, reports.DefaultConfig(), run); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(out, "leads_arrow", "2026-04-02.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows, sizes int64
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatch(i)
		if err != nil {
			t.Fatal(err)
		}
		rows += rec.NumRows()
		for c, field := range rec.Schema().Fields() {
			switch field.Name {
			case "created_at":
				if ts, ok := field.Type.(*arrow.TimestampType); !ok || ts.TimeZone != "UTC" {
					t.Errorf("created_at is %s, want a UTC timestamp", field.Type)
				}
			case "company_size":
				col := rec.Column(c).(*array.Int64)
				for k := 0; k < col.Len(); k++ {
					sizes += col.Value(k)
				}
			}
		}
	}
	var wantSizes int64
	for _, v := range csvColumn(t, "leads.csv", "company_size") {
		n, _ := strconv.ParseInt(v, 10, 64)
		wantSizes += n
	}
	if rows != 13 || sizes != wantSizes {
		t.Errorf("leads as Arrow: %d rows, company sizes %d; want 13 and %d (leads.csv)", rows, sizes, wantSizes)
	}
}

func arrowSums(t *testing.T, path string) (rows, from, to float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordBatch(i)
		if err != nil {
			t.Fatal(err)
		}
		rows += float64(rec.NumRows())
		for c, field := range rec.Schema().Fields() {
			col, ok := rec.Column(c).(*array.Int64)
			if !ok {
				continue
			}
			for k := 0; k < col.Len(); k++ {
				switch field.Name {
				case "reached_from":
					from += float64(col.Value(k))
				case "reached_to":
					to += float64(col.Value(k))
				}
			}
		}
	}
	return
}

func checkManifest(t *testing.T, path string, m Manifest, generation int64) {
	t.Helper()
	raw, err := os.ReadFile(path + ".json")
	if err != nil {
		t.Fatalf("no manifest beside %s: %v", path, err)
	}
	var onDisk Manifest
	if err := json.Unmarshal(raw, &onDisk); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	sum := sha256.Sum256(data)
	if onDisk.SHA256 != hex.EncodeToString(sum[:]) || onDisk.Bytes != int64(len(data)) || onDisk.LakeGeneration != generation || onDisk.Rows != m.Rows {
		t.Errorf("manifest of %s: %+v", path, onDisk)
	}
}

// Retention keeps the newest files; a failed run leaves them untouched.
func TestRetentionAndFailedRuns(t *testing.T) {
	l := fixtureLake(t)
	out := t.TempDir()
	e := Export{Name: "sla", Report: "sla", Dir: out, Format: "csv", Keep: 2, Params: map[string]string{"as_of": "2026-04-01T00:00:00Z"}}
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
	for day := 1; day <= 3; day++ {
		if _, err := Run(context.Background(), l, e, reports.DefaultConfig(), time.Date(2026, 4, day, 6, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(out, "sla", "*"))
	want := []string{"2026-04-02.csv", "2026-04-02.csv.json", "2026-04-03.csv", "2026-04-03.csv.json"}
	if len(files) != len(want) {
		t.Fatalf("after three runs keeping 2: %v", files)
	}
	for i, f := range files {
		if filepath.Base(f) != want[i] {
			t.Errorf("file %d is %s, want %s", i, filepath.Base(f), want[i])
		}
	}
	before, _ := os.ReadFile(filepath.Join(out, "sla", "2026-04-03.csv"))
	bad := e
	bad.Params = map[string]string{"as_of": "2026-04-01T00:00:00Z", "by": "colour"}
	if _, err := Run(context.Background(), l, bad, reports.DefaultConfig(), time.Date(2026, 4, 3, 6, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("a run with a bad parameter succeeded")
	}
	after, _ := os.ReadFile(filepath.Join(out, "sla", "2026-04-03.csv"))
	if string(before) != string(after) {
		t.Error("a failed run changed the previous file")
	}
	if left, _ := filepath.Glob(filepath.Join(out, "sla", ".*")); len(left) != 0 {
		t.Errorf("a failed run left %v behind", left)
	}
}

// A review export writes the weekly review of the week before its run:
// run on Monday 2026-01-12, the review of 2026-W02, whole, with its
// manifest; and the example config's exports all parse.
func TestReviewExport(t *testing.T) {
	l := fixtureLake(t)
	out := t.TempDir()
	for _, format := range ReviewFormats {
		e := Export{Name: "review_" + format, Review: true, Format: format, Dir: out}
		if err := e.Check(); err != nil {
			t.Fatal(err)
		}
		m, err := Run(context.Background(), l, e, reports.DefaultConfig(), time.Date(2026, 1, 12, 7, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(out, "review_"+format, "2026-01-12."+format))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), "Handoff review · 2026-W02") || m.Report != "review" {
			t.Errorf("%s: manifest %+v, file starts %q", format, m, string(raw[:min(len(raw), 200)]))
		}
	}
	bad := Export{Name: "r", Review: true, Report: "funnel", Dir: out}
	if err := bad.Check(); err == nil {
		t.Error("a review with a report: no error")
	}
	if _, err := LoadConfig("../examples/handoff.yaml"); err != nil {
		t.Errorf("examples/handoff.yaml: %v", err)
	}
}
