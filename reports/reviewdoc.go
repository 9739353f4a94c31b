package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// ReviewLinks makes the review's numbers open their rows: the address of
// a list (the leads page's what, or "leaked:CRACK") for the review's week,
// or of another week's review ("week:2026-W46").
// nil leaves the numbers as text, as in a file sent around.
type ReviewLinks func(list string, r Review) string

// reviewView is what the review's template reads.
type reviewView struct {
	R         Review
	Link      func(string) string
	LeaksSVG  template.HTML
	SpeedSVG  template.HTML
	Leaked    int64
	Risk      string
	Unknown   int64
	Generated string
	// Prev and Next are the weeks either side, for a served review.
	Prev, Next string
}

// ReviewHTML is the review as one HTML file that needs nothing else: its
// style and its charts (inline SVG) are in it, and it asks the network for
// nothing, so it opens offline, in a mail client and in a PDF printer.
func ReviewHTML(r Review, links ReviewLinks) ([]byte, error) {
	v := reviewView{R: r, Generated: time.Now().UTC().Format("2 Jan 2006 15:04 UTC"),
		Prev: WeekOf(r.From.AddDate(0, 0, -7)), Next: WeekOf(r.From.AddDate(0, 0, 7))}
	v.Link = func(list string) string {
		if links == nil {
			return ""
		}
		return links(list, r)
	}
	var bars []bar
	var risk float64
	for _, k := range r.Leaks {
		v.Leaked += k.Leads
		v.Unknown += k.UnknownValueLeads
		if k.RevenueAtRisk != nil {
			risk += *k.RevenueAtRisk
		}
		bars = append(bars, bar{label: strings.ReplaceAll(k.Crack, "_", " "), value: float64(k.Leads)})
	}
	v.Risk = amount(risk)
	v.LeaksSVG = barsSVG(bars, "leads")
	rr := r.Response
	v.SpeedSVG = barsSVG([]bar{{"< 5 min", float64(rr.Lt5m)}, {"5–30 min", float64(rr.M5to30)}, {"30–60 min", float64(rr.M30to60)},
		{"1–4 h", float64(rr.H1to4)}, {"4–24 h", float64(rr.H4to24)}, {"1–3 d", float64(rr.D1to3)}, {"3 d +", float64(rr.D3Plus)},
		{"no response", float64(rr.NoResponse)}}, "assignments")
	var buf bytes.Buffer
	if err := reviewTemplate.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("render review %s: %w", r.Week, err)
	}
	return buf.Bytes(), nil
}

type bar struct {
	label string
	value float64
}

