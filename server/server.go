// Package server is handoff's HTTP service: the JSON API over every report
// (/api/v1/reports/NAME, the same parameters and columns as the command
// line), its OpenAPI document, health and readiness, request logs and
// graceful shutdown. It wires the packages below it; the dashboards will be
// served from here too.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/dashboards"
	"github.com/handoff-dev/handoff/exports"
	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/routing"
	"github.com/handoff-dev/handoff/scoring"
)

// DefaultAddr is where the server listens unless told otherwise: loopback
// only, so nothing is exposed by accident. DefaultFlightAddr is where its
// Arrow Flight SQL endpoint listens.
const (
	DefaultAddr       = "127.0.0.1:8080"
	DefaultFlightAddr = "127.0.0.1:8815"
)

// Options configure a Server.
type Options struct {
	// Lake is the lake directory. It may not exist yet: the server then
	// answers not ready until a first ingest commits.
	Lake string
	// Config holds the SLAs, stuck limits and MQL commitments.
	Config reports.Config
	// NoWarm leaves what the pages share to be computed by the first page
	// that asks (tests that count computations; benchmarks of cold pages).
	NoWarm bool
	// Logger receives one line per request; nil discards them.
	Logger *slog.Logger
	// CacheEntries bounds the report cache; 0 means 256.
	CacheEntries int
	// Ingest configures uploads from the data page (time zone, date
	// formats, mapping overrides), as handoff ingest --config does.
	Ingest ingest.Config
	// MaxUpload bounds one upload in bytes; 0 means 1 GiB.
	MaxUpload int64
	// Rules are the scoring rules the scoring page backtests, RulesFile
	// the whole rules file, whose routing section the routing page replays
	// (checked against the lake's users on each replay); nil shows how to
	// give some.
	Rules     *scoring.Rules
	RulesFile *scoring.File
	// RulesRaw is the rules file's text (GET /api/v1/rules); RulesPath
	// where PUT /api/v1/rules saves a replacement ("" keeps it in memory).
	RulesRaw  []byte
	RulesPath string
	// RequireToken asks for a token at the dashboards even on the loopback
	// address: behind a reverse proxy on the same machine every request
	// comes from 127.0.0.1.
	RequireToken bool
	// FeedEvery is how often the feed looks for a new lake state to turn
	// into webhook events (with RulesFile); 0 is 30 seconds, negative
	// turns the feed off. FeedRetry paces redeliveries; zero is
	// routing.DefaultRetry.
	FeedEvery time.Duration
	FeedRetry routing.Retry
	// Exports run on their schedules while the server runs (handoff.yaml's
	// exports section); ExportClock is their clock, nil the real one.
	Exports     []exports.Export
	ExportClock exports.Clock
	// FlightTLS, when set, serves Flight SQL over TLS.
	FlightTLS *tls.Config
	// Flight bounds each Flight SQL query (memory, time); zero values are
	// exports' defaults.
	Flight exports.FlightLimits
	// Hosts are the names the server answers to besides the address it
	// listens on, localhost and the loopback addresses ("*" for any);
	// other Host headers are refused.
	Hosts []string
	// TrustedProxies are the addresses whose X-Forwarded-For is believed
	// for the client's address in the log; none unless given.
	TrustedProxies []string
	// ReadTimeout bounds reading a whole request, body included (0: 10
	// minutes, room for a large upload); WriteTimeout writing the answer
	// from the end of the request's headers (0: 10 minutes, room for a
	// cold page on a large lake); IdleTimeout a kept-alive connection
	// with no request (0: 2 minutes).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// Server answers the API for one lake.
type Server struct {
	opts  Options
	log   *slog.Logger
	lakes *lake.Latest
	cache *cache[reports.Table]
	// pages keeps rendered dashboard pages, keyed like cache; scoreCache
	// the feed's scores.
	pages      *cache[[]byte]
	scoreCache *cache[scored]
	// replays keeps the routing API's replays, keyed by lake state, rules
	// version and start.
	replays *cache[[]routing.DecisionRow]
	engine  *gin.Engine
	// ingestMu makes uploads ingest one at a time.
	ingestMu sync.Mutex
	tokens   *tokenStore
	// rules are the rules in force; rulesMu orders replacements.
	rules    atomic.Pointer[ruleSet]
	rulesMu  sync.Mutex
	exporter *exports.Scheduler
	// loopback is set by Serve when the listener answers only this
	// machine: the dashboards are then open without a token.
	loopback atomic.Bool
	// flightAddr is where ServeFlight listens, for the data page.
	flightAddr atomic.Value
	// routes are the registered routes with who may use them.
	routes []route
	// hosts are the Host names answered; Serve sets them from its
	// listener.
	hosts atomic.Pointer[hostAllowList]
	// warmedGen is the newest lake generation warm has finished.
	warmedGen atomic.Int64
}

// warm has each state of the lake the server opens compute, in the
// background, what its pages share (reports.Warm), so the first visit to a
// page after an ingest finds it done; /readyz says when it has. It gives
// up with the state: once the lake closes, its queries fail and the error
// is only logged.
func (s *Server) warm(_ context.Context, l *lake.Lake) error {
	if s.opts.NoWarm {
		return nil
	}
	go func() {
		started := time.Now()
		err := reports.Warm(context.Background(), l, s.opts.Config)
		s.log.Debug("warmed the lake's shared clocks and leak cases", "generation", l.Manifest.Generation, "elapsed", time.Since(started), "error", err)
		if err == nil {
			for {
				old := s.warmedGen.Load()
				if old >= l.Manifest.Generation || s.warmedGen.CompareAndSwap(old, l.Manifest.Generation) {
					break
				}
			}
		}
	}()
	return nil
}

// New builds a server; it opens nothing until the first request.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CacheEntries == 0 {
		opts.CacheEntries = 256
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{
		opts:  opts,
		log:   opts.Logger,
		cache: newCache[reports.Table](opts.CacheEntries),
		pages: newCache[[]byte](opts.CacheEntries),
		// Every lead's score is large: a few lake states are enough.
		scoreCache: newCache[scored](4),
		replays:    newCache[[]routing.DecisionRow](16),
		tokens:     &tokenStore{dir: opts.Lake},
	}
	s.lakes = lake.Follow(opts.Lake, s.warm)
	s.hosts.Store(newHostAllowList(opts.Hosts, nil))
	s.rules.Store(&ruleSet{Scoring: opts.Rules, File: opts.RulesFile, Raw: opts.RulesRaw})
	clock := opts.ExportClock
	if clock == nil {
		clock = exports.RealClock
	}
	s.exporter = &exports.Scheduler{Exports: opts.Exports, StateFile: exportStateFile(opts.Lake), Clock: clock, Log: opts.Logger, Run: s.runExport}
	e := gin.New()
	// Behind no proxy unless told: X-Forwarded-For from anyone else is
	// just a header, not the client's address.
	if err := e.SetTrustedProxies(opts.TrustedProxies); err != nil {
		s.log.Warn("trusted proxies", "error", err)
		_ = e.SetTrustedProxies(nil)
	}
	// The panic and its stack go to the server's own log, under the
	// request's id; gin's copy on stderr would only repeat it.
	e.Use(tagRequest, s.logRequests, gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, v any) {
		s.log.Error("panic", "path", c.Request.URL.Path, "request_id", requestID(c), "panic", v, "stack", string(debug.Stack()))
		problem(c, http.StatusInternalServerError, internalMessage(requestID(c)))
	}), secureHeaders, s.checkHost, s.checkOrigin)
	s.engine = e
	s.openRoute("GET", "/assets/*filepath", gin.WrapH(http.StripPrefix("/assets", http.FileServer(http.FS(dashboards.Assets())))))
	// Browsers ask for /favicon.ico whatever the page says (the review
	// is one file with no link to it).
	s.openRoute("GET", "/favicon.ico", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/assets/favicon.svg") })
	s.openRoute("GET", "/healthz", s.health)
	s.openRoute("GET", "/readyz", s.ready)
	s.openRoute("GET", "/login", s.login)
	s.openRoute("POST", "/login", s.login)
	s.openRoute("GET", "/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/overview") })
	// The API's description holds no data: a client reads it before it
	// has a token.
	s.openRoute("GET", "/api/v1/openapi.json", s.openAPI)

	s.pageRoute("GET", "/reports", ScopeReports, s.index)
	s.pageRoute("GET", "/overview", ScopeReports, s.page("/overview", "Overview", dashboards.OverviewPage))
	s.pageRoute("GET", "/funnel", ScopeReports, s.page("/funnel", "Funnel", dashboards.FunnelPage))
	s.pageRoute("GET", "/speed", ScopeReports, s.page("/speed", "Speed to lead", dashboards.ResponsePage))
	s.pageRoute("GET", "/aging", ScopeReports, s.page("/aging", "Aging", dashboards.AgingPage))
	s.pageRoute("GET", "/sources", ScopeReports, s.page("/sources", "Sources & ROI", dashboards.SourcesPage))
	s.pageRoute("GET", "/sla", ScopeReports, s.page("/sla", "SLA", dashboards.SLAPage))
	s.pageRoute("GET", "/quality", ScopeReports, s.page("/quality", "Lead quality", dashboards.QualityPage))
	s.pageRoute("GET", "/leaks", ScopeReports, s.page("/leaks", "Leaks", dashboards.LeaksPage))
	// Scores and routing decisions are the feed's: the same scope as the
	// API's /scores and /routing.
	s.pageRoute("GET", "/scoring", ScopeFeed, s.scoringPage)
	s.pageRoute("GET", "/routing", ScopeFeed, s.routingPage)
	s.pageRoute("GET", "/leads", ScopeReports, s.page("/leads", "Leads behind the numbers", dashboards.LeadsPage))
	// A lead's page shows its score and explanation only to feed:read.
	s.pageRoute("GET", "/leads/:lead", ScopeReports, s.leadPage)
	s.pageRoute("GET", "/review", ScopeReports, s.handle(s.reviewPage))
	s.pageRoute("GET", "/data", ScopeReports, s.dataPage)
	s.pageRoute("GET", "/data/quarantine", ScopeReports, s.handle(s.quarantineFile))
	s.pageRoute("POST", "/data/upload", ScopeLakeWrite, s.upload)
	// The pages' downloads: the API's answers under the pages' access.
	s.pageRoute("GET", "/download/reports/:name", ScopeReports, s.handle(s.report))

	s.apiRoute("GET", "/api/v1/reports", ScopeReports, s.listReports)
	s.apiRoute("GET", "/api/v1/reports/:name", ScopeReports, s.handle(s.report))
	s.apiRoute("GET", "/api/v1/scores", ScopeFeed, s.handle(s.scores))
	s.apiRoute("GET", "/api/v1/scores/:lead", ScopeFeed, s.handle(s.explain))
	s.apiRoute("GET", "/api/v1/routing", ScopeFeed, s.handle(s.decisions))
	s.apiRoute("GET", "/api/v1/routing/:lead", ScopeFeed, s.handle(s.leadAudit))
	s.apiRoute("GET", "/api/v1/leads/:lead/context", ScopeFeed, s.handle(s.leadContext))
	s.apiRoute("GET", "/api/v1/rules", ScopeRules, s.handle(s.getRules))
	s.apiRoute("PUT", "/api/v1/rules", ScopeRules, s.handle(s.putRules))
	e.NoRoute(func(c *gin.Context) {
		problem(c, http.StatusNotFound, fmt.Sprintf("no such page: %s (the API is under /api/v1, described at /api/v1/openapi.json)", c.Request.URL.Path))
	})
	return s
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Serve answers on ln until ctx ends, then stops taking connections and
// lets requests in flight finish (for up to 10 seconds).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       orDefault(s.opts.ReadTimeout, 10*time.Minute),
		WriteTimeout:      orDefault(s.opts.WriteTimeout, 10*time.Minute),
		IdleTimeout:       orDefault(s.opts.IdleTimeout, 2*time.Minute),
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s.hosts.Store(newHostAllowList(s.opts.Hosts, ln.Addr()))
	// Open the lake now, so that what its pages share is computed while
	// nobody waits (warmLake); a lake not there yet opens on first use.
	go func() {
		if h, err := s.lakes.Acquire(ctx); err == nil {
			s.lakes.Release(h)
		}
	}()
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- hs.Shutdown(shutdownCtx)
	}()
	s.loopback.Store(isLoopback(ln.Addr()) && !s.opts.RequireToken)
	// The feed and the exports write into the lake's directory: Serve
	// returns only once they have stopped, so nothing writes there after.
	var background sync.WaitGroup
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer func() { stopBackground(); background.Wait() }()
	if s.opts.FeedEvery >= 0 {
		every, retry := s.opts.FeedEvery, s.opts.FeedRetry
		if every == 0 {
			every = 30 * time.Second
		}
		if retry.Attempts == 0 {
			retry = routing.DefaultRetry
		}
		background.Go(func() { s.runFeed(bgCtx, every, retry) })
	}
	if len(s.opts.Exports) > 0 {
		background.Go(func() { s.exporter.Loop(bgCtx) })
	}
	err := hs.Serve(ln)
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	err = <-done
	stopBackground()
	background.Wait()
	s.lakes.Close()
	return err
}

