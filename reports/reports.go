package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// FunnelRow is one cohort step of the funnel (cohort view).
type FunnelRow struct {
	Cohort      string   `col:"cohort"`
	Dim         *string  `col:"dim"`
	FromStage   string   `col:"from_stage"`
	ToStage     string   `col:"to_stage"`
	ReachedFrom int64    `col:"reached_from"`
	ReachedTo   int64    `col:"reached_to"`
	Rate        *float64 `col:"rate"`
	Open        bool     `col:"open"`
}

// Funnel is the cohort view: conversion between stages per cohort.
func Funnel(ctx context.Context, l *lake.Lake, p Params) (Result[FunnelRow], error) {
	return prepareAndRun[FunnelRow](ctx, l, "funnel", "funnel", BandDimensions, p)
}

// FlowRow is the stage entries of one period.
type FlowRow struct {
	Period  string  `col:"period"`
	Dim     *string `col:"dim"`
	Stage   string  `col:"stage"`
	Entries int64   `col:"entries"`
	Leads   int64   `col:"leads"`
}

// Flow is the flow view: stage entries per period, re-entries included.
func Flow(ctx context.Context, l *lake.Lake, p Params) (Result[FlowRow], error) {
	return prepareAndRun[FlowRow](ctx, l, "flow", "flow", Dimensions, p)
}

// TimeInStageRow is the time leads entering a stage in a period spent in it.
type TimeInStageRow struct {
	Period       string   `col:"period"`
	Dim          *string  `col:"dim"`
	Stage        string   `col:"stage"`
	N            int64    `col:"n"`
	StillInStage int64    `col:"still_in_stage"`
	P50Hours     *float64 `col:"p50_hours"`
	P75Hours     *float64 `col:"p75_hours"`
	P90Hours     *float64 `col:"p90_hours"`
}

// TimeInStage is the time in stage percentiles per stage and period.
func TimeInStage(ctx context.Context, l *lake.Lake, p Params) (Result[TimeInStageRow], error) {
	return prepareAndRun[TimeInStageRow](ctx, l, "time-in-stage", "time_in_stage", Dimensions, p)
}

// AgingRow counts the leads open in a stage by age bucket.
type AgingRow struct {
	Dim        *string  `col:"dim"`
	Stage      string   `col:"stage"`
	Open       int64    `col:"open"`
	Lt1d       int64    `col:"lt_1d"`
	D1to3      int64    `col:"d1_3"`
	D3to7      int64    `col:"d3_7"`
	D7to14     int64    `col:"d7_14"`
	D14to30    int64    `col:"d14_30"`
	D30Plus    int64    `col:"d30_plus"`
	P50AgeDays *float64 `col:"p50_age_days"`
}

// Aging is the aging buckets of the leads open in each stage at as-of.
func Aging(ctx context.Context, l *lake.Lake, p Params) (Result[AgingRow], error) {
	return prepareAndRun[AgingRow](ctx, l, "aging", "aging", Dimensions, p)
}

// StuckRow is one lead past its stage's limit.
type StuckRow struct {
	LeadID    string    `col:"lead_id"`
	Stage     string    `col:"stage"`
	EnteredAt time.Time `col:"entered_at"`
	AgeDays   float64   `col:"age_days"`
	LimitDays float64   `col:"limit_days"`
	OwnerID   *string   `col:"owner_id"`
	Owner     string    `col:"owner"`
	Team      string    `col:"team"`
	Source    string    `col:"source"`
}

// Stuck lists the leads in a stage longer than cfg allows, oldest first.
func Stuck(ctx context.Context, l *lake.Lake, p Params, cfg Config) (Result[StuckRow], error) {
	p, qs, err := stuckPlan(ctx, l, p, cfg, "")
	if err != nil {
		return Result[StuckRow]{}, err
	}
	return collect[StuckRow](ctx, l, "stuck", p, qs)
}

