package routing

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/scoring"
)

// The dry run on the reports fixture (testdata/reports): ten leads first
// handed to sales between January and March, replayed through two rules.
// Worked by hand:
//   - NA leads, round robin over Ana, Ben, in the order they came: L1 Ana,
//     L2 Ben, L4 Ana, L8 Ben, L12 Ana; EMEA leads L3, L5, L9, L11, L13 all
//     Ben. Proposed: Ana 3, Ben 7. Actually (first assignments): Ana L1,
//     L2, L8, L12 = 4; Ben L3, L4, L5, L9, L11, L13 = 6.
//   - First-touch met rates over all history (testdata/reports/README.md,
//     "SLA compliance"): Ana A1, A2, A4 met, A7, A8 breached: 3/5; Ben A11
//     met, A3, A5, A6, A10 breached: 1/5. Expected compliance proposed
//     (3 × 0.6 + 7 × 0.2) / 10 = 0.32, actual (4 × 0.6 + 6 × 0.2) / 10 =
//     0.36.
//   - Fairness (standard deviation ÷ mean): proposed 3, 7 → 2/5 = 0.4;
//     actual 4, 6 → 1/5 = 0.2.
func TestReplayOnHandWorkedFixture(t *testing.T) {
	ctx := context.Background()
	l := reportsFixture(t)
	users, err := Users(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	f, err := scoring.ReadFile("../testdata/routing/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(f, users)
	if err != nil {
		t.Fatal(err)
	}
	r, err := RunReplay(ctx, l, cfg, ReplayParams{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), AsOf: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rep := range r.Reps {
		got = append(got, fmt.Sprintf("%s proposed %d actual %d met %.2f over %d", rep.Rep, rep.Proposed, rep.Actual, *rep.MetRate, rep.ActualOverCapacity))
	}
	want := []string{"Ben proposed 7 actual 6 met 0.20 over 0", "Ana proposed 3 actual 4 met 0.60 over 0"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("per rep:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	near := func(p *float64, v float64) bool { return p != nil && math.Abs(*p-v) < 1e-9 }
	if r.Leads != 10 || r.Unassigned != 0 || r.Fallback != 0 {
		t.Errorf("leads %d, unassigned %d, fallback %d; want 10, 0, 0", r.Leads, r.Unassigned, r.Fallback)
	}
	if !near(r.ProposedCompliance, 0.32) || !near(r.ActualCompliance, 0.36) {
		t.Errorf("expected compliance proposed %v, actual %v; want 0.32, 0.36", *r.ProposedCompliance, *r.ActualCompliance)
	}
	if !near(r.ProposedFairness, 0.4) || !near(r.ActualFairness, 0.2) {
		t.Errorf("fairness proposed %v, actual %v; want 0.4, 0.2", *r.ProposedFairness, *r.ActualFairness)
	}
	if a := r.Decisions[1].Audit(); a != `L2 → Ben by rule "NA", pool na (round robin). Rules tried: "NA" yes (region NA).` {
		t.Errorf("L2's audit: %s", a)
	}
}

// reportsFixture is the reports fixture (testdata/reports) as a lake of the
// test's own, open until the test ends.
func reportsFixture(t *testing.T) *lake.Lake {
	t.Helper()
	ctx := context.Background()
	lakeDir := filepath.Join(t.TempDir(), "lake")
	inputs, _ := filepath.Glob("../testdata/reports/*.csv")
	if _, err := ingest.Run(ctx, ingest.Options{Lake: lakeDir, Strict: true}, inputs); err != nil {
		t.Fatal(err)
	}
	l, err := lake.Open(ctx, lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
