package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/sample/sampletest"
)

// The scoring commands on the reports fixture with testdata/routing's
// rules: L2 is the one MQL (500 employees 15 + Software 10 + VP 20 = 45).
func TestScoringCommands(t *testing.T) {
	lakeDir := fixtureLake(t)
	rules := "../../testdata/routing/rules.yaml"
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"score, the top lead", []string{"score", "--lake", lakeDir, "--rules", rules, "--limit", "1", "--format", "csv"},
			[]string{"lead_id,source,campaign,segment,region,owner,team,scored_at,fit,engagement,total,quadrant,mql", "L2,web,c1,mid_market,NA,Ana,SDR NA,"}},
		{"score explained", []string{"score", "--lake", lakeDir, "--rules", rules, "--lead", "L2"},
			[]string{"fit 45 + engagement 0 = 45", "an MQL (threshold 45)", "senior title", `title "VP"`}},
		{"routing dry run", []string{"route", "--dry-run", "--lake", lakeDir, "--rules", rules, "--since", "2026-01-01", "--as-of", "2026-04-01T00:00:00Z"},
			[]string{"Replayed 10 leads", "proposed 0.40, actual 0.20", "proposed 32.0%, actual 36.0%", "  Ben  SDR EMEA         7       6"}},
		{"salesforce import", []string{"crm-export", "--lake", lakeDir, "--rules", rules, "--format", "salesforce"},
			[]string{"Id,OwnerId,Handoff_Score__c,Handoff_Fit__c,Handoff_Engagement__c,Handoff_Quadrant__c,Handoff_MQL__c", "L2,U1,45,45,0,nurture,TRUE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, c.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
	code, _, stderr := runCLI(t, "route", "--lake", lakeDir, "--rules", rules, "--since", "2026-01-01")
	if code != exitUsage || !strings.Contains(stderr, "only --dry-run") {
		t.Errorf("route without --dry-run: exit %d %s", code, stderr)
	}
}

// The backtest's JSON states its own parameters (not a report's window of
// 0d) and what it concluded, consistent with its rows.
func TestBacktestJSONSummary(t *testing.T) {
	l := sampletest.Lake(t, 3000, 5)
	code, stdout, stderr := runCLI(t, "backtest", "--lake", l.Dir, "--rules", "../../examples/rules.yaml", "--window", "120d", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Params  map[string]any   `json:"params"`
		Summary map[string]any   `json:"summary"`
		Rows    []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Params["window"] != "120d" || doc.Params["outcome"] != "sql" {
		t.Errorf("params %v", doc.Params)
	}
	leads, converted := doc.Summary["leads"].(float64), doc.Summary["converted"].(float64)
	if leads == 0 || math.Abs(doc.Summary["base_rate"].(float64)-converted/leads) > 1e-9 {
		t.Errorf("summary %v: base rate is not converted ÷ leads", doc.Summary)
	}
	if auc, ok := doc.Summary["auc"].(float64); !ok || auc <= 0 || auc >= 1 {
		t.Errorf("auc %v", doc.Summary["auc"])
	}
	found := false
	for _, r := range doc.Rows {
		if r["threshold"] == doc.Summary["recommended_threshold"] {
			found = true
		}
	}
	if !found || doc.Summary["why"] == "" {
		t.Errorf("recommended %v (%v) is not one of the rows' thresholds", doc.Summary["recommended_threshold"], doc.Summary["why"])
	}

	// A breach ceiling between the rows' shares: the recommendation is the
	// lowest threshold whose expected share keeps within it, and the one
	// below it does not.
	shares := map[float64]bool{}
	for _, r := range doc.Rows {
		shares[r["expected_breach_rate"].(float64)] = true
	}
	if len(shares) < 3 {
		t.Fatalf("expected breach shares %v: want them to differ by threshold", shares)
	}
	mid := (doc.Rows[0]["expected_breach_rate"].(float64) + doc.Rows[len(doc.Rows)-1]["expected_breach_rate"].(float64)) / 2
	code, stdout, stderr = runCLI(t, "backtest", "--lake", l.Dir, "--rules", "../../examples/rules.yaml", "--window", "120d", "--format", "json",
		"--max-breach", fmt.Sprintf("%.4f%%", mid*100))
	if code != exitOK {
		t.Fatalf("--max-breach: exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary["recommended_by"] != "max_breach" || math.Abs(doc.Params["max_breach"].(float64)-mid) > 1e-6 {
		t.Fatalf("ceiling %.4f: summary %v, params %v", mid, doc.Summary, doc.Params)
	}
	for i, r := range doc.Rows {
		if r["threshold"] == doc.Summary["recommended_threshold"] {
			if r["expected_breach_rate"].(float64) > mid || i == 0 || doc.Rows[i-1]["expected_breach_rate"].(float64) <= mid {
				t.Errorf("recommended row %v under a ceiling of %.4f; the row below: %v", r, mid, doc.Rows[max(i-1, 0)])
			}
		}
	}

	// Each rep's day at each threshold, for a file.
	code, stdout, stderr = runCLI(t, "backtest", "--lake", l.Dir, "--rules", "../../examples/rules.yaml", "--window", "120d", "--format", "json", "--show", "loads")
	if code != exitOK {
		t.Fatalf("--show loads: exit %d: %s", code, stderr)
	}
	var loads struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(stdout), &loads); err != nil {
		t.Fatal(err)
	}
	reps := map[any]bool{}
	for _, r := range loads.Rows {
		reps[r["owner"]] = true
	}
	if len(reps) < 9 || len(loads.Rows) != len(reps)*len(doc.Rows) {
		t.Errorf("--show loads: %d rows for %d reps and %d thresholds", len(loads.Rows), len(reps), len(doc.Rows))
	}

	code, _, stderr = runCLI(t, "backtest", "--lake", l.Dir, "--rules", "../../examples/rules.yaml", "--max-breach", "150%")
	if code != exitUsage || !strings.Contains(stderr, "--max-breach") {
		t.Errorf("--max-breach 150%%: exit %d %s", code, stderr)
	}
}
