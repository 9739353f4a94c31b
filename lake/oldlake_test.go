package lake

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestOpenLakeWrittenBeforeAColumnWasAdded: leads files written before
// company_size_text existed still open; the column reads NULL from them,
// alone (no file has it) or beside a newer file that has it.
func TestOpenLakeWrittenBeforeAColumnWasAdded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := filepath.Join(dir, "v", "leads", "old.parquet")
	newer := filepath.Join(dir, "v", "leads", "new.parquet")
	for _, s := range []string{
		"COPY (SELECT 'L1' AS lead_id, TIMESTAMPTZ '2024-02-05 09:15:00+00' AS created_at, 51::BIGINT AS company_size) TO " + Literal(old) + " (FORMAT parquet)",
		"COPY (SELECT 'L2' AS lead_id, TIMESTAMPTZ '2024-02-06 09:15:00+00' AS created_at, 51::BIGINT AS company_size, '51-200' AS company_size_text) TO " + Literal(newer) + " (FORMAT parquet)",
	} {
		if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	leads, _ := TableNamed("leads")
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"no file has the column", []string{"leads/old.parquet"}, "L1|51|"},
		{"one file has it", []string{"leads/old.parquet", "leads/new.parquet"}, "L1|51|,L2|51|51-200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tf := TableFiles{}
			for _, f := range tc.files {
				tf.Files = append(tf.Files, File{Path: f})
			}
			sel, err := tableSelect(ctx, db, leads, filepath.Join(dir, "v"), tf)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.Query("SELECT lead_id, company_size, coalesce(company_size_text, '') FROM (" + sel + ") ORDER BY lead_id")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := ""
			for rows.Next() {
				var id, text string
				var size int64
				if err := rows.Scan(&id, &size, &text); err != nil {
					t.Fatal(err)
				}
				if got != "" {
					got += ","
				}
				got += id + "|" + itoa64(size) + "|" + text
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
