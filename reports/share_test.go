package reports

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// A clock shared for the lake is read from sla_memo, by the arguments it
// was shared with and no others: the memo's rows are the computation's,
// and a report at another as-of, or of another clock, computes its own.
func TestSharedClocksAreReadByTheirArgumentsOnly(t *testing.T) {
	ctx := context.Background()
	l := openFixture(t)
	if err := models.PrepareLake(ctx, l); err != nil {
		t.Fatal(err)
	}
	two := 2.0
	shared := models.SLAClock{Start: "assignment", Stop: "disposition", Clock: "business", LimitMinutes: 2880, LimitWorkdays: &two}
	if err := models.ShareSLA(ctx, l, fixtureAsOf, shared); err != nil {
		t.Fatal(err)
	}
	if err := models.ShareSLA(ctx, l, fixtureAsOf, shared); err != nil { // a second time: no second copy
		t.Fatal(err)
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := l.DB.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	memo := count("SELECT count(*) FROM sla_memo")
	if memo == 0 || count("SELECT count(DISTINCT memo_key) FROM sla_memo") != 1 {
		t.Fatalf("sla_memo holds %d rows under %d keys; want the clock once", memo, count("SELECT count(DISTINCT memo_key) FROM sla_memo"))
	}
	const instances = "sla_instances(?::TIMESTAMPTZ, ?, ?, ?, ?::DOUBLE, ?::DOUBLE)"
	const compute = "sla_compute(?::TIMESTAMPTZ, ?, ?, ?, ?::DOUBLE, ?::DOUBLE)"
	same := func(asOf time.Time, c models.SLAClock) {
		t.Helper()
		var wd any
		if c.LimitWorkdays != nil {
			wd = *c.LimitWorkdays
		}
		a := []any{asOf, c.Start, c.Stop, c.Clock, c.LimitMinutes, wd}
		both := append(append([]any{}, a...), a...)
		if n := count("SELECT count(*) FROM (SELECT * FROM "+instances+" EXCEPT ALL SELECT * FROM "+compute+")", both...) +
			count("SELECT count(*) FROM (SELECT * FROM "+compute+" EXCEPT ALL SELECT * FROM "+instances+")", both...); n != 0 {
			t.Errorf("as of %s, %+v: %d rows differ from the computation", asOf, c, n)
		}
	}
	same(fixtureAsOf, shared)
	// Mark the memo's rows: only the shared arguments read them.
	if _, err := l.DB.ExecContext(ctx, "UPDATE sla_memo SET status = 'from the memo'"); err != nil {
		t.Fatal(err)
	}
	read := func(asOf time.Time, c models.SLAClock) int {
		var wd any
		if c.LimitWorkdays != nil {
			wd = *c.LimitWorkdays
		}
		return count("SELECT count(*) FROM "+instances+" WHERE status = 'from the memo'", asOf, c.Start, c.Stop, c.Clock, c.LimitMinutes, wd)
	}
	if n := read(fixtureAsOf, shared); n != memo {
		t.Errorf("the shared clock read %d of the memo's %d rows", n, memo)
	}
	three := 3.0
	for _, other := range []struct {
		asOf time.Time
		c    models.SLAClock
	}{
		{fixtureAsOf.Add(-time.Hour), shared},
		{fixtureAsOf, models.SLAClock{Start: "assignment", Stop: "disposition", Clock: "business", LimitMinutes: 2880, LimitWorkdays: &three}},
		{fixtureAsOf, models.SLAClock{Start: "assignment", Stop: "disposition", Clock: "business", LimitMinutes: 2880}},
		{fixtureAsOf, models.SLAClock{Start: "assignment", Stop: "disposition", Clock: "calendar", LimitMinutes: 2880, LimitWorkdays: &two}},
		{fixtureAsOf, models.SLAClock{Start: "assignment", Stop: "first_sales_touch", Clock: "business", LimitMinutes: 2880, LimitWorkdays: &two}},
		{fixtureAsOf, models.SLAClock{Start: "mql", Stop: "disposition", Clock: "business", LimitMinutes: 2880, LimitWorkdays: &two}},
	} {
		if n := read(other.asOf, other.c); n != 0 {
			t.Errorf("as of %s, %+v read %d rows of another clock's memo", other.asOf, other.c, n)
		}
	}
}

// Leak cases shared for the lake are read by the same limits only (the
// stuck limits in any order), and equal the computation.
func TestSharedLeakCasesAreReadByTheirLimitsOnly(t *testing.T) {
	ctx := context.Background()
	l := openFixture(t)
	if err := models.PrepareLake(ctx, l); err != nil {
		t.Fatal(err)
	}
	lim := models.LeakLimits{HandoffSeconds: 86400, TouchSeconds: 3600, DispositionWorkdays: 2, RecycleSeconds: 1209600,
		DuplicateSeconds: 604800, StuckHours: map[string]float64{"sql": 720, "opportunity": 2160}}
	if err := models.ShareLeaks(ctx, l, fixtureAsOf, lim); err != nil {
		t.Fatal(err)
	}
	const cases = "leak_cases(?::TIMESTAMPTZ, ?::DOUBLE, ?::DOUBLE, ?::DOUBLE, ?::DOUBLE, ?::DOUBLE, %s)"
	const compute = "leak_compute(?::TIMESTAMPTZ, ?::DOUBLE, ?::DOUBLE, ?::DOUBLE, ?::DOUBLE, ?::DOUBLE, %s)"
	args := func(asOf time.Time, lim models.LeakLimits) []any {
		return []any{asOf, lim.HandoffSeconds, lim.TouchSeconds, lim.DispositionWorkdays, lim.RecycleSeconds, lim.DuplicateSeconds}
	}
	count := func(q string, a ...any) int {
		t.Helper()
		var n int
		if err := l.DB.QueryRowContext(ctx, q, a...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	stuck := "MAP {'sql': 720.0, 'opportunity': 2160.0}::MAP(VARCHAR, DOUBLE)"
	memo := count("SELECT count(*) FROM leak_memo")
	if memo == 0 {
		t.Fatal("leak_memo is empty after ShareLeaks")
	}
	a := args(fixtureAsOf, lim)
	if n := count(fmt.Sprintf("SELECT count(*) FROM (SELECT * FROM "+cases+" EXCEPT ALL SELECT * FROM "+compute+")", stuck, stuck), append(a, a...)...) +
		count(fmt.Sprintf("SELECT count(*) FROM (SELECT * FROM "+compute+" EXCEPT ALL SELECT * FROM "+cases+")", stuck, stuck), append(a, a...)...); n != 0 {
		t.Errorf("%d rows differ from the computation", n)
	}
	if _, err := l.DB.ExecContext(ctx, "UPDATE leak_memo SET evidence = 'from the memo'"); err != nil {
		t.Fatal(err)
	}
	read := func(asOf time.Time, lim models.LeakLimits, stuck string) int {
		return count(fmt.Sprintf("SELECT count(*) FROM "+cases+" WHERE evidence = 'from the memo'", stuck), args(asOf, lim)...)
	}
	// ShareLeaks wrote its map in key order; this one is not.
	if n := read(fixtureAsOf, lim, stuck); n != memo {
		t.Errorf("the shared limits (stuck limits in another order) read %d of the memo's %d rows", n, memo)
	}
	other := lim
	other.TouchSeconds = 7200
	for name, c := range map[string]int{
		"another as-of":       read(fixtureAsOf.Add(time.Minute), lim, stuck),
		"another touch limit": read(fixtureAsOf, other, stuck),
		"another stuck limit": read(fixtureAsOf, lim, "MAP {'sql': 721.0, 'opportunity': 2160.0}::MAP(VARCHAR, DOUBLE)"),
		"fewer stuck limits":  read(fixtureAsOf, lim, "MAP {'sql': 720.0}::MAP(VARCHAR, DOUBLE)"),
	} {
		if c != 0 {
			t.Errorf("%s read %d rows of the memo", name, c)
		}
	}
}

// Warm computes exactly what the pages then ask for: after it, the SLA,
// breach, overview, speed and leak reports at the default as-of, and the
// default weekly review, share nothing new (every clock and leak case they
// read was warmed).
func TestWarmSharesWhatThePagesRead(t *testing.T) {
	ctx := context.Background()
	l := openFixture(t)
	cfg := DefaultConfig()
	if err := Warm(ctx, l, cfg); err != nil {
		t.Fatal(err)
	}
	keys := func() (int, int) {
		var sla, leaks int
		if err := l.DB.QueryRowContext(ctx, "SELECT (SELECT count(DISTINCT memo_key) FROM sla_memo), (SELECT count(DISTINCT memo_key) FROM leak_memo)").Scan(&sla, &leaks); err != nil {
			t.Fatal(err)
		}
		return sla, leaks
	}
	sla, leaks := keys()
	// the latest event, and the default review's week end before it
	if sla == 0 || leaks != 2 {
		t.Fatalf("Warm shared %d clocks and %d leak computations, want some and 2", sla, leaks)
	}
	latest, err := LatestEvent(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	p := Params{}
	for name, run := range map[string]func() error{
		"sla":          func() error { _, err := SLACompliance(ctx, l, p, cfg); return err },
		"sla-breaches": func() error { _, err := SLABreaches(ctx, l, p, cfg, ""); return err },
		"overview":     func() error { _, err := Overview(ctx, l, p, cfg); return err },
		"response":     func() error { _, err := Response(ctx, l, p, cfg); return err },
		"leaks":        func() error { _, err := Leaks(ctx, l, p, cfg); return err },
		"review": func() error {
			_, err := BuildReview(ctx, l, DefaultReviewWeek(latest), "UTC", cfg)
			return err
		},
	} {
		if err := run(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s, k := keys(); s != sla || k != leaks {
			t.Errorf("%s shared what Warm had not: %d clocks and %d leak computations, where Warm left %d and %d", name, s, k, sla, leaks)
		}
	}
}

// Under WithoutSharing (the benchmarks) nothing is kept: every report
// computes its clocks.
func TestWithoutSharingKeepsNothing(t *testing.T) {
	ctx := models.WithoutSharing(context.Background())
	l := openFixture(t)
	if _, err := SLACompliance(ctx, l, Params{}, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if err := Warm(ctx, l, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := l.DB.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM sla_memo) + (SELECT count(*) FROM leak_memo)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows kept without sharing", n)
	}
}

// A lake keeps shared results only up to MaxSharedRows: a clock whose rows
// would pass it is computed per query instead.
func TestSharingStopsAtItsRowBudget(t *testing.T) {
	ctx := context.Background()
	l := openFixture(t)
	clocks := []models.SLAClock{
		{Start: "assignment", Stop: "first_sales_touch", Clock: "calendar", LimitMinutes: 60},
		{Start: "assignment", Stop: "disposition", Clock: "calendar", LimitMinutes: 60},
	}
	// The manifest says the lake is large: each clock about 3 M rows.
	l.Manifest.Kept["assignment_windows"] = lake.TableFiles{Rows: 3_000_000, Files: l.Manifest.Kept["assignment_windows"].Files}
	for _, c := range clocks {
		if err := models.ShareSLA(ctx, l, fixtureAsOf, c); err != nil {
			t.Fatal(err)
		}
	}
	var keys int
	if err := l.DB.QueryRowContext(ctx, "SELECT count(DISTINCT memo_key) FROM sla_memo").Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != 1 {
		t.Errorf("%d clocks of about 3 M rows kept under a budget of %d rows, want 1", keys, models.MaxSharedRows)
	}
}
