package reports

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/handoff-dev/handoff/lake"
)

// baselineWeeks is how many weeks before the reviewed one its changes are
// measured against.
const baselineWeeks = 4

// Review is the weekly handoff review: the numbers the marketing and sales
// meeting goes through for one ISO week, each the week's row of the report
// that defines it, and the biggest changes against the weeks before.
type Review struct {
	Week     string    // 2026-W47
	From, To time.Time // the week's Monday and Sunday (dates in TZ)
	TZ       string
	// AsOf is the end of the week, or the lake's latest event when that
	// comes first: the week as it stood when it closed.
	AsOf time.Time
	// Handoff is the quality report for leads first handed off in the week.
	Handoff QualityRow
	// Reasons are the week's rejection reasons, most common first (five).
	Reasons []RejectionRow
	// Week's overview row: MQLs, SQLs, MQL→SQL (by the MQL's week).
	Overview OverviewRow
	// Response is the speed to lead of the week's assignments.
	Response ResponseRow
	// SLAByTeam is every SLA's compliance per team, for instances started
	// in the week.
	SLAByTeam []SLARow
	// Leaks are the week's MQLs by crack, with the revenue at risk.
	Leaks []LeakRow
	// Weeks are the headline figures of the baseline weeks and this one,
	// oldest first; Changes compares this week with their mean.
	Weeks   []WeekFigures
	Changes []Change
	// Quiet says the lake holds nothing the review counts in this week: no
	// handoff, no MQL, no assignment, no SLA clock.
	Quiet bool
}

// WeekFigures are one week's headline figures; nil is "no value".
type WeekFigures struct {
	Week    string
	Figures map[string]*float64
}

// Change is one headline figure against the weeks before.
type Change struct {
	Metric   string
	This     float64
	Baseline float64
	// Relative is (This - Baseline) / Baseline; Good says whether the
	// move is good news.
	Relative float64
	Good     bool
}

// Metrics are the headline figures a review compares, in the order it
// lists them, with whether a rise is good news.
var reviewMetrics = []struct {
	Name     string
	RiseGood bool
}{
	{"leads handed off", true},
	{"acceptance rate", true},
	{"MQLs", true},
	{"MQL → SQL", true},
	{"median first response (min)", false},
	{"first-touch SLA compliance", true},
	{"leaks", false},
	{"revenue at risk", false},
}

var isoWeek = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)

// ParseWeek reads an ISO week (2026-W47) as its Monday.
func ParseWeek(s string) (time.Time, error) {
	m := isoWeek.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("%w: week %q: want an ISO week like 2026-W47", ErrBadParam, s)
	}
	year, _ := strconv.Atoi(m[1])
	week, _ := strconv.Atoi(m[2])
	// Week 1 holds 4 January; weeks start on Monday.
	jan4 := time.Date(year, 1, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(week-1))
	if y, w := monday.ISOWeek(); week < 1 || y != year || w != week {
		return time.Time{}, fmt.Errorf("%w: week %q: %d has no week %d", ErrBadParam, s, year, week)
	}
	return monday, nil
}

