package reports

import (
	"context"
	"slices"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// shareClocks has the SLA clocks and leak cases a model is about to read
// computed once for the lake (models.ShareSLA, models.ShareLeaks), when the
// report is as of an as-of the pages use by default (sharedAsOfs): the
// views of one page, and every page after it, then read them instead of
// computing them again. At any other as-of the model computes them itself.
func shareClocks(ctx context.Context, l *lake.Lake, model string, p Params, args map[string]any) error {
	shared, err := sharedAsOfs(ctx, l)
	if err != nil || !slices.ContainsFunc(shared, p.AsOf.Equal) {
		return nil // the model itself reports an empty lake
	}
	str := func(k string) string { s, _ := args[k].(string); return s }
	num := func(k string) float64 { f, _ := args[k].(float64); return f }
	opt := func(k string) *float64 {
		if f, ok := args[k].(float64); ok {
			return &f
		}
		return nil
	}
	var clocks []models.SLAClock
	if str("start_event") != "" {
		clocks = append(clocks, models.SLAClock{Start: str("start_event"), Stop: str("stop_event"), Clock: str("clock"),
			LimitMinutes: num("limit_minutes"), LimitWorkdays: opt("limit_workdays")})
	}
	if str("ft_clock") != "" {
		clocks = append(clocks, models.SLAClock{Start: "assignment", Stop: "first_sales_touch", Clock: str("ft_clock"),
			LimitMinutes: num("ft_limit_minutes"), LimitWorkdays: opt("ft_limit_workdays")})
	}
	if model == "response" {
		// response.sql: sla_instances('assignment', 'first_sales_touch', $clock, $limit_minutes, NULL)
		clocks = append(clocks, models.SLAClock{Start: "assignment", Stop: "first_sales_touch", Clock: str("clock"), LimitMinutes: num("limit_minutes")})
	}
	for _, c := range clocks {
		if c.Clock == "" {
			continue
		}
		if err := models.ShareSLA(ctx, l, p.AsOf, c); err != nil {
			return err
		}
	}
	if _, ok := args["handoff_seconds"].(float64); ok {
		stuck := map[string]float64{}
		if m, ok := args["stuck_limits"].(duckdb.Map); ok {
			for k, v := range m {
				ks, kok := k.(string)
				vf, vok := v.(float64)
				if !kok || !vok {
					return nil // not the limits leakArgs makes: let the model compute
				}
				stuck[ks] = vf
			}
		}
		return models.ShareLeaks(ctx, l, p.AsOf, models.LeakLimits{
			HandoffSeconds: num("handoff_seconds"), TouchSeconds: num("touch_seconds"), DispositionWorkdays: num("disposition_workdays"),
			RecycleSeconds: num("recycle_seconds"), DuplicateSeconds: num("duplicate_seconds"), StuckHours: stuck})
	}
	return nil
}

// Warm computes, for the as-ofs the pages use by default, what they share: the
// clocks of every SLA of cfg and of speed to lead, and the leak cases, so
// the first person to open a page after an ingest finds them computed.
// The server runs it in the background on each state of the lake it opens;
// a page that asks meanwhile waits for the same computation, never does it
// twice.
func Warm(ctx context.Context, l *lake.Lake, cfg Config) error {
	asOfs, err := sharedAsOfs(ctx, l)
	if err != nil {
		return err
	}
	for _, at := range asOfs {
		if err := warmAt(ctx, l, cfg, at); err != nil {
			return err
		}
	}
	return nil
}

// sharedAsOfs are the as-ofs whose clocks and leak cases a lake shares:
// its latest event (every page's default), and what the weekly review of
// the week before it is as of (the review page's default, in UTC).
func sharedAsOfs(ctx context.Context, l *lake.Lake) ([]time.Time, error) {
	latest, err := models.LatestEvent(ctx, l)
	if err != nil {
		return nil, err
	}
	monday, err := ParseWeek(DefaultReviewWeek(latest))
	if err != nil {
		return nil, err
	}
	out := []time.Time{latest}
	if review := reviewAsOf(monday, time.UTC, latest); !review.Equal(latest) {
		out = append(out, review)
	}
	return out, nil
}

func warmAt(ctx context.Context, l *lake.Lake, cfg Config, asOf time.Time) error {
	p := Params{AsOf: asOf}
	for _, s := range cfg.SLAs {
		args, err := s.slaArgs()
		if err != nil {
			return err
		}
		if err := shareClocks(ctx, l, "sla", p, args); err != nil {
			return err
		}
	}
	ft, err := cfg.FirstTouch().slaArgs()
	if err != nil {
		return err
	}
	if err := shareClocks(ctx, l, "overview", p, map[string]any{
		"ft_clock": ft["clock"], "ft_limit_minutes": ft["limit_minutes"], "ft_limit_workdays": ft["limit_workdays"]}); err != nil {
		return err
	}
	if err := shareClocks(ctx, l, "response", p, map[string]any{"clock": "calendar", "limit_minutes": cfg.FirstTouchLimit().Minutes()}); err != nil {
		return err
	}
	leaks, err := cfg.leakArgs()
	if err != nil {
		return err
	}
	return shareClocks(ctx, l, "leaks", p, leaks)
}
