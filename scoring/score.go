package scoring

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// At says when each lead is scored.
type At struct {
	// Mode is "as_of" (every lead at the as-of time), "handoff" (at its
	// first assignment, or Days after creation if never assigned) or
	// "created" (Days after creation).
	Mode string
	Days float64
}

// AtModes are the values of At.Mode.
var AtModes = []string{"as_of", "handoff", "created"}

// ParseAt reads "as_of", "handoff", "created+7d" or "handoff+14d" (the days
// for leads never assigned; 7 when not given).
func ParseAt(s string) (At, error) {
	mode, days, hasDays := strings.Cut(strings.TrimSpace(s), "+")
	at := At{Mode: mode, Days: 7}
	if hasDays {
		d, err := models.ParseDuration(days)
		if err != nil {
			return at, fmt.Errorf("%w: at %q: %w", ErrBadRules, s, err)
		}
		at.Days = d.Hours() / 24
	}
	switch {
	case mode == "as_of" && !hasDays, mode == "handoff", mode == "created":
		return at, nil
	}
	return at, fmt.Errorf("%w: at %q: want as_of, handoff, handoff+14d or created+7d", ErrBadRules, s)
}

// Params say what to score.
type Params struct {
	// AsOf is the time scores are computed at (or the latest time any lead
	// is scored at, with At); zero is the latest event in the lake.
	AsOf time.Time
	At   At
	// Filters keep leads whose dimension is one of the values (as in
	// reports: source, campaign, segment, region, industry, owner, team).
	Filters map[string][]string
}

// ScoreRow is one lead's score.
type ScoreRow struct {
	LeadID     string    `col:"lead_id" json:"lead_id"`
	Source     string    `col:"source" json:"source"`
	Campaign   string    `col:"campaign" json:"campaign"`
	Segment    string    `col:"segment" json:"segment"`
	Region     string    `col:"region" json:"region"`
	Owner      string    `col:"owner" json:"owner"`
	Team       string    `col:"team" json:"team"`
	ScoredAt   time.Time `col:"scored_at" json:"scored_at"`
	Fit        float64   `col:"fit" json:"fit"`
	Engagement float64   `col:"engagement" json:"engagement"`
	Total      float64   `col:"total" json:"total"`
	Quadrant   string    `col:"quadrant" json:"quadrant"`
	MQL        bool      `col:"mql" json:"mql"`
}

// PartRow is one rule that fired for a lead.
type PartRow struct {
	LeadID   string    `col:"lead_id" json:"lead_id"`
	ScoredAt time.Time `col:"scored_at" json:"scored_at"`
	// Part is "fit" or "engagement".
	Part string `col:"part" json:"part"`
	Rule string `col:"rule" json:"rule"`
	// Points are after decay and cap.
	Points float64 `col:"points" json:"points"`
	// Events and RawPoints are the engagement kind's events and their
	// points before decay and cap.
	Events      *int64  `col:"events" json:"events"`
	RawPoints   float64 `col:"raw_points" json:"raw_points"`
	CompanySize *int64  `col:"company_size" json:"company_size"`
	Industry    *string `col:"industry" json:"industry"`
	Country     *string `col:"country" json:"country"`
	Title       *string `col:"title" json:"title"`
}

// Score computes every lead's score as of p.AsOf (with p.At), highest
// first.
func Score(ctx context.Context, l *lake.Lake, r Rules, p Params) ([]ScoreRow, time.Time, error) {
	args, asOf, err := bind(ctx, l, r, p)
	if err != nil {
		return nil, asOf, err
	}
	rows, err := query[ScoreRow](ctx, l, "score", args)
	return rows, asOf, err
}

// Explain lists, for each of the leads, the rules that fired, fit rules
// first in the file's order, then the engagement kinds.
func Explain(ctx context.Context, l *lake.Lake, r Rules, p Params, leads []string) ([]PartRow, error) {
	args, _, err := bind(ctx, l, r, p)
	if err != nil {
		return nil, err
	}
	args["leads"] = leads
	return query[PartRow](ctx, l, "score_explain", args)
}

func query[T any](ctx context.Context, l *lake.Lake, model string, args map[string]any) ([]T, error) {
	return models.QueryAll[T](ctx, l, model, args)
}

// bind turns the rules and parameters into the models' arguments: the
// rules as parallel lists (score_parts in base.sql).
func bind(ctx context.Context, l *lake.Lake, r Rules, p Params) (map[string]any, time.Time, error) {
	if err := models.PrepareLake(ctx, l); err != nil {
		return nil, p.AsOf, err
	}
	if p.AsOf.IsZero() {
		latest, err := models.LatestEvent(ctx, l)
		if err != nil {
			return nil, p.AsOf, err
		}
		p.AsOf = latest
	}
	if p.At.Mode == "" {
		p.At = At{Mode: "as_of"}
	}
	// A list binds values of one type only: an absent number goes as NaN,
	// an absent title as "" (score_parts reads them back as NULL).
	var (
		fitRule, titles, inDim, inValue []string
		fitPoints, sizeMin, sizeMax     []float64
		inRule                          []int64
	)
	for i, f := range r.Fit {
		fitRule = append(fitRule, f.label())
		fitPoints = append(fitPoints, *f.Points)
		lo, hi := math.NaN(), math.NaN()
		if b := f.CompanySize; b != nil {
			lo, hi = orNaN(b.Min), orNaN(b.Max)
		}
		sizeMin, sizeMax = append(sizeMin, lo), append(sizeMax, hi)
		titles = append(titles, f.Title)
		for _, v := range f.Industry {
			inRule, inDim, inValue = append(inRule, int64(i+1)), append(inDim, "industry"), append(inValue, v)
		}
		for _, v := range f.Country {
			inRule, inDim, inValue = append(inRule, int64(i+1)), append(inDim, "country"), append(inValue, v)
		}
	}
	var (
		kinds                   []string
		points, halfLife, capAt []float64
	)
	for _, k := range r.Engagement.Kinds {
		kinds = append(kinds, k.Kind)
		points = append(points, *k.Points)
		halfLife = append(halfLife, orNaN(r.halfLifeDays(k)))
		capAt = append(capAt, orNaN(k.Max))
	}
	// As pairs: the driver cannot bind a MAP beside the lists above.
	filterDims, filterValues := []string{}, []string{}
	for dim, values := range p.Filters {
		for _, v := range values {
			filterDims, filterValues = append(filterDims, dim), append(filterValues, strings.ToLower(v))
		}
	}
	return map[string]any{
		"as_of": p.AsOf.UTC(), "at_mode": p.At.Mode, "at_days": p.At.Days,
		"fit_rule": nonNil(fitRule), "fit_points": nonNil(fitPoints), "fit_size_min": nonNil(sizeMin), "fit_size_max": nonNil(sizeMax),
		"fit_title": nonNil(titles), "fit_in_rule": nonNil(inRule), "fit_in_dim": nonNil(inDim), "fit_in_value": nonNil(inValue),
		"eng_kind": nonNil(kinds), "eng_points": nonNil(points), "eng_half_life": nonNil(halfLife), "eng_max": nonNil(capAt),
		"fit_threshold": *r.Thresholds.Fit, "engagement_threshold": *r.Thresholds.Engagement, "mql_threshold": *r.Thresholds.MQL,
		"filter_dims": filterDims, "filter_values": filterValues,
	}, p.AsOf, nil
}

func orNaN(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

// nonNil makes an empty list bind as [] rather than NULL.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
