package dashboards

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
)

// leakListRows bounds the lead list under the chart; the download holds
// them all.
const leakListRows = 200

// LeaksPage shows the cracks of the handoff: how many MQLs fell through
// each per period, what they may have cost, and the leads themselves with
// the evidence (a crack picked in the table narrows the list).
func LeaksPage(q url.Values, status string, run Runner) (Page, error) {
	p := Page{
		Title: "Leaks", Path: "/leaks", Status: status, Query: q,
		Form: Form{By: reports.Dimensions, Grain: true, Filters: reports.Dimensions},
	}
	base := cloneValues(q)
	base.Del("crack")
	tb, err := run("leaks", base)
	if err != nil {
		return p, err
	}
	if len(tb.Rows) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Leaks", Empty: "No MQL in this period with these filters. Widen the dates or clear a filter."})
		return p, nil
	}
	var leaked, mqls, recovered, unknown int64
	var risk float64
	seenMQLs := map[string]bool{}
	crackCol, leadsCol, riskCol, periodCol, dimCol := col(tb, "crack"), col(tb, "leads"), col(tb, "revenue_at_risk"), col(tb, "period"), col(tb, q.Get("by"))
	for _, row := range tb.Rows {
		leaked += row[leadsCol].(int64)
		recovered += row[col(tb, "recovered")].(int64)
		unknown += row[col(tb, "unknown_value_leads")].(int64)
		if f, ok := row[riskCol].(float64); ok {
			risk += f
		}
		key := fmt.Sprint(row[periodCol])
		if dimCol >= 0 {
			key += "|" + fmt.Sprint(row[dimCol])
		}
		if !seenMQLs[key] {
			seenMQLs[key] = true
			mqls += row[col(tb, "mqls")].(int64)
		}
	}
	share := 0.0
	if mqls > 0 {
		share = float64(leaked) / float64(mqls)
	}
	riskDetail := "their sources' MQL → customer rate × average won deal"
	if unknown > 0 {
		riskDetail = fmt.Sprintf("%d leads of sources with no won deal not valued", unknown)
	}
	p.Sections = append(p.Sections, Section{Title: "Lost in the handoff", Tiles: []Tile{
		{Label: "MQLs leaked", Value: count(leaked), Detail: fmt.Sprintf("%s of %s MQLs", rate(share), count(mqls))},
		{Label: "Revenue at risk", Value: money(risk), Detail: riskDetail},
		{Label: "Rescued late", Value: count(recovered), Detail: "still leaks: the step came after its limit"},
	}})

	sec := Section{Title: "Leaks by crack",
		Note:  "Each MQL in the first crack it fell into, by the period it became an MQL: the cracks add up. A count opens those leads below.",
		Chart: leaksChart(tb), Table: &tb, Report: "leaks", Query: base}
	by := q.Get("by")
	sec.Links = map[string]func([]any) string{"leads": func(row []any) string {
		// The list of the row's own leads: its crack, its period, its
		// breakdown value.
		v := cloneValues(q)
		v.Set("crack", fmt.Sprint(row[crackCol]))
		if from, err := time.Parse(time.DateOnly, fmt.Sprint(row[periodCol])); err == nil {
			v.Set("from", from.Format(time.DateOnly))
			v.Set("to", periodEnd(from, q.Get("grain")).Format(time.DateOnly))
		}
		if by != "" && dimCol >= 0 {
			v.Set(by, fmt.Sprint(row[dimCol]))
		}
		return "/leaks?" + v.Encode()
	}}
	p.Sections = append(p.Sections, sec)

	list := cloneValues(q)
	list.Del("by")
	list.Del("grain")
	list.Del("crack")
	title := "The leads that fell through"
	if crack := q.Get("crack"); crack != "" {
		list.Set("what", crack)
		title += ": " + strings.ReplaceAll(crack, "_", " ")
	}
	leadsTb, err := run("leaked", withHead(list, leakListRows, ""))
	if err != nil {
		return p, err
	}
	total := leadsTb.Count()
	note := "Oldest leak first, with the owner, the lead's age since it became an MQL, and the evidence that put it in its crack (times in UTC). A lead id opens its context."
	if total > leakListRows {
		leadsTb.Rows = leadsTb.Rows[:min(leakListRows, len(leadsTb.Rows))]
		note += fmt.Sprintf(" The first %d of %d are shown; the download holds them all.", leakListRows, total)
	}
	p.Sections = append(p.Sections, Section{Title: title, Note: note, Table: &leadsTb, Report: "leaked", Query: list,
		Key:   []string{"lead_id", "company", "crack", "age_days", "recovered", "revenue_at_risk", "evidence"},
		Empty: emptyIf(total == 0, "No lead fell through this crack in this period.")})
	return p, nil
}

// leaksChart stacks each period's leaks by crack.
func leaksChart(tb reports.Table) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("380px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "MQLs leaked"}),
		charts.WithGridOpts(opts.Grid{Top: "70", ContainLabel: opts.Bool(true)}),
	)
	periodCol, crackCol, leadsCol := col(tb, "period"), col(tb, "crack"), col(tb, "leads")
	var periods []string
	byCrack := map[string]map[string]int64{}
	for _, row := range tb.Rows {
		p := fmt.Sprint(row[periodCol])
		if len(periods) == 0 || periods[len(periods)-1] != p {
			periods = append(periods, p)
		}
		c := fmt.Sprint(row[crackCol])
		if byCrack[c] == nil {
			byCrack[c] = map[string]int64{}
		}
		byCrack[c][p] += row[leadsCol].(int64)
	}
	bar.SetXAxis(periods)
	for k, c := range reports.Cracks {
		data := make([]opts.BarData, len(periods))
		for i, p := range periods {
			data[i] = opts.BarData{Value: byCrack[c][p]}
		}
		// Every crack is a loss: warm colours only.
		bar.AddSeries(strings.ReplaceAll(c, "_", " "), data, charts.WithBarChartOpts(opts.BarChart{Stack: "leaks"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: badKinds[k%len(badKinds)]}))
	}
	return chartOf(bar, &bar.BaseConfiguration)
}

// periodEnd is the last day of the period starting on from ("" is the
// reports' default grain, month).
func periodEnd(from time.Time, grain string) time.Time {
	switch grain {
	case "day":
		return from
	case "week":
		return from.AddDate(0, 0, 6)
	case "quarter":
		return from.AddDate(0, 3, -1)
	}
	return from.AddDate(0, 1, -1)
}
