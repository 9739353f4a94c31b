package server

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/sample/sampletest"
)

// browser starts headless Chromium (Debian's chromium, which scripts/test
// installs) and records every console error, uncaught exception and
// request that leaves 127.0.0.1.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("drives headless Chromium")
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("no chromium on PATH (scripts/test installs Debian's chromium): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1400, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// Bounded by the test binary's -timeout, not by a fixed time a busy
	// machine could overrun: a page that never loads still ends the test.
	cancelTimeout := context.CancelFunc(func() {})
	if deadline, ok := t.Deadline(); ok {
		ctx, cancelTimeout = context.WithDeadline(ctx, deadline.Add(-10*time.Second))
	}
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{ctx: ctx}
	err = chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value))
				}
				b.note("console error: " + strings.Join(args, " "))
			}
		case *cdplog.EventEntryAdded:
			// Content-Security-Policy violations and failed loads land
			// here, not on the console API.
			if e.Entry.Level == cdplog.EntryLevelError {
				b.note("log error: " + e.Entry.Text + " " + e.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			b.note("exception: " + e.ExceptionDetails.Text)
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(e.Request.URL); err == nil && u.Scheme != "data" && u.Hostname() != "127.0.0.1" {
				b.note("request left 127.0.0.1: " + e.Request.URL)
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

func (b *browser) note(p string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, p)
}

// takeProblems returns what went wrong since the last call.
func (b *browser) takeProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// screenshotDir keeps the pages' screenshots: $HANDOFF_SCREENSHOTS when
// set (to look at them), else a temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("HANDOFF_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// chartsDrawn counts the page's chart elements and those ECharts drew a
// canvas with at least one series into.
const chartsDrawn = `(() => {
  const items = [...document.querySelectorAll('.chart .item')];
  const drawn = items.filter(el => {
    const c = echarts.getInstanceByDom(el);
    return c && el.querySelector('canvas') && el.querySelector('canvas').width > 0 && c.getOption().series.length > 0;
  });
  return [items.length, drawn.length];
})()`

func TestPagesInChromium(t *testing.T) {
	base := startServerWith(t, withFixtureRules(t, Options{Lake: fixtureLake(t), Config: reports.DefaultConfig()}))
	b := newBrowser(t)
	shots := screenshotDir(t)
	// The leads and data pages are tables and forms: no chart to draw.
	noCharts := map[string]bool{"/leads": true, "/data": true, "/leads/L1": true}
	// The scoring page judges leads whose window closed by the as-of time:
	// 30 days lets January's and February's in.
	extra := map[string]string{"/scoring": "&window=30d", "/routing": "&since=2026-01-01"}
	for _, page := range []string{"/overview", "/funnel", "/speed", "/aging", "/sources", "/sla", "/quality", "/leaks", "/scoring", "/routing", "/leads", "/data", "/leads/L1"} {
		t.Run(page, func(t *testing.T) {
			err := chromedp.Do(b.ctx,
				chromedp.Navigate(base+page+"?as_of="+fixtureAsOf+extra[page]),
				chromedp.WaitVisible(chromedp.CSS("section")),
				chromedp.Sleep(1200*time.Millisecond), // ECharts animates in for a second
			)
			if err != nil {
				t.Fatal(err)
			}
			counts, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int](chartsDrawn))
			if err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(shots, strings.ReplaceAll(strings.Trim(page, "/"), "/", "-")+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", file)
			if len(counts) != 2 || counts[0] == 0 && !noCharts[page] || counts[0] != counts[1] {
				t.Errorf("charts on the page / drawn: %v", counts)
			}
			for _, p := range b.takeProblems() {
				t.Error(p)
			}
		})
	}
}

// A filter typed into the form goes into the URL and changes the numbers;
// the CSV behind a chart holds the numbers the chart shows.
func TestFunnelFiltersAndDownloadInChromium(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	b := newBrowser(t)
	firstBar := `echarts.getInstanceByDom(document.querySelector('.chart .item')).getOption().series[0].data[0].value`
	err := chromedp.Do(b.ctx,
		chromedp.Navigate(base+"/funnel?as_of="+fixtureAsOf),
		chromedp.WaitVisible(chromedp.CSS(".chart .item canvas")),
	)
	if err != nil {
		t.Fatal(err)
	}
	before, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](firstBar))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(b.ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="source"]`), "web"),
		chromedp.Submit(chromedp.CSS(`input[name="source"]`)),
		chromedp.Sleep(200*time.Millisecond),
		chromedp.WaitVisible(chromedp.CSS(".chart .item canvas")),
	)
	if err != nil {
		t.Fatal(err)
	}
	location, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	after, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](firstBar))
	if err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(".downloads a"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	csvHref := href.Value
	if !strings.Contains(location, "source=web") {
		t.Errorf("after filtering the URL is %s, want source=web in it", location)
	}
	// All leads: lead→MQL pooled over the fixture's cohorts is 10/13.
	if before != 76.9 || after == before {
		t.Errorf("lead→MQL bar: %v before the filter, %v after; want 76.9 and a change", before, after)
	}

	// The download behind the first chart, parsed independently: pooled
	// reached_to / reached_from of lead→mql is the bar's value.
	resp, body := get(t, base+csvHref)
	if resp.StatusCode != 200 {
		t.Fatalf("download %s: %d", csvHref, resp.StatusCode)
	}
	records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var from, to int
	for _, r := range records[1:] {
		if r[1] == "lead" && r[2] == "mql" {
			f, _ := strconv.Atoi(r[3])
			g, _ := strconv.Atoi(r[4])
			from, to = from+f, to+g
		}
	}
	if from == 0 || fmt.Sprintf("%.1f", float64(to)/float64(from)*100) != fmt.Sprintf("%.1f", after) {
		t.Errorf("CSV gives lead→MQL %d of %d, the chart %v", to, from, after)
	}
	for _, p := range b.takeProblems() {
		t.Error(p)
	}
}

// In a dark system theme the page and its charts are dark; the header's
// toggle switches to light and the choice outlives a reload.
func TestDarkThemeInChromium(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	b := newBrowser(t)
	prefersDark := chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return chromedp.Void{}, err
	})
	const look = `[getComputedStyle(document.body).backgroundColor,
	  String(echarts.getInstanceByDom(document.querySelector('.chart .item')).getOption().backgroundColor)]`
	err := chromedp.Do(b.ctx,
		prefersDark,
		chromedp.Navigate(base+"/overview?as_of="+fixtureAsOf),
		chromedp.WaitVisible(chromedp.CSS(".chart .item canvas")),
		chromedp.Sleep(1200*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	dark, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](look))
	if err != nil {
		t.Fatal(err)
	}
	// --bg of the dark theme is #16191d; charts draw on transparent.
	if len(dark) != 2 || dark[0] != "rgb(22, 25, 29)" || dark[1] != "transparent" {
		t.Errorf("dark system theme: body and chart background %v", dark)
	}
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(screenshotDir(t), "overview-dark.png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)

	err = chromedp.Do(b.ctx,
		chromedp.Click(chromedp.CSS("button.theme")),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.WaitVisible(chromedp.CSS(".chart .item canvas")),
	)
	if err != nil {
		t.Fatal(err)
	}
	light, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](look))
	if err != nil {
		t.Fatal(err)
	}
	if len(light) != 2 || light[0] != "rgb(255, 255, 255)" || light[1] == "transparent" {
		t.Errorf("after the toggle: body and chart background %v, want the light theme", light)
	}
	for _, p := range b.takeProblems() {
		t.Error(p)
	}
}

// The heatmap's colours say what its caption says: the slowest hour is the
// reddest cell, the fastest the greenest. ECharts is asked for the colour
// it gave each cell, and the medians come from the API's rows.
func TestHeatmapColoursFollowTheMediansInChromium(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	b := newBrowser(t)
	err := chromedp.Do(b.ctx,
		chromedp.Navigate(base+"/speed?as_of="+fixtureAsOf),
		chromedp.WaitVisible(chromedp.CSS(".chart .item canvas")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Each cell: its name (weekday and hour) and the colour drawn.
	cells, err := chromedp.Run(b.ctx, chromedp.Evaluate[[][]string](`(() => {
	  const el = [...document.querySelectorAll('.chart .item')].find(e => echarts.getInstanceByDom(e).getOption().series[0].type === 'heatmap');
	  const chart = echarts.getInstanceByDom(el);
	  return chart.getOption().series[0].data.map((d, i) => [d.name.slice(0, 9), String(chart.getVisual({seriesIndex: 0, dataIndex: i}, 'color'))]);
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := getReport(t, base+"/api/v1/reports/response?by=weekday_hour&as_of="+fixtureAsOf)
	median := map[string]float64{}
	for _, r := range rows.Rows {
		if m, ok := r["p50_minutes"].(float64); ok {
			median[r["weekday_hour"].(string)+":00"] = m
		}
	}
	if len(cells) == 0 || len(cells) != len(median) {
		t.Fatalf("%d cells, %d medians: %v %v", len(cells), len(median), cells, median)
	}
	slowest, fastest := cells[0], cells[0]
	for _, c := range cells {
		if median[c[0]] > median[slowest[0]] {
			slowest = c
		}
		if median[c[0]] < median[fastest[0]] {
			fastest = c
		}
	}
	// The scale runs #1a9850 (fast) → #fee08b → #d73027 (slow); the
	// slowest cell is past the 90th percentile, so as red as it gets.
	if !strings.Contains(strings.ToLower(slowest[1]), "215,48,39") && !strings.EqualFold(slowest[1], "#d73027") {
		t.Errorf("the slowest cell (%s, %.0f min) is drawn %s, want the scale's red", slowest[0], median[slowest[0]], slowest[1])
	}
	if slowest[1] == fastest[1] {
		t.Errorf("the slowest (%s) and fastest (%s) cells share the colour %s", slowest[0], fastest[0], slowest[1])
	}
	for _, p := range b.takeProblems() {
		t.Error(p)
	}
}

// On a 1280 px laptop screen, each wide table shows the columns a reader
// came for without scrolling, says that it scrolls, and keeps its first
// column in view.
func TestKeyColumnsVisibleAt1280InChromium(t *testing.T) {
	l := sampletest.Lake(t, 3000, 11)
	base := startServer(t, l.Dir)
	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	shots := screenshotDir(t)
	for _, c := range []struct {
		page, section string
		key           []string
	}{
		{"/sources", "Cost per stage", []string{"source", "leads", "spend", "won_revenue", "cost_per_lead", "cost_per_mql", "cost_per_customer", "roi"}},
		{"/leads?what=handed_off", "", []string{"lead_id", "event_at", "outcome", "minutes"}},
		{"/aging", "Stuck", []string{"lead_id", "stage", "age_days", "limit_days", "owner"}},
		{"/speed", "Median response", []string{"owner", "n", "p50_minutes", "p90_minutes", "pending", "no_response"}},
		{"/overview", "Rows", []string{"period", "leads", "mqls", "mqls_reached_sql", "mql_to_sql", "sqls", "median_response_minutes", "first_touch_compliance", "pipeline", "won_revenue"}},
		{"/data", "Recent ingests", []string{"finished", "file", "rows", "accepted", "quarantined"}},
	} {
		t.Run(c.page, func(t *testing.T) {
			if err := chromedp.Do(b.ctx, chromedp.Navigate(base+c.page), chromedp.WaitVisible(chromedp.CSS("section"))); err != nil {
				t.Fatal(err)
			}
			// For the section's table (the first whose title starts so):
			// each key column's header and whether its right edge is
			// inside the visible box.
			js := fmt.Sprintf(`(() => {
			  const sec = [...document.querySelectorAll('section')].find(s => s.querySelector('h2').textContent.startsWith(%q) && s.querySelector('table'));
			  if (!sec) { return {found: false}; }
			  const wrap = sec.querySelector('.table-wrap');
			  const box = wrap.getBoundingClientRect();
			  const heads = [...wrap.querySelectorAll('th')].map(th => [th.textContent, th.getBoundingClientRect().right <= box.right + 1]);
			  return {found: true, heads: heads, scrolls: wrap.classList.contains('scrolls'), wide: wrap.scrollWidth > wrap.clientWidth + 1,
			    hint: !!(wrap.previousElementSibling && wrap.previousElementSibling.classList.contains('scroll-hint'))};
			})()`, c.section)
			type tableView struct {
				Found         bool
				Heads         [][]any
				Scrolls, Wide bool
				Hint          bool
			}
			got, err := chromedp.Run(b.ctx, chromedp.Evaluate[tableView](js))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Found {
				t.Fatalf("no table under %q", c.section)
			}
			visible := map[string]bool{}
			var order []string
			for _, h := range got.Heads {
				order = append(order, h[0].(string))
				visible[h[0].(string)] = h[1].(bool)
			}
			for i, k := range c.key {
				if i >= len(order) || order[i] != k || !visible[k] {
					t.Errorf("key column %s: position %d of %v, visible %v", k, i, order, visible[k])
				}
			}
			shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(shots, "1280"+strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(c.page)+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			if got.Wide != got.Scrolls || got.Wide != got.Hint {
				t.Errorf("wider than its box %v, marked %v, hint %v", got.Wide, got.Scrolls, got.Hint)
			}
			for _, p := range b.takeProblems() {
				t.Error(p)
			}
		})
	}
}

// At 1440 px the navigation is one line: no page's name breaks off onto a
// second.
func TestNavigationFitsOneLineInChromium(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	b := newBrowser(t)
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1440, 900), chromedp.Navigate(base+"/overview?as_of="+fixtureAsOf), chromedp.WaitVisible(chromedp.CSS("nav"))); err != nil {
		t.Fatal(err)
	}
	tops, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`[...document.querySelectorAll('nav a')].map(a => a.getBoundingClientRect().top)`))
	if err != nil {
		t.Fatal(err)
	}
	for i, top := range tops {
		if top != tops[0] {
			t.Errorf("nav link %d sits at %v, the first at %v: the navigation wraps", i, top, tops[0])
		}
	}
}
