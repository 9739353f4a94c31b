package routing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

// Timer is one step of the SLA timers: at After past an assignment with no
// sales touch yet, do Action (nudge_owner, nudge_manager or reassign).
type Timer struct {
	After  string `yaml:"after"`
	Action string `yaml:"action"`
}

// TimerActions are the actions a timer can take.
var TimerActions = []string{"nudge_owner", "nudge_manager", "reassign"}

// ParseTimers decodes and checks the sla_timers section of a rules file;
// none is no timers.
func ParseTimers(f *scoring.File) ([]Timer, error) {
	var ts []Timer
	if _, err := f.Decode("$.sla_timers", &ts); err != nil {
		return nil, err
	}
	var last time.Duration
	for i, t := range ts {
		at := fmt.Sprintf("$.sla_timers[%d]", i)
		d, err := models.ParseDuration(t.After)
		if err != nil {
			return nil, f.Errorf(at+".after", "after: %v", err)
		}
		if !slices.Contains(TimerActions, t.Action) {
			return nil, f.Errorf(at+".action", "unknown action %q (known: %s)", t.Action, strings.Join(TimerActions, ", "))
		}
		if d <= last {
			return nil, f.Errorf(at+".after", "timers go in order: %s does not come after the step before", t.After)
		}
		last = d
	}
	return ts, nil
}

// FeedParams say which stretch of the lake's history to turn into events.
type FeedParams struct {
	// Since and AsOf bound the stretch: events that happened after Since,
	// up to AsOf.
	Since, AsOf time.Time
	Scoring     *scoring.Rules
	Routing     *Config
	Timers      []Timer
	// Turns, when set, is where the router starts (the last stretch's
	// turns) and is left where this stretch's routing ended.
	Turns *RouterState
	// Context, when set, adds each routed or reassigned lead's context
	// packet (reports.ContextOf) as of the event to its payload, under
	// "context": what the rep needs to make the first call.
	Context *reports.Config
}