// barsSVG draws horizontal bars with their values, sized to the largest.
func barsSVG(bars []bar, unit string) template.HTML {
	const rowH, labelW, barW = 26, 170, 420
	max := 0.0
	for _, b := range bars {
		max = math.Max(max, b.value)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`,
		template.HTMLEscapeString(unit), labelW+barW+80, rowH*len(bars)+4, labelW+barW+80, rowH*len(bars)+4)
	for i, b := range bars {
		y := i*rowH + 2
		w := 0.0
		if max > 0 {
			w = b.value / max * barW
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" class="svg-label">%s</text>`, labelW-8, y+17, template.HTMLEscapeString(b.label))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%.1f" height="%d" rx="2" class="svg-bar"/>`, labelW, y+4, w, rowH-8)
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" class="svg-value">%s</text>`, float64(labelW)+w+6, y+17, strconv.FormatFloat(b.value, 'f', 0, 64))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// changeText says a change in words: "+12% (8.1 → 9.1)".
func changeText(c Change) string {
	f := func(x float64) string {
		if strings.Contains(c.Metric, "rate") || strings.Contains(c.Metric, "→") || strings.Contains(c.Metric, "compliance") {
			return fmt.Sprintf("%.1f%%", x*100)
		}
		if strings.Contains(c.Metric, "revenue") {
			return amount(x)
		}
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%+.0f%% (%s → %s)", c.Relative*100, f(c.Baseline), f(c.This))
}

var reviewFuncs = template.FuncMap{
	"pct": pct, "minutes": minutesOf, "money": amount, "change": changeText,
	"opt":  func(v *float64) string { return amount(*v) },
	"pct2": pct2,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"crack": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"date":  func(t time.Time) string { return t.Format("Mon 2 Jan 2006") },
	"stamp": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
	"blank": func(s *string) string {
		if s == nil {
			return "(all)"
		}
		return *s
	},
}

// pct is a share as people read it; "–" for none.
func pct(v *float64) string {
	if v == nil {
		return "–"
	}
	return pct2(*v)
}

// minutesOf says a duration in minutes the way people do: 45 min, 6.6 h,
// 2.1 days; "–" for none.
func minutesOf(v *float64) string {
	switch {
	case v == nil:
		return "–"
	case *v < 90:
		return fmt.Sprintf("%.0f min", *v)
	case *v < 48*60:
		return fmt.Sprintf("%.1f h", *v/60)
	}
	return fmt.Sprintf("%.1f days", *v/1440)
}

// amount is a sum of money with thousands separators and no currency
// (amounts are summed as found, docs/reports.md).
func amount(v float64) string {
	n := int64(math.Round(v))
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return sign + s
}

var reviewTemplate = template.Must(template.New("review").Funcs(reviewFuncs).Parse(reviewHTML))

const reviewHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Handoff review {{.R.Week}}</title>
<style>
:root{--fg:#1f2933;--muted:#616e7c;--bg:#fff;--panel:#f5f7fa;--line:#cbd2d9;--accent:#2563eb;--good:#15803d;--bad:#b91c1c}
*{box-sizing:border-box}
body{margin:0 auto;max-width:62rem;padding:1.5rem 2rem 3rem;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
h1{margin:0}h2{font-size:1.2rem;margin:2rem 0 .3rem}.sub{color:var(--muted);margin:.2rem 0 1rem}
.note{color:var(--muted);margin:0 0 .6rem}
.tiles{display:flex;flex-wrap:wrap;gap:.8rem}
.tile{flex:1 1 9rem;border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;background:var(--panel)}
.tile .label{font-size:.8rem;color:var(--muted)}.tile .value{font-size:1.6rem;font-weight:700}
.tile .detail{font-size:.8rem;color:var(--muted)}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:.92rem}
th,td{padding:.3rem .55rem;border-bottom:1px solid var(--line);text-align:left}
th{color:var(--muted);font-weight:600}.num{text-align:right}
.good{color:var(--good)}.bad{color:var(--bad)}
a{color:var(--accent)}
svg{max-width:100%;height:auto}.svg-label{font-size:13px;fill:var(--fg)}.svg-value{font-size:12px;fill:var(--muted)}.svg-bar{fill:var(--accent)}
@media print{body{padding:0}h2{break-after:avoid}table,svg{break-inside:avoid}}
</style></head>
<body>
{{define "n"}}{{if .href}}<a href="{{.href}}">{{.text}}</a>{{else}}{{.text}}{{end}}{{end}}
{{if call .Link "handed_off"}}<p class="sub"><a href="/overview">handoff dashboards</a> · <a href="{{call .Link (printf "week:%s" .Prev)}}">← {{.Prev}}</a> · <a href="{{call .Link (printf "week:%s" .Next)}}">{{.Next}} →</a></p>{{end}}
<h1>Handoff review · {{.R.Week}}</h1>
<p class="sub">{{date .R.From}} to {{date .R.To}} ({{.R.TZ}}) · as of {{stamp .R.AsOf}} · made {{.Generated}}</p>
{{if .R.Quiet}}<p class="tile">Nothing happened in this week as far as the lake knows: no lead was handed off, none became an MQL, no SLA clock started. Pick another week (--week), or ingest the exports that cover it.</p>{{end}}

<h2>The handoff</h2>
<p class="note">Leads first handed to sales this week, and what sales decided about them.</p>
<div class="tiles">
<div class="tile"><div class="label">Leads passed</div><div class="value">{{template "n" (dict "href" (call .Link "handed_off") "text" .R.Handoff.HandedOff)}}</div><div class="detail">first assignment this week</div></div>
<div class="tile"><div class="label">Accepted</div><div class="value">{{.R.Handoff.Accepted}}</div><div class="detail">acceptance {{pct .R.Handoff.AcceptanceRate}} of {{.R.Handoff.Dispositioned}} decided</div></div>
<div class="tile"><div class="label">Rejected</div><div class="value">{{.R.Handoff.Rejected}}</div><div class="detail">unreachable {{.R.Handoff.Unreachable}}</div></div>
<div class="tile"><div class="label">MQL → SQL</div><div class="value">{{template "n" (dict "href" (call .Link "mql") "text" (pct .R.Overview.MQLToSQL))}}</div><div class="detail">of {{.R.Overview.MQLs}} MQLs this week{{if .R.Overview.MQLToSQLOpen}}, still open{{end}}</div></div>
</div>
{{if .R.Reasons}}<h2>Why leads were rejected</h2>
<p class="note">Every rejection decided this week, whichever week the lead was handed off in.</p>
<table><tr><th>reason</th><th class="num">rejected</th><th class="num">share</th></tr>
{{range .R.Reasons}}<tr><td>{{.Reason}}</td><td class="num">{{.Rejected}}</td><td class="num">{{pct2 .Share}}</td></tr>
{{end}}</table>{{end}}

<h2>Speed to lead</h2>
<p class="note">From each assignment this week to the first sales touch: {{.R.Response.N}} answered, {{.R.Response.Pending}} still pending, {{.R.Response.NoResponse}} with no response.</p>
<div class="tiles">
<div class="tile"><div class="label">p50</div><div class="value">{{template "n" (dict "href" (call .Link "assigned") "text" (minutes .R.Response.P50Minutes))}}</div></div>
<div class="tile"><div class="label">p75</div><div class="value">{{minutes .R.Response.P75Minutes}}</div></div>
<div class="tile"><div class="label">p90</div><div class="value">{{minutes .R.Response.P90Minutes}}</div></div>
<div class="tile"><div class="label">p99</div><div class="value">{{minutes .R.Response.P99Minutes}}</div></div>
</div>
{{.SpeedSVG}}

<h2>SLA compliance per team</h2>
<p class="note">Instances started this week; compliance is met ÷ (met + breached), pending ones are not counted.</p>
<table><tr><th>SLA</th><th>team</th><th class="num">met</th><th class="num">breached</th><th class="num">pending</th><th class="num">compliance</th></tr>
{{range .R.SLAByTeam}}<tr><td>{{.SLA}}</td><td>{{blank .Dim}}</td><td class="num">{{.Met}}</td><td class="num">{{.Breached}}</td><td class="num">{{.Pending}}</td><td class="num">{{pct .Compliance}}</td></tr>
{{end}}</table>

<h2>Leaks: {{.Leaked}} {{if eq .Leaked 1}}MQL{{else}}MQLs{{end}} lost in the handoff</h2>
<p class="note">This week's MQLs by the first crack each fell into; revenue at risk {{.Risk}}{{if .Unknown}} ({{.Unknown}} of these leads come from sources with no won deal and are not valued){{end}}.</p>
{{.LeaksSVG}}
<table><tr><th>crack</th><th class="num">leads</th><th class="num">share of MQLs</th><th class="num">recovered</th><th class="num">revenue at risk</th></tr>
{{range .R.Leaks}}<tr><td>{{crack .Crack}}</td><td class="num">{{template "n" (dict "href" (call $.Link (printf "leaked:%s" .Crack)) "text" .Leads)}}</td><td class="num">{{pct2 .Share}}</td><td class="num">{{.Recovered}}</td><td class="num">{{if .RevenueAtRisk}}{{opt .RevenueAtRisk}}{{else}}unknown{{end}}</td></tr>
{{end}}</table>

<h2>Biggest changes against the four weeks before</h2>
{{if .R.Changes}}<table><tr><th>figure</th><th class="num">change (mean of the four weeks → this week)</th></tr>
{{range .R.Changes}}<tr><td>{{.Metric}}</td><td class="num {{if .Good}}good{{else}}bad{{end}}">{{change .}}</td></tr>
{{end}}</table>{{else}}<p class="note">Not enough history to compare.</p>{{end}}
</body></html>
`

// ReviewMarkdown is the review as Markdown, for a wiki or a chat message.
func ReviewMarkdown(r Review) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Handoff review · %s\n\n%s to %s (%s), as of %s\n\n", r.Week, r.From.Format("Mon 2 Jan 2006"), r.To.Format("Mon 2 Jan 2006"), r.TZ, r.AsOf.UTC().Format("2 Jan 2006 15:04 UTC"))
	if r.Quiet {
		b.WriteString("> Nothing happened in this week as far as the lake knows: no lead was handed off, none became an MQL, no SLA clock started. Pick another week, or ingest the exports that cover it.\n\n")
	}
	h := r.Handoff
	fmt.Fprintf(&b, "## The handoff\n\n| leads passed | accepted | rejected | unreachable | acceptance | MQLs | MQL → SQL |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n| %d | %d | %d | %d | %s | %d | %s |\n\n",
		h.HandedOff, h.Accepted, h.Rejected, h.Unreachable, pct(h.AcceptanceRate), r.Overview.MQLs, pct(r.Overview.MQLToSQL))
	if len(r.Reasons) > 0 {
		b.WriteString("Top rejection reasons:\n\n| reason | rejected | share |\n| --- | ---: | ---: |\n")
		for _, x := range r.Reasons {
			fmt.Fprintf(&b, "| %s | %d | %s |\n", markdownText(x.Reason), x.Rejected, pct2(x.Share))
		}
		b.WriteString("\n")
	}
	rr := r.Response
	fmt.Fprintf(&b, "## Speed to lead\n\n%d answered, %d pending, %d no response.\n\n| p50 | p75 | p90 | p99 |\n| ---: | ---: | ---: | ---: |\n| %s | %s | %s | %s |\n\n",
		rr.N, rr.Pending, rr.NoResponse, minutesOf(rr.P50Minutes), minutesOf(rr.P75Minutes), minutesOf(rr.P90Minutes), minutesOf(rr.P99Minutes))
	b.WriteString("## SLA compliance per team\n\n| SLA | team | met | breached | pending | compliance |\n| --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, s := range r.SLAByTeam {
		team := "(all)"
		if s.Dim != nil {
			team = *s.Dim
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %s |\n", markdownText(s.SLA), markdownText(team), s.Met, s.Breached, s.Pending, pct(s.Compliance))
	}
	b.WriteString("\n## Leaks\n\n| crack | leads | share of MQLs | recovered | revenue at risk |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, k := range r.Leaks {
		risk := "unknown"
		if k.RevenueAtRisk != nil {
			risk = amount(*k.RevenueAtRisk)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %s |\n", strings.ReplaceAll(k.Crack, "_", " "), k.Leads, pct2(k.Share), k.Recovered, risk)
	}
	b.WriteString("\n## Biggest changes against the four weeks before\n\n")
	if len(r.Changes) == 0 {
		b.WriteString("Not enough history to compare.\n")
	}
	for _, c := range r.Changes {
		word := "worse"
		if c.Good {
			word = "better"
		}
		fmt.Fprintf(&b, "- %s: %s, %s\n", c.Metric, changeText(c), word)
	}
	return b.String()
}

// markdownText is text from the data as a Markdown table cell: the
// characters that would end the cell, start a link, an image, emphasis,
// code or raw HTML are escaped, and line breaks become spaces.
func markdownText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '(', ')', '<', '>', '|', '!', '#', '~', '&':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r', '\t', '\u2028', '\u2029':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func pct2(v float64) string { return fmt.Sprintf("%.1f%%", v*100) }
