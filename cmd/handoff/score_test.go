package main

import (
	"strings"
	"testing"
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
