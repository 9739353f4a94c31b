package dashboards

import (
	"fmt"
	"net/url"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
)

// agingBuckets are the aging report's bucket columns, youngest first.
var agingBuckets = []struct{ column, label string }{
	{"lt_1d", "< 1 day"}, {"d1_3", "1–3 days"}, {"d3_7", "3–7 days"}, {"d7_14", "1–2 weeks"},
	{"d14_30", "2–4 weeks"}, {"d30_plus", "30+ days"},
}

// stuckRowsShown is how many stuck leads the page lists; the download has
// them all.
const stuckRowsShown = 100

// AgingPage is where open leads sit and for how long: aging buckets per
// stage, time spent in each stage, and the stuck leads, oldest first.
func AgingPage(q url.Values, status string, run Runner) (Page, error) {
	p := Page{
		Title: "Aging", Path: "/aging", Status: status, Query: q,
		Form: Form{Grain: true, Filters: reports.Dimensions},
	}
	aging, err := run("aging", q)
	if err != nil {
		return p, err
	}
	if len(aging.Rows) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Open leads by age",
			Empty: "No lead is open in lead, MQL, SQL or opportunity with these filters."})
	} else {
		p.Sections = append(p.Sections, Section{Title: "Open leads by age",
			Note:  "Leads still in each stage now, by how long since they entered it. Long bars on the right are leads nobody is moving.",
			Chart: agingChart(aging), Table: &aging, Report: "aging", Query: q})
	}

	stages, err := run("time-in-stage", q)
	if err != nil {
		return p, err
	}
	if len(stages.Rows) > 0 {
		p.Sections = append(p.Sections, Section{Title: "Time spent in each stage",
			Note:  "Per period of entry: median hours from entering a stage to leaving it (or until now for leads still in it).",
			Chart: timeInStageChart(stages), Report: "time-in-stage", Query: q})
	}

	stuck, err := run("stuck", withHead(q, stuckRowsShown, ""))
	if err != nil {
		return p, err
	}
	total := stuck.Count()
	title := fmt.Sprintf("Stuck leads (%d)", total)
	if total == 0 {
		p.Sections = append(p.Sections, Section{Title: "Stuck leads", Report: "stuck", Query: q,
			Empty: "No lead has been in its stage longer than the limit set for it."})
		return p, nil
	}
	note := "Leads past their stage's limit (handoff.yaml, reports.stuck_after), oldest first, with who owns them."
	if total > stuckRowsShown {
		note += fmt.Sprintf(" The first %d are shown; the download has all %d.", stuckRowsShown, total)
		stuck.Rows = stuck.Rows[:min(stuckRowsShown, len(stuck.Rows))]
	}
	p.Sections = append(p.Sections, Section{Title: title, Note: note, Table: &stuck, Report: "stuck", Query: q,
		Key: []string{"lead_id", "stage", "age_days", "limit_days", "owner", "source"}})
	return p, nil
}

// agingChart draws each stage's open leads as shares of age buckets: a
// stage with thousands of open leads would otherwise flatten the others to
// slivers. The counts are in the tooltips and the table.
func agingChart(tb reports.Table) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("320px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithXAxisOpts(opts.XAxis{Max: 100, Position: "top", AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{Top: "60", ContainLabel: opts.Bool(true)}),
	)
	stage, open := col(tb, "stage"), col(tb, "open")
	var stages []string
	for _, row := range tb.Rows {
		stages = append(stages, fmt.Sprintf("%v (%d open)", row[stage], row[open]))
	}
	bar.SetXAxis(stages)
	colours := scale(len(agingBuckets))
	for i, b := range agingBuckets {
		var data []opts.BarData
		for _, row := range tb.Rows {
			n, total := row[col(tb, b.column)].(int64), row[open].(int64)
			data = append(data, opts.BarData{Value: percent(n, total), Tooltip: tip("%v, %s: %d of %d open leads", row[stage], b.label, n, total)})
		}
		// Older is worse: the buckets run green to red.
		bar.AddSeries(b.label, data, charts.WithBarChartOpts(opts.BarChart{Stack: "age"}), charts.WithItemStyleOpts(opts.ItemStyle{Color: colours[i]}))
	}
	bar.XYReversal()
	return chartOf(bar, &bar.BaseConfiguration)
}

func timeInStageChart(tb reports.Table) *Chart {
	line := charts.NewLine()
	line.SetGlobalOptions(chartBase("320px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "median hours"}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
	)
	period, stage, p50 := col(tb, "period"), col(tb, "stage"), col(tb, "p50_hours")
	var periods []string
	index := map[string]int{}
	for _, row := range tb.Rows {
		per := fmt.Sprint(row[period])
		if _, ok := index[per]; !ok {
			index[per] = len(periods)
			periods = append(periods, per)
		}
	}
	line.SetXAxis(periods)
	for _, st := range []string{"lead", "mql", "sql", "opportunity"} {
		data := make([]opts.LineData, len(periods))
		for i := range data {
			data[i] = opts.LineData{Value: nil}
		}
		for _, row := range tb.Rows {
			if row[stage] == st {
				if h, ok := row[p50].(float64); ok {
					data[index[fmt.Sprint(row[period])]] = opts.LineData{Value: roundTo(h, 1)}
				}
			}
		}
		line.AddSeries(st, data)
	}
	return chartOf(line, &line.BaseConfiguration)
}
