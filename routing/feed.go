package routing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
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
}

// FeedEvents are the events of a stretch of the lake's history:
//   - lead.assigned for every assignment made in it;
//   - lead.mql for a lead that is an MQL by the scoring rules at AsOf and
//     was not at Since, and score.changed for a lead whose total moved by a
//     point or more between the two;
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

	if len(p.Timers) > 0 {
		var router *Router
		var leadAttrs map[string]replayLead
		if p.Routing != nil {
			router = NewRouter(*p.Routing, users, nil)
			rows, err := models.QueryAll[replayLead](ctx, l, "routing_replay", map[string]any{"since": time.Time{}, "as_of": p.AsOf.UTC()})
			if err != nil {
				return nil, err
			}
			leadAttrs = map[string]replayLead{}
			for _, r := range rows {
				leadAttrs[r.LeadID] = r
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
				if t.Action == "reassign" && router != nil {
					a := leadAttrs[h.LeadID]
					dec := router.Route(Lead{ID: h.LeadID, Country: a.Country, Region: a.Region, Segment: a.Segment, Source: a.Source, At: mark, Exclude: h.OwnerID})
					if dec.Rep != nil {
						data["new_owner_id"], data["new_owner"] = dec.Rep.ID, dec.Rep.Name
					}
					data["audit"] = dec.Audit()
				}
				ev, err := NewEvent("sla."+t.Action, h.LeadID+"|"+h.AssignedAt.UTC().Format(time.RFC3339Nano)+"|"+t.After, mark, data)
				if err != nil {
					return nil, err
				}
				out = append(out, ev)
			}
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
