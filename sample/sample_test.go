package sample

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

func TestSameSeedSameBytes(t *testing.T) {
	ctx := context.Background()
	gen := func(seed int64) (string, Result) {
		dir := t.TempDir()
		res, err := Generate(ctx, dir, Options{Leads: 1500, Seed: seed, Format: "mixed"})
		if err != nil {
			t.Fatal(err)
		}
		return dir, res
	}
	a, ra := gen(7)
	b, rb := gen(7)
	c, _ := gen(8)
	if len(ra.Files) != len(rb.Files) || len(ra.Files) < 15 {
		t.Fatalf("files %v vs %v", ra.Files, rb.Files)
	}
	differs := false
	for _, f := range append(ra.Files, BadRowsFile) {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		z, _ := os.ReadFile(filepath.Join(c, f))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with seed 7", f)
		}
		differs = differs || !bytes.Equal(x, z)
	}
	if !differs {
		t.Error("seed 8 wrote the same bytes as seed 7")
	}
}

// TestStatedRatesHold generates a large canonical sample and measures it
// with DuckDB straight from the CSV files (not through handoff's ingest):
// the rates in DefaultTruth must show within sampling tolerance.
func TestStatedRatesHold(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 200,000 leads")
	}
	ctx := context.Background()
	dir := t.TempDir()
	const n = 200_000
	if _, err := Generate(ctx, dir, Options{Leads: n, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"leads", "stage_changes", "activities", "assignments", "dispositions", "opportunities", "spend"} {
		q := "CREATE VIEW " + table + " AS SELECT * FROM read_csv('" + filepath.Join(dir, table+".csv") + "', header = true)"
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	one := func(q string, args ...any) float64 {
		t.Helper()
		var v sql.NullFloat64
		if err := db.QueryRow(q, args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v.Float64
	}
	within := func(what string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.4f, stated %.4f (tolerance %.4f)", what, got, want, tol)
		} else {
			t.Logf("%s = %.4f, stated %.4f", what, got, want)
		}
	}
	for _, src := range DefaultTruth.Sources {
		share := one("SELECT count(*) / ? FROM leads WHERE source = ?", float64(n), src.Name)
		within(src.Name+" share of leads", share, src.Weight, 0.006)
		if src.SkipMQL == 0 {
			mql := one(`SELECT count(DISTINCT s.lead_id) / (SELECT count(*) FROM leads WHERE source = $1)
				FROM stage_changes s JOIN leads l USING (lead_id) WHERE l.source = $1 AND s.stage = 'mql'`, src.Name)
			within(src.Name+" lead→MQL", mql, src.MQL, 0.012)
		}
	}
	// Speed to lead: SQL rate of leads first touched within an hour of the
	// first assignment, against those touched after a day.
	speed := `WITH first_assign AS (SELECT lead_id, min(assigned_at) AS at FROM assignments GROUP BY ALL),
		first_touch AS (SELECT a.lead_id, min(a.occurred_at) AS at FROM activities a JOIN first_assign f USING (lead_id)
			WHERE a.actor_role = 'sales' AND a.kind IN ('call', 'email_sent', 'sms', 'meeting') AND a.occurred_at >= f.at GROUP BY ALL),
		sqls AS (SELECT DISTINCT lead_id FROM stage_changes WHERE stage = 'sql'),
		bucketed AS (SELECT f.lead_id, date_diff('second', f.at, t.at) / 3600.0 AS hours, s.lead_id IS NOT NULL AS converted
			FROM first_assign f JOIN first_touch t USING (lead_id) LEFT JOIN sqls s USING (lead_id))
		SELECT avg(CASE WHEN converted THEN 1 ELSE 0 END) FROM bucketed WHERE `
	fast := one(speed + "hours <= 1")
	slow := one(speed + "hours > 24")
	within("SQL rate touched ≤1h ÷ touched >24h", fast/slow, DefaultTruth.SpeedFastHour/DefaultTruth.SpeedSlow, 0.5)

	// E-mail converts lead→customer about an order of magnitude worse.
	customers := `SELECT count(DISTINCT s.lead_id) / (SELECT count(*) FROM leads WHERE %s)
		FROM stage_changes s JOIN leads l USING (lead_id) WHERE s.stage = 'customer' AND %s`
	email := one(sprintf(customers, "source = 'email'", "l.source = 'email'"))
	others := one(sprintf(customers, "source <> 'email'", "l.source <> 'email'"))
	if email <= 0 || email/others > 0.2 {
		t.Errorf("email lead→customer %.5f vs others %.5f: want about a tenth", email, others)
	}

	// The behaviours the reports rely on are all present.
	for what, q := range map[string]string{
		"reassignments":                "SELECT count(*) FROM (SELECT lead_id FROM assignments GROUP BY ALL HAVING count(*) > 1)",
		"recycled then MQL again":      "SELECT count(*) FROM (SELECT lead_id FROM stage_changes GROUP BY ALL HAVING count(*) FILTER (stage = 'mql') > 1)",
		"skipped MQL (lead→sql)":       "SELECT count(*) FROM (SELECT lead_id FROM stage_changes GROUP BY ALL HAVING bool_or(stage = 'sql') AND NOT bool_or(stage = 'mql'))",
		"disqualified":                 "SELECT count(*) FROM stage_changes WHERE stage = 'disqualified'",
		"rejections with a reason":     "SELECT count(*) FROM dispositions WHERE outcome = 'rejected' AND reason IS NOT NULL",
		"rejections without reason":    "SELECT count(*) FROM dispositions WHERE outcome = 'rejected' AND reason IS NULL",
		"won opportunities":            "SELECT count(*) FROM opportunities WHERE won",
		"spend with no leads":          "SELECT count(*) FROM spend WHERE campaign = '" + SpendOnlyCampaign + "'",
		"assigned to the rep who left": "SELECT count(*) FROM assignments WHERE owner_id = '" + Users()[4].ID + "' AND assigned_at > TIMESTAMPTZ '2026-07-01'",
	} {
		if got := one(q); got == 0 {
			t.Errorf("no %s in the sample", what)
		}
	}
	if got := one("SELECT count(*) FROM spend WHERE source = 'referral'"); got != 0 {
		t.Errorf("referral has %v spend rows; its spend must be unknown (absent)", got)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
