package reports

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/ingest/ingesttest"
	"github.com/handoff-dev/handoff/lake"
)

// openLeaksFixture ingests testdata/leaks, whose README works out every
// classification and amount below by hand.
func openLeaksFixture(t *testing.T) *lake.Lake {
	t.Helper()
	l, err := lake.Open(context.Background(), ingesttest.Fixture(t, "leaks"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

var leaksAsOf = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func TestLeaksOnHandWorkedFixture(t *testing.T) {
	l := openLeaksFixture(t)
	ctx := context.Background()
	r, err := Leaks(ctx, l, Params{AsOf: leaksAsOf, TZ: "UTC", Grain: "month"}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	// period | crack | leads | mqls | share | recovered | revenue at risk | unknown
	web, paid := 10000.0/11, 4000.0/8
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	z := f(0)
	want := []string{
		"2026-01-01 never_handed_off 1 13 " + f(1.0/13) + " 0 " + f(web) + " 0",
		"2026-01-01 inactive_owner 1 13 " + f(1.0/13) + " 0 " + f(web) + " 0",
		"2026-01-01 never_touched 1 13 " + f(1.0/13) + " 0 " + f(web) + " 0",
		"2026-01-01 never_dispositioned 2 13 " + f(2.0/13) + " 1 " + f(web+paid) + " 0",
		"2026-01-01 rejected_without_reason 1 13 " + f(1.0/13) + " 0 " + f(web) + " 0",
		"2026-01-01 stuck 1 13 " + f(1.0/13) + " 0 " + f(web) + " 0",
		"2026-01-01 recycled_forgotten 2 13 " + f(2.0/13) + " 1 " + f(web+paid) + " 0",
		"2026-01-01 duplicate 1 13 " + f(1.0/13) + " 0 " + f(paid) + " 0",
		"2026-02-01 never_handed_off 1 8 " + f(0.125) + " 1 unknown 1",
		"2026-02-01 inactive_owner 1 8 " + f(0.125) + " 1 " + f(paid) + " 0",
		"2026-02-01 never_touched 1 8 " + f(0.125) + " 1 " + f(paid) + " 0",
		"2026-02-01 never_dispositioned 0 8 " + z + " 0 " + z + " 0",
		"2026-02-01 rejected_without_reason 1 8 " + f(0.125) + " 0 unknown 1",
		"2026-02-01 stuck 1 8 " + f(0.125) + " 0 " + f(paid) + " 0",
		"2026-02-01 recycled_forgotten 0 8 " + z + " 0 " + z + " 0",
		"2026-02-01 duplicate 1 8 " + f(0.125) + " 0 " + f(web) + " 0",
	}
	var got []string
	for _, row := range r.Rows {
		rev := "unknown"
		if row.RevenueAtRisk != nil {
			rev = f(*row.RevenueAtRisk)
		}
		got = append(got, strings.Join([]string{row.Period, row.Crack, itoa(row.Leads), itoa(row.MQLs), f(row.Share), itoa(row.Recovered), rev, itoa(row.UnknownValueLeads)}, " "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("leaks:\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// The leads behind them: one row per leaked lead, in the crack the
	// README puts it, recovered where something came late.
	list, err := Leaked(ctx, l, Params{AsOf: leaksAsOf, TZ: "UTC"}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	wantCrack := map[string]string{
		"A1": "never_handed_off", "A2": "never_handed_off+", "B1": "inactive_owner", "B2": "inactive_owner+",
		"C1": "never_touched", "C2": "never_touched+", "D1": "never_dispositioned", "D2": "never_dispositioned+",
		"E1": "rejected_without_reason", "E2": "rejected_without_reason", "F1": "stuck", "F2": "stuck",
		"G1": "recycled_forgotten", "G2": "recycled_forgotten+", "H2": "duplicate", "H4": "duplicate",
	}
	gotCrack := map[string]string{}
	for _, row := range list.Rows {
		c := row.Crack
		if row.Recovered {
			c += "+"
		}
		if _, dup := gotCrack[row.LeadID]; dup {
			t.Errorf("%s is listed twice", row.LeadID)
		}
		gotCrack[row.LeadID] = c
		if row.Evidence == "" {
			t.Errorf("%s has no evidence", row.LeadID)
		}
	}
	for id, c := range wantCrack {
		if gotCrack[id] != c {
			t.Errorf("lead %s: %q, want %q (+ = recovered)", id, gotCrack[id], c)
		}
	}
	if len(gotCrack) != len(wantCrack) {
		t.Errorf("%d leads listed, want %d: %v", len(gotCrack), len(wantCrack), gotCrack)
	}

	// The evidence of the two working-day deadlines, worked in the README.
	for _, row := range list.Rows {
		switch row.LeadID {
		case "D1":
			if !row.CrackAt.Equal(time.Date(2026, 1, 12, 10, 5, 0, 0, time.UTC)) {
				t.Errorf("D1's disposition deadline %v, want Mon 2026-01-12 10:05", row.CrackAt)
			}
		case "D2":
			if !row.CrackAt.Equal(time.Date(2026, 1, 28, 16, 30, 0, 0, time.UTC)) || !strings.Contains(row.Evidence, "decided 2026-01-29 12:00 (late)") {
				t.Errorf("D2: deadline %v, evidence %q; want Wed 2026-01-28 16:30 and the late decision", row.CrackAt, row.Evidence)
			}
		}
	}

	// One crack at a time, and a breakdown that adds up to the whole.
	one, err := Leaked(ctx, l, Params{AsOf: leaksAsOf, TZ: "UTC", What: "stuck"}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Rows) != 2 {
		t.Errorf("--what stuck: %d leads, want 2 (F1, F2)", len(one.Rows))
	}
	bySource, err := Leaks(ctx, l, Params{AsOf: leaksAsOf, TZ: "UTC", Grain: "month", By: "source"}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var total, events int64
	for _, row := range bySource.Rows {
		total += row.Leads
		if row.Dim != nil && *row.Dim == "events" {
			events += row.Leads
		}
	}
	if total != 16 || events != 2 {
		t.Errorf("by source: %d leaks in all (%d from events), want 16 (2: A2, E2)", total, events)
	}
	if _, err := Leaked(ctx, l, Params{AsOf: leaksAsOf, What: "lost"}, DefaultConfig()); err == nil || !strings.Contains(err.Error(), "never_touched") {
		t.Errorf("an unknown crack: %v, want an error listing the cracks", err)
	}
}

// Limits come from handoff.yaml: a looser touch limit takes C2 (touched
// after 4 days) out of never_touched.
func TestLeakLimitsFromConfig(t *testing.T) {
	l := openLeaksFixture(t)
	cfg, err := ParseConfig("handoff.yaml", []byte("reports:\n  leaks:\n    touch_within: 5d\n"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := Leaked(context.Background(), l, Params{AsOf: leaksAsOf, TZ: "UTC", What: "never_touched"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, row := range list.Rows {
		ids = append(ids, row.LeadID)
	}
	if strings.Join(ids, " ") != "C1" {
		t.Errorf("never_touched with a 5-day limit: %v, want [C1]", ids)
	}
	if _, err := ParseConfig("handoff.yaml", []byte("reports:\n  leaks:\n    touch_within: soon\n")); err == nil || !strings.Contains(err.Error(), "touch_within") {
		t.Errorf("a bad limit: %v, want an error naming touch_within", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
