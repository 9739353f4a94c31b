package dashboards

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/handoff-dev/handoff/reports"
)

// overviewPeriods is how many periods the trends show; the download has
// them all.
const overviewPeriods = 12

// Tile is one headline number with its change against the previous period
// and a sparkline of its trend.
type Tile struct {
	Label string
	Value string
	// Change is the difference against the previous period in words
	// ("+12% vs Aug"); Tone says whether that is good news: "good", "bad",
	// or "" when neither (it colours the change).
	Change string
	Tone   string
	// Detail is one more line: what the number counts, or how far the
	// current period has got.
	Detail string
	Spark  template.HTML
	// Href drills down to the rows the number counts.
	Href string
}

// kpi describes one overview number: where it comes from and how to say it.
type kpi struct {
	label  string
	column string
	format func(any) string
	// higherIsBetter decides the colour of a change.
	higherIsBetter bool
	// rate changes are said in percentage points, the others in percent.
	rate   bool
	detail func(row []any, tb reports.Table) string
	// counts are a rate's numerator and denominator in a row: the tile
	// shows them with the rate's interval, and a change over too few is
	// not coloured.
	counts func(row []any, tb reports.Table) (k, n int64)
	// what is the leads list behind the number.
	what string
}

// OverviewPage is the page leadership opens: the headline numbers of the
// last complete period against the one before, and their trends.
func OverviewPage(q url.Values, status string, run Runner) (Page, error) {
	p := Page{
		Title: "Overview", Path: "/overview", Status: status, Query: q,
		Form: Form{Window: true, Grain: true, Filters: reports.Dimensions},
	}
	q = cloneValues(q)
	q.Del("by")
	tb, err := run("overview", q)
	if err != nil {
		return p, err
	}
	if len(tb.Rows) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Headline numbers",
			Empty: "Nothing happened in this period with these filters. Widen the dates or clear a filter."})
		return p, nil
	}
	rows := tb.Rows
	if len(rows) > overviewPeriods {
		rows = rows[len(rows)-overviewPeriods:]
	}
	grain := q.Get("grain")
	if grain == "" {
		grain = "month"
	}
	period, complete := col(tb, "period"), col(tb, "complete")
	// The headline is the last complete period: a half-finished month
	// compared with a whole one reads as a collapse.
	cur := len(rows) - 1
	for cur > 0 && rows[cur][complete] != true {
		cur--
	}
	var prev []any
	if cur > 0 {
		prev = rows[cur-1]
	}
	current := rows[cur]
	var partial []any
	if last := rows[len(rows)-1]; last[complete] != true && cur != len(rows)-1 {
		partial = last
	}
	curName := periodName(current[period].(string), grain)

	kpis := []kpi{
		{label: "Leads", column: "leads", format: count, higherIsBetter: true, what: "created"},
		{label: "MQL → SQL", column: "mql_to_sql", format: rate, higherIsBetter: true, rate: true,
			counts: func(row []any, tb reports.Table) (int64, int64) {
				return row[col(tb, "mqls_reached_sql")].(int64), row[col(tb, "mqls")].(int64)
			},
			detail: func(row []any, tb reports.Table) string {
				// A cohort: the period's MQLs, followed for the window;
				// the rows' sqls is a flow and differs.
				k, n := row[col(tb, "mqls_reached_sql")].(int64), row[col(tb, "mqls")].(int64)
				s := fmt.Sprintf("%d of the period's %d MQLs reached SQL (cohort), %s", k, n, interval(k, n))
				if row[col(tb, "mql_to_sql_open")] == true {
					s += "; still open, can rise"
				}
				return s
			}, what: "mql"},
		{label: "Median first response", column: "median_response_minutes", format: minutes, higherIsBetter: false, what: "assigned"},
		{label: "First-touch SLA met", column: "first_touch_compliance", format: rate, higherIsBetter: true, rate: true,
			counts: func(row []any, tb reports.Table) (int64, int64) {
				met, breached := row[col(tb, "first_touch_met")].(int64), row[col(tb, "first_touch_breached")].(int64)
				return met, met + breached
			},
			detail: func(row []any, tb reports.Table) string {
				met, breached := row[col(tb, "first_touch_met")].(int64), row[col(tb, "first_touch_breached")].(int64)
				return fmt.Sprintf("%d met, %d breached, %s", met, breached, interval(met, met+breached))
			}, what: "assigned"},
		{label: "Pipeline created", column: "pipeline", format: money, higherIsBetter: true, what: "opportunity"},
		{label: "Won revenue", column: "won_revenue", format: money, higherIsBetter: true, what: "won"},
	}
	var tiles []Tile
	for _, k := range kpis {
		c := col(tb, k.column)
		t := Tile{Label: k.label, Value: k.format(current[c]), Spark: sparkline(rows, c)}
		if prev != nil {
			t.Change, t.Tone = change(current[c], prev[c], k.rate, k.higherIsBetter)
			if t.Change != "" {
				t.Change += " vs " + periodName(prev[period].(string), grain)
			}
			if k.counts != nil && t.Tone != "" {
				_, n := k.counts(current, tb)
				_, m := k.counts(prev, tb)
				if min(n, m) < fewToJudge {
					t.Change += fmt.Sprintf(" (too few to judge: %d and %d)", n, m)
					t.Tone = ""
				}
			}
		}
		if k.detail != nil {
			t.Detail = k.detail(current, tb)
		}
		if partial != nil {
			so := fmt.Sprintf("%s so far: %s", periodName(partial[period].(string), grain), k.format(partial[c]))
			if t.Detail != "" {
				t.Detail += ". "
			}
			t.Detail += so
		}
		from, to := periodBounds(current[period].(string), grain)
		t.Href = leadsHref(q, k.what, "from", from, "to", to)
		tiles = append(tiles, t)
	}
	p.Sections = append(p.Sections, Section{
		Title: "Headline numbers, " + curName,
		Note:  "The last complete " + grain + ", against the one before it. Each number opens the leads it counts; the line under it is its trend over the periods below.",
		Tiles: tiles, Report: "overview", Query: q,
	})

	trend := reports.Table{Columns: tb.Columns, Rows: rows}
	p.Sections = append(p.Sections,
		Section{Title: "Volume", Note: "Leads created, and leads becoming MQL and SQL, per " + grain + ".",
			Chart: volumeChart(trend), Report: "overview", Query: q},
		Section{Title: "Conversion and first-touch SLA", Note: "MQL → SQL of each period's MQLs, and the share of assignments touched within the first-touch SLA. Periods marked “open” are younger than the conversion window: their MQL → SQL can still rise.",
			Chart: overviewRatesChart(trend), Report: "overview", Query: q},
		Section{Title: "Pipeline and won revenue", Note: "Opportunity amounts from leads, by the period the opportunity was created, and won amounts by the period it closed.",
			Chart: revenueChart(trend), Report: "overview", Query: q},
		Section{Title: "Rows", Table: &trend, Report: "overview", Query: q,
			Note: "mqls_reached_sql and mql_to_sql follow each period's MQLs (a cohort) for the conversion window; sqls counts leads entering SQL in the period (a flow), whenever they became MQLs, so it differs from mqls_reached_sql.",
			Key:  []string{"period", "leads", "mqls", "mqls_reached_sql", "mql_to_sql", "sqls", "median_response_minutes", "first_touch_compliance", "pipeline", "won_revenue"},
			Rates: map[string]func([]any) (int64, int64){
				"mql_to_sql":             counts(trend, "mqls_reached_sql", "mqls"),
				"first_touch_compliance": counts(trend, "first_touch_met", "first_touch_met", "first_touch_breached"),
			}},
	)
	return p, nil
}

