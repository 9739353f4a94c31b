package reports

import (
	"context"
	"sort"

	"github.com/handoff-dev/handoff/lake"
)

// Spec is one report as the command line, the API and the benchmark name
// it: a short description and a way to compute it as a flat table.
type Spec struct {
	Name  string
	Short string
	// Run computes the report. only narrows sla-breaches to one SLA; the
	// other reports ignore it.
	Run func(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string) (Table, error)
}

// table adapts a typed report to a flat table.
func table[T any](r Result[T], err error) (Table, error) {
	return r.Table(), err
}

var catalog = []Spec{
	{"aging", "leads open in each stage now, by age bucket", func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Table, error) {
		return table(Aging(ctx, l, p))
	}},
	{"flow", "stage entries per period, re-entries included", func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Table, error) {
		return table(Flow(ctx, l, p))
	}},
	{"funnel", "cohort conversion between stages (cohort = period of entry)", func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Table, error) {
		return table(Funnel(ctx, l, p))
	}},
	{"marketing-sla", "MQLs delivered per month and segment against the commitment", func(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Table, error) {
		return table(MarketingSLA(ctx, l, p, cfg))
	}},
	{"quality", "sales dispositions of handed-off leads, acceptance rate", func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Table, error) {
		return table(Quality(ctx, l, p))
	}},
	{"rejections", "rejection reasons ranked", func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Table, error) {
		return table(RejectionReasons(ctx, l, p))
	}},
	{"response", "speed to lead: assignment to first sales touch, percentiles and buckets", func(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Table, error) {
		return table(Response(ctx, l, p, cfg))
	}},
	{"response-curve", "conversion to sql and opportunity by response bucket", func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Table, error) {
		return table(ResponseCurve(ctx, l, p))
	}},
	{"sla", "met / breached / pending per configured SLA", func(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Table, error) {
		return table(SLACompliance(ctx, l, p, cfg))
	}},
	{"sla-breaches", "breached SLA instances, worst first (--sla NAME for one)", func(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string) (Table, error) {
		return table(SLABreaches(ctx, l, p, cfg, only))
	}},
	{"sources", "per source (--by campaign): funnel, won revenue, spend, cost per lead/MQL/customer, ROI", func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Table, error) {
		return table(Sources(ctx, l, p))
	}},
	{"stuck", "leads past their stage's limit, oldest first, with owner", func(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Table, error) {
		return table(Stuck(ctx, l, p, cfg))
	}},
	{"time-in-stage", "p50/p75/p90 hours spent in each stage, per period of entry", func(ctx context.Context, l *lake.Lake, p Params, _ Config, _ string) (Table, error) {
		return table(TimeInStage(ctx, l, p))
	}},
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
