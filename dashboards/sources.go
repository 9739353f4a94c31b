package dashboards

import (
	"fmt"
	"net/url"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
)

// sourceRates are the sources report's stage conversions, as people name
// them.
var sourceRates = []struct{ column, label string }{
	{"mql_rate", "lead → MQL"}, {"sql_rate", "MQL → SQL"}, {"opportunity_rate", "SQL → opportunity"}, {"win_rate", "opportunity → customer"},
}

// SourcesPage is marketing's page: per source (or campaign), how leads
// convert at each stage, what each stage cost, and the return on spend,
// with unknown spend said as unknown.
func SourcesPage(q url.Values, status string, run Runner) (Page, error) {
	p := Page{
		Title: "Sources & ROI", Path: "/sources", Status: status, Query: q,
		Form: Form{By: []string{"campaign", reports.ScoreBand}, Filters: reports.Dimensions},
	}
	tb, err := run("sources", q)
	if err != nil {
		return p, err
	}
	if len(tb.Rows) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Sources",
			Empty: "No lead was created and no money spent in this period with these filters. Widen the dates or clear a filter."})
		return p, nil
	}
	by := q.Get("by")
	names := groupNames(tb, by)
	p.Sections = append(p.Sections, Section{Title: "Conversion per stage",
		Note:  "Of the leads a source brought in this period, the share that went on to each stage (the lead's original source). A short bar early in the funnel is a targeting problem; late, a sales one.",
		Chart: sourceRatesChart(tb, names), Report: "sources", Query: q})
	p.Sections = append(p.Sections, Section{Title: "Return on spend",
		Note:  "(won revenue − spend) ÷ spend, from the spend file for the months the period touches. Sources without spend have no bar: their ROI is unknown, not zero. Spend cannot be split by region, segment, industry, owner or team, so those filters make it unknown.",
		Chart: roiChart(tb, names), Report: "sources", Query: q})
	sec := Section{Title: "Cost per stage", Table: &tb, Report: "sources", Query: q,
		Key: []string{"source", "campaign", reports.ScoreBand, "leads", "spend", "won_revenue", "cost_per_lead", "cost_per_mql", "cost_per_customer", "roi"},
		Rates: map[string]func([]any) (int64, int64){
			"mql_rate": counts(tb, "mqls", "leads"), "sql_rate": counts(tb, "sqls", "mqls"), "opportunity_rate": counts(tb, "opportunities", "sqls"),
			"win_rate": counts(tb, "customers", "opportunities"), "lead_to_customer": counts(tb, "customers", "leads"),
		},
		Note: "Every count opens its leads. Costs are spend ÷ leads, MQLs, customers; unknown where the spend is."}
	if by == reports.ScoreBand {
		sec.Note = "Score bands are each lead's quadrant at handoff under the server's rules. Spend cannot be split by band, so costs and ROI are unknown here; the leads list cannot filter on a band, so the counts open nothing."
	}
	sec.Links = map[string]func([]any) string{"leads": func(row []any) string {
		if by != "" {
			return leadsHref(q, "created", "source", fmt.Sprint(row[col(tb, "source")]), by, fmt.Sprint(row[col(tb, by)]))
		}
		return leadsHref(q, "created", "source", fmt.Sprint(row[col(tb, "source")]))
	}}
	p.Sections = append(p.Sections, sec)
	return p, nil
}

// groupNames label each row: the source, or source / campaign.
func groupNames(tb reports.Table, by string) []string {
	src, group := col(tb, "source"), -1
	if by != "" {
		group = col(tb, by)
	}
	var out []string
	for _, row := range tb.Rows {
		name := fmt.Sprint(row[src])
		if group >= 0 {
			name += " / " + fmt.Sprint(row[group])
		}
		out = append(out, name)
	}
	return out
}

func sourceRatesChart(tb reports.Table, names []string) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase(fmt.Sprintf("%dpx", max(300, 64*len(tb.Rows)+90))),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithXAxisOpts(opts.XAxis{Max: 100, Position: "top", AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{Top: "60", ContainLabel: opts.Bool(true)}),
	)
	bar.SetXAxis(names)
	for _, r := range sourceRates {
		c := col(tb, r.column)
		var data []opts.BarData
		for _, row := range tb.Rows {
			var v any
			if f, ok := row[c].(float64); ok {
				v = roundTo(f*100, 1)
			}
			data = append(data, opts.BarData{Value: v})
		}
		bar.AddSeries(r.label, data)
	}
	bar.XYReversal()
	return chartOf(bar, &bar.BaseConfiguration)
}

func roiChart(tb reports.Table, names []string) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase(fmt.Sprintf("%dpx", max(260, 28*len(tb.Rows)+60))),
		charts.WithXAxisOpts(opts.XAxis{Position: "top", AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{ContainLabel: opts.Bool(true)}),
	)
	roi, spend, won := col(tb, "roi"), col(tb, "spend"), col(tb, "won_revenue")
	labels := make([]string, len(names))
	var data []opts.BarData
	for i, row := range tb.Rows {
		labels[i] = names[i]
		f, ok := row[roi].(float64)
		if !ok {
			labels[i] += " (spend unknown)"
			data = append(data, opts.BarData{Value: nil})
			continue
		}
		data = append(data, opts.BarData{Value: roundTo(f*100, 0), Tooltip: tip("%s: won %s on spend %s", names[i], money(row[won]), money(row[spend]))})
	}
	bar.SetXAxis(labels).AddSeries("ROI", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right", Formatter: "{c}%"}))
	bar.XYReversal()
	return chartOf(bar, &bar.BaseConfiguration)
}
