package dashboards

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"strings"
	"sync/atomic"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"
)

// Chart is one chart as a page carries it: an empty box and the chart's
// ECharts option as JSON in a data block beside it, which handoff.js hands
// to ECharts. No chart writes script: go-echarts' own snippets put the
// option into an inline script with HTML escaping off, so a lead source
// named "</script><script>…" would have run. JSON in a data block is never
// executed, and encoding/json escapes <, >, &, U+2028 and U+2029, so no
// value can close the block either.
type Chart struct {
	ID     string
	Height string
	// Option is the JSON option, already escaped for a script data block.
	Option template.JS
}

// echartsChart is what every go-echarts chart type has.
type echartsChart interface {
	Validate()
	JSON() map[string]any
}

var chartCount atomic.Int64

// chartOf turns a go-echarts chart into a page's Chart. base is the chart's
// own configuration, for its height. An option holds no JavaScript
// function (go-echarts' FuncOpts would need an inline script): tooltips are
// text (tip), formatters ECharts' templates; TestChartsHoldNoFunctions
// keeps it so.
func chartOf(c echartsChart, base *charts.BaseConfiguration) *Chart {
	c.Validate()
	option, err := json.Marshal(c.JSON())
	if err != nil {
		// Every value in an option is a number, string or struct of them.
		panic(fmt.Sprintf("chart option: %v", err))
	}
	return &Chart{ID: fmt.Sprintf("chart-%d", chartCount.Add(1)), Height: base.Initialization.Height, Option: template.JS(option)}
}

// tip is a data item's tooltip: plain text. ECharts puts a tooltip into the
// page as HTML and reads {a}, {b}, {c} in it as placeholders, so the text
// is HTML-escaped and its braces written as entities.
func tip(format string, args ...any) *opts.Tooltip {
	text := html.EscapeString(fmt.Sprintf(format, args...))
	text = strings.NewReplacer("{", "&#123;", "}", "&#125;").Replace(text)
	return &opts.Tooltip{Formatter: types.FuncStr(text)}
}

// Colour means the same on every chart: worse is warmer. Ordered buckets
// from good to bad run green to red (goodToBad); things that are all bad
// (the cracks leads fall through) take warm colours only (badKinds); plain
// categories (sources, SLAs, owners) take colours that are neither green
// nor red (categories), so no source looks like a finding.
var (
	goodToBad  = []string{"#1a9850", "#66bd63", "#a6d96a", "#fdae61", "#f46d43", "#d73027"}
	badKinds   = []string{"#b2182b", "#e08214", "#d6604d", "#8c510a", "#f4a582", "#c51b7d", "#bf812d", "#762a83"}
	categories = []string{"#4e79a7", "#76b7b2", "#b07aa1", "#9c755f", "#a0cbe8", "#6b6ecf", "#bab0ac", "#d4a6c8"}
)

// scale picks n colours from good to bad, the first the best and the last
// the worst.
func scale(n int) []string {
	if n <= 1 {
		return goodToBad[:1]
	}
	out := make([]string, n)
	for i := range out {
		out[i] = goodToBad[i*(len(goodToBad)-1)/(n-1)]
	}
	return out
}
