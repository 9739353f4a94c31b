package dashboards

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
)

// responseBuckets are the response report's bucket columns with the names
// people read.
var responseBuckets = []struct{ column, label string }{
	{"lt_5m", "< 5 min"}, {"m5_30", "5–30 min"}, {"m30_60", "30–60 min"}, {"h1_4", "1–4 h"},
	{"h4_24", "4–24 h"}, {"d1_3", "1–3 days"}, {"d3_plus", "3+ days"}, {"no_response", "no response"},
}

// ResponsePage is speed to lead: how long assigned leads wait for a first
// sales touch, per rep and hour, and what waiting costs in conversion.
func ResponsePage(q url.Values, status string, run Runner) (Page, error) {
	p := Page{
		Title: "Speed to lead", Path: "/speed", Status: status, Query: q,
		Form: Form{By: reports.ResponseDimensions, DefaultBy: "owner", Clock: true, Filters: reports.Dimensions},
	}
	clock := "calendar time"
	if q.Get("clock") == "business" {
		clock = "each rep's working hours"
	}
	all := cloneValues(q)
	all.Del("by")
	tb, err := run("response", all)
	if err != nil {
		return p, err
	}
	if len(tb.Rows) == 0 || tb.Rows[0][col(tb, "n")].(int64)+tb.Rows[0][col(tb, "no_response")].(int64) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Time to first sales touch",
			Empty: "No lead was assigned in this period with these filters. Widen the dates or clear a filter."})
		return p, nil
	}
	row := tb.Rows[0]
	n := row[col(tb, "n")].(int64)
	note := fmt.Sprintf("From each assignment to the first call, email, meeting, SMS or chat by sales, in %s. "+
		"Median %s, 75%% within %s, 90%% within %s, over %d assignments that got a touch; %d got none.",
		clock, minutes(row[col(tb, "p50_minutes")]), minutes(row[col(tb, "p75_minutes")]), minutes(row[col(tb, "p90_minutes")]),
		n, row[col(tb, "no_response")].(int64))
	p.Sections = append(p.Sections, Section{Title: "Time to first sales touch", Note: note,
		Chart: bucketChart(tb), Report: "response", Query: all})

	heatQuery := cloneValues(all)
	heatQuery.Set("by", "weekday_hour")
	heat, err := run("response", heatQuery)
	if err != nil {
		return p, err
	}
	tz := q.Get("tz")
	if tz == "" {
		tz = "UTC"
	}
	p.Sections = append(p.Sections, Section{Title: "When leads wait",
		Note: fmt.Sprintf("Median time to first touch by the weekday and hour the lead was assigned (%s). Red cells are the hours nobody picks up: "+
			"evenings, weekends, the lunch gap. Empty cells had no assignment that got a touch.", tz),
		Chart: heatmapChart(heat), Report: "response", Query: heatQuery})

	curveQuery := cloneValues(all)
	curveQuery.Del("clock") // the curve buckets calendar time
	curve, err := run("response-curve", curveQuery)
	if err != nil {
		return p, err
	}
	p.Sections = append(p.Sections, Section{Title: "What waiting costs",
		Note:  "Leads by how long their first assignment waited for a touch (calendar time), and the share that became a sales-qualified lead or an opportunity.",
		Chart: curveChart(curve), Report: "response-curve", Query: curveQuery})

	// The same curve per group, when the breakdown is one of the leads'
	// own (source, score band…): does speed pay off for every kind of lead?
	if by := q.Get("by"); slices.Contains(reports.BandDimensions, by) {
		groupQuery := cloneValues(curveQuery)
		groupQuery.Set("by", by)
		groups, err := run("response-curve", groupQuery)
		if err != nil {
			return p, err
		}
		p.Sections = append(p.Sections, Section{Title: "What waiting costs, by " + by,
			Note: fmt.Sprintf("The share of leads that became a sales-qualified lead, by how long their first assignment waited, one line per %s. "+
				"Points over fewer than %d leads are left out: too few to read. The table has every count.", by, fewToJudge),
			Chart: groupCurveChart(groups, by), Table: &groups, Report: "response-curve", Query: groupQuery,
			Key: []string{by, "bucket", "leads", "sql_rate"},
			Rates: map[string]func([]any) (int64, int64){
				"sql_rate": counts(groups, "reached_sql", "leads"), "opportunity_rate": counts(groups, "reached_opportunity", "leads"),
			}})
	}

	by := q.Get("by")
	if by == "" {
		by = "owner"
	}
	byQuery := cloneValues(all)
	byQuery.Set("by", by)
	perGroup, err := run("response", byQuery)
	if err != nil {
		return p, err
	}
	p.Sections = append(p.Sections, Section{Title: "Median response by " + by,
		Note:  "Each bar is the median time to first touch of the assignments in that group; the table has the other percentiles and the buckets.",
		Chart: groupChart(perGroup, by), Table: &perGroup, Report: "response", Query: byQuery,
		Key: []string{by, "n", "p50_minutes", "p90_minutes", "pending", "no_response"}})
	return p, nil
}