// WeekOf names the ISO week holding t.
func WeekOf(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// BuildReview gathers the review of week (2026-W47) in time zone tz.
// DefaultReviewWeek is the week a review is of when none is named: the
// one before the lake's latest event.
func DefaultReviewWeek(latest time.Time) string { return WeekOf(latest.AddDate(0, 0, -7)) }

// reviewAsOf is what a review of the week starting monday (in loc) is as
// of: the week's end, or the lake's latest event when that is earlier.
func reviewAsOf(monday time.Time, loc *time.Location, latest time.Time) time.Time {
	end := time.Date(monday.Year(), monday.Month(), monday.Day()+7, 0, 0, 0, 0, loc)
	if latest.Before(end) {
		return latest
	}
	return end
}

func BuildReview(ctx context.Context, l *lake.Lake, week, tz string, cfg Config) (Review, error) {
	monday, err := ParseWeek(week)
	if err != nil {
		return Review{}, err
	}
	if tz == "" {
		tz = "UTC"
	}
	if err := checkTimeZone("tz", tz); err != nil {
		return Review{}, err
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Review{}, err
	}
	latest, err := LatestEvent(ctx, l)
	if err != nil {
		return Review{}, err
	}
	asOf := reviewAsOf(monday, loc, latest)
	r := Review{Week: week, From: monday, To: monday.AddDate(0, 0, 6), TZ: tz, AsOf: asOf.UTC()}
	p := Params{From: r.From, To: r.To, TZ: tz, AsOf: asOf, Grain: "week"}

	q, err := Quality(ctx, l, p)
	if err != nil {
		return r, fmt.Errorf("quality: %w", err)
	}
	if len(q.Rows) > 0 {
		r.Handoff = q.Rows[0]
	}
	reasons, err := RejectionReasons(ctx, l, p)
	if err != nil {
		return r, fmt.Errorf("rejections: %w", err)
	}
	r.Reasons = reasons.Rows[:min(5, len(reasons.Rows))]
	resp, err := Response(ctx, l, p, cfg)
	if err != nil {
		return r, fmt.Errorf("response: %w", err)
	}
	if len(resp.Rows) > 0 {
		r.Response = resp.Rows[0]
	}
	byTeam := p
	byTeam.By = "team"
	sla, err := SLACompliance(ctx, l, byTeam, cfg)
	if err != nil {
		return r, fmt.Errorf("sla: %w", err)
	}
	r.SLAByTeam = sla.Rows

	// The baseline weeks and this one, each measured as the review
	// measures its own week: the overview and the leaks cut by week over
	// the five, the handoff week by week (quality has no periods).
	span := Params{From: monday.AddDate(0, 0, -7*baselineWeeks), To: r.To, TZ: tz, AsOf: asOf, Grain: "week"}
	ov, err := Overview(ctx, l, span, cfg)
	if err != nil {
		return r, fmt.Errorf("overview: %w", err)
	}
	leaks, err := Leaks(ctx, l, span, cfg)
	if err != nil {
		return r, fmt.Errorf("leaks: %w", err)
	}
	num := func(v float64) *float64 { return &v }
	for k := baselineWeeks; k >= 0; k-- {
		from := monday.AddDate(0, 0, -7*k)
		period := from.Format(time.DateOnly)
		f := map[string]*float64{"leads handed off": num(0), "MQLs": num(0), "leaks": num(0), "revenue at risk": num(0)}
		handoff := r.Handoff
		if k > 0 {
			q, err := Quality(ctx, l, Params{From: from, To: from.AddDate(0, 0, 6), TZ: tz, AsOf: asOf})
			if err != nil {
				return r, fmt.Errorf("quality of %s: %w", WeekOf(from), err)
			}
			handoff = QualityRow{}
			if len(q.Rows) > 0 {
				handoff = q.Rows[0]
			}
		}
		f["leads handed off"], f["acceptance rate"] = num(float64(handoff.HandedOff)), handoff.AcceptanceRate
		for _, row := range ov.Rows {
			if row.Period != period {
				continue
			}
			f["MQLs"], f["MQL → SQL"] = num(float64(row.MQLs)), row.MQLToSQL
			f["median first response (min)"], f["first-touch SLA compliance"] = row.MedianResponseMinutes, row.FirstTouchCompliance
			if k == 0 {
				r.Overview = row
			}
		}
		for _, row := range leaks.Rows {
			if row.Period != period {
				continue
			}
			*f["leaks"] += float64(row.Leads)
			if row.RevenueAtRisk != nil {
				*f["revenue at risk"] += *row.RevenueAtRisk
			}
			if k == 0 {
				r.Leaks = append(r.Leaks, row)
			}
		}
		r.Weeks = append(r.Weeks, WeekFigures{Week: WeekOf(from), Figures: f})
	}
	r.Changes = changes(r.Weeks)
	rr := r.Response
	r.Quiet = r.Handoff.HandedOff == 0 && r.Overview.MQLs == 0 && rr.N+rr.Pending+rr.NoResponse == 0 && len(r.SLAByTeam) == 0
	return r, nil
}

// changes sets the last week's figures against the mean of the ones
// before, biggest relative move first; a figure with no baseline (or a
// zero one) is left out.
func changes(weeks []WeekFigures) []Change {
	if len(weeks) < 2 {
		return nil
	}
	this := weeks[len(weeks)-1]
	var out []Change
	for _, m := range reviewMetrics {
		v := this.Figures[m.Name]
		if v == nil {
			continue
		}
		var sum float64
		n := 0
		for _, w := range weeks[:len(weeks)-1] {
			if b := w.Figures[m.Name]; b != nil {
				sum += *b
				n++
			}
		}
		if n == 0 || sum == 0 {
			continue
		}
		base := sum / float64(n)
		rel := (*v - base) / math.Abs(base)
		out = append(out, Change{Metric: m.Name, This: *v, Baseline: base, Relative: rel, Good: (rel > 0) == m.RiseGood || rel == 0})
	}
	sort.SliceStable(out, func(i, j int) bool { return math.Abs(out[i].Relative) > math.Abs(out[j].Relative) })
	return out
}
