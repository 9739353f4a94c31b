package routing

import (
	"context"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/scoring"
)

// ReplayParams say what history to replay and how to judge it.
type ReplayParams struct {
	// Since is when the replay starts: leads first handed to sales from
	// then on are routed again, in the order they were.
	Since time.Time
	// AsOf ends it; zero is the latest event.
	AsOf time.Time
	// Scoring gives the quadrants rules may match on (scored at each
	// lead's handoff); nil leaves quadrant empty.
	Scoring *scoring.Rules
	// FirstTouchClock and FirstTouchLimit are the first-touch SLA whose
	// met rate per rep predicts compliance; zero is 60 calendar minutes.
	FirstTouchClock string
	FirstTouchLimit time.Duration
}

// RepResult is one rep's share of the replay, proposed against actual.
type RepResult struct {
	Rep      string `col:"rep"`
	Team     string `col:"team"`
	Proposed int64  `col:"proposed"`
	Actual   int64  `col:"actual"`
	// MetRate is the rep's observed first-touch SLA met share over all
	// history, nil with none decided.
	MetRate *float64 `col:"first_touch_met_rate"`
	// ActualOverCapacity counts the leads the rep was actually given while
	// already at capacity in the window; the rules never do that.
	ActualOverCapacity int64 `col:"actual_over_capacity"`
}

// Replay is a dry run's answer.
type Replay struct {
	AsOf       time.Time
	Leads      int64
	Unassigned int64
	Fallback   int64
	// Queued counts the leads that waited for a rep's working hours;
	// QueuedPastLimit those whose wait alone ran past the first-touch
	// limit (counted as breaches in ProposedCompliance).
	Queued, QueuedPastLimit int64
	Reps                    []RepResult
	// Fairness is the coefficient of variation (standard deviation over
	// mean) of leads per rep over the reps in any pool: 0 is perfectly
	// even.
	ProposedFairness, ActualFairness *float64
	// Expected first-touch SLA compliance: each lead weighted by its rep's
	// observed met rate (the overall rate for a rep with none), for the
	// proposed and the actual assignments alike.
	ProposedCompliance, ActualCompliance *float64
	Decisions                            []Decision
}

type replayLead struct {
	LeadID      string    `col:"lead_id"`
	HandedAt    time.Time `col:"handed_at"`
	ActualOwner string    `col:"actual_owner"`
	Country     string    `col:"country"`
	Region      string    `col:"region"`
	Segment     string    `col:"segment"`
	Source      string    `col:"source"`
}

type historyRow struct {
	LeadID       string     `col:"lead_id"`
	OwnerID      string     `col:"owner_id"`
	AssignedAt   time.Time  `col:"assigned_at"`
	Status       string     `col:"status"`
	StoppedAt    *time.Time `col:"stopped_at"`
	SupersededAt *time.Time `col:"superseded_at"`
}

// Users are the lake's users as routing sees them.
func Users(ctx context.Context, l *lake.Lake) ([]Rep, error) {
	if err := models.PrepareLake(ctx, l); err != nil {
		return nil, err
	}
	return models.QueryAll[Rep](ctx, l, "routing_users", nil)
}