// leadsHref is the /leads address listing the leads behind a number: the
// page's time zone, as-of, period and filters, then what and the pairs of
// extra (name, value) that narrow it to one row or period.
func leadsHref(q url.Values, what string, extra ...string) string {
	for i := 0; i < len(extra); i += 2 {
		// the leads list cannot filter on a score band: no link rather
		// than one to leads the number does not count
		if extra[i] == reports.ScoreBand {
			return ""
		}
	}
	v := url.Values{}
	for _, k := range append([]string{"as_of", "tz", "from", "to", "window"}, reports.Dimensions...) {
		vs, ok := q[k]
		// Only the stage lists measure a conversion window.
		if !ok || k == "window" && what != "lead" && what != "mql" && what != "sql" {
			continue
		}
		v[k] = append([]string(nil), vs...)
	}
	v.Set("what", what)
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return "/leads?" + v.Encode()
}

// periodBounds are the first and last day of the period starting on start.
func periodBounds(start, grain string) (string, string) {
	t, err := time.Parse(time.DateOnly, start)
	if err != nil {
		return start, start
	}
	var end time.Time
	switch grain {
	case "day":
		end = t
	case "week":
		end = t.AddDate(0, 0, 6)
	case "quarter":
		end = t.AddDate(0, 3, -1)
	default:
		end = t.AddDate(0, 1, -1)
	}
	return t.Format(time.DateOnly), end.Format(time.DateOnly)
}

// periodName says a period the way people do: "Oct 2026", "Q3 2026", "week
// of 12 Oct".
func periodName(start, grain string) string {
	t, err := time.Parse(time.DateOnly, start)
	if err != nil {
		return start
	}
	switch grain {
	case "day":
		return t.Format("2 Jan")
	case "week":
		return "week of " + t.Format("2 Jan")
	case "quarter":
		return fmt.Sprintf("Q%d %d", (int(t.Month())-1)/3+1, t.Year())
	}
	return t.Format("Jan 2006")
}

