package dashboards

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
)

// breachRowsShown is how many breaches the SLA page lists; the download
// has them all.
const breachRowsShown = 100

// SLAPage is the SLA page: compliance with every configured SLA overall,
// per owner, team or any breakdown, per week, the breaches worst first, and
// the marketing SLA against its commitment.
func SLAPage(q url.Values, status string, run Runner) (Page, error) {
	p := Page{
		Title: "SLA", Path: "/sla", Status: status, Query: q,
		Form: Form{By: reports.SLADimensions, DefaultBy: "owner", Filters: reports.Dimensions},
	}
	all := cloneValues(q)
	all.Del("by")
	// Every clock starts in exactly one week, so the weekly rows add up to
	// the overall ones: one pass over the SLA clocks serves both.
	weekQuery := cloneValues(all)
	weekQuery.Set("by", "week")
	weekly, err := run("sla", weekQuery)
	if err != nil {
		return p, err
	}
	overall := sumWeeks(weekly)
	if len(overall.Rows) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Compliance",
			Empty: "No SLA is configured. Add them under reports.slas in handoff.yaml."})
		return p, nil
	}
	overallSec := Section{Title: "Compliance per SLA",
		Note:  "Met ÷ (met + breached) of the SLA clocks started in the period. Pending clocks are still inside their limit; superseded ones were reassigned in time. Neither counts.",
		Chart: slaBars(overall, "", nil), Table: &overall, Report: "sla", Query: all}
	overallSec.Links = firstTouchLinks(overall, q, "")
	overallSec.Rates = map[string]func([]any) (int64, int64){"compliance": counts(overall, "met", "met", "breached")}
	p.Sections = append(p.Sections, overallSec)

	by := q.Get("by")
	if by == "" {
		by = "owner"
	}
	byQuery := cloneValues(all)
	byQuery.Set("by", by)
	perGroup := weekly
	if by != "week" {
		if perGroup, err = run("sla", byQuery); err != nil {
			return p, err
		}
	}
	groups := distinct(perGroup, by)
	groupSec := Section{Title: "Compliance by " + by,
		Note:  "One bar per SLA for each " + by + ". Owner and team are whose clock it was: the assignee, or the lead's owner for clocks that start at MQL.",
		Chart: slaBars(perGroup, by, groups), Table: &perGroup, Report: "sla", Query: byQuery}
	groupSec.Links = firstTouchLinks(perGroup, q, by)
	groupSec.Rates = map[string]func([]any) (int64, int64){"compliance": counts(perGroup, "met", "met", "breached")}
	p.Sections = append(p.Sections, groupSec)

	if by != "week" {
		p.Sections = append(p.Sections, Section{Title: "Compliance by week",
			Note:  "Weeks start on Monday. The last week may still have pending clocks.",
			Chart: slaWeekly(weekly), Report: "sla", Query: weekQuery})
	}

	// worstBreaches needs only each SLA's worst: the list comes worst
	// first within each SLA.
	breaches, err := run("sla-breaches", withHead(all, breachRowsShown, "sla"))
	if err != nil {
		return p, err
	}
	total := breaches.Count()
	if total == 0 {
		p.Sections = append(p.Sections, Section{Title: "Breaches", Report: "sla-breaches", Query: all,
			Empty: "No SLA was breached in this period. Worth saying out loud at the next meeting."})
	} else {
		note := "Every breached clock, latest past its limit first within each SLA, with whose it was."
		title := fmt.Sprintf("Breaches (%d)", total)
		if total > breachRowsShown {
			note += fmt.Sprintf(" The worst %d are shown; the download has all %d.", breachRowsShown, total)
			breaches.Rows = worstBreaches(breaches, breachRowsShown)
		}
		p.Sections = append(p.Sections, Section{Title: title, Note: note, Table: &breaches, Report: "sla-breaches", Query: all,
			Key: []string{"sla", "lead_id", "owner", "team", "limit_minutes", "elapsed_minutes", "started_at"}})
	}

	mktQuery := cloneValues(all)
	mkt, err := run("marketing-sla", mktQuery)
	if err != nil {
		return p, err
	}
	sec := Section{Title: "Marketing SLA: MQLs delivered against the commitment", Report: "marketing-sla", Query: mktQuery,
		Note: "MQLs marketing delivered each month per segment, against what it committed to (reports.mql_commitments in handoff.yaml). A month still running is marked “so far” (complete is false): its shortfall can still shrink."}
	if len(mkt.Rows) == 0 {
		sec.Empty = "No MQL in this period with these filters."
	} else {
		sec.Chart, sec.Table = marketingChart(mkt), &mkt
		if !hasCommitment(mkt) {
			sec.Note = "MQLs marketing delivered each month per segment. No commitment is set: add reports.mql_commitments to handoff.yaml to measure them against one."
		}
	}
	p.Sections = append(p.Sections, sec)
	return p, nil
}