// ServeFlight answers Arrow Flight SQL on ln until ctx ends: the lake's
// tables and one table per report, read-only, for tokens with the
// lake:read scope (the API's tokens, from the same file).
func (s *Server) ServeFlight(ctx context.Context, ln net.Listener) error {
	f := exports.NewFlight(exports.FlightOptions{
		Lake:   s.opts.Lake,
		Config: s.opts.Config,
		Log:    s.log,
		TLS:    s.opts.FlightTLS,
		// Flight's zero values are its defaults.
		FlightLimits: s.opts.Flight,
		Authorize: func(token string) error {
			_, err := s.tokens.check(token, ScopeLake)
			return err
		},
	})
	s.flightAddr.Store(ln.Addr().String())
	return f.Serve(ctx, ln)
}

func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	level := slog.LevelInfo
	if c.Writer.Status() >= 500 {
		level = slog.LevelError
	}
	s.log.Log(c.Request.Context(), level, "request",
		"method", c.Request.Method,
		"path", c.Request.URL.Path,
		"query", c.Request.URL.RawQuery,
		"status", c.Writer.Status(),
		"bytes", c.Writer.Size(),
		"elapsed_ms", float64(time.Since(start).Microseconds())/1000,
		"cache", c.Writer.Header().Get("X-Cache"),
		"remote", c.ClientIP(),
		"request_id", requestID(c))
}