func stuckPlan(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Params, []query, error) {
	p, err := prepare(ctx, l, "stuck", nil, p)
	if err != nil {
		return p, nil, err
	}
	hours, err := cfg.stuckHours()
	if err != nil {
		return p, nil, err
	}
	limits := duckdb.Map{}
	for k, v := range hours {
		limits[k] = v
	}
	return p, []query{{"stuck", map[string]any{"limits": limits}}}, nil
}

// SourceRow is one source's (or campaign's) funnel, revenue and spend.
type SourceRow struct {
	Source          string   `col:"source"`
	Dim             *string  `col:"dim"`
	Leads           int64    `col:"leads"`
	MQLs            int64    `col:"mqls"`
	SQLs            int64    `col:"sqls"`
	Opportunities   int64    `col:"opportunities"`
	Customers       int64    `col:"customers"`
	MQLRate         *float64 `col:"mql_rate"`
	SQLRate         *float64 `col:"sql_rate"`
	OpportunityRate *float64 `col:"opportunity_rate"`
	WinRate         *float64 `col:"win_rate"`
	LeadToCustomer  *float64 `col:"lead_to_customer"`
	WonRevenue      float64  `col:"won_revenue"`
	Spend           *float64 `col:"spend"`
	CostPerLead     *float64 `col:"cost_per_lead"`
	CostPerMQL      *float64 `col:"cost_per_mql"`
	CostPerCustomer *float64 `col:"cost_per_customer"`
	ROI             *float64 `col:"roi"`
}

// Sources is source performance and ROI; --by campaign splits by campaign.
func Sources(ctx context.Context, l *lake.Lake, p Params) (Result[SourceRow], error) {
	p, err := prepare(ctx, l, "sources", []string{"campaign", ScoreBand}, p)
	if err != nil {
		return Result[SourceRow]{}, err
	}
	// spend is per source and campaign: it cannot be split by score band
	spendKnown := p.By != ScoreBand
	for dim := range p.Filters {
		if dim != "source" && dim != "campaign" {
			spendKnown = false
		}
	}
	return run[SourceRow](ctx, l, "sources", "sources", p, map[string]any{"spend_known": spendKnown})
}

// ResponseRow is the speed-to-lead distribution of one group.
type ResponseRow struct {
	Dim        *string  `col:"dim"`
	N          int64    `col:"n"`
	P50Minutes *float64 `col:"p50_minutes"`
	P75Minutes *float64 `col:"p75_minutes"`
	P90Minutes *float64 `col:"p90_minutes"`
	P99Minutes *float64 `col:"p99_minutes"`
	Lt5m       int64    `col:"lt_5m"`
	M5to30     int64    `col:"m5_30"`
	M30to60    int64    `col:"m30_60"`
	H1to4      int64    `col:"h1_4"`
	H4to24     int64    `col:"h4_24"`
	D1to3      int64    `col:"d1_3"`
	D3Plus     int64    `col:"d3_plus"`
	Pending    int64    `col:"pending"`
	NoResponse int64    `col:"no_response"`
}

// ResponseDimensions are the breakdowns of the response report: the
// lead dimensions, the week and the hour of the assignment, and the
// weekday and hour together ("Mon 09") for a heatmap.
var ResponseDimensions = append(append([]string(nil), BandDimensions...), "week", "hour", "weekday_hour")

// Response is speed to lead: assignment to first sales touch. The pending
// limit is cfg's first-touch SLA.
func Response(ctx context.Context, l *lake.Lake, p Params, cfg Config) (Result[ResponseRow], error) {
	p, err := prepare(ctx, l, "response", ResponseDimensions, p)
	if err != nil {
		return Result[ResponseRow]{}, err
	}
	return run[ResponseRow](ctx, l, "response", "response", p, map[string]any{"limit_minutes": cfg.FirstTouchLimit().Minutes()})
}

// CurveRow is one response bucket of the speed-to-lead curve.
type CurveRow struct {
	Dim                *string  `col:"dim"`
	Bucket             string   `col:"bucket"`
	Leads              int64    `col:"leads"`
	ReachedSQL         int64    `col:"reached_sql"`
	SQLRate            *float64 `col:"sql_rate"`
	ReachedOpportunity int64    `col:"reached_opportunity"`
	OpportunityRate    *float64 `col:"opportunity_rate"`
}

