package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/routing"
	"github.com/handoff-dev/handoff/scoring"
)

// feedPaging reads the feed's paging parameters: cursor (an offset handed back
// as next_cursor) and limit (default 500, at most 10,000).
func feedPaging(c *gin.Context) (int, int, error) {
	cursor, limit := 0, 500
	var err error
	if v := c.Query("cursor"); v != "" {
		if cursor, err = strconv.Atoi(v); err != nil || cursor < 0 {
			return 0, 0, fmt.Errorf("%w: cursor %q: pass back the next_cursor of the page before", reports.ErrBadParam, v)
		}
	}
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 10000 {
			return 0, 0, fmt.Errorf("%w: limit %q: want 1 to 10000", reports.ErrBadParam, v)
		}
	}
	return cursor, limit, nil
}

func since(c *gin.Context) (time.Time, error) {
	v := c.Query("since")
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("%w: since %q: want RFC 3339, e.g. 2026-10-01T00:00:00Z", reports.ErrBadParam, v)
	}
	return t, nil
}

// scored are the scores of every lead as of a time, as the feed caches them.
type scored struct {
	rows []scoring.ScoreRow
	asOf time.Time
}

// scoresAt scores every lead as of at (zero: the latest event) on the lake
// state h, through the cache: the feed's pages and explanations read the
// same scores until the lake changes.
func (s *Server) scoresAt(ctx context.Context, h *lake.Handle, at time.Time) (scored, error) {
	key := fmt.Sprintf("%d.%d scores %s", h.Generation, s.currentRules().Version, at.UTC().Format(time.RFC3339Nano))
	v, _, err := s.scoreCache.get(key, func() (scored, error) {
		rows, asOf, err := scoring.Score(context.WithoutCancel(ctx), h.Lake, *s.currentRules().Scoring, scoring.Params{AsOf: at})
		return scored{rows: rows, asOf: asOf}, err
	})
	return v, err
}

// feedRequest reads a feed page's parameters and takes the lake state it
// answers from. The caller releases h.
func (s *Server) feedRequest(c *gin.Context) (h *lake.Handle, cursor, limit int, from time.Time, err error) {
	cursor, limit, err = feedPaging(c)
	if err == nil {
		from, err = since(c)
	}
	if err == nil {
		h, err = s.lakes.Acquire(c.Request.Context())
	}
	return h, cursor, limit, from, err
}

func pageOf[T any](rows []T, cursor, limit int) ([]T, any) {
	if cursor > len(rows) {
		cursor = len(rows)
	}
	end := min(cursor+limit, len(rows))
	var next any
	if end < len(rows) {
		next = strconv.Itoa(end)
	}
	return rows[cursor:end], next
}