func (s *Server) health(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// ready is 200 once the lake holds events to report on.
func (s *Server) ready(c *gin.Context) {
	// /readyz is open to monitors: its reasons name no path and no cause
	// beyond the request id (the log has those).
	h, err := s.lakes.Acquire(c.Request.Context())
	if err != nil {
		reason := "the lake could not be opened: " + internalMessage(requestID(c))
		if errors.Is(err, lake.ErrNoLake) {
			reason = "the lake holds nothing yet: ingest exports into it (handoff ingest --lake DIR PATH...)"
		} else {
			s.log.Error("not ready", "request_id", requestID(c), "error", err)
		}
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "reason": reason})
		return
	}
	defer s.lakes.Release(h)
	asOf, err := reports.LatestEvent(c.Request.Context(), h.Lake)
	if err != nil {
		reason := "the lake holds no events yet"
		if !errors.Is(err, reports.ErrEmptyLake) {
			reason = "the lake could not be read: " + internalMessage(requestID(c))
			s.log.Error("not ready", "request_id", requestID(c), "error", err)
		}
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "reason": reason})
		return
	}
	c.JSON(http.StatusOK, gin.H{
		"status":       "ready",
		"generation":   h.Generation,
		"leads":        h.Lake.Manifest.Tables["leads"].Rows,
		"latest_event": asOf.Format(time.RFC3339),
		// what the pages share is computed for this state (warm)
		"warmed": s.warmedGen.Load() >= h.Generation,
	})
}

type reportInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Columns     []string `json:"columns"`
	By          []string `json:"by"`
}

func (s *Server) listReports(c *gin.Context) {
	var out []reportInfo
	for _, spec := range reports.Catalog() {
		info := reportInfo{Name: spec.Name, Description: spec.Short, By: spec.By}
		for _, col := range spec.Columns {
			info.Columns = append(info.Columns, col.Name)
		}
		if info.By == nil {
			info.By = []string{}
		}
		out = append(out, info)
	}
	c.JSON(http.StatusOK, gin.H{"reports": out})
}

// serverParams are the URL parameters the server reads itself, besides a
// report's (reports.URLParams).
var serverParams = []string{"format", "limit", "offset"}

func (s *Server) report(c *gin.Context) error {
	name := c.Param("name")
	spec, ok := reports.Lookup(name)
	if !ok {
		return httpError(http.StatusNotFound, fmt.Sprintf("no report %q: want one of %s", name, strings.Join(reports.Names(), ", ")))
	}
	q := c.Request.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" && format != "parquet" {
		return httpError(http.StatusBadRequest, fmt.Sprintf("format %q: want json, csv or parquet", format))
	}
	offset, limit, err := paging(q.Get("offset"), q.Get("limit"))
	if err != nil {
		return httpError(http.StatusBadRequest, err.Error())
	}
	ctx := c.Request.Context()
	h, err := s.lakes.Acquire(ctx)
	if err != nil {
		return err
	}
	defer s.lakes.Release(h)
	// A whole list goes out as DuckDB returns it, past the cache: a
	// million leads never sit in the server's memory. A page of one is
	// cut from the cached list.
	if spec.Stream != nil && offset == 0 && limit == 0 {
		return s.streamReport(c, h, spec, q, format)
	}
	tb, hit, err := s.table(ctx, h, spec, q)
	if err != nil {
		return err
	}
	c.Header("X-Cache", map[bool]string{true: "hit", false: "miss"}[hit])
	c.Header("X-Lake-Generation", itoa(h.Generation))
	c.Header("X-Total-Rows", strconv.Itoa(len(tb.Rows)))
	tb = page(tb, offset, limit)

	switch format {
	case "csv":
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
		c.Status(http.StatusOK)
		c.Writer.Header().Set("Content-Type", "text/csv; charset=utf-8")
		write := reports.WriteCSV
		if strings.HasPrefix(c.Request.URL.Path, "/download/") {
			// The pages' download goes to a person's spreadsheet; the
			// API's CSV to a program, as the data is.
			write = reports.WriteSpreadsheetCSV
		}
		if err := write(c.Writer, tb); err != nil {
			s.log.Warn("write csv", "report", name, "error", err)
		}
	case "parquet":
		s.writeParquet(c, h, tb, name)
	default:
		c.Status(http.StatusOK)
		c.Writer.Header().Set("Content-Type", "application/json; charset=utf-8")
		if err := reports.WriteJSON(c.Writer, tb); err != nil {
			s.log.Warn("write json", "report", name, "error", err)
		}
	}
	return nil
}

