package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

// The scoring page backtests the server's rules: the April leads of
// testdata/scoring, worked by hand in its README ("Backtest").
func TestScoringPage(t *testing.T) {
	lakeDir := filepath.Join(t.TempDir(), "lake")
	inputs, _ := filepath.Glob("../testdata/scoring/*.csv")
	if _, err := ingest.Run(context.Background(), ingest.Options{Lake: lakeDir, Strict: true}, inputs); err != nil {
		t.Fatal(err)
	}
	rules, err := scoring.LoadRules("../testdata/scoring/rules.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	base := startServerWith(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), Rules: &rules})
	q := "?as_of=2026-06-01T00:00:00Z&from=2026-04-01&to=2026-04-30&window=30d&capacity=0.5&thresholds=0,25,40,60"
	resp, body := get(t, base+"/scoring"+q)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scoring page: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		// 40 hands over B1 and B6: 2 in 6 working days, 1 converted:
		// precision 50%, 1.5× the base rate of 1/3, recall 1 of 2.
		"Recommended MQL threshold: 40. It would have handed sales 0.3 leads a working day (2 a month) against a capacity of 0.5; 50.0% of them reached sql, 1.50× the base rate, catching 50.0% of all that did.",
		`<span class="label">ROC AUC</span><span class="value">0.75</span>`,
		`<span class="label">Leads judged</span><span class="value">6</span>`,
		// Precision by threshold 40%, 50%, 50%, 100%.
		`"name":"precision (right)","type":"line","yAxisIndex":1,"data":[{"value":40},{"value":50},{"value":50},{"value":100}]`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scoring page lacks %s", want)
		}
	}
	resp, body = get(t, base+"/scoring?capacity=lots")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "capacity") {
		t.Errorf("a capacity that is no number: %d", resp.StatusCode)
	}

	// Without rules the page says how to give some.
	resp, body = get(t, startServer(t, lakeDir)+"/scoring")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Start it with --rules rules.yaml") {
		t.Errorf("no rules: %d\n%s", resp.StatusCode, body)
	}
}

// The routing page replays the reports fixture through
// testdata/routing/rules.yaml: routing/replay_test.go works the numbers out
// (Ana 3 proposed against 4 actual, Ben 7 against 6).
func TestRoutingPage(t *testing.T) {
	raw, err := os.ReadFile("../testdata/routing/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Lake: fixtureLake(t), Config: reports.DefaultConfig()}
	r, err := scoring.ParseRules("rules.yaml", raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := scoring.ParseFile("rules.yaml", raw)
	if err != nil {
		t.Fatal(err)
	}
	opts.Rules, opts.RulesFile = &r, f
	base := startServerWith(t, opts)
	pageHas(t, base, "/routing", nil)
	resp, body := get(t, base+"/routing?as_of="+fixtureAsOf+"&since=2026-01-01")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("routing page: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		`<span class="label">Leads replayed</span><span class="value">10</span>`,
		`<td>Ben</td><td>SDR EMEA</td><td class="num">7</td><td class="num">6</td><td class="num">20.0%</td>`,
		`<td>Ana</td><td>SDR NA</td><td class="num">3</td><td class="num">4</td><td class="num">60.0%</td>`,
		// Expected compliance 0.32 proposed, 0.36 actually.
		`32.0%`, `actually 36.0%`,
		`L2 → Ben by rule &#34;NA&#34;, pool na (round robin).`,
		// Each audited lead opens its page.
		`<td><a href="/leads/L2">L2</a></td>`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("routing page lacks %s", want)
		}
	}
}
