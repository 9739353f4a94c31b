package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/reports"
)

// GET /api/v1/leads/L1/context on the report fixture (testdata/reports):
// L1's five stages, its one owner (U1, Ana), its touches on either side
// and its score with the explanation, from the fixture rules.
func TestContextPacketOverTheAPI(t *testing.T) {
	base := startServerWith(t, withFixtureRules(t, Options{Lake: fixtureLake(t), Config: reports.DefaultConfig(), FeedEvery: -1}))
	resp, body := get(t, base+"/api/v1/leads/L1/context")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var p struct {
		Lead struct {
			LeadID string `json:"lead_id"`
			Source string
			Stage  *string
		} `json:"lead"`
		Stages []struct{ What string }        `json:"stages"`
		Owners []struct{ What string }        `json:"owner_history"`
		Sales  []struct{ What string }        `json:"sales_touches"`
		Engage []struct{ What string }        `json:"engagement"`
		SLAs   []struct{ SLA, Status string } `json:"sla_clocks"`
		Score  *struct {
			Total    float64
			Quadrant string
		} `json:"score"`
		Explanation []string `json:"score_explanation"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	var stages []string
	for _, s := range p.Stages {
		stages = append(stages, s.What)
	}
	if p.Lead.LeadID != "L1" || p.Lead.Source != "web" || p.Lead.Stage == nil || *p.Lead.Stage != "customer" ||
		strings.Join(stages, " ") != "customer opportunity sql mql lead" {
		t.Errorf("L1: %+v, stages %v", p.Lead, stages)
	}
	if len(p.Owners) != 1 || p.Owners[0].What != "Ana" || len(p.Sales) != 2 || len(p.Engage) != 1 {
		t.Errorf("L1: owners %v, sales touches %v (want 2 calls), engagement %v (want the e-mail open)", p.Owners, p.Sales, p.Engage)
	}
	if len(p.SLAs) != 3 {
		t.Errorf("L1's SLA clocks: %v, want one per default SLA", p.SLAs)
	}
	if p.Score == nil || p.Score.Quadrant == "" || len(p.Explanation) == 0 {
		t.Errorf("L1 has no score or explanation: %+v %v", p.Score, p.Explanation)
	}
	if resp, _ := get(t, base+"/api/v1/leads/NOPE/context"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown lead: %d, want 404", resp.StatusCode)
	}
	if resp, body := get(t, base+"/leads/NOPE"); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "no such lead") {
		t.Errorf("the page of an unknown lead: %d, want 404 saying so", resp.StatusCode)
	}
}
