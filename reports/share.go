package reports

import (
	"context"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// shareClocks has the SLA clocks a model is about to read computed once
// for the lake (models.ShareSLA), when the report is as of the lake's
// default as-of: the views of one page, and every page after it, then read
// them instead of computing them again. At any other as-of the model
// computes its clocks itself.
func shareClocks(ctx context.Context, l *lake.Lake, model string, p Params, args map[string]any) error {
	latest, err := models.LatestEvent(ctx, l)
	if err != nil || !p.AsOf.Equal(latest) {
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
	return nil
}
