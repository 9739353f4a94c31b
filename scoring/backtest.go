package scoring

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/lake"
)

// BacktestParams say how to judge thresholds on history.
type BacktestParams struct {
	Params
	// From and To bound the scoring times (UTC dates, To included); zero
	// is open.
	From, To time.Time
	// Outcome is the stage a good lead reaches: mql, sql (default),
	// opportunity or customer.
	Outcome string
	// Window is how long after its scoring a lead has to reach Outcome;
	// 0 is 90 days.
	Window time.Duration
	// Thresholds to judge; none means twenty, at the 0th to 95th
	// percentiles of the scores.
	Thresholds []float64
	// Capacity is the new leads the team takes per working day; 0 means
	// the users' capacities (per month) over 21.75 working days.
	Capacity float64
	// MaxBreach is the first-touch breach share (0 to 1) the recommended
	// threshold must keep within; 0 is no ceiling.
	MaxBreach float64
	// FirstTouch is the first-touch SLA: its clock ("calendar" or
	// "business") and limit; zero is 60 calendar minutes.
	FirstTouchClock string
	FirstTouchLimit time.Duration
}

// Outcomes are the stages a backtest can judge against.
var Outcomes = []string{"mql", "sql", "opportunity", "customer"}

// WorkingDaysPerMonth turns users.capacity (new leads a month) into a day's.
const WorkingDaysPerMonth = 21.75

// Judged is one lead of the backtest: its score at its scoring time and
// whether it then reached the outcome within the window.
type Judged struct {
	LeadID   string    `col:"lead_id"`
	Source   string    `col:"source"`
	ScoredAt time.Time `col:"scored_at"`
	Total    float64   `col:"total"`
	Positive bool      `col:"positive"`
	Assigned bool      `col:"assigned"`
}

// ThresholdRow is what one MQL threshold would have done.
type ThresholdRow struct {
	Threshold float64 `col:"threshold"`
	// HandedOff leads scored at or above it; per month and per working
	// day over the backtest's span.
	HandedOff     int64   `col:"handed_off"`
	PerMonth      float64 `col:"per_month"`
	PerWorkingDay float64 `col:"per_working_day"`
	// Converted: handed-off leads that reached the outcome.
	Converted int64    `col:"converted"`
	Precision *float64 `col:"precision"`
	Recall    *float64 `col:"recall"`
	Lift      *float64 `col:"lift"`
	// Utilization is PerWorkingDay over the team's capacity per day.
	Utilization *float64 `col:"utilization"`
	// LeadsPerRepDay is the new leads a rep would have received a
	// working day, on average over the reps of the period (LoadModel).
	LeadsPerRepDay *float64 `col:"leads_per_rep_day"`
	// ExpectedBreachRate is the first-touch SLA breach share that load
	// would have brought, by the load model (LoadModel.Predict).
	ExpectedBreachRate *float64 `col:"expected_breach_rate"`
	// ExpectedInHoursBreachRate is the share for leads that arrive in the
	// rep's working hours (answerable): the part load moves.
	ExpectedInHoursBreachRate *float64 `col:"expected_in_hours_breach_rate"`
	WithinCapacity            bool     `col:"within_capacity"`
	WithinMaxBreach           *bool    `col:"within_max_breach"`
}

// DecileRow is one tenth of the leads by score, lowest first.
type DecileRow struct {
	Decile    int64    `col:"decile"`
	Leads     int64    `col:"leads"`
	MinScore  float64  `col:"min_score"`
	MaxScore  float64  `col:"max_score"`
	Converted int64    `col:"converted"`
	Rate      *float64 `col:"rate"`
}

// Backtest is the whole answer.
type Backtest struct {
	AsOf     time.Time
	Leads    int64
	Positive int64
	BaseRate *float64
	// AUC is the probability that a lead that converted outscored one that
	// did not (ties count half); nil without both kinds.
	AUC         *float64
	Months      float64
	WorkingDays int64
	// CapacityPerDay is the team's capacity used for the check;
	// ObservedBreachRate the first-touch breach share of the period.
	CapacityPerDay     float64
	ObservedBreachRate *float64
	// MaxBreach is the ceiling asked for (0: none).
	MaxBreach float64
	// Load is the fitted load model; nil without a first-touch clock
	// in the period. Assigned is the judged leads that were handed off:
	// history's load, which a threshold scales by HandedOff ÷ Assigned.
	Load       *LoadModel
	Assigned   int64
	Thresholds []ThresholdRow
	// RepLoads is each rep's day at each threshold.
	RepLoads []RepPrediction
	Deciles  []DecileRow
	// Recommended is the lowest threshold whose volume fits the capacity
	// and whose expected breach share fits MaxBreach (the most converting
	// leads the team can answer in time); nil when none fits. When even
	// the lowest fits, neither decides, and the recommendation is the
	// threshold with the best balance of precision and recall (F1) among
	// those that fit; RecommendedBy says which rule chose: "capacity",
	// "max_breach" or "f1".
	Recommended   *float64
	RecommendedBy string
}

