package main

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/reports"
)

// fixtureLake ingests the hand-worked report fixture through the CLI.
func fixtureLake(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lake")
	inputs, _ := filepath.Glob("../../testdata/reports/*.csv")
	code, _, stderr := runCLI(t, append([]string{"ingest", "--strict", "--lake", dir}, inputs...)...)
	if code != exitOK {
		t.Fatalf("ingest fixture: exit %d: %s", code, stderr)
	}
	return dir
}

// Every report in every format on the hand-worked fixture: each output
// parses, has the same rows, and the funnel's first row is the one worked
// out by hand in testdata/reports/README.md.
func TestReportEveryNameEveryFormat(t *testing.T) {
	dir := fixtureLake(t)
	out := t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range reports.Names() {
		t.Run(name, func(t *testing.T) {
			base := []string{"report", name, "--lake", dir, "--as-of", "2026-04-01T00:00:00Z"}
			code, table, stderr := runCLI(t, append(base, "--format", "table")...)
			if code != exitOK {
				t.Fatalf("table: exit %d: %s", code, stderr)
			}
			code, csvText, stderr := runCLI(t, append(base, "--format", "csv")...)
			if code != exitOK {
				t.Fatalf("csv: exit %d: %s", code, stderr)
			}
			records, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
			if err != nil || len(records) == 0 {
				t.Fatalf("csv does not parse: %v\n%s", err, csvText)
			}
			header := records[0]
			if !strings.HasPrefix(strings.TrimSpace(table), strings.Fields(table)[0]) || strings.Fields(table)[0] != header[0] {
				t.Errorf("table header %q does not start with the first column %q", strings.Fields(table)[0], header[0])
			}
			code, jsonText, stderr := runCLI(t, append(base, "--format", "json")...)
			if code != exitOK {
				t.Fatalf("json: exit %d: %s", code, stderr)
			}
			var doc struct {
				Report  string           `json:"report"`
				Params  map[string]any   `json:"params"`
				AsOf    string           `json:"as_of"`
				Columns []string         `json:"columns"`
				Rows    []map[string]any `json:"rows"`
			}
			if err := json.Unmarshal([]byte(jsonText), &doc); err != nil {
				t.Fatalf("json does not parse: %v\n%s", err, jsonText)
			}
			if doc.Report != name || doc.AsOf != "2026-04-01T00:00:00Z" || strings.Join(doc.Columns, ",") != strings.Join(header, ",") {
				t.Errorf("json head: report %q as_of %q columns %v; want %q, 2026-04-01T00:00:00Z, %v", doc.Report, doc.AsOf, doc.Columns, name, header)
			}
			if len(doc.Rows) != len(records)-1 {
				t.Errorf("json has %d rows, csv %d", len(doc.Rows), len(records)-1)
			}
			pq := filepath.Join(out, name+".parquet")
			code, _, stderr = runCLI(t, append(base, "--format", "parquet", "--out", pq)...)
			if code != exitOK {
				t.Fatalf("parquet: exit %d: %s", code, stderr)
			}
			var n int
			if err := db.QueryRow("SELECT count(*) FROM read_parquet(?)", pq).Scan(&n); err != nil || n != len(records)-1 {
				t.Errorf("parquet has %d rows (%v), csv %d", n, err, len(records)-1)
			}
			if name == "funnel" {
				if got := strings.Join(records[1], ","); got != "2026-01-01,lead,mql,7,6,0.8571428571428571,true" {
					t.Errorf("funnel first row %s, want the hand-worked 2026-01-01,lead,mql,7,6,6/7,true", got)
				}
			}
		})
	}
}

func TestReportBreakdownAndOutFile(t *testing.T) {
	dir := fixtureLake(t)
	outFile := filepath.Join(t.TempDir(), "response.csv")
	code, _, stderr := runCLI(t, "report", "response", "--lake", dir, "--as-of", "2026-04-01T00:00:00Z",
		"--by", "owner", "--format", "csv", "--out", outFile)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	// Ana answered A1 A2 A4 A7 A8: n = 5, median 60 minutes (README.md).
	if !strings.HasPrefix(lines[0], "owner,n,p50_minutes") || !strings.HasPrefix(lines[1], "Ana,5,60,") {
		t.Errorf("response by owner:\n%s", raw)
	}
}

func TestReportErrors(t *testing.T) {
	dir := fixtureLake(t)
	notALake := t.TempDir()
	usersOnly := filepath.Join(t.TempDir(), "lake")
	if code, _, stderr := runCLI(t, "ingest", "--lake", usersOnly, "../../testdata/reports/users.csv"); code != exitOK {
		t.Fatalf("ingest users: %s", stderr)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown report", []string{"report", "nope", "--lake", dir}, exitUsage, `unknown report "nope"`},
		{"unknown dimension", []string{"report", "funnel", "--lake", dir, "--by", "colour"}, exitUsage, `cannot break down by "colour"`},
		{"unknown filter", []string{"report", "funnel", "--lake", dir, "--filter", "colour=red"}, exitUsage, `cannot filter on "colour"`},
		{"filter without value", []string{"report", "funnel", "--lake", dir, "--filter", "source"}, exitUsage, "want DIM=VALUE"},
		{"bad date", []string{"report", "funnel", "--lake", dir, "--from", "2026-13-01"}, exitUsage, `--from "2026-13-01": want a date as YYYY-MM-DD`},
		{"bad as-of", []string{"report", "funnel", "--lake", dir, "--as-of", "yesterday"}, exitUsage, "--as-of"},
		{"bad window", []string{"report", "funnel", "--lake", dir, "--window", "soon"}, exitUsage, "duration"},
		{"to before from", []string{"report", "funnel", "--lake", dir, "--from", "2026-02-01", "--to", "2026-01-01"}, exitUsage, "--to 2026-01-01 is before --from 2026-02-01"},
		{"bad zone", []string{"report", "funnel", "--lake", dir, "--tz", "Mars/Olympus"}, exitUsage, `--tz "Mars/Olympus" is not a time zone`},
		{"bad format", []string{"report", "funnel", "--lake", dir, "--format", "xlsx"}, exitUsage, `--format "xlsx"`},
		{"parquet needs out", []string{"report", "funnel", "--lake", dir, "--format", "parquet"}, exitUsage, "--out"},
		{"no lake flag", []string{"report", "funnel"}, exitUsage, "--lake is required"},
		{"not a lake", []string{"report", "funnel", "--lake", notALake}, exitFailure, "is not a lake yet"},
		{"a lake with no events", []string{"report", "funnel", "--lake", usersOnly}, exitFailure, "no leads or events yet"},
		{"unknown SLA", []string{"report", "sla-breaches", "--lake", dir, "--sla", "lunch"}, exitUsage, `no SLA named "lunch"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d containing %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}
