package reports

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// render prints a table's rows as the expectations below are written: one
// line per row, values separated by " | ", floats with four decimals, NULL
// for a missing value, times in RFC 3339.
func render(tb Table) []string {
	var out []string
	for _, r := range tb.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			switch x := v.(type) {
			case nil:
				cells[i] = "NULL"
			case float64:
				cells[i] = fmt.Sprintf("%.4f", x)
			case time.Time:
				cells[i] = x.Format(time.RFC3339)
			default:
				cells[i] = fmt.Sprint(x)
			}
		}
		out = append(out, strings.Join(cells, " | "))
	}
	return out
}

func checkRows(t *testing.T, tb Table, want []string) {
	t.Helper()
	got := render(tb)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s rows:\ngot:\n  %s\nwant:\n  %s", tb.Report, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func checkColumns(t *testing.T, tb Table, want string) {
	t.Helper()
	var names []string
	for _, c := range tb.Columns {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != want {
		t.Errorf("%s columns: got %s, want %s", tb.Report, got, want)
	}
}

// Every expected row below is worked out by hand in
// testdata/reports/README.md, section by section; the section is named in
// each case.
func TestReportsOnHandWorkedFixture(t *testing.T) {
	l := openFixture(t)
	ctx := context.Background()
	cfg := DefaultConfig()
	withCommitments := DefaultConfig()
	withCommitments.MQLCommitments = map[string]float64{"smb": 2, "mid_market": 1}
	withLeadLimit := DefaultConfig()
	withLeadLimit.StuckAfter["lead"] = "30d"
	p := fixtureParams()
	mod := func(f func(*Params)) Params { q := fixtureParams(); f(&q); return q }

	cases := []struct {
		name    string
		run     func() (Table, error)
		columns string
		want    []string
	}{
		{
			name:    "funnel cohorts, 90-day window (Funnel)",
			run:     func() (Table, error) { r, err := Funnel(ctx, l, p); return r.Table(), err },
			columns: "cohort,from_stage,to_stage,reached_from,reached_to,rate,open",
			want: []string{
				"2026-01-01 | lead | mql | 7 | 6 | 0.8571 | true",
				"2026-01-01 | mql | sql | 6 | 5 | 0.8333 | true",
				"2026-01-01 | sql | opportunity | 5 | 4 | 0.8000 | true",
				"2026-01-01 | opportunity | customer | 4 | 2 | 0.5000 | true",
				"2026-01-01 | lead | customer | 7 | 2 | 0.2857 | true",
				"2026-02-01 | lead | mql | 3 | 3 | 1.0000 | true",
				"2026-02-01 | mql | sql | 3 | 2 | 0.6667 | true",
				"2026-02-01 | sql | opportunity | 2 | 1 | 0.5000 | true",
				"2026-02-01 | opportunity | customer | 1 | 1 | 1.0000 | true",
				"2026-02-01 | lead | customer | 3 | 1 | 0.3333 | true",
				"2026-03-01 | lead | mql | 3 | 1 | 0.3333 | true",
				"2026-03-01 | mql | sql | 1 | 0 | 0.0000 | true",
				"2026-03-01 | sql | opportunity | 0 | 0 | NULL | true",
				"2026-03-01 | opportunity | customer | 0 | 0 | NULL | true",
				"2026-03-01 | lead | customer | 3 | 0 | 0.0000 | true",
			},
		},
		{
			name: "funnel cohorts, 30-day window: closed and open cohorts (Funnel)",
			run: func() (Table, error) {
				r, err := Funnel(ctx, l, mod(func(q *Params) { q.Window = 30 * 24 * time.Hour; q.To = time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC) }))
				return r.Table(), err
			},
			want: []string{
				"2026-01-01 | lead | mql | 7 | 6 | 0.8571 | false",
				"2026-01-01 | mql | sql | 6 | 5 | 0.8333 | false",
				"2026-01-01 | sql | opportunity | 5 | 3 | 0.6000 | false",
				"2026-01-01 | opportunity | customer | 4 | 2 | 0.5000 | false",
				"2026-01-01 | lead | customer | 7 | 0 | 0.0000 | false",
			},
		},
		{
			name: "funnel filtered to source web (Funnel)",
			run: func() (Table, error) {
				r, err := Funnel(ctx, l, mod(func(q *Params) { q.Filters = map[string][]string{"source": {"web"}} }))
				return r.Table(), err
			},
			want: []string{
				"2026-01-01 | lead | mql | 3 | 3 | 1.0000 | true",
				"2026-01-01 | mql | sql | 3 | 3 | 1.0000 | true",
				"2026-01-01 | sql | opportunity | 3 | 2 | 0.6667 | true",
				"2026-01-01 | opportunity | customer | 2 | 1 | 0.5000 | true",
				"2026-01-01 | lead | customer | 3 | 1 | 0.3333 | true",
				"2026-02-01 | lead | mql | 1 | 1 | 1.0000 | true",
				"2026-02-01 | mql | sql | 1 | 1 | 1.0000 | true",
				"2026-02-01 | sql | opportunity | 1 | 0 | 0.0000 | true",
				"2026-02-01 | opportunity | customer | 0 | 0 | NULL | true",
				"2026-02-01 | lead | customer | 1 | 0 | 0.0000 | true",
				"2026-03-01 | lead | mql | 1 | 1 | 1.0000 | true",
				"2026-03-01 | mql | sql | 1 | 0 | 0.0000 | true",
				"2026-03-01 | sql | opportunity | 0 | 0 | NULL | true",
				"2026-03-01 | opportunity | customer | 0 | 0 | NULL | true",
				"2026-03-01 | lead | customer | 1 | 0 | 0.0000 | true",
			},
		},
		{
			name:    "flow: entries per month, re-entries counted (Flow)",
			run:     func() (Table, error) { r, err := Flow(ctx, l, p); return r.Table(), err },
			columns: "period,stage,entries,leads",
			want: []string{
				"2026-01-01 | lead | 7 | 7",
				"2026-01-01 | mql | 4 | 4",
				"2026-01-01 | sql | 5 | 5",
				"2026-01-01 | opportunity | 2 | 2",
				"2026-01-01 | disqualified | 1 | 1",
				"2026-01-01 | recycled | 1 | 1",
				"2026-02-01 | lead | 3 | 3",
				"2026-02-01 | mql | 4 | 4",
				"2026-02-01 | sql | 2 | 2",
				"2026-02-01 | opportunity | 2 | 2",
				"2026-02-01 | customer | 1 | 1",
				"2026-03-01 | lead | 3 | 3",
				"2026-03-01 | mql | 1 | 1",
				"2026-03-01 | opportunity | 1 | 1",
				"2026-03-01 | customer | 2 | 2",
			},
		},
		{
			name: "time in mql, January entries (Time in stage)",
			run: func() (Table, error) {
				r, err := TimeInStage(ctx, l, mod(func(q *Params) { q.To = time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC) }))
				tb := r.Table()
				var keep [][]any
				for _, row := range tb.Rows {
					if row[1] == "mql" {
						keep = append(keep, row)
					}
				}
				tb.Rows = keep
				return tb, err
			},
			columns: "period,stage,n,still_in_stage,p50_hours,p75_hours,p90_hours",
			want:    []string{"2026-01-01 | mql | 4 | 0 | 36.0000 | 60.0000 | 81.6000"},
		},
		{
			name:    "aging buckets of open leads (Aging)",
			run:     func() (Table, error) { r, err := Aging(ctx, l, p); return r.Table(), err },
			columns: "stage,open,lt_1d,d1_3,d3_7,d7_14,d14_30,d30_plus,p50_age_days",
			want: []string{
				"lead | 3 | 1 | 0 | 0 | 0 | 1 | 1 | 26.5833",
				"mql | 3 | 0 | 0 | 0 | 0 | 1 | 2 | 39.5000",
				"sql | 1 | 0 | 0 | 0 | 0 | 0 | 1 | 50.3333",
				"opportunity | 2 | 0 | 0 | 0 | 1 | 0 | 1 | 38.4375",
			},
		},
		{
			name:    "stuck leads, oldest first, with a 30-day lead limit (Stuck)",
			run:     func() (Table, error) { r, err := Stuck(ctx, l, p, withLeadLimit); return r.Table(), err },
			columns: "lead_id,stage,entered_at,age_days,limit_days,owner_id,owner,team,source",
			want: []string{
				"L7 | lead | 2026-01-28T10:00:00Z | 62.5833 | 30.0000 | U2 | Ben | SDR EMEA | email",
				"L8 | sql | 2026-02-09T16:00:00Z | 50.3333 | 14.0000 | U1 | Ana | SDR NA | web",
				"L9 | mql | 2026-02-10T10:00:00Z | 49.5833 | 3.0000 | U2 | Ben | SDR EMEA | paid",
				"L2 | mql | 2026-02-20T12:00:00Z | 39.5000 | 3.0000 | U1 | Ana | SDR NA | web",
				"L11 | mql | 2026-03-03T10:00:00Z | 28.5833 | 3.0000 | U2 | Ben | SDR EMEA | web",
			},
		},
		{
			name:    "sources and ROI, all data (Sources)",
			run:     func() (Table, error) { r, err := Sources(ctx, l, p); return r.Table(), err },
			columns: "source,leads,mqls,sqls,opportunities,customers,mql_rate,sql_rate,opportunity_rate,win_rate,lead_to_customer,won_revenue,spend,cost_per_lead,cost_per_mql,cost_per_customer,roi",
			want: []string{
				"(blank) | 1 | 0 | 0 | 0 | 0 | 0.0000 | NULL | NULL | NULL | 0.0000 | 0.0000 | NULL | NULL | NULL | NULL | NULL",
				"email | 1 | 0 | 0 | 0 | 0 | 0.0000 | NULL | NULL | NULL | 0.0000 | 0.0000 | NULL | NULL | NULL | NULL | NULL",
				"event | 1 | 1 | 1 | 1 | 1 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 2000.0000 | NULL | NULL | NULL | NULL | NULL",
				"paid | 4 | 3 | 1 | 1 | 0 | 0.7500 | 0.3333 | 1.0000 | 0.0000 | 0.0000 | 0.0000 | 2500.0000 | 625.0000 | 833.3333 | NULL | -1.0000",
				"podcast | 0 | 0 | 0 | 0 | 0 | NULL | NULL | NULL | NULL | NULL | 0.0000 | 300.0000 | NULL | NULL | NULL | -1.0000",
				"referral | 1 | 1 | 1 | 1 | 1 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 3000.0000 | NULL | NULL | NULL | NULL | NULL",
				"web | 5 | 5 | 4 | 2 | 1 | 1.0000 | 0.8000 | 0.5000 | 0.5000 | 0.2000 | 5000.0000 | 1000.0000 | 200.0000 | 200.0000 | 1000.0000 | 4.0000",
			},
		},
		{
			name: "sources in February by campaign: spend of the month only (Sources)",
			run: func() (Table, error) {
				r, err := Sources(ctx, l, mod(func(q *Params) {
					q.From, q.To, q.By = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), "campaign"
				}))
				return r.Table(), err
			},
			columns: "source,campaign,leads,mqls,sqls,opportunities,customers,mql_rate,sql_rate,opportunity_rate,win_rate,lead_to_customer,won_revenue,spend,cost_per_lead,cost_per_mql,cost_per_customer,roi",
			want: []string{
				"event | ev1 | 1 | 1 | 1 | 1 | 1 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 2000.0000 | NULL | NULL | NULL | NULL | NULL",
				"paid | p1 | 1 | 1 | 0 | 0 | 0 | 1.0000 | 0.0000 | NULL | NULL | 0.0000 | 0.0000 | 500.0000 | 500.0000 | 500.0000 | NULL | -1.0000",
				"podcast | sponsor | 0 | 0 | 0 | 0 | 0 | NULL | NULL | NULL | NULL | NULL | 0.0000 | 300.0000 | NULL | NULL | NULL | -1.0000",
				"web | c1 | 1 | 1 | 1 | 0 | 0 | 1.0000 | 1.0000 | 0.0000 | NULL | 0.0000 | 0.0000 | NULL | NULL | NULL | NULL | NULL",
			},
		},
		{
			name:    "response, calendar clock (Response time)",
			run:     func() (Table, error) { r, err := Response(ctx, l, p, cfg); return r.Table(), err },
			columns: "n,p50_minutes,p75_minutes,p90_minutes,p99_minutes,lt_5m,m5_30,m30_60,h1_4,h4_24,d1_3,d3_plus,pending,no_response",
			want:    []string{"8 | 150.0000 | 1672.5000 | 3918.0000 | 3955.8000 | 2 | 1 | 0 | 1 | 2 | 2 | 0 | 1 | 2"},
		},
		{
			name: "response, business clock: weekend and DST (Response time)",
			run: func() (Table, error) {
				r, err := Response(ctx, l, mod(func(q *Params) { q.Clock = "business" }), cfg)
				return r.Table(), err
			},
			want: []string{"8 | 47.5000 | 120.0000 | 139.5000 | 180.4500 | 2 | 1 | 1 | 4 | 0 | 0 | 0 | 1 | 2"},
		},
		{
			name: "response by owner: the assignee, not the current owner (Response time)",
			run: func() (Table, error) {
				r, err := Response(ctx, l, mod(func(q *Params) { q.By = "owner" }), cfg)
				return r.Table(), err
			},
			columns: "owner,n,p50_minutes,p75_minutes,p90_minutes,p99_minutes,lt_5m,m5_30,m30_60,h1_4,h4_24,d1_3,d3_plus,pending,no_response",
			want: []string{
				"Ana | 5 | 60.0000 | 3900.0000 | 3936.0000 | 3957.6000 | 1 | 1 | 0 | 1 | 0 | 2 | 0 | 0 | 0",
				"Ben | 3 | 240.0000 | 585.0000 | 792.0000 | 916.2000 | 1 | 0 | 0 | 0 | 2 | 0 | 0 | 1 | 2",
			},
		},
		{
			name:    "speed-to-lead curve (Response time, conversion by bucket)",
			run:     func() (Table, error) { r, err := ResponseCurve(ctx, l, p); return r.Table(), err },
			columns: "bucket,leads,reached_sql,sql_rate,reached_opportunity,opportunity_rate",
			want: []string{
				"<5m | 2 | 1 | 0.5000 | 0 | 0.0000",
				"5-30m | 1 | 1 | 1.0000 | 1 | 1.0000",
				"4-24h | 2 | 1 | 0.5000 | 1 | 0.5000",
				"1-3d | 3 | 2 | 0.6667 | 1 | 0.3333",
				"no_response | 2 | 0 | 0.0000 | 0 | 0.0000",
			},
		},
		{
			name:    "SLA compliance, the three defaults (SLA compliance)",
			run:     func() (Table, error) { r, err := SLACompliance(ctx, l, p, cfg); return r.Table(), err },
			columns: "sla,met,breached,pending,superseded,compliance",
			want: []string{
				"first_touch | 4 | 6 | 1 | 0 | 0.4000",
				"disposition | 6 | 3 | 1 | 1 | 0.6667",
				"mql_acceptance | 7 | 3 | 0 | 0 | 0.7000",
			},
		},
		{
			name: "SLA breach list, worst first (SLA compliance)",
			run: func() (Table, error) {
				r, err := SLABreaches(ctx, l, p, cfg, "disposition")
				return r.Table(), err
			},
			// No lead of the fixture passed through a queue: queued_at is NULL.
			columns: "sla,lead_id,owner_id,owner,team,source,started_at,stopped_at,limit_minutes,elapsed_minutes,late_minutes,queued_at",
			want: []string{
				"disposition | L9 | U2 | Ben | SDR EMEA | paid | 2026-02-10T10:05:00Z | NULL | 960.0000 | 17215.0000 | 16255.0000 | NULL",
				"disposition | L12 | U1 | Ana | SDR NA | paid | 2026-03-06T21:00:00Z | 2026-03-20T14:00:00Z | 960.0000 | 4440.0000 | 3480.0000 | NULL",
				"disposition | L3 | U1 | Ana | SDR NA | web | 2026-01-14T15:05:00Z | 2026-01-20T15:00:00Z | 960.0000 | 1915.0000 | 955.0000 | NULL",
			},
		},
		{
			name:    "marketing SLA against commitments (SLA compliance, marketing SLA)",
			run:     func() (Table, error) { r, err := MarketingSLA(ctx, l, p, withCommitments); return r.Table(), err },
			columns: "month,segment,mqls,commitment,shortfall,met,complete",
			want: []string{
				"2026-01 | (blank) | 0 | NULL | NULL | NULL | true",
				"2026-01 | enterprise | 2 | NULL | NULL | NULL | true",
				"2026-01 | mid_market | 2 | 1.0000 | 0.0000 | true | true",
				"2026-01 | smb | 2 | 2.0000 | 0.0000 | true | true",
				"2026-02 | (blank) | 1 | NULL | NULL | NULL | true",
				"2026-02 | enterprise | 0 | NULL | NULL | NULL | true",
				"2026-02 | mid_market | 1 | 1.0000 | 0.0000 | true | true",
				"2026-02 | smb | 1 | 2.0000 | 1.0000 | false | true",
				"2026-03 | (blank) | 0 | NULL | NULL | NULL | true",
				"2026-03 | enterprise | 0 | NULL | NULL | NULL | true",
				"2026-03 | mid_market | 0 | 1.0000 | 1.0000 | false | true",
				"2026-03 | smb | 1 | 2.0000 | 1.0000 | false | true",
				"2026-04 | (blank) | 0 | NULL | NULL | NULL | false",
				"2026-04 | enterprise | 0 | NULL | NULL | NULL | false",
				"2026-04 | mid_market | 0 | 1.0000 | 1.0000 | false | false",
				"2026-04 | smb | 0 | 2.0000 | 2.0000 | false | false",
			},
		},
		{
			name: "response by weekday and hour, in week order (Response, by weekday and hour)",
			run: func() (Table, error) {
				r, err := Response(ctx, l, mod(func(q *Params) { q.By = "weekday_hour" }), cfg)
				return r.Table(), err
			},
			columns: "weekday_hour,n,p50_minutes,p75_minutes,p90_minutes,p99_minutes,lt_5m,m5_30,m30_60,h1_4,h4_24,d1_3,d3_plus,pending,no_response",
			want: []string{
				"Tue 10 | 1 | 3.0000 | 3.0000 | 3.0000 | 3.0000 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1",
				"Tue 15 | 1 | 20.0000 | 20.0000 | 20.0000 | 20.0000 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1",
				"Tue 18 | 1 | 930.0000 | 930.0000 | 930.0000 | 930.0000 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0",
				"Tue 23 | 0 | NULL | NULL | NULL | NULL | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1 | 0",
				"Wed 15 | 1 | 60.0000 | 60.0000 | 60.0000 | 60.0000 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0",
				"Thu 08 | 1 | 240.0000 | 240.0000 | 240.0000 | 240.0000 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0",
				"Thu 17 | 1 | 2.0000 | 2.0000 | 2.0000 | 2.0000 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0",
				"Fri 21 | 2 | 3930.0000 | 3945.0000 | 3954.0000 | 3959.4000 | 0 | 0 | 0 | 0 | 0 | 2 | 0 | 0 | 0",
			},
		},
		{
			name: "overview per month (Overview)",
			run:  func() (Table, error) { r, err := Overview(ctx, l, p, cfg); return r.Table(), err },
			// mqls_reached_sql is mql_to_sql × mqls of the README's
			// working: 5 of 6, 2 of 3, 0 of 1.
			columns: "period,leads,mqls,sqls,mqls_reached_sql,mql_to_sql,mql_to_sql_open,median_response_minutes,first_touch_met,first_touch_breached,first_touch_compliance,pipeline,won_revenue,complete",
			want: []string{
				"2026-01-01 | 7 | 6 | 5 | 5 | 0.8333 | true | 60.0000 | 3 | 3 | 0.5000 | 14999.0000 | 0.0000 | true",
				"2026-02-01 | 3 | 3 | 2 | 2 | 0.6667 | true | 3960.0000 | 0 | 2 | 0.0000 | 5000.0000 | 5000.0000 | true",
				"2026-03-01 | 3 | 1 | 0 | 0 | 0.0000 | true | 1951.5000 | 1 | 1 | 0.5000 | 7000.0000 | 5000.0000 | true",
			},
		},
		{
			name: "overview filtered to source web, by quarter (Overview)",
			run: func() (Table, error) {
				r, err := Overview(ctx, l, mod(func(q *Params) { q.Grain = "quarter"; q.Filters = map[string][]string{"source": {"web"}} }), cfg)
				return r.Table(), err
			},
			want: []string{
				"2026-01-01 | 5 | 5 | 4 | 4 | 0.8000 | true | 20.0000 | 4 | 2 | 0.6667 | 12000.0000 | 5000.0000 | true",
			},
		},
		{
			name:    "lead quality (Lead quality feedback)",
			run:     func() (Table, error) { r, err := Quality(ctx, l, p); return r.Table(), err },
			columns: "handed_off,dispositioned,accepted,rejected,unreachable,recycled,acceptance_rate,p50_hours_to_disposition,p90_hours_to_disposition",
			want:    []string{"10 | 8 | 5 | 2 | 1 | 0 | 0.6250 | 47.9583 | 216.2417"},
		},
		{
			name: "lead quality by source (Lead quality feedback)",
			run: func() (Table, error) {
				r, err := Quality(ctx, l, mod(func(q *Params) { q.By = "source" }))
				return r.Table(), err
			},
			want: []string{
				"(blank) | 1 | 0 | 0 | 0 | 0 | 0 | NULL | NULL | NULL",
				"paid | 4 | 3 | 1 | 1 | 1 | 0 | 0.3333 | 47.9167 | 272.7833",
				"web | 5 | 5 | 4 | 1 | 0 | 0 | 0.8000 | 48.0000 | 127.5500",
			},
		},
		{
			name:    "rejection reasons ranked (Lead quality feedback)",
			run:     func() (Table, error) { r, err := RejectionReasons(ctx, l, p); return r.Table(), err },
			columns: "reason,rejected,share",
			want:    []string{"No budget | 2 | 0.6667", "(blank) | 1 | 0.3333"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb, err := c.run()
			if err != nil {
				t.Fatal(err)
			}
			if c.columns != "" {
				checkColumns(t, tb, c.columns)
			}
			checkRows(t, tb, c.want)
		})
	}
}

