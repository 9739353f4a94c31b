package routing

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

// January of the reports fixture as feed events, worked by hand from
// testdata/reports/README.md ("Response") and testdata/routing/rules.yaml:
//   - lead.assigned: A1–A6, six assignments.
//   - Timers at 30 min (nudge owner), 2 h (nudge manager), 24 h
//     (reassign) past an assignment with no touch by then: A1 (touched
//     after 20 min) and A2 (2 min) none; A3 (never touched, reassigned at
//     exactly 24 h) nudge owner and manager, no reassignment (it was
//     reassigned already); A4 (touched after 60 min) nudge owner; A5 (240
//     min) and A6 (930 min) nudge owner and manager. Seven.
//   - lead.mql: L2, 500 employees 15 + Software 10 + VP 20 = 45, the MQL
//     threshold; nobody else reaches 45. score.changed: the seven
//     January leads, all new.
//   - lead.routed: the January MQLs with no assignment before they became
//     MQLs: L1 (mql 01-06, A1 that afternoon), L2, L3 (via sql 01-13,
//     before A3), L4, L5, and L6 (never assigned). In time order, NA round
//     robin over Ana and Ben: L1 Ana, L2 Ben, L4 Ana, L6 Ben; EMEA to Ben:
//     L3, L5.
func TestFeedEventsOfJanuary(t *testing.T) {
	ctx := context.Background()
	l := reportsFixture(t)
	f, err := scoring.ReadFile("../testdata/routing/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := scoring.LoadRules("../testdata/routing/rules.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	users, err := Users(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(f, users)
	if err != nil {
		t.Fatal(err)
	}
	timers, err := ParseTimers(f)
	if err != nil {
		t.Fatal(err)
	}
	p := FeedParams{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), AsOf: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		Scoring: &rules, Routing: &cfg, Timers: timers}
	events, err := FeedEvents(ctx, l, p)
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string][]string{}
	for _, ev := range events {
		var d struct {
			LeadID string `json:"lead_id"`
		}
		json.Unmarshal(ev.Data, &d)
		byType[ev.Type] = append(byType[ev.Type], d.LeadID)
	}
	var got []string
	for typ, leads := range byType {
		sort.Strings(leads)
		got = append(got, fmt.Sprintf("%s: %s", typ, strings.Join(leads, " ")))
	}
	sort.Strings(got)
	want := []string{
		"lead.assigned: L1 L2 L3 L3 L4 L5",
		"lead.mql: L2",
		"lead.routed: L1 L2 L3 L4 L5 L6",
		"score.changed: L1 L2 L3 L4 L5 L6 L7",
		"sla.nudge_manager: L3 L4 L5",
		"sla.nudge_owner: L3 L3 L4 L5",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	var routed []string
	for _, ev := range events {
		if ev.Type == "lead.routed" {
			var d struct {
				LeadID   string `json:"lead_id"`
				NewOwner string `json:"new_owner"`
			}
			json.Unmarshal(ev.Data, &d)
			routed = append(routed, d.LeadID+" "+d.NewOwner)
		}
	}
	if got := strings.Join(routed, ", "); got != "L1 Ana, L2 Ben, L3 Ben, L4 Ana, L5 Ben, L6 Ben" {
		t.Errorf("routed: %s", got)
	}
	// With a config, each routed lead carries its context packet as of
	// the routing: L1 at its MQL (01-06 10:00), the stages lead and mql,
	// no owner yet (Ana is assigned at 15:05).
	withContext := p
	cfgReports := reports.DefaultConfig()
	withContext.Context = &cfgReports
	evs, err := FeedEvents(ctx, l, withContext)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		var d struct {
			LeadID  string              `json:"lead_id"`
			Context reports.LeadContext `json:"context"`
		}
		json.Unmarshal(ev.Data, &d)
		if ev.Type != "lead.routed" || d.LeadID != "L1" {
			continue
		}
		found = true
		var stages []string
		for _, e := range d.Context.Stages {
			stages = append(stages, e.What)
		}
		if d.Context.Lead.LeadID != "L1" || strings.Join(stages, " ") != "mql lead" || len(d.Context.Owners) != 0 ||
			!d.Context.AsOf.Equal(time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("L1's routed context: as of %v, stages %v, owners %v", d.Context.AsOf, stages, d.Context.Owners)
		}
	}
	if !found {
		t.Error("no lead.routed event for L1 with a context")
	}
	// Cut in two stretches with the turns carried over, January deals its
	// NA leads as one run would: L1 Ana in the first (to 01-07), then L2
	// Ben, L4 Ana, L5 Ben. A second stretch starting afresh would give L2
	// to Ana again.
	var turns RouterState
	routedIn := func(since, asOf time.Time, state *RouterState) []string {
		t0 := p
		t0.Since, t0.AsOf, t0.Turns = since, asOf, state
		evs, err := FeedEvents(ctx, l, t0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range evs {
			if ev.Type != "lead.routed" {
				continue
			}
			var d struct {
				LeadID   string `json:"lead_id"`
				NewOwner string `json:"new_owner"`
			}
			json.Unmarshal(ev.Data, &d)
			out = append(out, d.LeadID+" "+d.NewOwner)
		}
		return out
	}
	cut := time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC)
	first := routedIn(p.Since, cut, &turns)
	second := routedIn(cut, p.AsOf, &turns)
	if got := strings.Join(append(first, second...), ", "); got != "L1 Ana, L2 Ben, L3 Ben, L4 Ana, L5 Ben, L6 Ben" {
		t.Errorf("routed in two stretches with the turns carried: %s, want as one stretch", got)
	}
	if fresh := routedIn(cut, p.AsOf, &RouterState{}); len(fresh) == 0 || fresh[0] != "L2 Ana" {
		t.Errorf("the second stretch started afresh: %v, want L2 to Ana (the turn started over)", fresh)
	}
	// The same stretch again makes the same ids.
	again, err := FeedEvents(ctx, l, p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if events[i].ID != again[i].ID {
			t.Fatalf("event %d: id %s, then %s", i, events[i].ID, again[i].ID)
		}
	}

	// A reassignment timer names who the rules would give the lead: in
	// March, A8 (L12, Ana, Friday 21:00) is untouched 24 h later, and NA
	// leads go round robin over Ana and Ben, Ana excluded: Ben. The only
	// one: A11 was touched in 3 minutes, A9's mark (04-01 23:30) comes
	// after the stretch, A10's (02-11) before it.
	march, err := FeedEvents(ctx, l, FeedParams{Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), AsOf: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		Routing: &cfg, Timers: timers})
	if err != nil {
		t.Fatal(err)
	}
	var reassign []string
	for _, ev := range march {
		if ev.Type == "sla.reassign" {
			reassign = append(reassign, string(ev.Data))
		}
	}
	if len(reassign) != 1 || !strings.Contains(reassign[0], `"lead_id":"L12"`) || !strings.Contains(reassign[0], `"new_owner":"Ben"`) {
		t.Errorf("March reassignments: %v", reassign)
	}
}