// Why says in a sentence how the recommendation was chosen.
func (b Backtest) Why() string {
	switch b.RecommendedBy {
	case "capacity":
		return "the lowest threshold whose volume fits the team's capacity: the most converting leads the team can answer"
	case "max_breach":
		return fmt.Sprintf("the lowest threshold whose expected first-touch breach share is within the ceiling of %.0f%%: the most converting leads the team can answer in time", b.MaxBreach*100)
	case "f1":
		return "every threshold fits, so capacity and ceiling decide nothing: the best balance of precision and recall (F1)"
	}
	var limits []string
	if b.CapacityPerDay > 0 {
		limits = append(limits, "within the team's capacity")
	}
	if b.MaxBreach > 0 {
		limits = append(limits, fmt.Sprintf("within the breach ceiling of %.0f%%", b.MaxBreach*100))
	}
	if len(limits) == 0 {
		return "no capacity is known and no breach ceiling was given: nothing to recommend by"
	}
	return "no threshold keeps the volume " + strings.Join(limits, " and ")
}

// RunBacktest scores historical leads as of their handoff (or creation +
// N days) and judges each threshold by what its leads went on to do.
//
// The breach share each threshold would bring comes from the load model
// (FitLoad, LoadModel.Predict): every rep's day scaled by the leads the
// threshold hands over against those history handed over.
func RunBacktest(ctx context.Context, l *lake.Lake, r Rules, p BacktestParams) (Backtest, error) {
	if p.At.Mode == "" || p.At.Mode == "as_of" {
		p.At = At{Mode: "handoff", Days: 7}
	}
	if p.Outcome == "" {
		p.Outcome = "sql"
	}
	if !slices.Contains(Outcomes, p.Outcome) {
		return Backtest{}, fmt.Errorf("%w: outcome %q: want one of %v", ErrBadRules, p.Outcome, Outcomes)
	}
	if p.MaxBreach < 0 || p.MaxBreach >= 1 || math.IsNaN(p.MaxBreach) {
		return Backtest{}, fmt.Errorf("%w: max breach %g: want a share between 0 and 1 (0.3 is 30%%)", ErrBadRules, p.MaxBreach)
	}
	if p.Window == 0 {
		p.Window = 90 * 24 * time.Hour
	}
	args, asOf, err := bind(ctx, l, r, p.Params)
	if err != nil {
		return Backtest{}, err
	}
	var from, to any
	if !p.From.IsZero() {
		from = p.From.UTC()
	}
	if !p.To.IsZero() {
		to = p.To.UTC().AddDate(0, 0, 1)
	}
	args["from"], args["to"] = from, to
	args["outcome"] = p.Outcome
	args["window_seconds"] = int64(p.Window / time.Second)
	pop, err := query[Judged](ctx, l, "backtest_population", args)
	if err != nil {
		return Backtest{}, err
	}
	b := Backtest{AsOf: asOf, Leads: int64(len(pop)), MaxBreach: p.MaxBreach}
	if len(pop) == 0 {
		return b, nil
	}

	capArgs := map[string]any{"as_of": asOf, "from": from, "to": to, "ft_clock": "calendar", "ft_limit_minutes": 60.0, "ft_limit_workdays": nil}
	if p.FirstTouchClock != "" {
		capArgs["ft_clock"] = p.FirstTouchClock
	}
	if p.FirstTouchLimit > 0 {
		capArgs["ft_limit_minutes"] = p.FirstTouchLimit.Minutes()
	}
	type capacityRow struct {
		Capacity float64 `col:"capacity"`
		Met      int64   `col:"first_touch_met"`
		Breached int64   `col:"first_touch_breached"`
	}
	capRows, err := query[capacityRow](ctx, l, "backtest_capacity", capArgs)
	if err != nil {
		return b, err
	}
	b.CapacityPerDay = p.Capacity
	if b.CapacityPerDay == 0 && len(capRows) == 1 {
		b.CapacityPerDay = capRows[0].Capacity / WorkingDaysPerMonth
	}
	if len(capRows) == 1 {
		b.ObservedBreachRate = ratio(capRows[0].Breached, capRows[0].Met+capRows[0].Breached)
	}
	cells, err := query[LoadCell](ctx, l, "backtest_load", capArgs)
	if err != nil {
		return b, err
	}
	b.Load = FitLoad(cells)

	for _, j := range pop {
		if j.Positive {
			b.Positive++
		}
		if j.Assigned {
			b.Assigned++
		}
	}
	b.BaseRate = ratio(b.Positive, b.Leads)
	b.AUC = auc(pop)
	first, last := pop[0].ScoredAt, pop[len(pop)-1].ScoredAt
	b.Months = float64((last.Year()-first.Year())*12+int(last.Month())-int(first.Month())) + 1
	b.WorkingDays = workingDays(first, last)

	thresholds := p.Thresholds
	if len(thresholds) == 0 {
		thresholds = percentileThresholds(pop, 20)
	}
	sort.Float64s(thresholds)
	for _, t := range thresholds {
		row := ThresholdRow{Threshold: t}
		for _, j := range pop {
			if j.Total >= t {
				row.HandedOff++
				if j.Positive {
					row.Converted++
				}
			}
		}
		row.PerMonth = float64(row.HandedOff) / b.Months
		row.PerWorkingDay = float64(row.HandedOff) / float64(max(b.WorkingDays, 1))
		row.Precision = ratio(row.Converted, row.HandedOff)
		row.Recall = ratio(row.Converted, b.Positive)
		if row.Precision != nil && b.BaseRate != nil && *b.BaseRate > 0 {
			lift := *row.Precision / *b.BaseRate
			row.Lift = &lift
		}
		if b.CapacityPerDay > 0 {
			u := row.PerWorkingDay / b.CapacityPerDay
			row.Utilization = &u
			row.WithinCapacity = u <= 1
		}
		if b.Load != nil && b.Assigned > 0 && len(b.Load.Reps) > 0 {
			scale := float64(row.HandedOff) / float64(b.Assigned)
			pred := b.Load.Predict(t, scale)
			var perRep float64
			for _, r := range pred.Reps {
				perRep += r.LeadsPerDay
			}
			perRep /= float64(len(pred.Reps))
			row.LeadsPerRepDay = &perRep
			if rate := pred.BreachRate; !math.IsNaN(rate) {
				row.ExpectedBreachRate = &rate
			}
			if rate := pred.InHoursBreachRate; !math.IsNaN(rate) {
				row.ExpectedInHoursBreachRate = &rate
			}
			b.RepLoads = append(b.RepLoads, pred.Reps...)
		}
		if p.MaxBreach > 0 {
			within := row.ExpectedBreachRate != nil && *row.ExpectedBreachRate <= p.MaxBreach
			row.WithinMaxBreach = &within
		}
		b.Thresholds = append(b.Thresholds, row)
	}
	// A threshold fits when its volume is within the capacity (if one is
	// known) and its breach share within the ceiling (if one was given).
	constrained := b.CapacityPerDay > 0 || p.MaxBreach > 0
	fits := func(row ThresholdRow) bool {
		return constrained && (b.CapacityPerDay == 0 || row.WithinCapacity) && (row.WithinMaxBreach == nil || *row.WithinMaxBreach)
	}
	for i, row := range b.Thresholds {
		if fits(row) {
			t := row.Threshold
			b.Recommended, b.RecommendedBy = &t, "capacity"
			// the ceiling chose when the threshold below fits the capacity
			if i > 0 && p.MaxBreach > 0 && (b.CapacityPerDay == 0 || b.Thresholds[i-1].WithinCapacity) {
				b.RecommendedBy = "max_breach"
			}
			break
		}
	}
	if len(b.Thresholds) > 0 && fits(b.Thresholds[0]) {
		best := -1.0
		for _, row := range b.Thresholds {
			if !fits(row) || row.Precision == nil || row.Recall == nil || *row.Precision+*row.Recall == 0 {
				continue
			}
			if f1 := 2 * *row.Precision * *row.Recall / (*row.Precision + *row.Recall); f1 > best {
				t := row.Threshold
				best, b.Recommended, b.RecommendedBy = f1, &t, "f1"
			}
		}
	}
	b.Deciles = deciles(pop)
	return b, nil
}