// ResponseCurve is conversion by response bucket.
func ResponseCurve(ctx context.Context, l *lake.Lake, p Params) (Result[CurveRow], error) {
	return prepareAndRun[CurveRow](ctx, l, "response-curve", "response_curve", BandDimensions, p)
}

// SLARow is compliance with one SLA for one group.
type SLARow struct {
	SLA        string   `col:"sla"`
	Dim        *string  `col:"dim"`
	Met        int64    `col:"met"`
	Breached   int64    `col:"breached"`
	Pending    int64    `col:"pending"`
	Superseded int64    `col:"superseded"`
	Compliance *float64 `col:"compliance"`
}

// SLADimensions are the breakdowns of the SLA reports.
var SLADimensions = append(append([]string(nil), Dimensions...), "week")

// SLACompliance measures every SLA of cfg.
func SLACompliance(ctx context.Context, l *lake.Lake, p Params, cfg Config) (Result[SLARow], error) {
	p, err := prepare(ctx, l, "sla", SLADimensions, p)
	if err != nil {
		return Result[SLARow]{}, err
	}
	out := Result[SLARow]{Report: "sla", Params: p}
	for _, s := range cfg.SLAs {
		args, err := s.slaArgs()
		if err != nil {
			return out, fmt.Errorf("sla %s: %w", s.Name, err)
		}
		r, err := run[SLARow](ctx, l, "sla", "sla", p, args)
		if err != nil {
			return out, fmt.Errorf("sla %s: %w", s.Name, err)
		}
		out.Rows = append(out.Rows, r.Rows...)
	}
	return out, nil
}

// BreachRow is one breached SLA instance.
type BreachRow struct {
	SLA            string     `col:"sla"`
	LeadID         string     `col:"lead_id"`
	OwnerID        *string    `col:"owner_id"`
	Owner          string     `col:"owner"`
	Team           string     `col:"team"`
	Source         string     `col:"source"`
	StartedAt      time.Time  `col:"started_at"`
	StoppedAt      *time.Time `col:"stopped_at"`
	LimitMinutes   float64    `col:"limit_minutes"`
	ElapsedMinutes float64    `col:"elapsed_minutes"`
	LateMinutes    float64    `col:"late_minutes"`
	// QueuedAt is when the lead entered the queue its owner took it from:
	// the clock ran from there.
	QueuedAt *time.Time `col:"queued_at"`
}

// SLABreaches lists the breached instances of every SLA of cfg (or only
// the one named only), worst first within each SLA.
func SLABreaches(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string) (Result[BreachRow], error) {
	p, qs, err := slaBreachesPlan(ctx, l, p, cfg, only)
	if err != nil {
		return Result[BreachRow]{Report: "sla-breaches", Params: p}, err
	}
	return collect[BreachRow](ctx, l, "sla-breaches", p, qs)
}

// slaBreachesPlan is one run of sla_breaches per SLA of cfg (or the one
// named only).
func slaBreachesPlan(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string) (Params, []query, error) {
	p, err := prepare(ctx, l, "sla-breaches", nil, p)
	if err != nil {
		return p, nil, err
	}
	var qs []query
	for _, s := range cfg.SLAs {
		if only != "" && s.Name != only {
			continue
		}
		args, err := s.slaArgs()
		if err != nil {
			return p, nil, fmt.Errorf("sla %s: %w", s.Name, err)
		}
		qs = append(qs, query{"sla_breaches", args})
	}
	if only != "" && len(qs) == 0 {
		return p, nil, fmt.Errorf("%w: no SLA named %q in the config", ErrBadParam, only)
	}
	return p, qs, nil
}

// MarketingSLARow is one month and segment of MQL delivery.
type MarketingSLARow struct {
	Month      string   `col:"month"`
	Segment    string   `col:"segment"`
	MQLs       int64    `col:"mqls"`
	Commitment *float64 `col:"commitment"`
	Shortfall  *float64 `col:"shortfall"`
	Met        *bool    `col:"met"`
	// Complete: the month has ended by the as-of time.
	Complete bool `col:"complete"`
}

