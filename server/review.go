package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/dashboards"
	"github.com/handoff-dev/handoff/reports"
)

// reviewPage is /review?week=2026-W47[&tz=…]: the weekly review as handoff
// review writes it, with each number linked to its rows on the dashboards.
// Without week it shows the last full week before the latest event.
func (s *Server) reviewPage(c *gin.Context) error {
	ctx := c.Request.Context()
	h, err := s.lakes.Acquire(ctx)
	if err != nil {
		return err
	}
	defer s.lakes.Release(h)
	week, tz := c.Query("week"), c.DefaultQuery("tz", "UTC")
	// Like every page, a review is a function of the lake state and its
	// URL: cached with the pages.
	key := fmt.Sprintf("%d.%d /review?%s", h.Generation, s.currentRules().Version, c.Request.URL.Query().Encode())
	html, hit, err := s.pages.get(key, func() ([]byte, error) {
		ctx := context.WithoutCancel(ctx)
		if week == "" {
			latest, err := reports.LatestEvent(ctx, h.Lake)
			if err != nil {
				return nil, err
			}
			week = reports.DefaultReviewWeek(latest)
		}
		r, err := reports.BuildReview(ctx, h.Lake, week, tz, s.opts.Config)
		if err != nil {
			return nil, err
		}
		return reports.ReviewHTML(r, dashboards.ServedReviewLinks)
	})
	if err != nil {
		return err
	}
	c.Header("X-Cache", map[bool]string{true: "hit", false: "miss"}[hit])
	c.Data(http.StatusOK, "text/html; charset=utf-8", html)
	return nil
}