// FeedEvents are the events of a stretch of the lake's history:
//   - lead.assigned for every assignment made in it;
//   - lead.mql for a lead that is an MQL by the scoring rules at AsOf and
//     was not at Since, and score.changed for a lead whose total moved by a
//     point or more between the two;
//   - lead.routed for a lead that became an MQL in it with no assignment
//     before: the rep the routing rules give it then, with the audit;
//   - sla.nudge_owner, sla.nudge_manager and sla.reassign at each timer's
//     mark past an assignment that had no sales touch by then (a
//     reassignment names the rep the routing rules would give the lead,
//     with the audit).
//
// Each event's id comes from what it is about, so running the same
// stretch again makes the same ids.
func FeedEvents(ctx context.Context, l *lake.Lake, p FeedParams) ([]Event, error) {
	if err := models.PrepareLake(ctx, l); err != nil {
		return nil, err
	}
	var out []Event
	users, err := Users(ctx, l)
	if err != nil {
		return nil, err
	}
	byID := map[string]Rep{}
	for _, u := range users {
		byID[u.ID] = u
	}
	history, err := models.QueryAll[historyRow](ctx, l, "routing_history",
		map[string]any{"as_of": p.AsOf.UTC(), "ft_clock": "calendar", "ft_limit_minutes": 60.0, "ft_limit_workdays": nil})
	if err != nil {
		return nil, err
	}
	in := func(t time.Time) bool { return t.After(p.Since) && !t.After(p.AsOf) }
	for _, h := range history {
		if !in(h.AssignedAt) {
			continue
		}
		ev, err := NewEvent("lead.assigned", h.LeadID+"|"+h.AssignedAt.UTC().Format(time.RFC3339Nano), h.AssignedAt,
			map[string]any{"lead_id": h.LeadID, "owner_id": h.OwnerID, "owner": byID[h.OwnerID].Name, "assigned_at": h.AssignedAt.UTC()})
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}

	quadrants := map[string]string{}
	if p.Scoring != nil {
		before, _, err := scoring.Score(ctx, l, *p.Scoring, scoring.Params{AsOf: p.Since})
		if err != nil && err != models.ErrEmptyLake {
			return nil, err
		}
		now, _, err := scoring.Score(ctx, l, *p.Scoring, scoring.Params{AsOf: p.AsOf})
		if err != nil {
			return nil, err
		}
		prev := map[string]scoring.ScoreRow{}
		for _, s := range before {
			prev[s.LeadID] = s
		}
		for _, s := range now {
			quadrants[s.LeadID] = s.Quadrant
			was, seen := prev[s.LeadID]
			data := map[string]any{"lead_id": s.LeadID, "fit": s.Fit, "engagement": s.Engagement, "total": s.Total,
				"quadrant": s.Quadrant, "mql": s.MQL, "scored_at": s.ScoredAt}
			if s.MQL && (!seen || !was.MQL) {
				ev, err := NewEvent("lead.mql", s.LeadID, p.AsOf, data)
				if err != nil {
					return nil, err
				}
				out = append(out, ev)
			}
			if !seen || s.Total-was.Total >= 1 || was.Total-s.Total >= 1 {
				data["previous_total"] = was.Total
				ev, err := NewEvent("score.changed", fmt.Sprintf("%s|%s|%.2f", s.LeadID, p.AsOf.UTC().Format(time.RFC3339), s.Total), p.AsOf, data)
				if err != nil {
					return nil, err
				}
				out = append(out, ev)
			}
		}
	}

	// Routing decisions, for new MQLs and for reassignments, are made in
	// time order through one router, starting from the load the reps
	// carried when the stretch began.
	type job struct {
		at   time.Time
		lead Lead
		typ  string
		key  string
		data map[string]any
	}
	var jobs []job
	var attrs map[string]replayLead
	if p.Routing != nil {
		rows, err := models.QueryAll[replayLead](ctx, l, "routing_replay", map[string]any{"since": time.Time{}, "as_of": p.AsOf.UTC()})
		if err != nil {
			return nil, err
		}
		attrs = map[string]replayLead{}
		for _, r := range rows {
			attrs[r.LeadID] = r
		}
		type newMQL struct {
			LeadID  string    `col:"lead_id"`
			MQLAt   time.Time `col:"mql_at"`
			Country string    `col:"country"`
			Region  string    `col:"region"`
			Segment string    `col:"segment"`
			Source  string    `col:"source"`
		}
		mqls, err := models.QueryAll[newMQL](ctx, l, "routing_new_mqls", map[string]any{"since": p.Since.UTC(), "as_of": p.AsOf.UTC()})
		if err != nil {
			return nil, err
		}
		for _, m := range mqls {
			jobs = append(jobs, job{at: m.MQLAt, typ: "lead.routed", key: m.LeadID + "|" + m.MQLAt.UTC().Format(time.RFC3339Nano),
				lead: Lead{ID: m.LeadID, Country: m.Country, Region: m.Region, Segment: m.Segment, Source: m.Source, Quadrant: quadrants[m.LeadID], At: m.MQLAt},
				data: map[string]any{"lead_id": m.LeadID, "mql_at": m.MQLAt.UTC()}})
		}
	}
	for _, h := range history {
		for _, t := range p.Timers {
			d, _ := models.ParseDuration(t.After)
			mark := h.AssignedAt.Add(d)
			if !in(mark) || (h.StoppedAt != nil && !h.StoppedAt.After(mark)) || (h.SupersededAt != nil && !h.SupersededAt.After(mark)) {
				continue
			}
			owner := byID[h.OwnerID]
			data := map[string]any{"lead_id": h.LeadID, "owner_id": h.OwnerID, "owner": owner.Name,
				"assigned_at": h.AssignedAt.UTC(), "mark": t.After, "at": mark.UTC()}
			if t.Action == "nudge_manager" {
				if m := managerOf(owner, users); m != nil {
					data["manager_id"], data["manager"] = m.ID, m.Name
				}
			}
			key := h.LeadID + "|" + h.AssignedAt.UTC().Format(time.RFC3339Nano) + "|" + t.After
			if t.Action == "reassign" && p.Routing != nil {
				a := attrs[h.LeadID]
				jobs = append(jobs, job{at: mark, typ: "sla.reassign", key: key, data: data,
					lead: Lead{ID: h.LeadID, Country: a.Country, Region: a.Region, Segment: a.Segment, Source: a.Source, Quadrant: quadrants[h.LeadID], At: mark, Exclude: h.OwnerID}})
				continue
			}
			ev, err := NewEvent("sla."+t.Action, key, mark, data)
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
	}
	if len(jobs) > 0 {
		load := map[string][]time.Time{}
		window := p.Routing.window()
		for _, h := range history {
			if !h.AssignedAt.After(p.Since) && h.AssignedAt.After(p.Since.Add(-window)) {
				load[h.OwnerID] = append(load[h.OwnerID], h.AssignedAt)
			}
		}
		router := NewRouter(*p.Routing, users, load)
		if p.Turns != nil {
			router.Restore(*p.Turns)
			defer func() { *p.Turns = router.State() }()
		}
		slices.SortStableFunc(jobs, func(a, b job) int { return a.at.Compare(b.at) })
		for _, j := range jobs {
			dec := router.Route(j.lead)
			j.data["rule"], j.data["pool"], j.data["method"], j.data["fallback"] = dec.Rule, dec.Pool, dec.Method, dec.Fallback
			if dec.Rep != nil {
				j.data["new_owner_id"], j.data["new_owner"] = dec.Rep.ID, dec.Rep.Name
			}
			j.data["audit"] = dec.Audit()
			if p.Context != nil {
				lc, err := reports.ContextOf(ctx, l, j.lead.ID, j.at, *p.Context)
				if err != nil {
					return nil, fmt.Errorf("context of %s: %w", j.lead.ID, err)
				}
				j.data["context"] = lc
			}
			ev, err := NewEvent(j.typ, j.key, j.at, j.data)
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.At.Compare(b.At) })
	return out, nil
}

// managerOf is the manager of a rep's team.
func managerOf(rep Rep, users []Rep) *Rep {
	for i := range users {
		if users[i].Role == "manager" && users[i].Team == rep.Team && users[i].Active {
			return &users[i]
		}
	}
	return nil
}