// MarketingSLA is MQLs delivered per month and segment against cfg's
// commitments.
func MarketingSLA(ctx context.Context, l *lake.Lake, p Params, cfg Config) (Result[MarketingSLARow], error) {
	p, err := prepare(ctx, l, "marketing-sla", nil, p)
	if err != nil {
		return Result[MarketingSLARow]{}, err
	}
	commitments := duckdb.Map{}
	for k, v := range cfg.MQLCommitments {
		commitments[k] = v
	}
	return run[MarketingSLARow](ctx, l, "marketing-sla", "marketing_sla", p, map[string]any{"commitments": commitments})
}

// OverviewRow is one period of the numbers leadership asks for.
type OverviewRow struct {
	Period                string   `col:"period"`
	Leads                 int64    `col:"leads"`
	MQLs                  int64    `col:"mqls"`
	SQLs                  int64    `col:"sqls"`
	MQLsReachedSQL        int64    `col:"mqls_reached_sql"`
	MQLToSQL              *float64 `col:"mql_to_sql"`
	MQLToSQLOpen          bool     `col:"mql_to_sql_open"`
	MedianResponseMinutes *float64 `col:"median_response_minutes"`
	FirstTouchMet         int64    `col:"first_touch_met"`
	FirstTouchBreached    int64    `col:"first_touch_breached"`
	FirstTouchCompliance  *float64 `col:"first_touch_compliance"`
	Pipeline              float64  `col:"pipeline"`
	WonRevenue            float64  `col:"won_revenue"`
	Complete              bool     `col:"complete"`
}

// Overview is leads, MQL→SQL conversion, speed to lead, first-touch SLA
// compliance, pipeline and won revenue per period. The first-touch SLA is
// cfg's (FirstTouch).
func Overview(ctx context.Context, l *lake.Lake, p Params, cfg Config) (Result[OverviewRow], error) {
	p, err := prepare(ctx, l, "overview", nil, p)
	if err != nil {
		return Result[OverviewRow]{}, err
	}
	args, err := cfg.FirstTouch().slaArgs()
	if err != nil {
		return Result[OverviewRow]{}, err
	}
	return run[OverviewRow](ctx, l, "overview", "overview", p, map[string]any{
		"ft_clock": args["clock"], "ft_limit_minutes": args["limit_minutes"], "ft_limit_workdays": args["limit_workdays"],
	})
}

// LeadRow is one lead (or assignment, or opportunity) behind a number: the
// drill-down from a report to the leads it counts.
type LeadRow struct {
	LeadID   string    `col:"lead_id"`
	Company  *string   `col:"company"`
	Source   string    `col:"source"`
	Campaign string    `col:"campaign"`
	Segment  string    `col:"segment"`
	Region   string    `col:"region"`
	Owner    string    `col:"owner"`
	Team     string    `col:"team"`
	Stage    *string   `col:"stage"`
	At       time.Time `col:"event_at"`
	Outcome  string    `col:"outcome"`
	Minutes  *float64  `col:"minutes"`
	Amount   *float64  `col:"amount"`
}

// DrillLists are the lists the leads report draws, each the rows behind
// one kind of number:
//   - created: leads created in the period (sources' and overview's leads)
//   - lead, mql, sql: leads entering the stage in the period (a funnel
//     cohort; overview's MQLs with their MQL → SQL outcome; its SQLs)
//   - assigned: assignments in the period with their first-touch clock
//     (response, first-touch SLA)
//   - handed_off: leads first assigned in the period with sales' verdict
//     (quality, rejections)
//   - opportunity, won: opportunities created, or won and closed, in the
//     period (pipeline, won revenue)
var DrillLists = []string{"created", "lead", "mql", "sql", "assigned", "handed_off", "opportunity", "won"}

