// Package dashboards owns the pages people read: HTML laid out around
// go-echarts charts, with ECharts and every other asset embedded in the
// binary so the pages work with no internet. Each page takes its filters
// from the URL, so a link reproduces the view, and links every chart and
// table to the API rows behind it.
package dashboards

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/reports"
)

//go:embed assets
var assetFiles embed.FS

// AssetsPath is where the server mounts Assets.
const AssetsPath = "/assets/"

// Assets are the files pages load: echarts.min.js (ECharts 5.6.0 from npm,
// Apache-2.0, its LICENSE and NOTICE beside it), handoff.css and handoff.js
// (the light and dark theme of the page and its charts).
func Assets() fs.FS {
	sub, err := fs.Sub(assetFiles, "assets")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Page is what a page handler hands to the layout.
type Page struct {
	Title string
	// Path is the page's own address, for the navigation and the filter
	// form.
	Path   string
	Status string
	Query  url.Values
	Form   Form
	// NoFilters hides the filter bar, for pages that are not reports.
	NoFilters bool
	// Choices are the values each filter dimension takes in the lake,
	// offered as the filter fields' suggestions.
	Choices map[string][]string
	// Sections are the page's content, top to bottom.
	Sections []Section
}

// Form is the filter bar: which parameters the page takes.
type Form struct {
	What []string // the leads page's lists
	By   []string // breakdowns offered; none hides the field
	// DefaultBy is the breakdown a page shows when none is asked for; the
	// field then offers no "nothing".
	DefaultBy string
	Window    bool
	Grain     bool
	Clock     bool
	Filters   []string // dimensions offered as filters
	// Capacity and Outcomes are the scoring page's fields, Since the
	// routing page's.
	Capacity bool
	Outcomes []string
	Since    bool
}

// Section is one chart or table with its explanation and downloads.
type Section struct {
	Title string
	// Note explains how to read it, in a sentence.
	Note  string
	Chart *Chart
	Table *reports.Table
	// Report and Query name the API rows behind the section.
	Report string
	Query  url.Values
	// Tiles are headline numbers shown above the chart.
	Tiles []Tile
	// Links drill a table cell down to the leads it counts: by column name,
	// the /leads address for a row ("" for none).
	Links map[string]func(row []any) string
	// Rates name, for a rate column, its numerator and denominator in a
	// row: the cell shows the rate's 95% interval, and a rate over fewer
	// than fewToJudge is marked too few to read.
	Rates map[string]func(row []any) (k, n int64)
	// Key are the table's columns a reader came for, shown first (in this
	// order) so they are in view on a laptop; the rest follow, scrolled to
	// sideways. The downloads keep the report's own order.
	Key []string
	// Empty is shown instead of the chart and table when there are no rows.
	Empty string
	// Lines are plain sentences, one per paragraph; Alert shows them as a
	// problem.
	Lines []string
	Alert bool
	// Upload shows the upload form.
	Upload *Upload
	// Download links the whole file behind a table that is not a report.
	Download string
}

// nav lists the pages in the order of the navigation bar.
var nav = []struct{ Path, Title string }{
	{"/overview", "Overview"},
	{"/funnel", "Funnel"},
	{"/speed", "Speed to lead"},
	{"/aging", "Aging"},
	{"/sources", "Sources & ROI"},
	{"/sla", "SLA"},
	{"/quality", "Lead quality"},
	{"/leaks", "Leaks"},
	{"/scoring", "Scoring"},
	{"/routing", "Routing"},
	{"/review", "Weekly review"},
	{"/data", "Data"},
	{"/reports", "All reports"},
}

var layout = template.Must(template.New("layout").Funcs(template.FuncMap{
	"cell":     cell,
	"order":    columnOrder,
	"interval": rateInterval,
	"tdClass": func(c reports.Column, v any, ci *rateCell) string {
		var cls []string
		switch {
		case c.Kind == reflect.Int64 || c.Kind == reflect.Float64:
			cls = append(cls, "num")
		case func() bool { s, ok := v.(string); return ok && len(s) > 48 }():
			cls = append(cls, "long")
		}
		if ci != nil && ci.Few {
			cls = append(cls, "few")
		}
		return strings.Join(cls, " ")
	},
	"apiURL":   apiURL,
	"selected": func(a, b string) bool { return a == b },
	"contains": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
	"first": func(v url.Values, k string) string { return v.Get(k) },
	"nav":   func() any { return nav },
	"long":  func(v any) bool { s, ok := v.(string); return ok && len(s) > 48 },
	"numeric": func(c reports.Column) bool {
		return c.Kind == reflect.Int64 || c.Kind == reflect.Float64
	},
	"link": func(sec Section, name string, row []any) string {
		if f := sec.Links[name]; f != nil {
			return f(row)
		}
		// A lead id anywhere opens the lead's page.
		if name == "lead_id" {
			for i, c := range sec.Table.Columns {
				if id, ok := row[i].(string); ok && c.Name == "lead_id" && id != "" {
					return "/leads/" + url.PathEscape(id)
				}
			}
		}
		return ""
	},
}).Parse(layoutHTML))

// Render writes p as a whole HTML page.
func Render(p Page) ([]byte, error) {
	var buf bytes.Buffer
	if err := layout.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("render %s: %w", p.Path, err)
	}
	return buf.Bytes(), nil
}

// apiURL is the address of a section's rows in format ("" for JSON): the
// API's answer under the pages' own access (/download/reports/NAME), so a
// person at the dashboards needs no API token.
func apiURL(report string, q url.Values, format string) string {
	v := cloneValues(q)
	if format != "" {
		v.Set("format", format)
	}
	s := "/download/reports/" + report
	if enc := v.Encode(); enc != "" {
		s += "?" + enc
	}
	return s
}

// unknownWhenNull are the columns whose NULL means "not known" rather than
// "nothing": missing spend, and what is computed from it.
var unknownWhenNull = map[string]bool{"spend": true, "cost_per_lead": true, "cost_per_mql": true, "cost_per_customer": true, "roi": true}

// cell formats one table value for people: rates as percentages, other
// decimals to one place, NULL as an en dash.
func cell(col reports.Column, v any) string {
	if v == nil {
		if unknownWhenNull[col.Name] {
			return "unknown"
		}
		return "–"
	}
	switch x := v.(type) {
	case float64:
		if reports.IsRate(col.Name) {
			return fmt.Sprintf("%.1f%%", x*100)
		}
		return fmt.Sprintf("%.1f", x)
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04 UTC")
	}
	return fmt.Sprint(v)
}

// columnOrder is the order a section's table shows its columns in: the
// key columns first, in Key's order, then the others in their own. Rows
// stay as the report made them, so links read them by the report's
// column positions.
func columnOrder(sec Section) []int {
	var order []int
	seen := map[int]bool{}
	for _, k := range sec.Key {
		if i := col(*sec.Table, k); i >= 0 && !seen[i] {
			order, seen[i] = append(order, i), true
		}
	}
	for i := range sec.Table.Columns {
		if !seen[i] {
			order = append(order, i)
		}
	}
	return order
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