func bucketChart(tb reports.Table) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("340px"),
		charts.WithYAxisOpts(opts.YAxis{Name: "assignments"}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)
	var labels []string
	var data []opts.BarData
	// Slower is worse: the bars run green to red, no response the reddest.
	colours := scale(len(responseBuckets))
	for i, b := range responseBuckets {
		labels = append(labels, b.label)
		data = append(data, opts.BarData{Value: tb.Rows[0][col(tb, b.column)], ItemStyle: &opts.ItemStyle{Color: colours[i]}})
	}
	bar.SetXAxis(labels).AddSeries("assignments", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "top"}))
	return chartOf(bar, &bar.BaseConfiguration)
}

func curveChart(tb reports.Table) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("340px"),
		charts.WithYAxisOpts(opts.YAxis{Name: "converted", Max: 100, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0"}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
	)
	bucket, leads := col(tb, "bucket"), col(tb, "leads")
	var labels []string
	var toSQL, toOpp []opts.BarData
	for _, row := range tb.Rows {
		label := fmt.Sprintf("%v (%d leads)", row[bucket], row[leads])
		labels = append(labels, label)
		toSQL = append(toSQL, opts.BarData{Value: percent(row[col(tb, "reached_sql")].(int64), row[leads].(int64))})
		toOpp = append(toOpp, opts.BarData{Value: percent(row[col(tb, "reached_opportunity")].(int64), row[leads].(int64))})
	}
	bar.SetXAxis(labels).
		AddSeries("became SQL", toSQL).
		AddSeries("became opportunity", toOpp)
	return chartOf(bar, &bar.BaseConfiguration)
}

