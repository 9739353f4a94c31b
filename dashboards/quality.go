package dashboards

import (
	"fmt"
	"net/url"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
)

// verdicts are the quality report's disposition columns as people say them.
var verdicts = []struct{ column, label string }{
	{"accepted", "accepted"}, {"rejected", "rejected"}, {"unreachable", "unreachable"}, {"recycled", "recycled"},
}

// QualityPage is the feedback loop from sales to marketing: what sales
// decided about the leads handed over, per source, campaign or owner, and
// why they turned leads down.
func QualityPage(q url.Values, status string, run Runner) (Page, error) {
	p := Page{
		Title: "Lead quality", Path: "/quality", Status: status, Query: q,
		Form: Form{By: reports.BandDimensions, DefaultBy: "source", Filters: reports.Dimensions},
	}
	by := q.Get("by")
	if by == "" {
		by = "source"
	}
	byQuery := cloneValues(q)
	byQuery.Set("by", by)
	tb, err := run("quality", byQuery)
	if err != nil {
		return p, err
	}
	if len(tb.Rows) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Acceptance",
			Empty: "No lead was handed to sales in this period with these filters. Widen the dates or clear a filter."})
		return p, nil
	}
	opens := " Each handed-off count opens its leads."
	if by == reports.ScoreBand {
		opens = " Score bands are each lead's quadrant at handoff under the server's rules; the leads list cannot filter on them, so these counts open nothing."
	}
	sec := Section{Title: "Acceptance by " + by,
		Note: "Leads first assigned to sales in the period, by sales' first verdict after the handoff. Acceptance is accepted ÷ decided; " +
			"“no verdict yet” are leads sales has not dispositioned. Owner and team are who decided." + opens,
		Chart: verdictChart(tb, by), Table: &tb, Report: "quality", Query: byQuery}
	sec.Links = map[string]func([]any) string{"handed_off": func(row []any) string {
		return leadsHref(q, "handed_off", by, fmt.Sprint(row[col(tb, by)]))
	}}
	sec.Rates = map[string]func([]any) (int64, int64){"acceptance_rate": counts(tb, "accepted", "dispositioned")}
	p.Sections = append(p.Sections, sec)

	all := cloneValues(q)
	all.Del("by")
	reasons, err := run("rejections", all)
	if err != nil {
		return p, err
	}
	if len(reasons.Rows) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Why sales rejected leads", Report: "rejections", Query: all,
			Empty: "Sales rejected no lead in this period."})
		return p, nil
	}
	p.Sections = append(p.Sections, Section{Title: "Why sales rejected leads",
		Note:  "Rejection reasons, most frequent first. “(blank)” is a rejection with no reason given: ask for one.",
		Chart: reasonsChart(reasons), Table: &reasons, Report: "rejections", Query: all})
	return p, nil
}

func verdictChart(tb reports.Table, by string) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase(fmt.Sprintf("%dpx", max(260, 38*len(tb.Rows)+100))),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "leads", Position: "top"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{Top: "60", ContainLabel: opts.Bool(true)}),
	)
	dim, handed, decided, rate := col(tb, by), col(tb, "handed_off"), col(tb, "dispositioned"), col(tb, "acceptance_rate")
	var names []string
	for _, row := range tb.Rows {
		name := fmt.Sprint(row[dim])
		if f, ok := row[rate].(float64); ok {
			name += fmt.Sprintf(" (%.0f%% accepted)", f*100)
		}
		names = append(names, name)
	}
	bar.SetXAxis(names)
	for _, v := range verdicts {
		var data []opts.BarData
		for _, row := range tb.Rows {
			data = append(data, opts.BarData{Value: row[col(tb, v.column)]})
		}
		bar.AddSeries(v.label, data, charts.WithBarChartOpts(opts.BarChart{Stack: "verdict"}))
	}
	var open []opts.BarData
	for _, row := range tb.Rows {
		open = append(open, opts.BarData{Value: row[handed].(int64) - row[decided].(int64)})
	}
	bar.AddSeries("no verdict yet", open, charts.WithBarChartOpts(opts.BarChart{Stack: "verdict"}))
	bar.XYReversal()
	return chartOf(bar, &bar.BaseConfiguration)
}

func reasonsChart(tb reports.Table) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase(fmt.Sprintf("%dpx", max(220, 30*len(tb.Rows)+60))),
		charts.WithXAxisOpts(opts.XAxis{Name: "rejected", Position: "top"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{ContainLabel: opts.Bool(true)}),
	)
	reason, rejected := col(tb, "reason"), col(tb, "rejected")
	var names []string
	var data []opts.BarData
	for _, row := range tb.Rows {
		names = append(names, fmt.Sprint(row[reason]))
		data = append(data, opts.BarData{Value: row[rejected]})
	}
	bar.SetXAxis(names).AddSeries("rejected", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right"}))
	bar.XYReversal()
	return chartOf(bar, &bar.BaseConfiguration)
}
