package server

import (
	"context"
	"net/http"
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
