package dashboards

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
)

// Runner computes a report for URL parameters, as the API would.
type Runner func(report string, q url.Values) (reports.Table, error)

// funnelSteps are the funnel report's steps in order, as people name them.
var funnelSteps = []struct{ from, to, label string }{
	{"lead", "mql", "lead → MQL"},
	{"mql", "sql", "MQL → SQL"},
	{"sql", "opportunity", "SQL → opportunity"},
	{"opportunity", "customer", "opportunity → customer"},
	{"lead", "customer", "lead → customer (overall)"},
}

// FunnelPage is the cohort funnel: conversion per step over the period,
// per step by cohort, and the rows.
func FunnelPage(q url.Values, status string, run Runner) (Page, error) {
	p := Page{
		Title: "Funnel", Path: "/funnel", Status: status, Query: q,
		Form: Form{By: reports.BandDimensions, Window: true, Grain: true, Filters: reports.Dimensions},
	}
	tb, err := run("funnel", q)
	if err != nil {
		return p, err
	}
	window := q.Get("window")
	if window == "" {
		window = "90d"
	}
	by := q.Get("by")
	note := fmt.Sprintf("Cohort view: leads grouped by when they entered the funnel. Of the leads that reached a stage, the share that reached the next one within %s of it. A skipped stage counts as passed.", window)
	if len(tb.Rows) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Stage conversion", Note: note,
			Empty: "No lead entered the funnel in this period with these filters. Widen the dates or clear a filter."})
		return p, nil
	}

	overall := stepRates(tb, by)
	p.Sections = append(p.Sections, Section{
		Title: "Cohort view: stage conversion", Note: note, Chart: overallChart(overall, by),
		Report: "funnel", Query: q,
	})

	// The by-cohort chart is of all leads: one line per step is readable,
	// one per step and breakdown value is not.
	total := tb
	if by != "" {
		all := cloneValues(q)
		all.Del("by")
		if total, err = run("funnel", all); err != nil {
			return p, err
		}
	}
	p.Sections = append(p.Sections, Section{
		Title: "Cohort view: conversion per cohort over time",
		Note:  "One point per cohort. Cohorts marked “open” are younger than the window, so their rates can still rise.",
		Chart: cohortChart(total), Report: "funnel", Query: q,
	})
	flowQuery := cloneValues(q)
	flowQuery.Del("by")
	flowQuery.Del("window")
	flow, err := run("flow", flowQuery)
	if err != nil {
		return p, err
	}
	p.Sections = append(p.Sections, Section{
		Title: "Flow view: stage entries per period",
		Note:  "Not a conversion rate: how many leads entered each stage in each period, whenever they entered the funnel. A lead that goes back (recycled, then MQL again) counts each time. Read it for volume and pace; read the cohort view above for conversion.",
		Chart: flowChart(flow), Report: "flow", Query: flowQuery})
	rows := Section{Title: "Rows", Table: &tb, Report: "funnel", Query: q,
		Note: "The lead → MQL counts open the cohort's leads, each with whether it reached MQL within the window."}
	cohortLink := func(row []any) string {
		if row[col(tb, "from_stage")] != "lead" || row[col(tb, "to_stage")] != "mql" {
			return ""
		}
		from, to := periodBounds(row[col(tb, "cohort")].(string), q.Get("grain"))
		extra := []string{"from", from, "to", to}
		if by != "" {
			extra = append(extra, by, fmt.Sprint(row[col(tb, by)]))
		}
		return leadsHref(q, "lead", extra...)
	}
	rows.Links = map[string]func([]any) string{"reached_from": cohortLink, "reached_to": cohortLink}
	p.Sections = append(p.Sections, rows)
	return p, nil
}

// flowStages are the stages the flow chart draws, in funnel order; side
// outcomes (disqualified, recycled, nurture) are in the download.
var flowStages = []string{"lead", "mql", "sql", "opportunity", "customer"}