// scores is GET /api/v1/scores: every lead's score as of the latest event,
// or with since, the leads whose score moved (or that became MQLs) since
// then; paged.
func (s *Server) scores(c *gin.Context) error {
	if s.currentRules().Scoring == nil {
		return httpError(http.StatusNotFound, "this server has no scoring rules: start it with --rules rules.yaml")
	}
	ctx := c.Request.Context()
	h, cursor, limit, from, err := s.feedRequest(c)
	if err != nil {
		return err
	}
	defer s.lakes.Release(h)
	now, err := s.scoresAt(ctx, h, time.Time{})
	if err != nil {
		return err
	}
	rows, asOf := now.rows, now.asOf
	if !from.IsZero() {
		before, err := s.scoresAt(ctx, h, from)
		if err != nil && !errors.Is(err, models.ErrEmptyLake) {
			return err
		}
		was := map[string]scoring.ScoreRow{}
		for _, b := range before.rows {
			was[b.LeadID] = b
		}
		kept := rows[:0:0]
		for _, r := range rows {
			b, ok := was[r.LeadID]
			if !ok || r.MQL != b.MQL || r.Total-b.Total >= 1 || b.Total-r.Total >= 1 {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	page, next := pageOf(rows, cursor, limit)
	c.JSON(http.StatusOK, gin.H{"as_of": asOf.UTC().Format(time.RFC3339), "since": c.Query("since"), "total": len(rows), "next_cursor": next, "rows": page})
	return nil
}

// explain is GET /api/v1/scores/:lead: one lead's score rule by rule.
func (s *Server) explain(c *gin.Context) error {
	if s.currentRules().Scoring == nil {
		return httpError(http.StatusNotFound, "this server has no scoring rules: start it with --rules rules.yaml")
	}
	ctx := c.Request.Context()
	h, err := s.lakes.Acquire(ctx)
	if err != nil {
		return err
	}
	defer s.lakes.Release(h)
	lead := c.Param("lead")
	now, err := s.scoresAt(ctx, h, time.Time{})
	if err != nil {
		return err
	}
	for _, r := range now.rows {
		if r.LeadID != lead {
			continue
		}
		rules := *s.currentRules().Scoring
		parts, err := scoring.Explain(ctx, h.Lake, rules, scoring.Params{AsOf: r.ScoredAt}, []string{lead})
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, gin.H{"score": r, "rules": parts, "explanation": scoring.Explanation(r, parts, rules)})
		return nil
	}
	return httpError(http.StatusNotFound, fmt.Sprintf("no lead %q scored as of the latest event", lead))
}

// decisions is GET /api/v1/routing: what the routing rules decide for the
// leads handed to sales since a time (default: a day before the latest
// event), each with its audit record; paged.
func (s *Server) decisions(c *gin.Context) error {
	if s.currentRules().File == nil {
		return httpError(http.StatusNotFound, "this server has no routing rules: start it with --rules rules.yaml")
	}
	ctx := c.Request.Context()
	h, cursor, limit, from, err := s.feedRequest(c)
	if err != nil {
		return err
	}
	defer s.lakes.Release(h)
	asOf, err := models.LatestEvent(ctx, h.Lake)
	if err != nil {
		return err
	}
	if from.IsZero() {
		from = asOf.Add(-24 * time.Hour)
	}
	// A replay is a function of the lake state, the rules and the start:
	// the pages of one listing, and other callers, reuse it.
	rules := s.currentRules()
	key := fmt.Sprintf("%d.%d %s", h.Generation, rules.Version, from.UTC().Format(time.RFC3339Nano))
	rows, _, err := s.replays.get(key, func() ([]routing.DecisionRow, error) {
		ctx := context.WithoutCancel(ctx)
		users, err := routing.Users(ctx, h.Lake)
		if err != nil {
			return nil, err
		}
		cfg, err := routing.ParseConfig(rules.File, users)
		if err != nil {
			return nil, err
		}
		r, err := routing.RunReplay(ctx, h.Lake, cfg, routing.ReplayParams{Since: from, AsOf: asOf, Scoring: rules.Scoring})
		if err != nil {
			return nil, err
		}
		return routing.DecisionRows(r.Decisions), nil
	})
	if err != nil {
		return err
	}
	page, next := pageOf(rows, cursor, limit)
	c.JSON(http.StatusOK, gin.H{"as_of": asOf.UTC().Format(time.RFC3339), "since": from.UTC().Format(time.RFC3339), "total": len(rows), "next_cursor": next, "rows": page})
	return nil
}

// feedState is the watermark of the events already queued.
type feedState struct {
	AsOf time.Time `json:"as_of"`
	// Router is where the routing turns stood at AsOf, so the next
	// stretch deals leads on from there.
	Router routing.RouterState `json:"router"`
}

func feedStateFile(lakeDir string) string { return filepath.Join(lakeDir, "access", "feed.json") }

// runFeed turns each new stretch of the lake into events, queues them in
// the outbox for every webhook endpoint and delivers them, until ctx ends.
// The watermark is saved after the events are queued, so a crash between
// the two queues them again under the same ids: at least once, never lost.
func (s *Server) runFeed(ctx context.Context, every time.Duration, retry routing.Retry) {
	box, err := routing.OpenOutbox(routing.OutboxDir(s.opts.Lake))
	if err != nil {
		s.log.Error("feed: open outbox", "error", err)
		return
	}
	delivering := map[string]bool{}
	done := make(chan string, 16)
	client := &http.Client{Timeout: 30 * time.Second}
	for {
		// No lake, or an empty one, is nothing to report yet, not a fault.
		if err := s.feedOnce(ctx, box); err != nil && !errors.Is(err, models.ErrEmptyLake) && !errors.Is(err, lake.ErrNoLake) {
			s.log.Warn("feed", "error", err)
		}
		endpoints, err := routing.ReadEndpoints(s.opts.Lake)
		if err != nil {
			s.log.Warn("feed: endpoints", "error", err)
		}
		for _, ep := range endpoints {
			if delivering[ep.ID] {
				continue
			}
			if pending, _ := box.Pending(ep.ID); len(pending) == 0 {
				continue
			}
			delivering[ep.ID] = true
			go func(ep routing.Endpoint) {
				if err := box.Deliver(ctx, ep, client, retry, s.log); err != nil && ctx.Err() == nil {
					s.log.Warn("feed: deliver", "endpoint", ep.ID, "error", err)
				}
				done <- ep.ID
			}(ep)
		}
		select {
		case <-ctx.Done():
			// The deliveries in flight stop with ctx; wait for them, so
			// nothing writes to the outbox once the feed has returned.
			for _, busy := range delivering {
				if busy {
					<-done
				}
			}
			return
		case id := <-done:
			delivering[id] = false
		case <-time.After(every):
		}
	}
}

// feedOnce queues the events of the stretch since the watermark, under the
// rules in force; without rules there is nothing to decide or push.
func (s *Server) feedOnce(ctx context.Context, box *routing.Outbox) error {
	rs := s.currentRules()
	if rs.File == nil {
		return nil
	}
	timers, err := routing.ParseTimers(rs.File)
	if err != nil {
		return err
	}
	h, err := s.lakes.Acquire(ctx)
	if err != nil {
		return err
	}
	defer s.lakes.Release(h)
	latest, err := models.LatestEvent(ctx, h.Lake)
	if err != nil {
		return err
	}
	var st feedState
	if raw, err := os.ReadFile(feedStateFile(s.opts.Lake)); err == nil {
		if err := json.Unmarshal(raw, &st); err != nil {
			return fmt.Errorf("feed state: %w", err)
		}
	}
	if st.AsOf.IsZero() {
		// A new feed starts from now: history is for the reports, not for
		// a burst of webhooks.
		return saveFeedState(s.opts.Lake, feedState{AsOf: latest})
	}
	if !latest.After(st.AsOf) {
		return nil
	}
	users, err := routing.Users(ctx, h.Lake)
	if err != nil {
		return err
	}
	cfg, err := routing.ParseConfig(rs.File, users)
	var cfgp *routing.Config
	if err == nil {
		cfgp = &cfg
	}
	events, err := routing.FeedEvents(ctx, h.Lake, routing.FeedParams{Since: st.AsOf, AsOf: latest, Scoring: rs.Scoring, Routing: cfgp, Timers: timers,
		Turns: &st.Router, Context: &s.opts.Config})
	if err != nil {
		return err
	}
	endpoints, err := routing.ReadEndpoints(s.opts.Lake)
	if err != nil {
		return err
	}
	for _, ev := range events {
		if err := box.Enqueue(ev, endpoints); err != nil {
			return err
		}
	}
	if err := appendAudit(s.opts.Lake, events); err != nil {
		return err
	}
	s.log.Info("feed", "events", len(events), "since", st.AsOf, "as_of", latest)
	return saveFeedState(s.opts.Lake, feedState{AsOf: latest, Router: st.Router})
}

func saveFeedState(lakeDir string, st feedState) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(feedStateFile(lakeDir)), 0o700); err != nil {
		return err
	}
	tmp := feedStateFile(lakeDir) + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, feedStateFile(lakeDir))
}

