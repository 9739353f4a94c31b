package reports

import (
	"context"
	"sort"

	"github.com/handoff-dev/handoff/lake"
)

// Spec is one report as the command line, the API and the benchmark name
// it: a short description, its columns, the breakdowns it accepts and a way
// to compute it as a flat table.
type Spec struct {
	Name  string
	Short string
	// Columns are the output columns without a breakdown. With one, the
	// breakdown's column, named after the dimension, is added where the
	// row type holds it (docs/reports.md).
	Columns []Column
	// By are the breakdowns the report accepts; none when empty.
	By []string
	// Run computes the report. only narrows sla-breaches to one SLA; the
	// other reports ignore it.
	Run func(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string) (Table, error)
	// Stream, for the list reports (leads, leaked, stuck, sla-breaches),
	// writes the rows to the writer open makes as DuckDB returns them,
	// instead of holding them all; it returns how many it wrote. Nil for
	// the reports of a few rows.
	Stream func(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string, open Opener) (int, error)
}

// entry makes the Spec of a report whose rows are T.
func entry[T any](name, short string, by []string, run func(context.Context, *lake.Lake, Params, Config, string) (Result[T], error)) Spec {
	return Spec{
		Name: name, Short: short, By: by,
		Columns: Result[T]{}.Table().Columns,
		Run: func(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string) (Table, error) {
			r, err := run(ctx, l, p, cfg, only)
			return r.Table(), err
		},
	}
}

var catalog = []Spec{
	entry("aging", "leads open in each stage now, by age bucket", Dimensions,
		func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Result[AgingRow], error) {
			return Aging(ctx, l, p)
		}),
	entry("flow", "stage entries per period, re-entries included", Dimensions,
		func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Result[FlowRow], error) {
			return Flow(ctx, l, p)
		}),
	entry("funnel", "cohort conversion between stages (cohort = period of entry)", BandDimensions,
		func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Result[FunnelRow], error) {
			return Funnel(ctx, l, p)
		}),
	listEntry[LeadRow]("leads", "the leads behind a number (--what created, lead, mql, sql, assigned, handed_off, opportunity, won)", leadsPlan),
	entry("leaks", "MQLs lost in the handoff per crack and period, with the revenue at risk", Dimensions,
		func(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Result[LeakRow], error) {
			return Leaks(ctx, l, p, cfg)
		}),
	listEntry[LeakedRow]("leaked", "the leads that fell through a crack, with the evidence (--what CRACK for one)", leakedPlan),
	entry("marketing-sla", "MQLs delivered per month and segment against the commitment", nil,
		func(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Result[MarketingSLARow], error) {
			return MarketingSLA(ctx, l, p, cfg)
		}),
	entry("overview", "leads, MQL→SQL, speed to lead, first-touch SLA, pipeline and won revenue per period", nil,
		func(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Result[OverviewRow], error) {
			return Overview(ctx, l, p, cfg)
		}),
	entry("quality", "sales dispositions of handed-off leads, acceptance rate", BandDimensions,
		func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Result[QualityRow], error) {
			return Quality(ctx, l, p)
		}),
	entry("rejections", "rejection reasons ranked", Dimensions,
		func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Result[RejectionRow], error) {
			return RejectionReasons(ctx, l, p)
		}),
	entry("response", "speed to lead: assignment to first sales touch, percentiles and buckets", ResponseDimensions,
		func(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Result[ResponseRow], error) {
			return Response(ctx, l, p, cfg)
		}),
	entry("response-curve", "conversion to sql and opportunity by response bucket", BandDimensions,
		func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Result[CurveRow], error) {
			return ResponseCurve(ctx, l, p)
		}),
	entry("sla", "met / breached / pending per configured SLA", SLADimensions,
		func(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Result[SLARow], error) {
			return SLACompliance(ctx, l, p, cfg)
		}),
	listEntry[BreachRow]("sla-breaches", "breached SLA instances, worst first (--sla NAME for one)", slaBreachesPlan),
	entry("sources", "per source (--by campaign or score_band): funnel, won revenue, spend, cost per lead/MQL/customer, ROI", []string{"campaign", ScoreBand},
		func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Result[SourceRow], error) {
			return Sources(ctx, l, p)
		}),
	listEntry[StuckRow]("stuck", "leads past their stage's limit, oldest first, with owner", stuckPlan),
	entry("time-in-stage", "p50/p75/p90 hours spent in each stage, per period of entry", Dimensions,
		func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Result[TimeInStageRow], error) {
			return TimeInStage(ctx, l, p)
		}),
}

// Catalog lists every report, sorted by name.
func Catalog() []Spec {
	out := append([]Spec(nil), catalog...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a report by name.
func Lookup(name string) (Spec, bool) {
	for _, s := range catalog {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Names are the report names, sorted.
func Names() []string {
	var names []string
	for _, s := range Catalog() {
		names = append(names, s.Name)
	}
	return names
}
