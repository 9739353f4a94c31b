package server

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/dashboards"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

// scoringPage is the threshold backtest of the rules the server was given.
func (s *Server) scoringPage(c *gin.Context) {
	if s.currentRules().Scoring == nil {
		s.noRules(c, "/scoring", "Scoring", "backtest MQL thresholds")
		return
	}
	s.cachedPage(c, "/scoring", "Scoring", dashboards.Form{Window: true, Filters: reports.Dimensions, Capacity: true, Outcomes: scoring.Outcomes}, s.buildScoringPage)
}

func (s *Server) buildScoringPage(ctx context.Context, h *lake.Handle, q url.Values) (dashboards.Page, error) {
	rq, _, err := reports.QueryFromValues(q, "capacity", "max_breach", "outcome", "thresholds")
	if err != nil {
		return dashboards.Page{}, err
	}
	p, err := rq.Params()
	if err != nil {
		return dashboards.Page{}, err
	}
	bp := scoring.BacktestParams{
		Params: scoring.Params{AsOf: p.AsOf, Filters: p.Filters},
		From:   p.From, To: p.To, Window: p.Window, Outcome: q.Get("outcome"),
	}
	if c := q.Get("capacity"); c != "" {
		if bp.Capacity, err = strconv.ParseFloat(c, 64); err != nil || bp.Capacity <= 0 {
			return dashboards.Page{}, fmt.Errorf("%w: capacity %q: want a positive number of leads a working day", reports.ErrBadParam, c)
		}
	}
	if bp.MaxBreach, err = scoring.ParseShare(q.Get("max_breach")); err != nil {
		return dashboards.Page{}, fmt.Errorf("%w: max_breach: %w", reports.ErrBadParam, err)
	}
	if bp.Thresholds, err = scoring.ParseThresholds(q.Get("thresholds")); err != nil {
		return dashboards.Page{}, fmt.Errorf("%w: %w", reports.ErrBadParam, err)
	}
	bp.FirstTouchClock, bp.FirstTouchLimit = s.opts.Config.FirstTouchClock()
	b, err := scoring.RunBacktest(ctx, h.Lake, *s.currentRules().Scoring, bp)
	if err != nil {
		return dashboards.Page{}, err
	}
	outcome, window := bp.Outcome, q.Get("window")
	if outcome == "" {
		outcome = "sql"
	}
	if window == "" {
		window = "90d"
	}
	status := fmt.Sprintf("Lake generation %d · as of %s", h.Generation, b.AsOf.Format("2 Jan 2006 15:04 MST"))
	page := dashboards.ScoringPage(q, status, b, outcome, window)
	if page.Choices, err = reports.DimensionValues(ctx, h.Lake); err != nil {
		s.log.Warn("filter choices", "error", err)
	}
	return page, nil
}
