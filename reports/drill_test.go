package reports

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/sample/sampletest"
)

// Drill-down lists on the hand-made fixture: the rows are the leads
// testdata/reports/README.md names for each number (sections Overview,
// Response, Sources).
func TestLeadsListsOnHandWorkedFixture(t *testing.T) {
	l := openFixture(t)
	ctx := context.Background()
	jan := func(what string) Params {
		p := fixtureParams()
		p.What, p.From, p.To = what, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
		return p
	}
	q1 := func(what string) Params {
		p := jan(what)
		p.To = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
		return p
	}
	cases := []struct {
		name string
		p    Params
		// want: lead_id, outcome, minutes (or amount) per row, in order.
		want []string
	}{
		{"January MQLs with their MQL → SQL outcome", jan("mql"), []string{
			"L6 reached sql 0", "L5 reached sql 2880", "L4 not yet -", "L3 reached sql 0", "L2 reached sql 1440", "L1 reached sql 5760"}},
		{"January assignments, slowest first", jan("assigned"), []string{
			"L3 breached, no touch 1440", "L5 breached 930", "L4 breached 240", "L3 met 60", "L1 met 20", "L2 met 2"}},
		{"won in the first quarter, largest first (O5 closes after the as-of time)", q1("won"), []string{
			"L1 won 5000", "L6 won 3000", "L10 won 2000"}},
		{"January pipeline: O5 still open as of then", jan("opportunity"), []string{
			"L5 open 9999", "L1 won 5000"}},
		{"January handoffs with the verdict", jan("handed_off"), []string{
			"L5 accepted 2875", "L4 rejected: No budget 1435", "L3 accepted 10075", "L2 accepted 1440", "L1 accepted 2880"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Leads(ctx, l, c.p, DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, row := range r.Rows {
				n := "-"
				switch {
				case row.Minutes != nil:
					n = strconv.FormatFloat(*row.Minutes, 'f', -1, 64)
				case row.Amount != nil:
					n = strconv.FormatFloat(*row.Amount, 'f', -1, 64)
				}
				got = append(got, row.LeadID+" "+row.Outcome+" "+n)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}

	t.Run("an unknown list is refused, and only leads takes what", func(t *testing.T) {
		p := fixtureParams()
		p.What = "mqls"
		if _, err := Leads(ctx, l, p, DefaultConfig()); err == nil || !strings.Contains(err.Error(), "created, lead, mql") {
			t.Errorf("leads with what=mqls: %v", err)
		}
		p = fixtureParams()
		p.What = "mql"
		if _, err := Funnel(ctx, l, p); err == nil {
			t.Error("funnel took what")
		}
	})
}

// TestLeadsListsAddUpToTheNumbers is the independent route for the
// drill-down: on generated data, the rows each list holds, counted and
// summed in Go, equal the numbers the aggregate reports computed in SQL of
// their own, period by period.
func TestLeadsListsAddUpToTheNumbers(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests 3,000 leads")
	}
	ctx := context.Background()
	l := sampletest.Lake(t, 3000, 11)
	cfg := DefaultConfig()
	overview, err := Overview(ctx, l, Params{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(overview.Rows) < 6 {
		t.Fatalf("only %d months in the sample", len(overview.Rows))
	}
	list := func(what string, period string) []LeadRow {
		t.Helper()
		from, _ := time.Parse(time.DateOnly, period)
		r, err := Leads(ctx, l, Params{What: what, From: from, To: from.AddDate(0, 1, -1)}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r.Rows
	}
	countWhere := func(rows []LeadRow, f func(LeadRow) bool) (n int64) {
		for _, r := range rows {
			if f(r) {
				n++
			}
		}
		return n
	}
	sum := func(rows []LeadRow) (s float64) {
		for _, r := range rows {
			s += *r.Amount
		}
		return s
	}
	all := func(LeadRow) bool { return true }
	for _, o := range overview.Rows {
		mqls := list("mql", o.Period)
		assigned := list("assigned", o.Period)
		checks := []struct {
			name      string
			got, want float64
		}{
			{"leads", float64(countWhere(list("created", o.Period), all)), float64(o.Leads)},
			{"mqls", float64(len(mqls)), float64(o.MQLs)},
			{"mqls reaching sql", float64(countWhere(mqls, func(r LeadRow) bool { return r.Outcome == "reached sql" })), deref(o.MQLToSQL) * float64(o.MQLs)},
			{"sqls", float64(len(list("sql", o.Period))), float64(o.SQLs)},
			{"first touch met", float64(countWhere(assigned, func(r LeadRow) bool { return strings.HasPrefix(r.Outcome, "met") })), float64(o.FirstTouchMet)},
			{"first touch breached", float64(countWhere(assigned, func(r LeadRow) bool { return strings.HasPrefix(r.Outcome, "breached") })), float64(o.FirstTouchBreached)},
			{"pipeline", sum(list("opportunity", o.Period)), o.Pipeline},
			{"won revenue", sum(list("won", o.Period)), o.WonRevenue},
		}
		for _, c := range checks {
			if math.Abs(c.got-c.want) > 1e-6*math.Max(1, math.Abs(c.want)) {
				t.Errorf("%s %s: the list holds %v, the overview says %v", o.Period, c.name, c.got, c.want)
			}
		}
	}

	// The funnel's cohorts and quality's handoffs, from their own lists.
	funnel, err := Funnel(ctx, l, Params{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range funnel.Rows {
		if row.FromStage != "lead" || row.ToStage != "mql" {
			continue
		}
		cohort := list("lead", row.Cohort)
		if int64(len(cohort)) != row.ReachedFrom || countWhere(cohort, func(r LeadRow) bool { return r.Outcome == "reached mql" }) != row.ReachedTo {
			t.Errorf("cohort %s: list has %d leads, %d reaching mql; funnel says %d and %d", row.Cohort, len(cohort),
				countWhere(cohort, func(r LeadRow) bool { return r.Outcome == "reached mql" }), row.ReachedFrom, row.ReachedTo)
		}
	}
	quality, err := Quality(ctx, l, Params{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	handed := list("handed_off", "2026-03-01")
	accepted := countWhere(handed, func(r LeadRow) bool { return r.Outcome == "accepted" })
	if q := quality.Rows[0]; int64(len(handed)) != q.HandedOff || accepted != q.Accepted {
		t.Errorf("March handoffs: list has %d, %d accepted; quality says %d, %d", len(handed), accepted, q.HandedOff, q.Accepted)
	}
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}
