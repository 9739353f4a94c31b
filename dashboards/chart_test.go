package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/reports"
)

// option decodes a chart's option as ECharts will read it.
func option(t *testing.T, c *Chart) map[string]any {
	t.Helper()
	var o map[string]any
	if err := json.Unmarshal([]byte(c.Option), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// warm says whether a #rrggbb colour leans red rather than green.
func warm(t *testing.T, hex string) bool {
	t.Helper()
	r, err1 := strconv.ParseUint(hex[1:3], 16, 8)
	g, err2 := strconv.ParseUint(hex[3:5], 16, 8)
	if err1 != nil || err2 != nil || len(hex) != 7 {
		t.Fatalf("colour %q", hex)
	}
	return r > g
}

func seriesColours(t *testing.T, o map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range o["series"].([]any) {
		m := s.(map[string]any)
		style, _ := m["itemStyle"].(map[string]any)
		c, _ := style["color"].(string)
		out[m["name"].(string)] = c
	}
	return out
}

// Worse is warmer: the oldest aging bucket is red and the newest green;
// every crack a lead leaks through is a warm colour.
func TestColoursSayWorseIsWarmer(t *testing.T) {
	cols := []reports.Column{{Name: "stage", Kind: reflect.String}, {Name: "open", Kind: reflect.Int64}}
	row := []any{"mql", int64(6)}
	for _, b := range agingBuckets {
		cols = append(cols, reports.Column{Name: b.column, Kind: reflect.Int64})
		row = append(row, int64(1))
	}
	aging := seriesColours(t, option(t, agingChart(reports.Table{Columns: cols, Rows: [][]any{row}})))
	if c := aging["30+ days"]; c == "" || !warm(t, c) {
		t.Errorf("30+ days is drawn %q, want a warm colour", c)
	}
	if c := aging["< 1 day"]; c == "" || warm(t, c) {
		t.Errorf("< 1 day is drawn %q, want a cool one", c)
	}

	leakCols := []reports.Column{{Name: "period", Kind: reflect.String}, {Name: "crack", Kind: reflect.String}, {Name: "leads", Kind: reflect.Int64}}
	var rows [][]any
	for _, c := range reports.Cracks {
		rows = append(rows, []any{"2026-01", c, int64(1)})
	}
	leaks := seriesColours(t, option(t, leaksChart(reports.Table{Columns: leakCols, Rows: rows})))
	if len(leaks) != len(reports.Cracks) {
		t.Fatalf("%d crack series", len(leaks))
	}
	for name, c := range leaks {
		if c == "" || !warm(t, c) {
			t.Errorf("crack %s is drawn %q, want a warm colour", name, c)
		}
	}

	// Speed to lead's buckets: under five minutes green, no response red.
	var rcols []reports.Column
	var rrow []any
	for _, b := range responseBuckets {
		rcols = append(rcols, reports.Column{Name: b.column, Kind: reflect.Int64})
		rrow = append(rrow, int64(1))
	}
	o := option(t, bucketChart(reports.Table{Columns: rcols, Rows: [][]any{rrow}}))
	data := o["series"].([]any)[0].(map[string]any)["data"].([]any)
	first := data[0].(map[string]any)["itemStyle"].(map[string]any)["color"].(string)
	last := data[len(data)-1].(map[string]any)["itemStyle"].(map[string]any)["color"].(string)
	if warm(t, first) || !warm(t, last) {
		t.Errorf("response buckets: < 5 min %s, no response %s", first, last)
	}
}

func TestMonthLabel(t *testing.T) {
	for in, want := range map[string]string{"2026-01": "2026-01", "2026-01-01": "2026-01", "2026-12-01": "2026-12", "2026": "2026"} {
		if got := monthLabel(in); got != want {
			t.Errorf("monthLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// No chart builds a JavaScript function into its option: it would need an
// inline script, which the pages' Content-Security-Policy refuses, and one
// with data in it is how CRM text once ran as script.
func TestChartsHoldNoFunctions(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, banned := range []string{"FuncOpts(", "FuncStripCommentsOpts(", "AddJSFuncs(", "AddJSFuncStrs(", "RenderSnippet(", "template.HTML("} {
			if strings.Contains(string(raw), banned) && !(banned == "template.HTML(" && f == "overview.go") {
				t.Errorf("%s calls %s", f, banned)
			}
		}
	}
}

// A chart marks its option as safe script (template.JS); that holds
// because every value in it is JSON-escaped where it lands: a stage named
// to close the data block and open a script cannot, the line separators
// JavaScript reads as line ends are escaped, and the value reads back
// whole when the page parses the block.
func TestChartOptionEscapesDataInThePage(t *testing.T) {
	hostile := "mql</script><script>document.title='x'</script>\u2028\u2029<!--"
	cols := []reports.Column{{Name: "stage", Kind: reflect.String}, {Name: "open", Kind: reflect.Int64}}
	row := []any{hostile, int64(1)}
	for _, b := range agingBuckets {
		cols = append(cols, reports.Column{Name: b.column, Kind: reflect.Int64})
		row = append(row, int64(0))
	}
	c := agingChart(reports.Table{Columns: cols, Rows: [][]any{row}})
	page, err := Render(Page{Title: "t", Path: "/aging", NoFilters: true, Sections: []Section{{Title: "s", Chart: c}}})
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, bad := range []string{"</script><script>", "\u2028", "\u2029", "<!--"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page holds %q as written", bad)
		}
	}
	start := strings.Index(html, `<script type="application/json" class="chart-option">`)
	end := strings.Index(html[start:], "</script>")
	if start < 0 || end < 0 {
		t.Fatal("no chart data block")
	}
	block := html[start+len(`<script type="application/json" class="chart-option">`) : start+end]
	var o map[string]any
	if err := json.Unmarshal([]byte(block), &o); err != nil {
		t.Fatalf("the data block is not JSON: %v", err)
	}
	if !strings.Contains(block, `\u003c/script\u003e`) || !strings.Contains(fmt.Sprint(o["yAxis"]), hostile) {
		t.Errorf("the stage does not read back whole: %s", block)
	}
}
