package server

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/dashboards"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/routing"
)

// routingPage is the dry run of the routing rules the server was given.
func (s *Server) routingPage(c *gin.Context) {
	if s.currentRules().File == nil {
		s.noRules(c, "/routing", "Routing", "replay history through its routing rules")
		return
	}
	s.cachedPage(c, "/routing", "Routing", dashboards.Form{Since: true}, s.buildRoutingPage)
}

func (s *Server) buildRoutingPage(ctx context.Context, h *lake.Handle, q url.Values) (dashboards.Page, error) {
	users, err := routing.Users(ctx, h.Lake)
	if err != nil {
		return dashboards.Page{}, err
	}
	cfg, err := routing.ParseConfig(s.currentRules().File, users)
	if err != nil {
		return dashboards.Page{}, err
	}
	rq, err := reports.Query{From: q.Get("since"), AsOf: q.Get("as_of")}.Params()
	if err != nil {
		return dashboards.Page{}, err
	}
	asOf := rq.AsOf
	if asOf.IsZero() {
		if asOf, err = models.LatestEvent(ctx, h.Lake); err != nil {
			return dashboards.Page{}, err
		}
	}
	since := rq.From
	if since.IsZero() {
		// A month of history: enough to see the load, quick to replay.
		since = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -30)
	}
	clock, limit := s.opts.Config.FirstTouchClock()
	r, err := routing.RunReplay(ctx, h.Lake, cfg, routing.ReplayParams{Since: since, AsOf: asOf, Scoring: s.currentRules().Scoring,
		FirstTouchClock: clock, FirstTouchLimit: limit})
	if err != nil {
		return dashboards.Page{}, err
	}
	status := fmt.Sprintf("Lake generation %d · as of %s", h.Generation, asOf.Format("2 Jan 2006 15:04 MST"))
	return dashboards.RoutingPage(q, status, r, since.Format(time.DateOnly)), nil
}
