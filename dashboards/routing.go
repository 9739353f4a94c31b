package dashboards

import (
	"fmt"
	"net/url"
	"reflect"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/routing"
)

// auditsShown is how many decisions the routing page lists.
const auditsShown = 50

// RoutingPage is the dry run of the routing rules: what they would have
// done with the leads handed to sales since a date, beside what happened.
func RoutingPage(q url.Values, status string, r routing.Replay, since string) Page {
	p := Page{Title: "Routing", Path: "/routing", Status: status, Query: q, Form: Form{Since: true}}
	if r.Leads == 0 {
		p.Sections = append(p.Sections, Section{Title: "Routing dry run",
			Empty: "No lead was handed to sales in this period. Pick an earlier start."})
		return p
	}
	pct := func(f *float64) string {
		if f == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", *f*100)
	}
	num := func(f *float64) string {
		if f == nil {
			return "–"
		}
		return fmt.Sprintf("%.2f", *f)
	}
	tiles := []Tile{
		{Label: "Leads replayed", Value: thousands(r.Leads), Detail: "first handed to sales since " + since},
		{Label: "Fairness, proposed", Value: num(r.ProposedFairness), Detail: "spread of leads per rep (0 is even); actually " + num(r.ActualFairness)},
		{Label: "Expected first-touch SLA", Value: pct(r.ProposedCompliance), Detail: "weighting each lead by its rep's met rate; actually " + pct(r.ActualCompliance)},
		{Label: "By the fallback pool", Value: thousands(r.Fallback), Detail: "nobody in the rule's pool eligible, or no rule matched"},
		{Label: "Waited in a queue", Value: thousands(r.Queued), Detail: fmt.Sprintf("nobody at work when the lead came; %s waited past the first-touch limit (counted as breached)", thousands(r.QueuedPastLimit))},
		{Label: "Left unassigned", Value: thousands(r.Unassigned), Detail: "nobody eligible anywhere: capacity is short"},
	}
	p.Sections = append(p.Sections, Section{Title: "Routing dry run",
		Note:  "The routing rules replayed over history, from the load the reps carried then: every lead routed again in the order it came.",
		Tiles: tiles})
	p.Sections = append(p.Sections, Section{Title: "Leads per rep, proposed against actual",
		Note:  "Bars are leads given; the table adds each rep's observed first-touch met rate and how many leads the rep was actually given while already at capacity.",
		Chart: repChart(r), Table: repTable(r)})
	// lead_id, as everywhere: each opens the lead's page.
	audits := reports.Table{Columns: []reports.Column{{Name: "lead_id", Kind: reflect.String}, {Name: "routed at", Kind: reflect.String}, {Name: "audit", Kind: reflect.String}}}
	for i, d := range r.Decisions {
		if i == auditsShown {
			break
		}
		audits.Rows = append(audits.Rows, []any{d.Lead.ID, d.Lead.At.UTC().Format("2006-01-02 15:04 UTC"), d.Audit()})
	}
	p.Sections = append(p.Sections, Section{Title: "Why each lead went where it did",
		Note:  fmt.Sprintf("The audit record of the first %d decisions: the rules tried and why, the reps skipped and why. handoff route --dry-run --format csv writes every one.", min(auditsShown, len(r.Decisions))),
		Table: &audits})
	return p
}

func repTable(r routing.Replay) *reports.Table {
	tb := reports.Result[routing.RepResult]{Report: "route", Rows: r.Reps}.Table()
	return &tb
}

func repChart(r routing.Replay) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase(fmt.Sprintf("%dpx", max(260, 44*len(r.Reps)+90))),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "leads", Position: "top"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{Top: "60", ContainLabel: opts.Bool(true)}),
	)
	var names []string
	var proposed, actual []opts.BarData
	for _, rep := range r.Reps {
		names = append(names, rep.Rep)
		proposed = append(proposed, opts.BarData{Value: rep.Proposed})
		actual = append(actual, opts.BarData{Value: rep.Actual})
	}
	bar.SetXAxis(names).AddSeries("proposed", proposed).AddSeries("actual", actual)
	bar.XYReversal()
	return chartOf(bar, &bar.BaseConfiguration)
}