// The default as-of time is the latest event: O5 closes and L5 becomes a
// customer at 2026-04-10 10:00, after the as-of time the cases above use.
func TestDefaultAsOfIsLatestEvent(t *testing.T) {
	l := openFixture(t)
	got, err := LatestEvent(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 4, 10, 10, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("latest event %v, want %v", got, want)
	}
	r, err := Funnel(context.Background(), l, Params{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Params.AsOf.Equal(got) {
		t.Errorf("funnel as-of %v, want the latest event %v", r.Params.AsOf, got)
	}
	// As of April 10, L5 is a customer: the January cohort's
	// opportunity->customer step gains it (3 of 4).
	for _, row := range r.Rows {
		if row.Cohort == "2026-01-01" && row.FromStage == "opportunity" && row.ReachedTo != 3 {
			t.Errorf("January opportunity->customer as of April 10: %d, want 3", row.ReachedTo)
		}
	}
}

func TestBadParams(t *testing.T) {
	l := openFixture(t)
	ctx := context.Background()
	cases := []struct {
		name string
		p    Params
		want string
	}{
		{"unknown breakdown", Params{By: "colour"}, `cannot break down by "colour"`},
		{"unknown filter", Params{Filters: map[string][]string{"colour": {"red"}}}, `cannot filter on "colour"`},
		{"bad zone", Params{TZ: "Mars/Olympus"}, `"Mars/Olympus" is not a time zone`},
		{"to before from", Params{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, "to 2026-01-01 is before from 2026-02-01"},
		{"bad grain", Params{Grain: "fortnight"}, `grain "fortnight"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Funnel(ctx, l, c.p)
			if !errors.Is(err, ErrBadParam) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want ErrBadParam containing %q", err, c.want)
			}
		})
	}
	if _, err := Sources(ctx, l, Params{By: "region"}); !errors.Is(err, ErrBadParam) {
		t.Errorf("sources by region: got %v, want ErrBadParam (spend has no region)", err)
	}
}

// Time zones Go takes and DuckDB does not ("Local", "posixrules") are the
// caller's error, named by the parameter, not a failure mid-query.
func TestTimeZonesAreDuckDBs(t *testing.T) {
	for tz, ok := range map[string]bool{"UTC": true, "Europe/Berlin": true, "America/New_York": true, "Etc/GMT+12": true,
		"Local": false, "posixrules": false, "Mars/Olympus": false, "": false, "../../etc/passwd": false} {
		err := checkTimeZone("tz", tz)
		if ok && err != nil || !ok && (!errors.Is(err, ErrBadParam) || !strings.Contains(err.Error(), `tz "`+tz+`"`)) {
			t.Errorf("%q: %v", tz, err)
		}
	}
}

// The pages' CSV keeps a spreadsheet from running text as a formula; the
// API's CSV is the data as it is.
func TestSpreadsheetCSV(t *testing.T) {
	tb := Table{Columns: []Column{{Name: "source"}, {Name: "n"}}, Rows: [][]any{
		{"=HYPERLINK(\"http://evil.example\",\"x\")", int64(1)},
		{"+1 555", -5.5},
		{"-x", int64(-3)},
		{"@SUM(A1)", nil},
		{"\tTab", int64(0)},
		{"web", int64(2)},
		{"a=b", int64(4)},
	}}
	var sheet, plainCSV strings.Builder
	if err := WriteSpreadsheetCSV(&sheet, tb); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&plainCSV, tb); err != nil {
		t.Fatal(err)
	}
	wantSheet := "source,n\n\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",1\n'+1 555,-5.5\n'-x,-3\n'@SUM(A1),\n'\tTab,0\nweb,2\na=b,4\n"
	if sheet.String() != wantSheet {
		t.Errorf("spreadsheet CSV:\n%q\nwant\n%q", sheet.String(), wantSheet)
	}
	if !strings.Contains(plainCSV.String(), "\n\"=HYPERLINK(") || !strings.Contains(plainCSV.String(), "\n-x,-3\n") {
		t.Errorf("the API's CSV changed the data:\n%s", plainCSV.String())
	}
}

// A filter's value matches whatever its case: --filter source=WEB is the
// hand-worked source=web quarter (5 leads, 5 MQLs, 4 SQLs), and region=na
// gives what the lake's own NA gives.
func TestFiltersIgnoreCase(t *testing.T) {
	l := openFixture(t)
	ctx := context.Background()
	asOf, _ := time.Parse(time.RFC3339, "2026-04-01T00:00:00Z")
	run := func(f map[string][]string) []OverviewRow {
		r, err := Overview(ctx, l, Params{AsOf: asOf, Grain: "quarter", Filters: f}, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return r.Rows
	}
	for _, v := range []string{"WEB", "Web", "web"} {
		if rows := run(map[string][]string{"source": {v}}); len(rows) != 1 || rows[0].Leads != 5 || rows[0].MQLs != 5 || rows[0].SQLs != 4 {
			t.Errorf("source=%s: %+v", v, rows)
		}
	}
	upper, lower := run(map[string][]string{"region": {"NA"}}), run(map[string][]string{"region": {"na"}})
	if len(upper) == 0 || !reflect.DeepEqual(upper[0].Leads, lower[0].Leads) || upper[0].MQLs != lower[0].MQLs {
		t.Errorf("region=NA %+v, region=na %+v", upper, lower)
	}
}

// The terminal table puts text to the left and numbers to the right,
// headers with their columns, and nothing after the last column.
func TestWriteTextAligns(t *testing.T) {
	tb := Table{Columns: []Column{{Name: "owner", Kind: reflect.String}, {Name: "met", Kind: reflect.Int64}, {Name: "compliance", Kind: reflect.Float64}, {Name: "team", Kind: reflect.String}},
		Rows: [][]any{{"Ana", int64(14), 0.184, "SDR NA"}, {"Chloe Nguyen", int64(9), nil, "EMEA"}}}
	var b strings.Builder
	if err := WriteText(&b, tb); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"owner         met  compliance  team\n" +
		"Ana            14       18.4%  SDR NA\n" +
		"Chloe Nguyen    9           -  EMEA\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