// change says current against previous: in percentage points for rates,
// in percent otherwise, with its tone ("good", "bad", "" when nothing
// changed). Nothing is said when either side is unknown.
func change(current, previous any, isRate, higherIsBetter bool) (string, string) {
	c, ok1 := number(current)
	p, ok2 := number(previous)
	if !ok1 || !ok2 {
		return "", ""
	}
	var s string
	switch {
	case isRate:
		d := (c - p) * 100
		if math.Abs(d) < 0.05 {
			return "no change", ""
		}
		s = fmt.Sprintf("%+.1f pts", d)
	case p == 0:
		if c == 0 {
			return "no change", ""
		}
		s = "up from 0"
	default:
		d := (c - p) / p * 100
		if math.Abs(d) < 0.5 {
			return "no change", ""
		}
		s = fmt.Sprintf("%+.0f%%", d)
	}
	if (c > p) == higherIsBetter {
		return s, "good"
	}
	return s, "bad"
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func count(v any) string {
	f, ok := number(v)
	if !ok {
		return "–"
	}
	return thousands(int64(math.Round(f)))
}

func rate(v any) string {
	f, ok := number(v)
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", f*100)
}

// money is an amount without a currency sign: amounts are summed as found
// (docs/reports.md), so the sign would be a guess.
func money(v any) string {
	f, ok := number(v)
	switch {
	case !ok:
		return "–"
	case math.Abs(f) >= 1e6:
		return fmt.Sprintf("%.2fM", f/1e6)
	case math.Abs(f) >= 1e4:
		return fmt.Sprintf("%.0fk", f/1e3)
	}
	return thousands(int64(math.Round(f)))
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// sparkline draws a column's values over the rows as a small inline SVG:
// unknown values leave a gap.
func sparkline(rows [][]any, c int) template.HTML {
	const w, h = 160.0, 36.0
	var vals []float64
	var known []bool
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		f, ok := number(r[c])
		vals, known = append(vals, f), append(known, ok)
		if ok {
			lo, hi = math.Min(lo, f), math.Max(hi, f)
		}
	}
	if len(vals) < 2 || math.IsInf(lo, 1) {
		return ""
	}
	if hi == lo {
		hi = lo + 1
	}
	var paths []string
	var cur []string
	for i, f := range vals {
		if !known[i] {
			if len(cur) > 1 {
				paths = append(paths, strings.Join(cur, " "))
			}
			cur = nil
			continue
		}
		x := float64(i) / float64(len(vals)-1) * w
		y := h - 3 - (f-lo)/(hi-lo)*(h-6)
		cur = append(cur, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	if len(cur) > 1 {
		paths = append(paths, strings.Join(cur, " "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %.0f %.0f" preserveAspectRatio="none" aria-hidden="true">`, w, h)
	for _, pts := range paths {
		fmt.Fprintf(&b, `<polyline points="%s"/>`, pts)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// periodLabels are the x-axis labels of the overview rows, open periods
// marked.
func periodLabels(tb reports.Table, openColumn string) []string {
	period, open := col(tb, "period"), col(tb, openColumn)
	var out []string
	for _, row := range tb.Rows {
		label := strings.TrimSuffix(row[period].(string), "-01")
		if open >= 0 && row[open] != true {
			label += " (so far)"
		}
		out = append(out, label)
	}
	return out
}

func volumeChart(tb reports.Table) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("340px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "leads"}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
	)
	bar.SetXAxis(periodLabels(tb, "complete"))
	for _, s := range []struct{ column, name string }{{"leads", "leads created"}, {"mqls", "became MQL"}, {"sqls", "became SQL"}} {
		var data []opts.BarData
		for _, row := range tb.Rows {
			data = append(data, opts.BarData{Value: row[col(tb, s.column)]})
		}
		bar.AddSeries(s.name, data)
	}
	return chartOf(bar, &bar.BaseConfiguration)
}

func overviewRatesChart(tb reports.Table) *Chart {
	line := charts.NewLine()
	line.SetGlobalOptions(chartBase("320px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Max: 100, AxisLabel: &opts.AxisLabel{Formatter: "{value}%"}}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
	)
	labels := periodLabels(tb, "complete")
	open := col(tb, "mql_to_sql_open")
	for i, row := range tb.Rows {
		if row[open] == true && !strings.HasSuffix(labels[i], "(so far)") {
			labels[i] += " (open)"
		}
	}
	line.SetXAxis(labels)
	for _, s := range []struct{ column, name string }{{"mql_to_sql", "MQL → SQL"}, {"first_touch_compliance", "first-touch SLA met"}} {
		var data []opts.LineData
		for _, row := range tb.Rows {
			var v any
			if f, ok := number(row[col(tb, s.column)]); ok {
				v = roundTo(f*100, 1)
			}
			data = append(data, opts.LineData{Value: v})
		}
		// No point labels: two lines' labels land on each other; the
		// tooltip says each period's values.
		line.AddSeries(s.name, data)
	}
	return chartOf(line, &line.BaseConfiguration)
}

func revenueChart(tb reports.Table) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(chartBase("320px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "amount"}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
	)
	bar.SetXAxis(periodLabels(tb, "complete"))
	for _, s := range []struct{ column, name string }{{"pipeline", "pipeline created"}, {"won_revenue", "won"}} {
		var data []opts.BarData
		for _, row := range tb.Rows {
			data = append(data, opts.BarData{Value: row[col(tb, s.column)]})
		}
		bar.AddSeries(s.name, data)
	}
	return chartOf(bar, &bar.BaseConfiguration)
}