// RunReplay routes the leads handed to sales since p.Since through cfg, in
// the order they came, starting from the load the reps actually carried,
// and sets the result beside what actually happened.
func RunReplay(ctx context.Context, l *lake.Lake, cfg Config, p ReplayParams) (Replay, error) {
	if err := models.PrepareLake(ctx, l); err != nil {
		return Replay{}, err
	}
	if p.AsOf.IsZero() {
		latest, err := models.LatestEvent(ctx, l)
		if err != nil {
			return Replay{}, err
		}
		p.AsOf = latest
	}
	out := Replay{AsOf: p.AsOf}
	users, err := Users(ctx, l)
	if err != nil {
		return out, err
	}
	leads, err := models.QueryAll[replayLead](ctx, l, "routing_replay", map[string]any{"since": p.Since.UTC(), "as_of": p.AsOf.UTC()})
	if err != nil {
		return out, err
	}
	ftArgs := map[string]any{"as_of": p.AsOf.UTC(), "ft_clock": "calendar", "ft_limit_minutes": 60.0, "ft_limit_workdays": nil}
	if p.FirstTouchClock != "" {
		ftArgs["ft_clock"] = p.FirstTouchClock
	}
	if p.FirstTouchLimit > 0 {
		ftArgs["ft_limit_minutes"] = p.FirstTouchLimit.Minutes()
	}
	history, err := models.QueryAll[historyRow](ctx, l, "routing_history", ftArgs)
	if err != nil {
		return out, err
	}
	quadrants := map[string]string{}
	if p.Scoring != nil {
		scores, _, err := scoring.Score(ctx, l, *p.Scoring, scoring.Params{AsOf: p.AsOf, At: scoring.At{Mode: "handoff", Days: 7}})
		if err != nil {
			return out, err
		}
		for _, s := range scores {
			quadrants[s.LeadID] = s.Quadrant
		}
	}

	// The load the reps carried when the replay starts, and every rep's
	// observed first-touch met rate.
	load := map[string][]time.Time{}
	met, decided := map[string]int64{}, map[string]int64{}
	var allMet, allDecided int64
	window := cfg.window()
	for _, h := range history {
		if h.AssignedAt.Before(p.Since) && h.AssignedAt.After(p.Since.Add(-window)) {
			load[h.OwnerID] = append(load[h.OwnerID], h.AssignedAt)
		}
		if h.Status == "met" || h.Status == "breached" {
			decided[h.OwnerID]++
			allDecided++
			if h.Status == "met" {
				met[h.OwnerID]++
				allMet++
			}
		}
	}

	router := NewRouter(cfg, users, load)
	proposed, actual, late := map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, rl := range leads {
		d := router.Route(Lead{ID: rl.LeadID, Country: rl.Country, Region: rl.Region, Segment: rl.Segment,
			Source: rl.Source, Quadrant: quadrants[rl.LeadID], At: rl.HandedAt})
		out.Decisions = append(out.Decisions, d)
		out.Leads++
		switch {
		case d.Rep == nil:
			out.Unassigned++
		default:
			proposed[d.Rep.ID]++
			if d.Fallback && d.QueuedUntil.IsZero() {
				out.Fallback++
			}
			if !d.QueuedUntil.IsZero() {
				out.Queued++
				// The clock ran while the lead waited: past the limit
				// it is breached whoever answers.
				if p.FirstTouchLimit > 0 && d.Waited() > p.FirstTouchLimit {
					out.QueuedPastLimit++
					late[d.Rep.ID]++
				}
			}
		}
		actual[rl.ActualOwner]++
	}

	overCapacity := actualOverCapacity(history, users, p.Since, window)
	rate := func(id string) *float64 {
		if decided[id] == 0 {
			return nil
		}
		r := float64(met[id]) / float64(decided[id])
		return &r
	}
	overall := 0.0
	if allDecided > 0 {
		overall = float64(allMet) / float64(allDecided)
	}
	inPools := map[string]bool{}
	for _, members := range cfg.Pools {
		for _, who := range members {
			for _, u := range users {
				if u.ID == who || u.Name == who {
					inPools[u.ID] = true
				}
			}
		}
	}
	var propCounts, actCounts []float64
	var propExpected, actExpected float64
	var propN, actN int64
	for _, u := range users {
		if proposed[u.ID] == 0 && actual[u.ID] == 0 && !inPools[u.ID] {
			continue
		}
		out.Reps = append(out.Reps, RepResult{Rep: u.Name, Team: u.Team, Proposed: proposed[u.ID], Actual: actual[u.ID],
			MetRate: rate(u.ID), ActualOverCapacity: overCapacity[u.ID]})
		if inPools[u.ID] && u.Active {
			propCounts = append(propCounts, float64(proposed[u.ID]))
			actCounts = append(actCounts, float64(actual[u.ID]))
		}
		r := overall
		if x := rate(u.ID); x != nil {
			r = *x
		}
		propExpected += float64(proposed[u.ID]-late[u.ID]) * r
		actExpected += float64(actual[u.ID]) * r
		propN += proposed[u.ID]
		actN += actual[u.ID]
	}
	sort.SliceStable(out.Reps, func(i, j int) bool { return out.Reps[i].Proposed > out.Reps[j].Proposed })
	out.ProposedFairness, out.ActualFairness = variation(propCounts), variation(actCounts)
	if propN > 0 {
		v := propExpected / float64(propN)
		out.ProposedCompliance = &v
	}
	if actN > 0 {
		v := actExpected / float64(actN)
		out.ActualCompliance = &v
	}
	return out, nil
}

// actualOverCapacity counts, per rep, the assignments since since that
// came while the rep already held capacity or more in the window.
func actualOverCapacity(history []historyRow, users []Rep, since time.Time, window time.Duration) map[string]int64 {
	capacity := map[string]int64{}
	for _, u := range users {
		capacity[u.ID] = u.Capacity
	}
	times := map[string][]time.Time{}
	out := map[string]int64{}
	for _, h := range history {
		held := times[h.OwnerID]
		from := h.AssignedAt.Add(-window)
		held = slices.DeleteFunc(held, func(t time.Time) bool { return !t.After(from) })
		if c, ok := capacity[h.OwnerID]; ok && c >= 0 && !h.AssignedAt.Before(since) && int64(len(held)) >= c {
			out[h.OwnerID]++
		}
		times[h.OwnerID] = append(held, h.AssignedAt)
	}
	return out
}

// variation is the coefficient of variation, nil for no reps or none given.
func variation(counts []float64) *float64 {
	if len(counts) == 0 {
		return nil
	}
	var sum float64
	for _, c := range counts {
		sum += c
	}
	mean := sum / float64(len(counts))
	if mean == 0 {
		return nil
	}
	var ss float64
	for _, c := range counts {
		ss += (c - mean) * (c - mean)
	}
	v := math.Sqrt(ss/float64(len(counts))) / mean
	return &v
}