// streamReport writes a list report whole as csv, json or parquet while
// DuckDB returns its rows. Nothing is sent before the report has checked
// its parameters, so a bad one is still a 400; a failure after the first
// byte aborts the connection, so the client sees a broken download, not a
// short file that looks whole.
func (s *Server) streamReport(c *gin.Context, h *lake.Handle, spec reports.Spec, q url.Values, format string) error {
	name := spec.Name
	rq, only, err := reports.QueryFromValues(q, serverParams...)
	if err != nil {
		return err
	}
	p, err := rq.Params()
	if err != nil {
		return err
	}
	s.withScoreBands(&p)
	ctx := c.Request.Context()
	c.Header("X-Cache", "stream")
	c.Header("X-Lake-Generation", itoa(h.Generation))
	if format == "parquet" {
		dir, err := os.MkdirTemp("", "handoff-download-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, name+".parquet")
		if _, err := spec.Stream(ctx, h.Lake, p, s.opts.Config, only, func(head reports.Table) (reports.RowWriter, error) {
			return reports.NewParquetWriter(ctx, h.Lake.DB, head, path)
		}); err != nil {
			return err
		}
		c.FileAttachment(path, name+".parquet")
		return nil
	}
	started := false
	_, err = spec.Stream(ctx, h.Lake, p, s.opts.Config, only, func(head reports.Table) (reports.RowWriter, error) {
		started = true
		if format == "csv" {
			c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
			c.Writer.Header().Set("Content-Type", "text/csv; charset=utf-8")
			c.Status(http.StatusOK)
			if strings.HasPrefix(c.Request.URL.Path, "/download/") {
				return reports.NewSpreadsheetCSVWriter(c.Writer, head), nil
			}
			return reports.NewCSVWriter(c.Writer, head), nil
		}
		c.Writer.Header().Set("Content-Type", "application/json; charset=utf-8")
		c.Status(http.StatusOK)
		return reports.NewJSONWriter(c.Writer, head), nil
	})
	if err != nil && started {
		s.log.Warn("stream report", "report", name, "error", err, "request_id", requestID(c))
		panic(http.ErrAbortHandler)
	}
	return err
}

// withScoreBands lets p break down by score band under the rules in
// force, when there are scoring rules.
func (s *Server) withScoreBands(p *reports.Params) {
	if rules := s.currentRules(); rules.Scoring != nil {
		r := *rules.Scoring
		p.ScoreBands = func(ctx context.Context, l *lake.Lake) error { return scoring.PrepareBands(ctx, l, r) }
	}
}

// table computes (or takes from the cache) the report spec for the URL
// parameters q on the lake state h.
func (s *Server) table(ctx context.Context, h *lake.Handle, spec reports.Spec, q url.Values) (reports.Table, bool, error) {
	return s.tableHead(ctx, h, spec, q, 0, "")
}

// tableHead is table, or with n > 0 and a list report, only the head a
// page shows (reports.Head: the first n rows, or n per value of the column
// per) with the whole list's count, streamed so the list is never held.
func (s *Server) tableHead(ctx context.Context, h *lake.Handle, spec reports.Spec, q url.Values, n int, per string) (reports.Table, bool, error) {
	if spec.Stream == nil {
		n, per = 0, ""
	}
	rq, only, err := reports.QueryFromValues(q, serverParams...)
	if err != nil {
		return reports.Table{}, false, err
	}
	p, err := rq.Params()
	if err != nil {
		return reports.Table{}, false, err
	}
	// Score bands come from the rules in force: a breakdown by them is
	// cached per rules version.
	var rulesVersion int64
	s.withScoreBands(&p)
	if p.By == reports.ScoreBand {
		rulesVersion = s.currentRules().Version
	}
	key, _ := json.Marshal(struct {
		Generation int64
		Report     string
		Params     map[string]any
		Only       string
		Rules      int64
		Head       int    `json:",omitempty"`
		HeadPer    string `json:",omitempty"`
	}{h.Generation, spec.Name, p.Describe(), only, rulesVersion, n, per})
	return s.cache.get(string(key), func() (reports.Table, error) {
		// A report outlives the request that asked for it first: others
		// may be waiting on the same computation.
		ctx := context.WithoutCancel(ctx)
		if n > 0 {
			head := reports.NewHead(n, per)
			if _, err := spec.Stream(ctx, h.Lake, p, s.opts.Config, only, head.Open); err != nil {
				return reports.Table{}, err
			}
			return head.Table(), nil
		}
		return spec.Run(ctx, h.Lake, p, s.opts.Config, only)
	})
}

// fail answers with the status an error calls for (errorStatus).
func (s *Server) fail(c *gin.Context, err error) {
	status, message := s.errorStatus(c, err)
	problem(c, status, message)
}

func (s *Server) writeParquet(c *gin.Context, h *lake.Handle, tb reports.Table, name string) {
	dir, err := os.MkdirTemp("", "handoff-download-")
	if err != nil {
		s.fail(c, err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, name+".parquet")
	if err := reports.WriteParquet(c.Request.Context(), h.Lake.DB, tb, path); err != nil {
		s.fail(c, fmt.Errorf("write parquet: %w", err))
		return
	}
	c.FileAttachment(path, name+".parquet")
}

// paging reads offset and limit; limit 0 means every row.
func paging(offsetText, limitText string) (offset, limit int, err error) {
	if offsetText != "" {
		if offset, err = strconv.Atoi(offsetText); err != nil || offset < 0 {
			return 0, 0, fmt.Errorf("offset %q: want a whole number, 0 or more", offsetText)
		}
	}
	if limitText != "" {
		if limit, err = strconv.Atoi(limitText); err != nil || limit < 1 {
			return 0, 0, fmt.Errorf("limit %q: want a whole number, 1 or more", limitText)
		}
	}
	return offset, limit, nil
}

// page is the rows [offset, offset+limit) of tb; the cached table is not
// changed.
func page(tb reports.Table, offset, limit int) reports.Table {
	if offset == 0 && limit == 0 {
		return tb
	}
	rows := tb.Rows[min(offset, len(tb.Rows)):]
	if limit > 0 && limit < len(rows) {
		rows = rows[:limit]
	}
	tb.Rows = rows
	return tb
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// problem answers with {"error": message}.
func problem(c *gin.Context, status int, message string) {
	c.AbortWithStatusJSON(status, gin.H{"error": message})
}