// auditFile keeps every routing decision the feed made (lead.routed and
// sla.reassign events), one JSON object a line: "why did this lead go to
// Ana?" is GET /api/v1/routing/LEAD.
func auditFile(lakeDir string) string { return filepath.Join(lakeDir, "access", "audit.jsonl") }

func appendAudit(lakeDir string, events []routing.Event) error {
	var lines []byte
	for _, ev := range events {
		if ev.Type != "lead.routed" && ev.Type != "sla.reassign" {
			continue
		}
		line, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		lines = append(append(lines, line...), '\n')
	}
	if len(lines) == 0 {
		return nil
	}
	f, err := os.OpenFile(auditFile(lakeDir), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if _, err := f.Write(lines); err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit: %w", err)
	}
	return f.Close()
}

// leadAudit is GET /api/v1/routing/LEAD: every routing decision the feed
// made for the lead, oldest first (a decision queued twice after a crash
// appears once).
func (s *Server) leadAudit(c *gin.Context) error {
	lead := c.Param("lead")
	raw, err := os.ReadFile(auditFile(s.opts.Lake))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	seen := map[string]bool{}
	decisions := []map[string]any{}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var ev routing.Event
		if err := json.Unmarshal(line, &ev); err != nil || seen[ev.ID] {
			continue
		}
		var d map[string]any
		if json.Unmarshal(ev.Data, &d) != nil || d["lead_id"] != lead {
			continue
		}
		seen[ev.ID] = true
		d["event_id"], d["type"], d["timestamp"] = ev.ID, ev.Type, ev.At
		decisions = append(decisions, d)
	}
	if len(decisions) == 0 {
		return httpError(http.StatusNotFound, fmt.Sprintf("the feed made no routing decision for lead %q", lead))
	}
	c.JSON(http.StatusOK, gin.H{"lead_id": lead, "decisions": decisions})
	return nil
}
