package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

// hostile appends to a value every way text from a CRM has been known to
// break out of a page: closing a script, an element with an event handler,
// a JavaScript URL, quotes of both kinds, ECharts' {a} placeholders and
// the line separators JavaScript reads as line ends. Each vector, if it
// ran, sets data-xss on the page's root to the dimension it came in.
func hostile(dim, value string) string {
	if value == "" {
		return ""
	}
	plant := `document.documentElement.dataset.xss='` + dim + `'`
	return value + ` </script><script>` + plant + `</script><img src=x onerror="` + plant + `"><a href="javascript:` + plant + `">x</a> '" {a}` + "\u2028" + `{b}` + "\u2029" + `end`
}

// rewriteCSV replaces the columns of a fixture copy with their hostile
// versions.
func rewriteCSV(t *testing.T, path string, columns map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range recs[0] {
		dim, ok := columns[name]
		if !ok {
			continue
		}
		for _, r := range recs[1:] {
			r[i] = hostile(dim, r[i])
		}
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// hostileLake is the reports fixture with every text a person or a web
// form writes made hostile: source, campaign, company, title, owner name,
// team, rejection and assignment reasons, activity details.
func hostileLake(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "testdata", "reports")
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(src, "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("fixture: %v", err)
	}
	var inputs []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.Base(f))
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, path)
	}
	rewriteCSV(t, filepath.Join(dir, "leads.csv"), map[string]string{"source": "source", "campaign": "campaign", "company": "company", "title": "title"})
	rewriteCSV(t, filepath.Join(dir, "spend.csv"), map[string]string{"source": "source", "campaign": "campaign"})
	rewriteCSV(t, filepath.Join(dir, "users.csv"), map[string]string{"name": "owner", "team": "team"})
	rewriteCSV(t, filepath.Join(dir, "dispositions.csv"), map[string]string{"reason": "reason"})
	rewriteCSV(t, filepath.Join(dir, "assignments.csv"), map[string]string{"reason": "assignment reason", "rule": "rule"})
	rewriteCSV(t, filepath.Join(dir, "activities.csv"), map[string]string{"detail": "detail"})
	lakeDir := filepath.Join(t.TempDir(), "lake")
	if _, err := ingest.Run(context.Background(), ingest.Options{Lake: lakeDir, Strict: true}, inputs); err != nil {
		t.Fatal(err)
	}
	return lakeDir
}

// hostileRules are the routing fixture's rules with its pools naming the
// hostile owners, so the routing page replays onto them.
func hostileRules(t *testing.T, opts Options) Options {
	t.Helper()
	raw, err := os.ReadFile("../testdata/routing/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	names, _ := json.Marshal([]string{hostile("owner", "Ana"), hostile("owner", "Ben")})
	ben, _ := json.Marshal([]string{hostile("owner", "Ben")})
	text := strings.Replace(string(raw), "na: [Ana, Ben]", "na: "+string(names), 1)
	text = strings.Replace(text, "emea: [Ben]", "emea: "+string(ben), 1)
	rules, err := scoring.ParseRules("rules.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	file, err := scoring.ParseFile("rules.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	opts.Rules, opts.RulesFile, opts.RulesRaw = &rules, file, []byte(text)
	return opts
}

// showEveryTip opens the tooltip of every data item of every chart, which
// is when ECharts writes a tooltip into the page, and returns the text of
// the tooltips it saw.
const showEveryTip = `(() => {
  const seen = [];
  document.querySelectorAll('.chart .item').forEach(el => {
    const chart = echarts.getInstanceByDom(el);
    if (!chart) { return; }
    (chart.getOption().series || []).forEach((s, si) => {
      (s.data || []).forEach((_, di) => {
        chart.dispatchAction({type: 'showTip', seriesIndex: si, dataIndex: di});
        el.querySelectorAll('div').forEach(d => { if (d.style.display !== 'none' && d.innerText) { seen.push(d.innerText); } });
      });
    });
  });
  return seen;
})()`

// Text from the data is text wherever it lands: in tables, filter
// suggestions, chart labels and tooltips, the lead's page and the weekly
// review, no planted script runs, and the browser reports nothing (a
// Content-Security-Policy refusal would be a console error: escaping, not
// the policy, is what must hold).
func TestHostileDataInChromium(t *testing.T) {
	opts := hostileRules(t, Options{Lake: hostileLake(t), Config: reports.DefaultConfig(), FeedEvery: -1})
	base := startServerWith(t, opts)
	b := newBrowser(t)
	pages := []string{
		"/overview", "/funnel?by=source", "/funnel?by=campaign", "/funnel?by=owner", "/funnel?by=team",
		"/speed?by=source", "/speed?by=owner", "/speed?by=team", "/aging", "/sources",
		"/sla?by=source", "/sla?by=owner", "/sla?by=team", "/quality?by=source", "/quality?by=campaign", "/quality?by=owner",
		"/leaks", "/scoring?window=30d", "/routing?since=2026-01-01", "/leads?what=created", "/leads?what=assigned",
		"/leads/L1", "/leads/L2", "/data", "/review", "/review?week=2026-W02",
		// Hostile text in the URL's own filters, echoed in the form.
		"/funnel?source=" + url.QueryEscape(hostile("url", "web")), "/leads?what=created&campaign=" + url.QueryEscape(hostile("url", "c1")),
	}
	tipsWithPayload, textWithPayload := 0, 0
	for _, page := range pages {
		t.Run(page, func(t *testing.T) {
			sep := "?"
			if strings.Contains(page, "?") {
				sep = "&"
			}
			err := chromedp.Do(b.ctx,
				chromedp.Navigate(base+page+sep+"as_of="+fixtureAsOf),
				chromedp.WaitReady(chromedp.CSS("body")),
				chromedp.Sleep(300*time.Millisecond),
			)
			if err != nil {
				t.Fatal(err)
			}
			tips, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](showEveryTip))
			if err != nil {
				t.Fatal(err)
			}
			for _, tip := range tips {
				if strings.Contains(tip, "</script>") {
					tipsWithPayload++
					break
				}
			}
			text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(text, "</script><script>") {
				textWithPayload++
			}
			planted, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.dataset.xss || ''`))
			if err != nil {
				t.Fatal(err)
			}
			if planted != "" {
				t.Errorf("script planted in %s ran", planted)
			}
			for _, p := range b.takeProblems() {
				t.Error(p)
			}
		})
	}
	// The payloads did reach the pages, as text: otherwise the test proves
	// nothing.
	if tipsWithPayload < 5 || textWithPayload < 10 {
		t.Errorf("pages with the payload in a tooltip: %d, as text: %d; want it shown", tipsWithPayload, textWithPayload)
	}
}
