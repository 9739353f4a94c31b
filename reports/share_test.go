package reports

import (
	"context"
	"testing"
	"time"

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
