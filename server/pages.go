package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/dashboards"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

type pageBuilder func(q url.Values, status string, run dashboards.Runner) (dashboards.Page, error)

// page serves a dashboard page. Its reports go through the same cache as
// the API, so the page and its download links show the same numbers.
func (s *Server) page(path, title string, build pageBuilder) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.cachedPage(c, path, title, dashboards.Form{}, func(ctx context.Context, h *lake.Handle, q url.Values) (dashboards.Page, error) {
			return s.buildPage(ctx, h, q, build)
		})
	}
}

// pageVariantKey names, on the request, a version of a page that differs
// for the same URL: what the caller's token may see.
const pageVariantKey = "handoff.page_variant"

// cachedPage answers a page from the page cache, building it on a miss: a
// page is a function of the lake state and its URL. A page that fails
// shows the error in the page's frame, with its own filter fields when the
// builder got far enough to say them (form otherwise).
func (s *Server) cachedPage(c *gin.Context, path, title string, form dashboards.Form, build func(context.Context, *lake.Handle, url.Values) (dashboards.Page, error)) {
	ctx := c.Request.Context()
	q := c.Request.URL.Query()
	h, err := s.lakes.Acquire(ctx)
	if err != nil {
		s.errorPage(c, path, title, q, form, err)
		return
	}
	defer s.lakes.Release(h)
	// Pages built on older rules are not served either.
	key := fmt.Sprintf("%d.%d %s?%s", h.Generation, s.currentRules().Version, path, q.Encode())
	if variant := c.GetString(pageVariantKey); variant != "" {
		key += " " + variant
	}
	html, hit, err := s.pages.get(key, func() ([]byte, error) {
		// Others may be waiting on this page: it outlives this request.
		p, err := build(context.WithoutCancel(ctx), h, q)
		if len(p.Form.Filters) > 0 || p.Form.Since || p.Form.What != nil {
			form = p.Form
		}
		if err != nil {
			return nil, err
		}
		return dashboards.Render(p)
	})
	if err != nil {
		s.errorPage(c, path, title, q, form, err)
		return
	}
	c.Header("X-Cache", map[bool]string{true: "hit", false: "miss"}[hit])
	c.Data(http.StatusOK, "text/html; charset=utf-8", html)
}

// noRules is the page of a server started without a rules file.
func (s *Server) noRules(c *gin.Context, path, title, what string) {
	s.writePage(c, http.StatusOK, dashboards.Page{Title: title, Path: path, Query: c.Request.URL.Query(), NoFilters: true,
		Sections: []dashboards.Section{{Title: "No rules", Empty: "This server has no rules file. Start it with --rules rules.yaml (a commented example is examples/rules.yaml) to " + what + " here."}}})
}

// buildPage computes a page's reports (through the report cache, so the
// page and its download links show the same numbers) and lays it out.
func (s *Server) buildPage(ctx context.Context, h *lake.Handle, q url.Values, build pageBuilder) (dashboards.Page, error) {
	status := fmt.Sprintf("Lake generation %d", h.Generation)
	if asOf := q.Get("as_of"); asOf != "" {
		status += " · as of " + asOf
	} else if latest, err := reports.LatestEvent(ctx, h.Lake); err == nil {
		status += " · as of the latest event, " + latest.Format("2 Jan 2006 15:04 MST")
	}
	run := func(report string, q url.Values) (reports.Table, error) {
		spec, ok := reports.Lookup(report)
		if !ok {
			return reports.Table{}, fmt.Errorf("no report %q", report)
		}
		// A page asks for the head of a list it shows only in part.
		n, _ := strconv.Atoi(q.Get(dashboards.HeadParam))
		per := q.Get(dashboards.HeadPerParam)
		q = dashboards.WithoutHead(q)
		tb, _, err := s.tableHead(ctx, h, spec, q, n, per)
		return tb, err
	}
	p, err := build(q, status, run)
	// Without scoring rules there are no score bands to break down by.
	if s.currentRules().Scoring == nil {
		p.Form.By = slices.DeleteFunc(slices.Clone(p.Form.By), func(b string) bool { return b == reports.ScoreBand })
	}
	if err != nil {
		return p, err
	}
	// Suggestions only: a page without them still works.
	if p.Choices, err = reports.DimensionValues(ctx, h.Lake); err != nil {
		s.log.Warn("filter choices", "error", err)
	}
	return p, nil
}

// errorPage keeps the page's frame and filters, so a person can correct a
// parameter, and says what went wrong in words.
func (s *Server) errorPage(c *gin.Context, path, title string, q url.Values, form dashboards.Form, err error) {
	// The status comes from the one table (errorStatus); a page only
	// words its message for a person.
	status, message := s.errorStatus(c, err)
	switch {
	case status == http.StatusInternalServerError:
		message = fmt.Sprintf("Something went wrong computing this page (request id %s); the server's log has the cause.", requestID(c))
	case errors.Is(err, reports.ErrBadParam):
		message = "One of the filters is not right: " + err.Error()
	case errors.Is(err, lake.ErrNoLake), errors.Is(err, reports.ErrEmptyLake):
		message = fmt.Sprintf("There is no data yet. Ingest your exports, then reload: handoff ingest --lake %s PATH...", s.opts.Lake)
	case errors.Is(err, reports.ErrNoLead):
		message = "The lake has no such lead: " + err.Error() + ". Lead ids are as the CRM exported them; the drill-down lists link to each lead."
	case errors.Is(err, scoring.ErrBadRules):
		message = "The rules do not fit this lake: " + err.Error()
	}
	p := dashboards.Page{Title: title, Path: path, Query: q, Form: form, Status: time.Now().UTC().Format("2 Jan 2006 15:04 MST"),
		Sections: []dashboards.Section{{Title: "Nothing to show", Empty: message}}}
	s.writePage(c, status, p)
}

func (s *Server) writePage(c *gin.Context, status int, p dashboards.Page) {
	body, err := dashboards.Render(p)
	if err != nil {
		s.fail(c, fmt.Errorf("render page %s: %w", p.Path, err))
		return
	}
	c.Data(status, "text/html; charset=utf-8", body)
}
