package reports

import (
	"context"
	"time"

	"github.com/handoff-dev/handoff/lake"
)

// Cracks are the ways an MQL falls through the handoff, in the order the
// leaks report lists them (and breaks ties in).
var Cracks = []string{"never_handed_off", "inactive_owner", "never_touched", "never_dispositioned",
	"rejected_without_reason", "stuck", "recycled_forgotten", "duplicate"}

// LeakRow is one crack in one period (and breakdown group).
type LeakRow struct {
	Period            string   `col:"period"`
	Dim               *string  `col:"dim"`
	Crack             string   `col:"crack"`
	Leads             int64    `col:"leads"`
	MQLs              int64    `col:"mqls"`
	Share             float64  `col:"share"`
	Recovered         int64    `col:"recovered"`
	RevenueAtRisk     *float64 `col:"revenue_at_risk"`
	UnknownValueLeads int64    `col:"unknown_value_leads"`
}

// Leaks classifies every MQL by the first crack it fell into and counts
// them per period and crack, with the revenue at risk.
func Leaks(ctx context.Context, l *lake.Lake, p Params, cfg Config) (Result[LeakRow], error) {
	p, err := prepare(ctx, l, "leaks", Dimensions, p)
	if err != nil {
		return Result[LeakRow]{}, err
	}
	args, err := cfg.leakArgs()
	if err != nil {
		return Result[LeakRow]{}, err
	}
	return run[LeakRow](ctx, l, "leaks", "leaks", p, args)
}

// LeakedRow is one lead that fell through a crack, with the evidence.
type LeakedRow struct {
	LeadID        string     `col:"lead_id"`
	Company       *string    `col:"company"`
	Crack         string     `col:"crack"`
	MQLAt         time.Time  `col:"mql_at"`
	CrackAt       time.Time  `col:"crack_at"`
	AgeDays       float64    `col:"age_days"`
	Owner         string     `col:"owner"`
	Team          string     `col:"team"`
	Source        string     `col:"source"`
	Campaign      string     `col:"campaign"`
	Segment       string     `col:"segment"`
	Recovered     bool       `col:"recovered"`
	RecoveredAt   *time.Time `col:"recovered_at"`
	RevenueAtRisk *float64   `col:"revenue_at_risk"`
	Evidence      string     `col:"evidence"`
}

// Leaked lists the leads behind the leaks report; p.What narrows it to
// one crack.
func Leaked(ctx context.Context, l *lake.Lake, p Params, cfg Config) (Result[LeakedRow], error) {
	p, qs, err := leakedPlan(ctx, l, p, cfg, "")
	if err != nil {
		return Result[LeakedRow]{}, err
	}
	return collect[LeakedRow](ctx, l, "leaked", p, qs)
}

func leakedPlan(ctx context.Context, l *lake.Lake, p Params, cfg Config, _ string) (Params, []query, error) {
	p, err := prepare(ctx, l, "leaked", nil, p)
	if err != nil {
		return p, nil, err
	}
	args, err := cfg.leakArgs()
	if err != nil {
		return p, nil, err
	}
	args["what"] = p.What
	return p, []query{{"leaked", args}}, nil
}