// sumWeeks adds the sla report's weekly rows up per SLA: the report's rows
// without a breakdown.
func sumWeeks(weekly reports.Table) reports.Table {
	sla, met, breached, pending, superseded := col(weekly, "sla"), col(weekly, "met"), col(weekly, "breached"), col(weekly, "pending"), col(weekly, "superseded")
	out := reports.Table{Report: weekly.Report, Params: weekly.Params}
	for _, c := range weekly.Columns {
		if c.Name != "week" {
			out.Columns = append(out.Columns, c)
		}
	}
	index := map[any]int{}
	for _, row := range weekly.Rows {
		i, ok := index[row[sla]]
		if !ok {
			i = len(out.Rows)
			index[row[sla]] = i
			out.Rows = append(out.Rows, []any{row[sla], int64(0), int64(0), int64(0), int64(0), nil})
		}
		sum := out.Rows[i]
		for k, c := range []int{met, breached, pending, superseded} {
			sum[k+1] = sum[k+1].(int64) + row[c].(int64)
		}
	}
	for _, sum := range out.Rows {
		if decided := sum[1].(int64) + sum[2].(int64); decided > 0 {
			sum[5] = float64(sum[1].(int64)) / float64(decided)
		}
	}
	return out
}

// firstTouchLinks open the first-touch SLA's met and breached counts as
// the assignments behind them; the other SLAs' clocks have no list yet.
func firstTouchLinks(tb reports.Table, q url.Values, by string) map[string]func([]any) string {
	link := func(row []any) string {
		if row[col(tb, "sla")] != "first_touch" {
			return ""
		}
		if by == "" || by == "week" {
			return leadsHref(q, "assigned")
		}
		return leadsHref(q, "assigned", by, fmt.Sprint(row[col(tb, by)]))
	}
	return map[string]func([]any) string{"met": link, "breached": link}
}

