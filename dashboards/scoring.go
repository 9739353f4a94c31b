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
	rec := "No threshold keeps the volume within the team's capacity: raise the capacity or the thresholds."
	for _, t := range b.Thresholds {
		if b.Recommended != nil && t.Threshold == *b.Recommended {
			rec = fmt.Sprintf("Recommended MQL threshold: %g. It would have handed sales %.1f leads a working day (%.0f a month) against a capacity of %.1f; %s of them reached %s, %.2f× the base rate, catching %s of all that did.",
				t.Threshold, t.PerWorkingDay, t.PerMonth, b.CapacityPerDay, pct(t.Precision), outcome, deref(t.Lift), pct(t.Recall))
			if b.RecommendedBy == "f1" {
				rec = "Every threshold fits the team's capacity, so the recommendation is the one that best balances precision and recall (F1). " + rec
			}
		}
	}
	tiles := []Tile{
		{Label: "Leads judged", Value: thousands(b.Leads), Detail: fmt.Sprintf("scored at handoff; window %s closed", window)},
		{Label: "Reached " + outcome, Value: pct(b.BaseRate), Detail: fmt.Sprintf("%s leads: the base rate", thousands(b.Positive))},
		{Label: "ROC AUC", Value: auc, Detail: "chance of a converting lead outscoring one that did not; 0.5 is a coin"},
		{Label: "Capacity", Value: fmt.Sprintf("%.1f", b.CapacityPerDay), Detail: "new leads a working day the team can take"},
	}
	if b.Recommended != nil {
		detail := "the lowest within capacity"
		if b.RecommendedBy == "f1" {
			detail = "all fit: the best F1"
		}
		tiles = append(tiles, Tile{Label: "Recommended threshold", Value: fmt.Sprintf("%g", *b.Recommended), Detail: detail})
	}
	p.Sections = append(p.Sections, Section{Title: "Threshold backtest", Note: rec, Tiles: tiles})
	p.Sections = append(p.Sections,
		Section{Title: "Precision and recall by threshold",
			Note:  "Raising the threshold hands over fewer leads that convert more often (precision) but misses more of the leads that would have converted (recall).",
			Chart: precisionRecallChart(b)},
		Section{Title: "Volume against capacity",
			Note: fmt.Sprintf("Leads a working day each threshold would have handed over, against what the team can take (%.1f). "+
				"The line is the first-touch breach share to expect: within capacity, the share observed in the period (%s), since the same team answers the same kind of day; "+
				"past it, the leads nobody can take that day are counted as breached on top.", b.CapacityPerDay, pct(b.ObservedBreachRate)),
			Chart: volumeCapacityChart(b)},
		Section{Title: "Calibration: conversion by score decile",
			Note:  "Leads in ten equal groups by score, lowest first. A score worth using climbs from left to right.",
			Chart: calibrationChart(b, outcome)},
	)
	tb := reports.Result[scoring.ThresholdRow]{Report: "backtest", Rows: b.Thresholds}.Table()
	p.Sections = append(p.Sections, Section{Title: "Every threshold", Table: &tb})
	return p
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
		charts.WithXAxisOpts(opts.XAxis{Name: "threshold", AxisLabel: &opts.AxisLabel{Rotate: 30}}),
	)
	// Precision sits far below recall on most data: it gets its own axis,
	// on the right, so its rise is visible.
	line.ExtendYAxis(opts.YAxis{Name: "precision", AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}})
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
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "leads a working day"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "threshold", AxisLabel: &opts.AxisLabel{Rotate: 30}}),
	)
	bar.SetXAxis(thresholdLabels(b))
	var volume []opts.BarData
	var capacity, breaches []opts.LineData
	for _, t := range b.Thresholds {
		volume = append(volume, opts.BarData{Value: roundTo(t.PerWorkingDay, 1)})
		capacity = append(capacity, opts.LineData{Value: roundTo(b.CapacityPerDay, 1)})
		breaches = append(breaches, opts.LineData{Value: pctValue(t.ExpectedBreachRate)})
	}
	bar.AddSeries("handed over", volume)
	bar.ExtendYAxis(opts.YAxis{Name: "breached", Max: 100, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}})
	capLine := charts.NewLine()
	capLine.AddSeries("capacity", capacity, charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed"}))
	breachLine := charts.NewLine()
	breachLine.AddSeries("first-touch SLA breached", breaches, charts.WithLineChartOpts(opts.LineChart{YAxisIndex: 1}))
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