func ratio(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	r := float64(a) / float64(b)
	return &r
}

// auc is the Mann-Whitney statistic from ranks: tied scores share their
// average rank, so a tie between a converting and a non-converting lead
// counts half.
func auc(pop []Judged) *float64 {
	sorted := slices.Clone(pop)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Total < sorted[j].Total })
	var pos, neg int64
	var rankSum float64
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].Total == sorted[i].Total {
			j++
		}
		avg := float64(i+1+j) / 2 // ranks i+1 .. j
		for k := i; k < j; k++ {
			if sorted[k].Positive {
				pos++
				rankSum += avg
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return nil
	}
	a := (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
	return &a
}

// percentileThresholds are n scores at the 0th, 100/n-th, … percentiles,
// rounded to one decimal, without repeats.
func percentileThresholds(pop []Judged, n int) []float64 {
	scores := make([]float64, len(pop))
	for i, j := range pop {
		scores[i] = j.Total
	}
	sort.Float64s(scores)
	var out []float64
	for i := 0; i < n; i++ {
		t := math.Floor(scores[i*len(scores)/n]*10) / 10
		if len(out) == 0 || out[len(out)-1] != t {
			out = append(out, t)
		}
	}
	return out
}

// deciles cut the leads into ten groups of equal size by score, lowest
// first (ties split in lead order, as ntile does).
func deciles(pop []Judged) []DecileRow {
	sorted := slices.Clone(pop)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Total != sorted[j].Total {
			return sorted[i].Total < sorted[j].Total
		}
		return sorted[i].LeadID < sorted[j].LeadID
	})
	var out []DecileRow
	n := len(sorted)
	for d := 0; d < 10; d++ {
		lo, hi := d*n/10, (d+1)*n/10
		if lo == hi {
			continue
		}
		row := DecileRow{Decile: int64(d + 1), Leads: int64(hi - lo), MinScore: sorted[lo].Total, MaxScore: sorted[hi-1].Total}
		for _, j := range sorted[lo:hi] {
			if j.Positive {
				row.Converted++
			}
		}
		row.Rate = ratio(row.Converted, row.Leads)
		out = append(out, row)
	}
	return out
}