// distinct lists a column's values in order of first appearance.
func distinct(tb reports.Table, name string) []string {
	c := col(tb, name)
	seen := map[string]bool{}
	var out []string
	for _, row := range tb.Rows {
		v := fmt.Sprint(row[c])
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// slaBars draws compliance per SLA, or per group with a series per SLA.
func slaBars(tb reports.Table, by string, groups []string) *Chart {
	bar := charts.NewBar()
	height := "300px"
	if by != "" {
		height = fmt.Sprintf("%dpx", max(300, 22*len(groups)*max(1, len(distinct(tb, "sla")))/2+90))
	}
	bar.SetGlobalOptions(chartBase(height),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(by != ""), Top: "0"}),
		charts.WithXAxisOpts(opts.XAxis{Max: 100, Position: "top", AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
		charts.WithGridOpts(opts.Grid{Top: "60", ContainLabel: opts.Bool(true)}),
	)
	sla, met, breached, compliance := col(tb, "sla"), col(tb, "met"), col(tb, "breached"), col(tb, "compliance")
	value := func(row []any) opts.BarData {
		var v any
		if f, ok := row[compliance].(float64); ok {
			v = roundTo(f*100, 1)
		}
		return opts.BarData{Value: v, Tooltip: tip("%v: %d met, %d breached", row[sla], row[met], row[breached])}
	}
	if by == "" {
		var names []string
		var data []opts.BarData
		for _, row := range tb.Rows {
			names = append(names, fmt.Sprint(row[sla]))
			data = append(data, value(row))
		}
		bar.SetXAxis(names).AddSeries("compliance", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right", Formatter: "{c}%"}))
	} else {
		dim := col(tb, by)
		bar.SetXAxis(groups)
		for _, name := range distinct(tb, "sla") {
			data := make([]opts.BarData, len(groups))
			for i := range data {
				data[i] = opts.BarData{Value: nil}
			}
			for _, row := range tb.Rows {
				if fmt.Sprint(row[sla]) == name {
					for i, g := range groups {
						if fmt.Sprint(row[dim]) == g {
							data[i] = value(row)
						}
					}
				}
			}
			bar.AddSeries(name, data)
		}
	}
	bar.XYReversal()
	return chartOf(bar, &bar.BaseConfiguration)
}

func slaWeekly(tb reports.Table) *Chart {
	line := charts.NewLine()
	line.SetGlobalOptions(chartBase("320px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Max: 100, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Rotate: 30}}),
	)
	weeks := distinct(tb, "week")
	index := map[string]int{}
	for i, w := range weeks {
		index[w] = i
	}
	line.SetXAxis(weeks)
	sla, week, compliance := col(tb, "sla"), col(tb, "week"), col(tb, "compliance")
	for _, name := range distinct(tb, "sla") {
		data := make([]opts.LineData, len(weeks))
		for i := range data {
			data[i] = opts.LineData{Value: nil}
		}
		for _, row := range tb.Rows {
			if fmt.Sprint(row[sla]) == name {
				if f, ok := row[compliance].(float64); ok {
					data[index[fmt.Sprint(row[week])]] = opts.LineData{Value: roundTo(f*100, 1)}
				}
			}
		}
		line.AddSeries(name, data)
	}
	return chartOf(line, &line.BaseConfiguration)
}

// worstBreaches keeps the n latest-past-their-limit breaches over every
// SLA, in that order. The report lists each SLA's breaches worst first, so
// only the first n of each can make the cut: the rest are never sorted.
func worstBreaches(tb reports.Table, n int) [][]any {
	late, sla := col(tb, "late_minutes"), col(tb, "sla")
	perSLA := map[any]int{}
	var rows [][]any
	for _, row := range tb.Rows {
		if perSLA[row[sla]] < n {
			perSLA[row[sla]]++
			rows = append(rows, row)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i][late].(float64) > rows[j][late].(float64) })
	return rows[:min(n, len(rows))]
}

func hasCommitment(tb reports.Table) bool {
	c := col(tb, "commitment")
	for _, row := range tb.Rows {
		if row[c] != nil {
			return true
		}
	}
	return false
}

// monthLabel is a month as its axis shows it: 2026-01 (a date's day is
// dropped; a month already written so is kept, not cut to its year).
func monthLabel(s string) string {
	if len(s) == len("2026-01-01") && s[4] == '-' && s[7] == '-' {
		return s[:7]
	}
	return s
}

func marketingChart(tb reports.Table) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("320px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0", Type: "scroll"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "MQLs"}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Rotate: 30}}),
	)
	months := distinct(tb, "month")
	for i, m := range months {
		months[i] = monthLabel(m)
	}
	month, segment, mqls, commitment := col(tb, "month"), col(tb, "segment"), col(tb, "mqls"), col(tb, "commitment")
	// A month still running is labelled so: its bars can still grow.
	labels := slices.Clone(months)
	if complete := col(tb, "complete"); complete >= 0 {
		for _, row := range tb.Rows {
			if done, _ := row[complete].(bool); !done {
				if i := slices.Index(months, monthLabel(fmt.Sprint(row[month]))); i >= 0 && !strings.HasSuffix(labels[i], " (so far)") {
					labels[i] += " (so far)"
				}
			}
		}
	}
	bar.SetXAxis(labels)
	for _, seg := range distinct(tb, "segment") {
		data := make([]opts.BarData, len(months))
		var target []opts.LineData
		hasTarget := false
		for i := range data {
			data[i] = opts.BarData{Value: 0}
		}
		for _, row := range tb.Rows {
			if fmt.Sprint(row[segment]) != seg {
				continue
			}
			i := slices.Index(months, monthLabel(fmt.Sprint(row[month])))
			data[i] = opts.BarData{Value: row[mqls]}
			if row[commitment] != nil {
				hasTarget = true
			}
		}
		bar.AddSeries(seg, data)
		if hasTarget {
			target = make([]opts.LineData, len(months))
			for _, row := range tb.Rows {
				if fmt.Sprint(row[segment]) == seg {
					target[slices.Index(months, monthLabel(fmt.Sprint(row[month])))] = opts.LineData{Value: row[commitment]}
				}
			}
			line := charts.NewLine()
			line.AddSeries(seg+" commitment", target, charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed"}))
			bar.Overlap(line)
		}
	}
	return chartOf(bar, &bar.BaseConfiguration)
}