// The CRM imports, checked against the columns each CRM's update import
// takes, on two leads written out by hand.
func TestWriteCRM(t *testing.T) {
	updates := []CRMUpdate{
		{LeadID: "00Q1", OwnerID: "005A", Score: scoring.ScoreRow{Total: 72.5, Fit: 60, Engagement: 12.5, Quadrant: "sales", MQL: true}},
		{LeadID: "00Q2", OwnerID: "005B", Score: scoring.ScoreRow{Total: 10, Fit: 10, Quadrant: "no_action"}},
	}
	for _, c := range []struct{ format, want string }{
		{"salesforce", "Id,OwnerId,Handoff_Score__c,Handoff_Fit__c,Handoff_Engagement__c,Handoff_Quadrant__c,Handoff_MQL__c\n" +
			"00Q1,005A,72.5,60,12.5,sales,TRUE\n00Q2,005B,10,10,0,no_action,FALSE\n"},
		{"hubspot", "Record ID,Contact owner,handoff_score,handoff_fit,handoff_engagement,handoff_quadrant,handoff_mql\n" +
			"00Q1,005A,72.5,60,12.5,sales,true\n00Q2,005B,10,10,0,no_action,false\n"},
	} {
		var b strings.Builder
		if err := WriteCRM(&b, c.format, updates); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%s:\n%s\nwant:\n%s", c.format, b.String(), c.want)
		}
	}
	if err := WriteCRM(io.Discard, "pipedrive", updates); err == nil {
		t.Error("an unknown CRM format was accepted")
	}
}