// Leads lists the leads behind a number: p.What picks the list
// (DrillLists; "" is created), the period and filters the rows.
func Leads(ctx context.Context, l *lake.Lake, p Params, cfg Config) (Result[LeadRow], error) {
	p, qs, err := leadsPlan(ctx, l, p, cfg, "")
	if err != nil {
		return Result[LeadRow]{}, err
	}
	return collect[LeadRow](ctx, l, "leads", p, qs)
}

func leadsPlan(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Params, []query, error) {
	if p.What == "" {
		p.What = "created"
	}
	p, err := prepare(ctx, l, "leads", nil, p)
	if err != nil {
		return p, nil, err
	}
	model, extra := "drill_"+p.What, map[string]any{}
	switch p.What {
	case "lead", "mql", "sql":
		model, extra["stage"] = "drill_stage", p.What
	case "opportunity", "won":
		model, extra["won_only"] = "drill_opportunity", p.What == "won"
	case "assigned":
		args, err := cfg.FirstTouch().slaArgs()
		if err != nil {
			return p, nil, err
		}
		extra["ft_clock"], extra["ft_limit_minutes"], extra["ft_limit_workdays"] = args["clock"], args["limit_minutes"], args["limit_workdays"]
	}
	return p, []query{{model, extra}}, nil
}

// QualityRow is what sales decided about one group's handed-off leads.
type QualityRow struct {
	Dim                   *string  `col:"dim"`
	HandedOff             int64    `col:"handed_off"`
	Dispositioned         int64    `col:"dispositioned"`
	Accepted              int64    `col:"accepted"`
	Rejected              int64    `col:"rejected"`
	Unreachable           int64    `col:"unreachable"`
	Recycled              int64    `col:"recycled"`
	AcceptanceRate        *float64 `col:"acceptance_rate"`
	P50HoursToDisposition *float64 `col:"p50_hours_to_disposition"`
	P90HoursToDisposition *float64 `col:"p90_hours_to_disposition"`
}

// Quality is lead quality feedback: dispositions and acceptance rate.
func Quality(ctx context.Context, l *lake.Lake, p Params) (Result[QualityRow], error) {
	return prepareAndRun[QualityRow](ctx, l, "quality", "quality", BandDimensions, p)
}

// RejectionRow is one rejection reason and its share.
type RejectionRow struct {
	Dim      *string `col:"dim"`
	Reason   string  `col:"reason"`
	Rejected int64   `col:"rejected"`
	Share    float64 `col:"share"`
}

// RejectionReasons ranks why sales rejected leads.
func RejectionReasons(ctx context.Context, l *lake.Lake, p Params) (Result[RejectionRow], error) {
	return prepareAndRun[RejectionRow](ctx, l, "rejections", "rejection_reasons", Dimensions, p)
}

// prepareAndRun is a report that is exactly one model with the common
// parameters.
func prepareAndRun[T any](ctx context.Context, l *lake.Lake, report, model string, by []string, p Params) (Result[T], error) {
	p, err := prepare(ctx, l, report, by, p)
	if err != nil {
		return Result[T]{}, err
	}
	return run[T](ctx, l, report, model, p, nil)
}

// choicesPerDimension bounds DimensionValues: a choice list longer than
// this is no help to a person, who can still type any value.
const choicesPerDimension = 200

// DimensionValues are the values each filter dimension takes in the lake,
// the most frequent first, for choice lists. They are looked up once per
// lake.
func DimensionValues(ctx context.Context, l *lake.Lake) (map[string][]string, error) {
	// Before Memo: prepareModels memoizes too, and Memo does not nest.
	if err := prepareModels(ctx, l); err != nil {
		return nil, err
	}
	v, err := l.Memo("reports.dimension_values", func() (any, error) {
		st, err := models.Bind("dimension_values", map[string]any{"per_dimension": choicesPerDimension})
		if err != nil {
			return nil, err
		}
		rows, err := st.Query(ctx, l.DB)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[string][]string{}
		for rows.Next() {
			var dim, value string
			var leads int64
			if err := rows.Scan(&dim, &value, &leads); err != nil {
				return nil, err
			}
			out[dim] = append(out[dim], value)
		}
		return out, rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string][]string), nil
}