// groupCurveChart draws the SQL rate by response bucket, one line per
// group; a point over fewer than fewToJudge leads is left out.
func groupCurveChart(tb reports.Table, by string) *Chart {
	line := charts.NewLine()
	line.SetGlobalOptions(chartBase("360px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{Top: "60"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "became SQL", AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithXAxisOpts(opts.XAxis{Name: "first touch after", NameLocation: "middle", NameGap: 30, AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)
	dim, bucket, leads, sqls := col(tb, by), col(tb, "bucket"), col(tb, "leads"), col(tb, "reached_sql")
	var buckets, groups []string
	values := map[string]map[string]opts.LineData{}
	for _, row := range tb.Rows {
		g, b := fmt.Sprint(row[dim]), fmt.Sprint(row[bucket])
		if !slices.Contains(buckets, b) {
			buckets = append(buckets, b)
		}
		if values[g] == nil {
			groups = append(groups, g)
			values[g] = map[string]opts.LineData{}
		}
		n, k := row[leads].(int64), row[sqls].(int64)
		if n >= fewToJudge {
			values[g][b] = opts.LineData{Value: percent(k, n)}
		}
	}
	line.SetXAxis(buckets)
	for _, g := range groups {
		var data []opts.LineData
		for _, b := range buckets {
			d, ok := values[g][b]
			if !ok {
				d = opts.LineData{Value: nil}
			}
			data = append(data, d)
		}
		line.AddSeries(g, data, charts.WithLineChartOpts(opts.LineChart{ConnectNulls: opts.Bool(true)}))
	}
	return chartOf(line, &line.BaseConfiguration)
}

func groupChart(tb reports.Table, by string) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase(fmt.Sprintf("%dpx", max(240, 28*len(tb.Rows)+60))),
		charts.WithXAxisOpts(opts.XAxis{Name: "hours", Position: "top"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
	)
	dim, p50, n := col(tb, by), col(tb, "p50_minutes"), col(tb, "n")
	var labels []string
	var data []opts.BarData
	for _, row := range tb.Rows {
		labels = append(labels, fmt.Sprint(row[dim]))
		var v any
		if m, ok := row[p50].(float64); ok {
			v = roundTo(m/60, 1)
		}
		data = append(data, opts.BarData{Value: v,
			Tooltip: tip("%v: median %s over %d assignments", row[dim], minutes(row[p50]), row[n])})
	}
	bar.SetXAxis(labels).AddSeries("median hours", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right"}))
	bar.XYReversal()
	return chartOf(bar, &bar.BaseConfiguration)
}

// minutes says a duration in minutes the way people do: 45 min, 6.6 h,
// 2.1 days.
func minutes(v any) string {
	m, ok := v.(float64)
	switch {
	case !ok:
		return "–"
	case m < 90:
		return fmt.Sprintf("%.0f min", m)
	case m < 48*60:
		return fmt.Sprintf("%.1f h", m/60)
	}
	return fmt.Sprintf("%.1f days", m/1440)
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// heatmapChart draws the median response per weekday and hour of
// assignment from the response report broken down by weekday_hour.
func heatmapChart(tb reports.Table) *Chart {
	hours := make([]string, 24)
	for h := range hours {
		hours[h] = fmt.Sprintf("%02d", h)
	}
	dim, p50, n := col(tb, "weekday_hour"), col(tb, "p50_minutes"), col(tb, "n")
	var data []opts.HeatMapData
	var values []float64
	for _, row := range tb.Rows {
		var day, hour int
		var name string
		if _, err := fmt.Sscanf(fmt.Sprint(row[dim]), "%s %d", &name, &hour); err != nil {
			continue
		}
		day = slices.Index(weekdays, name)
		m, ok := row[p50].(float64)
		if day < 0 || !ok {
			continue
		}
		v := roundTo(m/60, 1)
		values = append(values, v)
		// The cell's name is its tooltip ({b} below): weekday, hour and
		// counts only, no text from the data. The median comes last: the
		// colour scale reads the last value of a cell.
		data = append(data, opts.HeatMapData{Name: fmt.Sprintf("%s %02d:00: median %.1f h over %d assignments", name, hour, v, row[n]), Value: []any{hour, day, row[n], v}})
	}
	// The colour scale ends at the 90th percentile of the cells: one
	// weekend hour with a three-day wait would otherwise paint every other
	// cell the same green. Cells beyond it are as red as it gets.
	sort.Float64s(values)
	highest := 1.0
	if len(values) > 0 {
		highest = math.Max(highest, values[int(float64(len(values)-1)*0.9)])
	}
	hm := charts.NewHeatMap()
	hm.SetGlobalOptions(chartBase("330px"),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: hours, Name: "hour", SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: weekdays, Inverse: opts.Bool(true), SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		// Dimension 3 of a cell is its median hours: named, not left to
		// ECharts' default of the last value.
		charts.WithVisualMapOpts(opts.VisualMap{Dimension: "3", Calculable: opts.Bool(true), Min: 0, Max: float32(math.Ceil(highest)),
			Orient: "horizontal", Left: "center", Bottom: "0", Text: []string{"median hours: slow", "fast"},
			InRange: &opts.VisualMapInRange{Color: []string{"#1a9850", "#fee08b", "#d73027"}}}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Formatter: "{b}"}),
		charts.WithGridOpts(opts.Grid{Bottom: "70", Top: "10"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
	)
	hm.SetXAxis(hours).AddSeries("median hours", data)
	return chartOf(hm, &hm.BaseConfiguration)
}
