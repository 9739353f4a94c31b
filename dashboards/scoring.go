package dashboards

import (
	"fmt"
	"net/url"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

// ScoringPage is RevOps' page for choosing an MQL threshold: on the lake's
// own history, what each threshold would have handed to sales, how much of
// it converted, whether the team could have taken it, and how well the
// score ranks leads at all.
func ScoringPage(q url.Values, status string, b scoring.Backtest, outcome, window string) Page {
	p := Page{Title: "Scoring", Path: "/scoring", Status: status, Query: q,
		Form: Form{Window: true, Filters: reports.Dimensions, Capacity: true, Outcomes: scoring.Outcomes}}
	if b.Leads == 0 {
		p.Sections = append(p.Sections, Section{Title: "Threshold backtest",
			Empty: "No lead to judge: none was scored in this period with its conversion window closed. Widen the dates, shorten the window or clear a filter."})
		return p
	}
	pct := func(f *float64) string {
		if f == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", *f*100)
	}
	auc := "–"
	if b.AUC != nil {
		auc = fmt.Sprintf("%.2f", *b.AUC)
	}
	rec := "No recommendation: " + b.Why() + "."
	for _, t := range b.Thresholds {
		if b.Recommended != nil && t.Threshold == *b.Recommended {
			rec = fmt.Sprintf("Recommended MQL threshold: %g, %s. It would have handed sales %.1f leads a working day (%.0f a month) against a capacity of %.1f; %s of them reached %s, %.2f× the base rate, catching %s of all that did. By the load model, %s of their first touches would come late.",
				t.Threshold, b.Why(), t.PerWorkingDay, t.PerMonth, b.CapacityPerDay, pct(t.Precision), outcome, deref(t.Lift), pct(t.Recall), pct(t.ExpectedBreachRate))
		}
	}
	tiles := []Tile{
		{Label: "Leads judged", Value: thousands(b.Leads), Detail: fmt.Sprintf("scored at handoff; window %s closed", window)},
		{Label: "Reached " + outcome, Value: pct(b.BaseRate), Detail: fmt.Sprintf("%s leads: the base rate", thousands(b.Positive))},
		{Label: "ROC AUC", Value: auc, Detail: "chance of a converting lead outscoring one that did not; 0.5 is a coin"},
		{Label: "Capacity", Value: fmt.Sprintf("%.1f", b.CapacityPerDay), Detail: "new leads a working day the team can take"},
	}
	if b.MaxBreach > 0 {
		tiles = append(tiles, Tile{Label: "Breach ceiling", Value: fmt.Sprintf("%.0f%%", b.MaxBreach*100), Detail: "first touches late at most"})
	}
	if b.Recommended != nil {
		detail := map[string]string{"capacity": "the lowest within capacity", "max_breach": "the lowest within the ceiling", "f1": "all fit: the best F1"}[b.RecommendedBy]
		tiles = append(tiles, Tile{Label: "Recommended threshold", Value: fmt.Sprintf("%g", *b.Recommended), Detail: detail})
	}
	p.Sections = append(p.Sections, Section{Title: "Threshold backtest", Note: rec, Tiles: tiles})
	p.Sections = append(p.Sections,
		Section{Title: "Precision and recall by threshold",
			Note:  "Raising the threshold hands over fewer leads that convert more often (precision) but misses more of the leads that would have converted (recall).",
			Chart: precisionRecallChart(b)},
		Section{Title: "Volume against capacity", Note: volumeNote(b, pct), Chart: volumeCapacityChart(b)},
	)
	if m := b.Load; m != nil {
		p.Sections = append(p.Sections, loadModelSections(m)...)
	}
	p.Sections = append(p.Sections,
		Section{Title: "Calibration: conversion by score decile",
			Note:  "Leads in ten equal groups by score, lowest first. A score worth using climbs from left to right.",
			Chart: calibrationChart(b, outcome)},
	)
	tb := reports.Result[scoring.ThresholdRow]{Report: "backtest", Rows: b.Thresholds}.Table()
	converted := col(tb, "converted")
	p.Sections = append(p.Sections, Section{Title: "Every threshold", Table: &tb,
		Note: "precision is of the leads handed over, recall of every lead that reached " + outcome + " (cohorts of the leads judged); the breach shares are the load model's expectation.",
		Key:  []string{"threshold", "per_working_day", "precision", "recall", "expected_breach_rate"},
		Rates: map[string]func([]any) (int64, int64){
			"precision": counts(tb, "converted", "handed_off"),
			"recall":    func(row []any) (int64, int64) { k, _ := row[converted].(int64); return k, b.Positive },
		}})
	return p
}

// volumeNote says what the volume chart's bars and lines are, and why the
// breach line moves as it does.
func volumeNote(b scoring.Backtest, pct func(*float64) string) string {
	note := fmt.Sprintf("Bars: leads a working day each threshold would have handed over, against what the team can take (dashed, %.1f).", b.CapacityPerDay)
	m := b.Load
	if m == nil {
		return note + " No first-touch clock started in the period, so there is no breach share to expect."
	}
	var answerable, all int64
	for _, r := range m.Reps {
		answerable += r.Answerable
		all += r.Answerable + r.OffHours
	}
	note += " Lines: the first-touch breach share to expect, from each rep's history of late first touches against how busy their day was (the load model below): " +
		"more leads a day, slower answers. "
	if all > 0 {
		note += fmt.Sprintf("Of the period's first touches, %.0f%% were due while the rep was at work; the rest arrived after hours and were late whatever the volume (observed share over all: %s), "+
			"so the line for all leads moves less than the line for leads that arrive in working hours.", 100*float64(answerable)/float64(all), pct(b.ObservedBreachRate))
	}
	return note
}

// loadModelSections show the load model: the observed share of late
// first touches by how many new leads the rep's day brought, the fitted
// curve through it, and each rep's part.
func loadModelSections(m *scoring.LoadModel) []Section {
	slope := fmt.Sprintf("Each new lead in a rep's day moves them %.2f along the normal curve of late first touches (the model's slope, one for the team; docs/scoring.md explains it).", m.Slope)
	if m.SlopeFloored {
		slope = "History shows no rep slower on busier days, so the model takes load as harmless: the line is flat."
	}
	reps := reports.Result[scoring.RepLoad]{Report: "backtest-model", Rows: m.Reps}.Table()
	breached := []int{col(reps, "answerable_breached"), col(reps, "off_hours_breached")}
	judged := []int{col(reps, "answerable"), col(reps, "off_hours")}
	sum := func(row []any, cols []int) (n int64) {
		for _, c := range cols {
			v, _ := row[c].(int64)
			n += v
		}
		return n
	}
	return []Section{
		{Title: "Load model: late first touches by how busy the day was",
			Note: "Bars: the share of first touches due in working hours that came late, by how many new leads the rep's day brought (hover for the counts; " +
				fmt.Sprintf("days with fewer than %d are pale, too few to read). Line: the fitted model for the team's mix of reps, the same mix at every load, so it shows the load alone. ", fewToJudge) + slope,
			Chart: loadCurveChart(m)},
		{Title: "Each rep's curve", Table: &reps,
			Note: "intercept places the rep on the normal curve (lower is faster); untouched_share is the in-hours leads they never touched; leads_per_day is their new leads a working day in the period.",
			Key:  []string{"owner", "team", "leads_per_day", "typical_load", "observed_breach_rate"},
			Rates: map[string]func([]any) (int64, int64){
				"observed_breach_rate": func(row []any) (int64, int64) { return sum(row, breached), sum(row, judged) },
			}},
	}
}

func loadCurveChart(m *scoring.LoadModel) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("320px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "late first touches", Max: 100, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithXAxisOpts(opts.XAxis{Name: "new leads in the rep's day", NameLocation: "middle", NameGap: 28, AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)
	var labels []string
	var observed []opts.BarData
	var fitted []opts.LineData
	for _, p := range m.ByLoad {
		labels = append(labels, fmt.Sprint(p.Load))
		d := opts.BarData{Value: pctValue(p.Observed), Tooltip: tip("days of %d new leads: %d of %d first touches late", p.Load, p.Breached, p.Judged)}
		if p.Judged < fewToJudge {
			d.ItemStyle = &opts.ItemStyle{Opacity: opts.Float(0.35)}
		}
		observed = append(observed, d)
		fitted = append(fitted, opts.LineData{Value: pctValue(p.Fitted)})
	}
	bar.SetXAxis(labels).AddSeries("observed", observed)
	line := charts.NewLine()
	line.AddSeries("model", fitted, charts.WithLineChartOpts(opts.LineChart{Smooth: opts.Bool(true)}))
	bar.Overlap(line)
	return chartOf(bar, &bar.BaseConfiguration)
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

func thresholdLabels(b scoring.Backtest) []string {
	var out []string
	for _, t := range b.Thresholds {
		out = append(out, fmt.Sprintf("%g", t.Threshold))
	}
	return out
}

func precisionRecallChart(b scoring.Backtest) *Chart {
	line := charts.NewLine()
	line.SetGlobalOptions(chartBase("320px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "recall", Max: 100, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithXAxisOpts(opts.XAxis{Name: "threshold", NameLocation: "middle", NameGap: 40, AxisLabel: &opts.AxisLabel{Rotate: 30}}),
	)
	// Precision sits far below recall on most data: it gets its own axis,
	// on the right, so its rise is visible.
	line.ExtendYAxis(opts.YAxis{Name: "precision", AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}, SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
	line.SetXAxis(thresholdLabels(b))
	var prec, rec []opts.LineData
	for _, t := range b.Thresholds {
		prec = append(prec, opts.LineData{Value: pctValue(t.Precision)})
		rec = append(rec, opts.LineData{Value: pctValue(t.Recall)})
	}
	line.AddSeries("recall (left)", rec).
		AddSeries("precision (right)", prec, charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1}))
	return chartOf(line, &line.BaseConfiguration)
}

func pctValue(f *float64) any {
	if f == nil {
		return nil
	}
	return roundTo(*f*100, 1)
}

func volumeCapacityChart(b scoring.Backtest) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("340px"),
		// volume and capacity neutral; lateness warm, the ceiling the
		// warmest (worse is warmer)
		charts.WithColorsOpts(opts.Colors{categories[0], "#8c8c8c", badKinds[0], badKinds[1], goodToBad[len(goodToBad)-1]}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "leads a working day"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "threshold", NameLocation: "middle", NameGap: 40, AxisLabel: &opts.AxisLabel{Rotate: 30}}),
	)
	bar.SetXAxis(thresholdLabels(b))
	var volume []opts.BarData
	var capacity, breaches, inHours, ceiling []opts.LineData
	for _, t := range b.Thresholds {
		perRep := "–"
		if t.LeadsPerRepDay != nil {
			perRep = fmt.Sprintf("%.1f", *t.LeadsPerRepDay)
		}
		volume = append(volume, opts.BarData{Value: roundTo(t.PerWorkingDay, 1), Tooltip: tip("threshold %g: %.1f leads a working day, %s a rep", t.Threshold, t.PerWorkingDay, perRep)})
		capacity = append(capacity, opts.LineData{Value: roundTo(b.CapacityPerDay, 1)})
		breaches = append(breaches, opts.LineData{Value: pctValue(t.ExpectedBreachRate)})
		inHours = append(inHours, opts.LineData{Value: pctValue(t.ExpectedInHoursBreachRate)})
		ceiling = append(ceiling, opts.LineData{Value: roundTo(b.MaxBreach*100, 1)})
	}
	bar.AddSeries("handed over", volume)
	// the right axis draws no grid of its own: two grids that disagree
	// read as one wrong one
	bar.ExtendYAxis(opts.YAxis{Name: "first touches late", Max: 100, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}, SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
	capLine := charts.NewLine()
	capLine.AddSeries("capacity", capacity, charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed"}))
	breachLine := charts.NewLine()
	breachLine.AddSeries("late: all leads", breaches, charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1})).
		AddSeries("late: leads due in working hours", inHours, charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1}))
	if b.MaxBreach > 0 {
		breachLine.AddSeries("breach ceiling", ceiling, charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1, ShowSymbol: opts.Bool(false)}),
			charts.WithLineStyleOpts(opts.LineStyle{Type: "dotted"}))
	}
	bar.Overlap(capLine, breachLine)
	return chartOf(bar, &bar.BaseConfiguration)
}

func calibrationChart(b scoring.Backtest, outcome string) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("300px"),
		charts.WithYAxisOpts(opts.YAxis{Name: "reached " + outcome, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithXAxisOpts(opts.XAxis{Name: "score decile", AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)
	var labels []string
	var data []opts.BarData
	for _, d := range b.Deciles {
		labels = append(labels, fmt.Sprint(d.Decile))
		data = append(data, opts.BarData{Value: pctValue(d.Rate), Tooltip: tip("decile %d: scores %.1f to %.1f, %d of %d leads", d.Decile, d.MinScore, d.MaxScore, d.Converted, d.Leads)})
	}
	bar.SetXAxis(labels).AddSeries("converted", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "top", Formatter: "{c}%"}))
	return chartOf(bar, &bar.BaseConfiguration)
}