func flowChart(tb reports.Table) *Chart {
	period, stage, entries := col(tb, "period"), col(tb, "stage"), col(tb, "entries")
	var periods []string
	index := map[string]int{}
	for _, row := range tb.Rows {
		per := row[period].(string)
		if _, ok := index[per]; !ok {
			index[per] = len(periods)
			periods = append(periods, per)
		}
	}
	labels := make([]string, len(periods))
	for i, per := range periods {
		labels[i] = strings.TrimSuffix(per, "-01")
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("340px"),
		charts.WithYAxisOpts(opts.YAxis{Name: "entries"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
	)
	bar.SetXAxis(labels)
	for _, st := range flowStages {
		data := make([]opts.BarData, len(periods))
		for i := range data {
			data[i] = opts.BarData{Value: 0}
		}
		for _, row := range tb.Rows {
			if row[stage] == st {
				data[index[row[period].(string)]] = opts.BarData{Value: row[entries]}
			}
		}
		bar.AddSeries(st, data)
	}
	return chartOf(bar, &bar.BaseConfiguration)
}

// stepRate is a step's pooled conversion over every cohort of a group.
type stepRate struct {
	reachedFrom, reachedTo int64
}

// stepRates pools the cohorts: per group (breakdown value, or "" for all)
// and step, the sums of reached_from and reached_to.
func stepRates(tb reports.Table, by string) map[string][]stepRate {
	from, to, fromStage, toStage := col(tb, "reached_from"), col(tb, "reached_to"), col(tb, "from_stage"), col(tb, "to_stage")
	dim := -1
	if by != "" {
		dim = col(tb, by)
	}
	out := map[string][]stepRate{}
	for _, row := range tb.Rows {
		group := ""
		if dim >= 0 {
			group = fmt.Sprint(row[dim])
		}
		if out[group] == nil {
			out[group] = make([]stepRate, len(funnelSteps))
		}
		for i, st := range funnelSteps {
			if row[fromStage] == st.from && row[toStage] == st.to {
				out[group][i].reachedFrom += row[from].(int64)
				out[group][i].reachedTo += row[to].(int64)
			}
		}
	}
	return out
}

func overallChart(rates map[string][]stepRate, by string) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("360px"),
		charts.WithYAxisOpts(opts.YAxis{Name: "converted", Max: 100, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(by != ""), Type: "scroll", Top: "0"}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)
	var labels []string
	for _, st := range funnelSteps {
		labels = append(labels, st.label)
	}
	bar.SetXAxis(labels)
	for _, group := range sortedKeys(rates) {
		name := group
		if name == "" {
			name = "all leads"
		}
		var data []opts.BarData
		for _, r := range rates[group] {
			data = append(data, opts.BarData{Value: percent(r.reachedTo, r.reachedFrom),
				Tooltip: tip("%s: %d of %d", name, r.reachedTo, r.reachedFrom)})
		}
		bar.AddSeries(name, data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(by == ""), Position: "top", Formatter: "{c}%"}))
	}
	return chartOf(bar, &bar.BaseConfiguration)
}

func cohortChart(tb reports.Table) *Chart {
	cohort, open, fromStage, toStage, from, to := col(tb, "cohort"), col(tb, "open"), col(tb, "from_stage"), col(tb, "to_stage"), col(tb, "reached_from"), col(tb, "reached_to")
	var cohorts []string
	index := map[string]int{}
	for _, row := range tb.Rows {
		c := row[cohort].(string)
		if _, ok := index[c]; !ok {
			index[c] = len(cohorts)
			label := strings.TrimSuffix(c, "-01")
			if row[open] == true {
				label += " (open)"
			}
			cohorts = append(cohorts, label)
		}
	}
	line := charts.NewLine()
	line.SetGlobalOptions(chartBase("360px"),
		charts.WithYAxisOpts(opts.YAxis{Name: "converted", Max: 100, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
	)
	line.SetXAxis(cohorts)
	for _, st := range funnelSteps[:4] {
		data := make([]opts.LineData, len(cohorts))
		for i := range data {
			data[i] = opts.LineData{Value: nil}
		}
		for _, row := range tb.Rows {
			if row[fromStage] == st.from && row[toStage] == st.to {
				if rate := percent(row[to].(int64), row[from].(int64)); rate != nil {
					data[index[row[cohort].(string)]] = opts.LineData{Value: rate}
				}
			}
		}
		line.AddSeries(st.label, data, charts.WithLineChartOpts(opts.LineChart{ConnectNulls: opts.Bool(false)}))
	}
	return chartOf(line, &line.BaseConfiguration)
}

// chartBase are the options every chart shares: full width, no remote
// assets, tooltips.
func chartBase(height string) charts.GlobalOpts {
	return func(bc *charts.BaseConfiguration) {
		charts.WithInitializationOpts(opts.Initialization{Width: "100%", Height: height, AssetsHost: AssetsPath})(bc)
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true)})(bc)
		charts.WithColorsOpts(categories)(bc)
	}
}

// percent is to/from as a percentage to one decimal, nil when from is 0.
func percent(to, from int64) any {
	if from == 0 {
		return nil
	}
	return roundTo(float64(to)/float64(from)*100, 1)
}

func roundTo(x float64, places int) float64 {
	f := math.Pow(10, float64(places))
	return math.Round(x*f) / f
}

func col(tb reports.Table, name string) int {
	for i, c := range tb.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// HeadParam and HeadPerParam ask a Runner for only the head of a list
// report, with the whole list's count in Table.Total: HeadParam rows, or
// that many per value of the column HeadPerParam. A Runner that does not
// know them returns the whole list, which pages cut themselves.
const (
	HeadParam    = "_head"
	HeadPerParam = "_head_per"
)

// withHead is q asking for the head of a list: n rows, or n per value of
// the column per.
func withHead(q url.Values, n int, per string) url.Values {
	out := cloneValues(q)
	out.Set(HeadParam, strconv.Itoa(n))
	if per != "" {
		out.Set(HeadPerParam, per)
	}
	return out
}

// WithoutHead is q without the head parameters: the report's own query.
func WithoutHead(q url.Values) url.Values {
	out := cloneValues(q)
	out.Del(HeadParam)
	out.Del(HeadPerParam)
	return out
}
