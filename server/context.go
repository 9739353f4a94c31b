package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/dashboards"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

// contextPacket is the context sales gets at the handoff: the lead's
// packet from the lake and, when the server has scoring rules, its score
// as of the latest event with the rules that made it.
type contextPacket struct {
	reports.LeadContext
	Score            *scoring.ScoreRow `json:"score,omitempty"`
	ScoreExplanation []string          `json:"score_explanation,omitempty"`
}

// packetFor builds one lead's context packet on the lake state h.
func (s *Server) packetFor(ctx context.Context, h *lake.Handle, lead string) (contextPacket, error) {
	lc, err := reports.ContextOf(ctx, h.Lake, lead, time.Time{}, s.opts.Config)
	if err != nil {
		return contextPacket{}, err
	}
	out := contextPacket{LeadContext: lc}
	rules := s.currentRules().Scoring
	if rules == nil {
		return out, nil
	}
	// The packet is as of the latest event, as the scores API's default:
	// the same cached scoring serves both.
	now, err := s.scoresAt(ctx, h, time.Time{})
	if err != nil {
		return contextPacket{}, err
	}
	for i := range now.rows {
		if r := now.rows[i]; r.LeadID == lead {
			parts, err := scoring.Explain(ctx, h.Lake, *rules, scoring.Params{AsOf: r.ScoredAt}, []string{lead})
			if err != nil {
				return contextPacket{}, err
			}
			out.Score, out.ScoreExplanation = &r, scoring.Explanation(r, parts, *rules)
			break
		}
	}
	return out, nil
}

// leadContext is GET /api/v1/leads/:lead/context.
func (s *Server) leadContext(c *gin.Context) error {
	ctx := c.Request.Context()
	h, err := s.lakes.Acquire(ctx)
	if err != nil {
		return err
	}
	defer s.lakes.Release(h)
	p, err := s.packetFor(ctx, h, c.Param("lead"))
	if errors.Is(err, reports.ErrNoLead) {
		return httpError(http.StatusNotFound, fmt.Sprintf("the lake has no lead %q", c.Param("lead")))
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, p)
	return nil
}

// leadPage is the lead's context packet as a page, /leads/:lead.
func (s *Server) leadPage(c *gin.Context) {
	lead := c.Param("lead")
	// The score and its explanation are the feed's: a token without
	// feed:read sees the lead without them.
	feed := s.mayReadFeed(c)
	if !feed {
		c.Set(pageVariantKey, "without the feed")
	}
	s.cachedPage(c, "/leads/"+lead, "Lead "+lead, dashboards.Form{}, func(ctx context.Context, h *lake.Handle, _ url.Values) (dashboards.Page, error) {
		if !feed {
			lc, err := reports.ContextOf(ctx, h.Lake, lead, time.Time{}, s.opts.Config)
			if err != nil {
				return dashboards.Page{}, err
			}
			page := dashboards.LeadPage(lc, nil)
			page.Sections = append(page.Sections, dashboards.Section{Title: "Score", Empty: "The score and its explanation need a token with the feed:read scope."})
			return page, nil
		}
		p, err := s.packetFor(ctx, h, lead)
		if err != nil {
			return dashboards.Page{}, err
		}
		var score *dashboards.LeadScore
		if p.Score != nil {
			score = &dashboards.LeadScore{Total: p.Score.Total, Fit: p.Score.Fit, Engagement: p.Score.Engagement,
				Quadrant: p.Score.Quadrant, MQL: p.Score.MQL, Explanation: p.ScoreExplanation}
		}
		return dashboards.LeadPage(p.LeadContext, score), nil
	})
}
