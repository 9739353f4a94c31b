package scoring

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/sample/sampletest"
)

// aprilBacktest judges the April leads of testdata/scoring, scored at their
// handoff with a 30-day window for sql, at four thresholds.
func aprilBacktest(capacity, maxBreach float64) BacktestParams {
	return BacktestParams{
		Params:     Params{AsOf: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), At: At{Mode: "handoff", Days: 7}},
		From:       time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		To:         time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC),
		Window:     30 * 24 * time.Hour,
		Thresholds: []float64{0, 25, 40, 60},
		Capacity:   capacity,
		MaxBreach:  maxBreach,
	}
}

// The April leads of testdata/scoring, scored at their handoff with a
// 30-day window for sql; README.md, "Backtest", works every number out.
func TestBacktestOnHandWorkedFixture(t *testing.T) {
	l := fixtureLake(t, nil)
	r := fixtureRules(t)
	b, err := RunBacktest(context.Background(), l, r, aprilBacktest(0.5, 0))
	if err != nil {
		t.Fatal(err)
	}
	// B1..B6 judged (B7 was sql before its handoff), B1 and B2 converted.
	if b.Leads != 6 || b.Positive != 2 || !near(*b.BaseRate, 1.0/3) || b.Months != 1 || b.WorkingDays != 6 {
		t.Errorf("population: %d leads, %d positive, months %v, working days %d; want 6, 2, 1, 6", b.Leads, b.Positive, b.Months, b.WorkingDays)
	}
	// 6 of the 8 (converted, not converted) pairs are ordered right.
	if b.AUC == nil || !near(*b.AUC, 0.75) {
		t.Errorf("AUC %v, want 0.75", b.AUC)
	}
	// Breach share: B1 met, B2..B7 breached: 6/7.
	if b.ObservedBreachRate == nil || !near(*b.ObservedBreachRate, 6.0/7) {
		t.Errorf("observed breach rate %v, want 6/7", b.ObservedBreachRate)
	}
	var got []string
	for _, row := range b.Thresholds {
		got = append(got, fmt.Sprintf("t=%g handed %d conv %d p=%.4f r=%.4f lift=%.4f perday=%.4f u=%.4f breach=%.4f fits=%v",
			row.Threshold, row.HandedOff, row.Converted, *row.Precision, *row.Recall, *row.Lift, row.PerWorkingDay, *row.Utilization, *row.ExpectedBreachRate, row.WithinCapacity))
	}
	// Every April clock started at 07:00 in New York, before Ana's day:
	// none could be answered within the hour, so load changes nothing and
	// each threshold keeps the observed 6/7.
	want := []string{
		"t=0 handed 5 conv 2 p=0.4000 r=1.0000 lift=1.2000 perday=0.8333 u=1.6667 breach=0.8571 fits=false",
		"t=25 handed 4 conv 2 p=0.5000 r=1.0000 lift=1.5000 perday=0.6667 u=1.3333 breach=0.8571 fits=false",
		"t=40 handed 2 conv 1 p=0.5000 r=0.5000 lift=1.5000 perday=0.3333 u=0.6667 breach=0.8571 fits=true",
		"t=60 handed 1 conv 1 p=1.0000 r=0.5000 lift=3.0000 perday=0.1667 u=0.3333 breach=0.8571 fits=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("thresholds:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if b.Recommended == nil || *b.Recommended != 40 || b.RecommendedBy != "capacity" {
		t.Errorf("recommended %v by %s, want 40 by capacity: the lowest threshold within 0.5 a day", b.Recommended, b.RecommendedBy)
	}
	// The load model: Ana's seven April clocks, all off hours; the judged
	// leads B1–B6 were all handed off, so threshold 0 (5 of them) scales
	// her 7 clocks over the 7 working days from Mon 04-06 to Tue 04-14 (1
	// a day) by 5/6.
	if m := b.Load; m == nil || len(m.Reps) != 1 || m.Reps[0].OffHours != 7 || m.Reps[0].OffHoursBreached != 6 || m.Reps[0].Answerable != 0 ||
		b.Assigned != 6 || !near(*b.Thresholds[0].LeadsPerRepDay, 5.0/6) {
		t.Errorf("load model %+v, assigned %d, threshold 0 at %v a rep-day; want Ana's 6 of 7 off-hours breaches, 6 assigned, 5/6", m, b.Assigned, *b.Thresholds[0].LeadsPerRepDay)
	}
	// A ceiling below 6/7 is one no threshold keeps.
	strict, err := RunBacktest(context.Background(), l, r, aprilBacktest(0.5, 0.8))
	if err != nil {
		t.Fatal(err)
	}
	if strict.Recommended != nil || !strings.Contains(strict.Why(), "within the team's capacity and within the breach ceiling of 80%") {
		t.Errorf("ceiling 80%%: recommended %v (%s), want none", strict.Recommended, strict.Why())
	}
	// With room for everyone, the best F1: precision and recall 0.4 and 1
	// (F1 0.571), 0.5 and 1 (0.667), 0.5 and 0.5 (0.5), 1 and 0.5 (0.667):
	// 25 and 60 tie, and the first, 25, stands.
	roomy, err := RunBacktest(context.Background(), l, r, aprilBacktest(10, 0))
	if err != nil {
		t.Fatal(err)
	}
	if roomy.Recommended == nil || *roomy.Recommended != 25 || roomy.RecommendedBy != "f1" {
		t.Errorf("with capacity to spare: recommended %v by %s, want 25 by f1", roomy.Recommended, roomy.RecommendedBy)
	}
	var dec []string
	for _, d := range b.Deciles {
		dec = append(dec, fmt.Sprintf("%d:%d %g..%g %d", d.Decile, d.Leads, d.MinScore, d.MaxScore, d.Converted))
	}
	// Six leads in ten tiles: tiles 2, 4, 5, 7, 9, 10 hold one each,
	// lowest score first: B5 −10, B4 10, B2 25 (converted), B3 30, B6 50,
	// B1 60 (converted).
	if got := strings.Join(dec, " "); got != "2:1 -10..-10 0 4:1 10..10 0 5:1 25..25 1 7:1 30..30 0 9:1 50..50 0 10:1 60..60 1" {
		t.Errorf("deciles: %s", got)
	}

	// Without a stated capacity, the users': (20 + 10) a month over 21.75
	// working days (Cid is inactive, Dee a manager).
	b, err = RunBacktest(context.Background(), l, r, BacktestParams{
		Params: Params{AsOf: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
		From:   time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC),
		Window: 30 * 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !near(b.CapacityPerDay, 30/WorkingDaysPerMonth) {
		t.Errorf("capacity from users %v, want 30/21.75", b.CapacityPerDay)
	}
}

// The AUC from ranks against a plain count of ordered pairs, on random
// scores with many ties.
func TestAUCCountsConcordantPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		var pop []Judged
		for i := 0; i < 1+rng.IntN(60); i++ {
			pop = append(pop, Judged{Total: float64(rng.IntN(8)), Positive: rng.IntN(3) == 0})
		}
		var concordant, pairs float64
		for _, a := range pop {
			for _, b := range pop {
				if a.Positive && !b.Positive {
					pairs++
					switch {
					case a.Total > b.Total:
						concordant++
					case a.Total == b.Total:
						concordant += 0.5
					}
				}
			}
		}
		got := auc(pop)
		if pairs == 0 {
			if got != nil {
				t.Errorf("trial %d: AUC %v without both kinds", trial, *got)
			}
			continue
		}
		if got == nil || !near(*got, concordant/pairs) {
			t.Errorf("trial %d: AUC %v, pairs say %v", trial, got, concordant/pairs)
		}
	}
}

// On generated data, whose true lead quality the generator states
// (sample.Quality, from title, industry and size), the example rules must
// rank leads clearly better than chance, and the recommended threshold
// must fit the stated capacity while the next lower one does not.
func TestBacktestFindsTheGeneratorsQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests 15,000 leads")
	}
	l := sampletest.Lake(t, 15000, 5)
	r, err := LoadRules("../examples/rules.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	const capacity = 15.0
	b, err := RunBacktest(context.Background(), l, r, BacktestParams{Capacity: capacity})
	if err != nil {
		t.Fatal(err)
	}
	// 11,000 leads and 800 converted: the AUC's standard error is about
	// 0.01, so 0.60 is far from chance (0.5) and below what the rules find.
	if b.AUC == nil || *b.AUC < 0.60 {
		t.Errorf("AUC %v on %d leads, %d converted: the score does not find the generator's quality", b.AUC, b.Leads, b.Positive)
	}
	// The top decile converts at least twice as often as the bottom one.
	if lo, hi := b.Deciles[0], b.Deciles[len(b.Deciles)-1]; *hi.Rate < 2**lo.Rate {
		t.Errorf("top decile converts %.3f, bottom %.3f", *hi.Rate, *lo.Rate)
	}
	if b.Recommended == nil {
		t.Fatal("no threshold fits 15 leads a working day")
	}
	for i, row := range b.Thresholds {
		if row.Threshold != *b.Recommended {
			continue
		}
		if row.PerWorkingDay > capacity {
			t.Errorf("recommended %g hands over %.1f a day, over the capacity of %g", row.Threshold, row.PerWorkingDay, capacity)
		}
		if b.RecommendedBy == "capacity" && i > 0 && b.Thresholds[i-1].PerWorkingDay <= capacity {
			t.Errorf("threshold %g also fits (%.1f a day) and converts more leads: it should be the recommendation", b.Thresholds[i-1].Threshold, b.Thresholds[i-1].PerWorkingDay)
		}
	}
}
