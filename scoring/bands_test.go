package scoring

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

// The April leads of testdata/scoring by score band: each is scored at its
// handoff, where no engagement came before (README.md, "Backtest"), so its
// band is its fit against the fit threshold 30 (engagement 0 < 15):
// nurture B1 60, B3 30, B6 50; no_action B2 25, B4 10, B5 −10 and B7 15
// (mid-market 15, Retail, "Analyst"). Their funnel from lead to mql within
// 90 days as of June (a skipped mql counts as reached with the sql): B1
// (sql 04-11) and B6 (05-23) of the nurture leads, B2 (04-27) and B7
// (04-14) of the others.
func TestScoreBandBreakdown(t *testing.T) {
	l := fixtureLake(t, nil)
	r := fixtureRules(t)
	ctx := context.Background()
	funnel := func(rules *Rules) (string, error) {
		p := reports.Params{By: reports.ScoreBand, Grain: "month", AsOf: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
			From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)}
		if rules != nil {
			p.ScoreBands = func(ctx context.Context, l *lake.Lake) error { return PrepareBands(ctx, l, *rules) }
		}
		res, err := reports.Funnel(ctx, l, p)
		var got []string
		for _, row := range res.Rows {
			if row.FromStage == "lead" && row.ToStage == "mql" {
				got = append(got, fmt.Sprintf("%s %d→%d", *row.Dim, row.ReachedFrom, row.ReachedTo))
			}
		}
		sort.Strings(got)
		return strings.Join(got, ", "), err
	}
	got, err := funnel(&r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "no_action 4→2, nurture 3→2"; got != want {
		t.Errorf("funnel by score band: %s, want %s", got, want)
	}

	// Other rules replace the bands: at a fit threshold of 55 only B1 is
	// still nurture.
	strict := r
	fit := 55.0
	strict.Thresholds.Fit = &fit
	if got, err = funnel(&strict); err != nil || got != "no_action 6→3, nurture 1→1" {
		t.Errorf("fit threshold 55: %s (%v), want no_action 6→3, nurture 1→1", got, err)
	}
	// And back.
	if got, err = funnel(&r); err != nil || got != "no_action 4→2, nurture 3→2" {
		t.Errorf("the first rules again: %s (%v)", got, err)
	}

	// Without rules there are no bands to break down by.
	if _, err := funnel(nil); !errors.Is(err, reports.ErrBadParam) || !strings.Contains(err.Error(), "needs scoring rules") {
		t.Errorf("no rules: %v", err)
	}
}