// workingDays counts Monday to Friday from the day of first to the day of
// last, both included (UTC).
func workingDays(first, last time.Time) int64 {
	d := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
	end := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC)
	var n int64
	for ; !d.After(end); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}

// ParseThresholds reads a list of thresholds, "30,40,50", or a range,
// "20:80:5" (from, to, step); "" is none (the backtest's default).
func ParseThresholds(s string) ([]float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if parts := strings.Split(s, ":"); len(parts) == 3 {
		var v [3]float64
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, fmt.Errorf("%w: thresholds %q: want FROM:TO:STEP with numbers", ErrBadRules, s)
			}
			v[i] = f
		}
		if v[2] <= 0 || v[1] < v[0] || (v[1]-v[0])/v[2] > 1000 {
			return nil, fmt.Errorf("%w: thresholds %q: want FROM ≤ TO and a positive STEP (at most 1000 thresholds)", ErrBadRules, s)
		}
		var out []float64
		for t := v[0]; t <= v[1]+1e-9; t += v[2] {
			out = append(out, t)
		}
		return out, nil
	}
	var out []float64
	for _, p := range strings.Split(s, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: thresholds %q: %q is not a number", ErrBadRules, s, p)
		}
		out = append(out, f)
	}
	return out, nil
}

// ParseShare reads a share as a percentage ("25%") or a fraction ("0.25"),
// above 0 and below 1; "" is 0 (none).
func ParseShare(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	pct := strings.HasSuffix(s, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err != nil {
		return 0, fmt.Errorf("%q: want a share such as 25%% or 0.25", s)
	}
	if pct {
		f /= 100
	}
	if !(f > 0 && f < 1) {
		return 0, fmt.Errorf("%q: want a share above 0 and below 100%%", s)
	}
	return f, nil
}
