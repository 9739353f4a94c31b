package server

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/ingest/ingesttest"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/routing"
	"github.com/handoff-dev/handoff/sample/sampletest"
	"github.com/handoff-dev/handoff/scoring"
)

// The hand-worked fixture of the metrics tests (testdata/reports/README.md
// shows every calculation), computed as of this time.
const fixtureAsOf = "2026-04-01T00:00:00Z"

// fixtureLake ingests the hand-worked fixture into a new lake.
func fixtureLake(t testing.TB) string {
	t.Helper()
	return ingesttest.Fixture(t, "reports")
}

// startServer serves lakeDir on a free port of 127.0.0.1 until the test
// ends, and checks that it then shuts down cleanly.
func startServer(t testing.TB, lakeDir string) string {
	t.Helper()
	return startServerWith(t, Options{Lake: lakeDir, Config: reports.DefaultConfig()})
}

// apiTokens are the tokens startServerWith made, by server address: get
// sends one with every /api/v1 request.
var apiTokens sync.Map

var ginParam = regexp.MustCompile(`:([a-z]+)`)

// withFixtureRules gives a server testdata/routing/rules.yaml: the scoring
// fixture's rules and routing for the reports fixture's reps.
func withFixtureRules(t *testing.T, opts Options) Options {
	t.Helper()
	raw, err := os.ReadFile("../testdata/routing/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules, err := scoring.ParseRules("rules.yaml", raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	file, err := scoring.ParseFile("rules.yaml", raw)
	if err != nil {
		t.Fatal(err)
	}
	opts.Rules, opts.RulesFile, opts.RulesRaw = &rules, file, raw
	return opts
}

// startServerWith is startServer with options of the test's own. It makes
// a token with every scope in the lake, which get uses for the API.
func startServerWith(t testing.TB, opts Options) string {
	t.Helper()
	_, base := startServerObject(t, opts)
	return base
}

// startServerObject is startServerWith that also returns the server.
func startServerObject(t testing.TB, opts Options) (*Server, string) {
	t.Helper()
	_, token, err := CreateToken(opts.Lake, "tests", Scopes)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := New(opts)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("shutdown: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not stop within 15 s")
		}
	})
	base := "http://" + ln.Addr().String()
	apiTokens.Store(base, token)
	return srv, base
}

type reportJSON struct {
	Report  string           `json:"report"`
	Params  map[string]any   `json:"params"`
	AsOf    string           `json:"as_of"`
	Columns []string         `json:"columns"`
	Rows    []map[string]any `json:"rows"`
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	// No clock of its own: the test binary's deadline bounds a request,
	// so a busy machine makes it slower, not failed.
	client := &http.Client{}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.Index(url, "/api/v1/"); i > 0 {
		if token, ok := apiTokens.Load(url[:i]); ok {
			req.Header.Set("Authorization", "Bearer "+token.(string))
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func getReport(t *testing.T, url string) (reportJSON, *http.Response) {
	t.Helper()
	resp, body := get(t, url)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	var r reportJSON
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
	return r, resp
}

// rowText renders rows as "a | b | c" with numbers to 4 places, the way
// the metrics tests write their hand-worked rows.
func rowText(r reportJSON) []string {
	var out []string
	for _, row := range r.Rows {
		var cells []string
		for _, c := range r.Columns {
			switch v := row[c].(type) {
			case nil:
				cells = append(cells, "NULL")
			case float64:
				if v == float64(int64(v)) && !strings.Contains(c, "rate") && !strings.Contains(c, "minutes") {
					cells = append(cells, fmt.Sprint(int64(v)))
				} else {
					cells = append(cells, fmt.Sprintf("%.4f", v))
				}
			default:
				cells = append(cells, fmt.Sprint(v))
			}
		}
		out = append(out, strings.Join(cells, " | "))
	}
	return out
}

func TestAPIGivesTheHandWorkedNumbers(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"funnel cohorts", "/api/v1/reports/funnel?as_of=" + fixtureAsOf, []string{
			"2026-01-01 | lead | mql | 7 | 6 | 0.8571 | true",
			"2026-01-01 | mql | sql | 6 | 5 | 0.8333 | true",
			"2026-01-01 | sql | opportunity | 5 | 4 | 0.8000 | true",
			"2026-01-01 | opportunity | customer | 4 | 2 | 0.5000 | true",
			"2026-01-01 | lead | customer | 7 | 2 | 0.2857 | true",
			"2026-02-01 | lead | mql | 3 | 3 | 1.0000 | true",
			"2026-02-01 | mql | sql | 3 | 2 | 0.6667 | true",
			"2026-02-01 | sql | opportunity | 2 | 1 | 0.5000 | true",
			"2026-02-01 | opportunity | customer | 1 | 1 | 1.0000 | true",
			"2026-02-01 | lead | customer | 3 | 1 | 0.3333 | true",
			"2026-03-01 | lead | mql | 3 | 1 | 0.3333 | true",
			"2026-03-01 | mql | sql | 1 | 0 | 0.0000 | true",
			"2026-03-01 | sql | opportunity | 0 | 0 | NULL | true",
			"2026-03-01 | opportunity | customer | 0 | 0 | NULL | true",
			"2026-03-01 | lead | customer | 3 | 0 | 0.0000 | true",
		}},
		{"funnel, 30-day window, January only", "/api/v1/reports/funnel?as_of=" + fixtureAsOf + "&window=30d&to=2026-01-31", []string{
			"2026-01-01 | lead | mql | 7 | 6 | 0.8571 | false",
			"2026-01-01 | mql | sql | 6 | 5 | 0.8333 | false",
			"2026-01-01 | sql | opportunity | 5 | 3 | 0.6000 | false",
			"2026-01-01 | opportunity | customer | 4 | 2 | 0.5000 | false",
			"2026-01-01 | lead | customer | 7 | 0 | 0.0000 | false",
		}},
		{"speed to lead", "/api/v1/reports/response?as_of=" + fixtureAsOf, []string{
			"8 | 150.0000 | 1672.5000 | 3918.0000 | 3955.8000 | 2 | 1 | 0 | 1 | 2 | 2 | 0 | 1 | 2",
		}},
		{"speed to lead, business clock", "/api/v1/reports/response?as_of=" + fixtureAsOf + "&clock=business", []string{
			"8 | 47.5000 | 120.0000 | 139.5000 | 180.4500 | 2 | 1 | 1 | 4 | 0 | 0 | 0 | 1 | 2",
		}},
		{"speed to lead by owner", "/api/v1/reports/response?as_of=" + fixtureAsOf + "&by=owner", []string{
			"Ana | 5 | 60.0000 | 3900.0000 | 3936.0000 | 3957.6000 | 1 | 1 | 0 | 1 | 0 | 2 | 0 | 0 | 0",
			"Ben | 3 | 240.0000 | 585.0000 | 792.0000 | 916.2000 | 1 | 0 | 0 | 0 | 2 | 0 | 0 | 1 | 2",
		}},
		{"a filter as a dimension parameter keeps only Ana's", "/api/v1/reports/response?as_of=" + fixtureAsOf + "&by=owner&owner=Ana", []string{
			"Ana | 5 | 60.0000 | 3900.0000 | 3936.0000 | 3957.6000 | 1 | 1 | 0 | 1 | 0 | 2 | 0 | 0 | 0",
		}},
		{"the same filter as filter=DIM=VALUE", "/api/v1/reports/response?as_of=" + fixtureAsOf + "&by=owner&filter=owner%3DAna", []string{
			"Ana | 5 | 60.0000 | 3900.0000 | 3936.0000 | 3957.6000 | 1 | 1 | 0 | 1 | 0 | 2 | 0 | 0 | 0",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := getReport(t, base+tc.path)
			if got := rowText(r); !slices.Equal(got, tc.want) {
				t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if r.AsOf != fixtureAsOf {
				t.Errorf("as_of %s, want %s", r.AsOf, fixtureAsOf)
			}
		})
	}
}

func TestDownloadsHoldTheSameRows(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	path := base + "/api/v1/reports/funnel?as_of=" + fixtureAsOf
	r, _ := getReport(t, path)

	resp, body := get(t, path+"&format=csv")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "funnel.csv") {
		t.Fatalf("csv: %d %v", resp.StatusCode, resp.Header)
	}
	records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(records[0], r.Columns) || len(records)-1 != len(r.Rows) {
		t.Fatalf("csv header %v and %d rows, json %v and %d rows", records[0], len(records)-1, r.Columns, len(r.Rows))
	}
	for i, rec := range records[1:] {
		if rec[3] != fmt.Sprint(r.Rows[i]["reached_from"]) || rec[4] != fmt.Sprint(r.Rows[i]["reached_to"]) {
			t.Errorf("csv row %d %v, json %v", i+1, rec, r.Rows[i])
		}
	}

	resp, body = get(t, path+"&format=parquet")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("parquet: %d %s", resp.StatusCode, body)
	}
	file := filepath.Join(t.TempDir(), "funnel.parquet")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, reachedFrom int64
	if err := db.QueryRow("SELECT count(*), sum(reached_from) FROM read_parquet(?)", file).Scan(&rows, &reachedFrom); err != nil {
		t.Fatal(err)
	}
	// 15 rows; reached_from sums to 7+6+5+4+7 + 3+3+2+1+3 + 3+1+0+0+3.
	if rows != 15 || reachedFrom != 48 {
		t.Fatalf("parquet holds %d rows with reached_from summing to %d, want 15 and 48", rows, reachedFrom)
	}
}

func TestPaging(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	r, resp := getReport(t, base+"/api/v1/reports/funnel?as_of="+fixtureAsOf+"&offset=5&limit=3")
	if got := rowText(r); len(got) != 3 || !strings.HasPrefix(got[0], "2026-02-01 | lead | mql | 3 | 3") {
		t.Fatalf("rows 6-8: %v", got)
	}
	if resp.Header.Get("X-Total-Rows") != "15" {
		t.Fatalf("X-Total-Rows %q, want 15", resp.Header.Get("X-Total-Rows"))
	}
	r, _ = getReport(t, base+"/api/v1/reports/funnel?as_of="+fixtureAsOf+"&offset=100")
	if len(r.Rows) != 0 {
		t.Fatalf("offset past the end: %d rows", len(r.Rows))
	}
}

func TestCacheFollowsTheLake(t *testing.T) {
	lakeDir := fixtureLake(t)
	base := startServer(t, lakeDir)
	url := base + "/api/v1/reports/funnel?as_of=" + fixtureAsOf
	first, resp := getReport(t, url)
	if resp.Header.Get("X-Cache") != "miss" {
		t.Fatalf("first request: X-Cache %q", resp.Header.Get("X-Cache"))
	}
	generation := resp.Header.Get("X-Lake-Generation")
	_, resp = getReport(t, url)
	if resp.Header.Get("X-Cache") != "hit" {
		t.Fatalf("second request: X-Cache %q", resp.Header.Get("X-Cache"))
	}

	// A new lead enters in March while the server runs: the March cohort
	// grows from 3 to 4 leads.
	more := t.TempDir()
	writeFile(t, filepath.Join(more, "leads.csv"), "lead_id,created_at,source\nLNEW,2026-03-15T10:00:00Z,webinar\n")
	writeFile(t, filepath.Join(more, "stage_changes.csv"), "lead_id,stage,changed_at\nLNEW,lead,2026-03-15T10:00:00Z\n")
	if _, err := ingest.Run(context.Background(), ingest.Options{Lake: lakeDir, Strict: true}, []string{more}); err != nil {
		t.Fatal(err)
	}
	after, resp := getReport(t, url)
	if resp.Header.Get("X-Cache") != "miss" || resp.Header.Get("X-Lake-Generation") == generation {
		t.Fatalf("after an ingest: X-Cache %q, generation %s (was %s)", resp.Header.Get("X-Cache"), resp.Header.Get("X-Lake-Generation"), generation)
	}
	march := func(r reportJSON) any { return r.Rows[10]["reached_from"] }
	if march(first) != 3.0 || march(after) != 4.0 {
		t.Fatalf("March cohort: %v before, %v after; want 3 then 4", march(first), march(after))
	}
}

// A page is kept once rendered, and a new lake generation renders it anew
// with the new numbers.
func TestPageCacheFollowsTheLake(t *testing.T) {
	lakeDir := fixtureLake(t)
	base := startServer(t, lakeDir)
	page := base + "/overview?as_of=" + fixtureAsOf
	for i, want := range []string{"miss", "hit"} {
		resp, body := get(t, page)
		if resp.Header.Get("X-Cache") != want || !strings.Contains(string(body), `<span class="label">Leads</span><span class="value">3</span>`) {
			t.Fatalf("request %d: X-Cache %q, want %s and March's 3 leads", i+1, resp.Header.Get("X-Cache"), want)
		}
	}
	more := t.TempDir()
	writeFile(t, filepath.Join(more, "leads.csv"), "lead_id,created_at,source\nLNEW,2026-03-15T10:00:00Z,webinar\n")
	if _, err := ingest.Run(context.Background(), ingest.Options{Lake: lakeDir, Strict: true}, []string{more}); err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, page)
	if resp.Header.Get("X-Cache") != "miss" || !strings.Contains(string(body), `<span class="label">Leads</span><span class="value">4</span>`) {
		t.Fatalf("after an ingest: X-Cache %q; want a fresh page with March's 4 leads", resp.Header.Get("X-Cache"))
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsNameTheProblem(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/api/v1/reports/nope", 404, `no report "nope"`},
		{"/api/v1/reports/funnel?from=yesterday", 400, `from "yesterday"`},
		{"/api/v1/reports/funnel?tz=Mars/Olympus", 400, `tz "Mars/Olympus" is not a time zone`},
		{"/api/v1/reports/funnel?from=2026-02-01&to=2026-01-01", 400, "to 2026-01-01 is before from 2026-02-01"},
		{"/api/v1/reports/funnel?by=hour", 400, `cannot break down by "hour"`},
		{"/api/v1/reports/funnel?colour=red", 400, `unknown parameter "colour"`},
		{"/api/v1/reports/funnel?limit=0", 400, `limit "0"`},
		{"/api/v1/reports/funnel?format=xlsx", 400, `format "xlsx"`},
		{"/api/v1/reports/sla-breaches?sla=nope", 400, `no SLA named "nope"`},
		{"/nothing-here", 404, "/api/v1/openapi.json"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := get(t, base+tc.path)
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("%d %s: not a JSON error: %v", resp.StatusCode, body, err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(e.Error, tc.want) {
				t.Fatalf("%d %q, want %d and a message with %q", resp.StatusCode, e.Error, tc.status, tc.want)
			}
		})
	}
}

func TestNotReadyWithoutALake(t *testing.T) {
	base := startServer(t, filepath.Join(t.TempDir(), "no-lake-yet"))
	if resp, body := get(t, base+"/healthz"); resp.StatusCode != 200 {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/readyz", "/api/v1/reports/funnel"} {
		resp, body := get(t, base+path)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "ingest") {
			t.Errorf("%s: %d %s, want 503 saying to ingest", path, resp.StatusCode, body)
		}
	}
}

// The OpenAPI document is built from the report catalog; this checks it
// against what the server really does: every documented path answers,
// every route is documented, and each report's JSON has exactly the
// documented columns with values of the documented types.
func TestOpenAPIMatchesTheServer(t *testing.T) {
	lakeDir := fixtureLake(t)
	// A routing decision on record, so /api/v1/routing/{lead} has one.
	ev, err := routing.NewEvent("lead.routed", "L2", time.Date(2026, 1, 8, 12, 0, 0, 0, time.UTC), map[string]any{"lead_id": "L2", "new_owner": "Ben"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(lakeDir, "access"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := appendAudit(lakeDir, []routing.Event{ev}); err != nil {
		t.Fatal(err)
	}
	base := startServerWith(t, withFixtureRules(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), FeedEvery: -1}))
	resp, body := get(t, base+"/api/v1/openapi.json")
	if resp.StatusCode != 200 {
		t.Fatalf("openapi: %d", resp.StatusCode)
	}
	var doc struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type any `json:"type"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}

	documented := map[string]bool{}
	for path := range doc.Paths {
		documented[path] = true
	}
	for _, route := range New(Options{}).engine.Routes() {
		path := route.Path
		if !strings.HasPrefix(path, "/api/") && path != "/healthz" && path != "/readyz" {
			continue // pages and assets are for people, not the API
		}
		if path == "/api/v1/reports/:name" {
			for _, name := range reports.Names() {
				if !documented["/api/v1/reports/"+name] {
					t.Errorf("report %s is served but not documented", name)
				}
			}
			continue
		}
		// gin's :param is OpenAPI's {param}.
		if !documented[ginParam.ReplaceAllString(path, "{$1}")] {
			t.Errorf("route %s %s is not documented", route.Method, path)
		}
	}

	for path := range doc.Paths {
		name, isReport := strings.CutPrefix(path, "/api/v1/reports/")
		url := base + strings.ReplaceAll(path, "{lead}", "L2")
		if isReport {
			url += "?as_of=" + fixtureAsOf
		}
		resp, body := get(t, url)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("documented %s answers %d %s", path, resp.StatusCode, body)
			continue
		}
		if !isReport {
			continue
		}
		var r reportJSON
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		schema, ok := doc.Components.Schemas[schemaName(name)+"Row"]
		if !ok {
			t.Errorf("%s: no row schema", name)
			continue
		}
		want := append([]string(nil), schema.Required...)
		got := append([]string(nil), r.Columns...)
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: columns %v, documented %v", name, r.Columns, schema.Required)
		}
		if len(r.Rows) == 0 {
			t.Errorf("%s: the fixture gives no rows, so the types go unchecked", name)
		}
		for i, row := range r.Rows {
			for col, v := range row {
				if !jsonTypeAllowed(v, schema.Properties[col].Type) {
					t.Errorf("%s row %d: %s = %#v is not of documented type %v", name, i+1, col, v, schema.Properties[col].Type)
				}
			}
		}
	}
}

func jsonTypeAllowed(v any, documented any) bool {
	var types []string
	switch d := documented.(type) {
	case string:
		types = []string{d}
	case []any:
		for _, x := range d {
			types = append(types, fmt.Sprint(x))
		}
	}
	var got string
	switch x := v.(type) {
	case nil:
		got = "null"
	case bool:
		got = "boolean"
	case string:
		got = "string"
	case float64:
		got = "number"
		if x == float64(int64(x)) && slices.Contains(types, "integer") {
			got = "integer"
		}
	default:
		got = reflect.TypeOf(v).String()
	}
	return slices.Contains(types, got)
}

func TestFunnelPage(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	resp, body := get(t, base+"/funnel?as_of="+fixtureAsOf)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("funnel page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	page := string(body)
	for _, want := range []string{
		// Pooled over the three cohorts of the hand-worked fixture: lead→MQL
		// (6+3+1)/(7+3+3) = 76.9%, MQL→SQL (5+2+0)/(6+3+1) = 70.0%.
		`"value":76.9`, `"value":70`,
		// January's lead→MQL in the chart (6/7) and in the table.
		`"value":85.7`, `<td class="num">85.7%</td>`,
		// The March cohort is within 90 days of the as-of time: open.
		"2026-03 (open)",
		// The flow view (README "Flow"): MQL entries January 4, February 4
		// (L2's re-entry among them), March 1; SQL 5, 2, 0.
		`"name":"mql","type":"bar","data":[{"value":4},{"value":4},{"value":1}]`,
		`"name":"sql","type":"bar","data":[{"value":5},{"value":2},{"value":0}]`,
		"Flow view: stage entries per period",
		// January's 7 cohort leads open the cohort list.
		`<a href="/leads?as_of=2026-04-01T00%3A00%3A00Z&amp;from=2026-01-01&amp;to=2026-01-31&amp;what=lead">7</a>`,
		// The filter fields suggest the lake's values, most frequent first:
		// web 5 leads, paid 4, then one each in alphabetical order.
		`<datalist id="choices-source"><option value="web"><option value="paid"><option value="(blank)"><option value="email"><option value="event"><option value="referral"></datalist>`,
		`<input name="source" value="" size="10" list="choices-source"`,
		// Downloads carry the page's parameters.
		`href="/download/reports/funnel?as_of=2026-04-01T00%3A00%3A00Z&amp;format=csv"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("funnel page lacks %s", want)
		}
	}
	// Nothing is fetched from elsewhere: every src and href is local.
	for _, attr := range []string{`src="http`, `href="http`, `src="//`, `href="//`} {
		if strings.Contains(page, attr) {
			t.Errorf("funnel page loads a remote asset (%s)", attr)
		}
	}
	resp, body = get(t, base+"/assets/echarts.min.js")
	if resp.StatusCode != http.StatusOK || len(body) < 500_000 {
		t.Fatalf("echarts asset: %d, %d bytes", resp.StatusCode, len(body))
	}
}

func TestPagesSayWhatIsWrong(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	resp, body := get(t, base+"/funnel?from=last+week")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "One of the filters is not right") || !strings.Contains(string(body), `from &#34;last week&#34;`) {
		t.Errorf("bad filter: %d\n%s", resp.StatusCode, body)
	}
	// The error page keeps the page's own fields, to correct the choice.
	resp, body = get(t, base+"/leads?what=mqls")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `<select name="what">`) || !strings.Contains(string(body), "what must be one of created, lead, mql") {
		t.Errorf("bad list: %d\n%s", resp.StatusCode, body)
	}
	empty := startServer(t, filepath.Join(t.TempDir(), "none"))
	resp, body = get(t, empty+"/funnel")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "There is no data yet") {
		t.Errorf("no lake: %d\n%s", resp.StatusCode, body)
	}
}

// pageHas fetches a page computed as of the fixture's time and checks that
// it holds every string of want.
func pageHas(t *testing.T, base, path string, want []string) {
	t.Helper()
	resp, body := get(t, base+path+"?as_of="+fixtureAsOf)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d\n%s", path, resp.StatusCode, body)
	}
	for _, w := range want {
		if !strings.Contains(string(body), w) {
			t.Errorf("%s lacks %q", path, w)
		}
	}
}

func TestSpeedToLeadPage(t *testing.T) {
	pageHas(t, startServer(t, fixtureLake(t)), "/speed", []string{
		// The fixture's hand-worked response: 8 touched, p50 150 min,
		// p75 1672.5 min, p90 3918 min, 2 never touched.
		"Median 2.5 h, 75% within 27.9 h, 90% within 2.7 days, over 8 assignments that got a touch; 2 got none.",
		// Per owner: Ana's median 60 min is 1 h, Ben's 240 min 4 h.
		`"formatter":"Ana: median 60 min over 5 assignments"`, `"formatter":"Ben: median 4.0 h over 3 assignments"`,
	})
}

func TestAgingPage(t *testing.T) {
	// The fixture's hand-worked aging: lead 3 open (1 under a day, 1 at
	// 2-4 weeks, 1 over 30 days, median 26.6 days), and the bars of the
	// "30+ days" series per stage as shares of the stage's open leads:
	// lead 1 of 3, mql 2 of 3 (L2, L9), sql 1 of 1, opportunity 1 of 2.
	pageHas(t, startServer(t, fixtureLake(t)), "/aging", []string{
		`<td>lead</td><td class="num">3</td><td class="num">1</td><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">1</td><td class="num">1</td><td class="num">26.6</td>`,
		`"name":"30+ days","type":"bar","stack":"age","data":[{"value":33.3,`, `{"value":66.7,"tooltip":{"formatter":"mql, 30+ days: 2 of 3 open leads"}}`,
		`{"value":100,`, `{"value":50,"tooltip":{"formatter":"opportunity, 30+ days: 1 of 2 open leads"}}`,
		"Stuck leads (",
	})
}

func TestOverviewPage(t *testing.T) {
	// testdata/reports/README.md, "Overview": every month is complete as
	// of 2026-04-01, so the headline is March against February.
	pageHas(t, startServer(t, fixtureLake(t)), "/overview", []string{
		"Headline numbers, Mar 2026",
		// Leads 3 against 3.
		`<span class="label">Leads</span><span class="value">3</span>`, "no change",
		// MQL→SQL 0 of 1 against 2 of 3: down 66.7 points, over too few
		// MQLs to colour; Wilson's 95% interval for 0 of 1 is 0–79%
		// (z²/(1+z²) = 3.84/4.84).
		`<span class="value">0.0%</span>`, `<span class="change ">-66.7 pts vs Feb 2026 (too few to judge: 1 and 3)</span>`,
		"0 of the period&#39;s 1 MQLs reached SQL (cohort), 95% interval 0–79%; still open, can rise",
		// Median response 1951.5 min = 32.5 h against 3960: 51% faster, good.
		`<span class="value">32.5 h</span>`, `<span class="change good">-51% vs Feb 2026</span>`,
		// first_touch 1 of 2 against 0 of 2, too few to colour; Wilson's
		// interval for 1 of 2 is 9–91%.
		`<span class="value">50.0%</span>`, `<span class="change ">&#43;50.0 pts vs Feb 2026 (too few to judge: 2 and 2)</span>`, "1 met, 1 breached, 95% interval 9–91%",
		// Pipeline 7000 against 5000; won 5000 against 5000.
		`<span class="value">7,000</span>`, `<span class="change good">&#43;40% vs Feb 2026</span>`,
		`<span class="label">Won revenue</span><span class="value">5,000</span>`,
		// Each number opens its leads for March.
		`href="/leads?as_of=2026-04-01T00%3A00%3A00Z&amp;from=2026-03-01&amp;to=2026-03-31&amp;what=mql"`,
	})
}

func TestLeadsPage(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	// README "Leads behind the numbers": January's six MQLs, L4 not yet.
	pageHas(t, base, "/leads", nil)
	resp, body := get(t, base+"/leads?as_of="+fixtureAsOf+"&what=mql&from=2026-01-01&to=2026-01-31")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("leads page: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"Leads that became MQL, and whether they reached SQL, 2026-01-01 to 2026-01-31: 6",
		`<td><a href="/leads/L4">L4</a></td>`, "<td>not yet</td>", `<td><a href="/leads/L1">L1</a></td>`, `<td class="num">5760.0</td>`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("leads page lacks %q", want)
		}
	}
}

func TestSourcesPage(t *testing.T) {
	// README "Sources": web ROI (5000 − 1000) / 1000 = 400%; referral,
	// email, event and (blank) have no spend: unknown, not zero.
	pageHas(t, startServer(t, fixtureLake(t)), "/sources", []string{
		`"value":400`, `"formatter":"web: won 5,000 on spend 1,000"`, "referral (spend unknown)",
		`<td class="num">unknown</td>`,
		// web's 5 leads open the leads list filtered to web.
		`<a href="/leads?as_of=2026-04-01T00%3A00%3A00Z&amp;source=web&amp;what=created">5</a>`,
	})
}

func TestSLAPage(t *testing.T) {
	// README "SLA compliance": first_touch 4 met, 6 breached; Ana (A1, A2,
	// A4 met; A7, A8 breached) and Ben (A11 met; A3, A5, A6, A10
	// breached). Breaches over the three SLAs: 6 + 3 + 3 = 12. The default
	// config sets no MQL commitment.
	pageHas(t, startServer(t, fixtureLake(t)), "/sla", []string{
		`"formatter":"first_touch: 4 met, 6 breached"`, `"formatter":"first_touch: 3 met, 2 breached"`, `"formatter":"first_touch: 1 met, 4 breached"`,
		"Breaches (12)", "No commitment is set",
		// 4 met of 10 decided clocks: too few to read as a finding, and
		// marked so rather than given an interval.
		`<td class="num few">40.0%<span class="ci" title="95% interval (Wilson) over 10: too few to read as a finding">only 10</span></td>`,
		`<option selected>owner</option>`,
	})
}

func TestQualityPage(t *testing.T) {
	// README "Lead quality": by source, paid 1 of 3 decided accepted, web 4
	// of 5; rejection reasons No budget 2, blank 1.
	pageHas(t, startServer(t, fixtureLake(t)), "/quality", []string{
		"paid (33% accepted)", "web (80% accepted)",
		`<td>No budget</td><td class="num">2</td>`,
		`href="/leads?as_of=2026-04-01T00%3A00%3A00Z&amp;source=web&amp;what=handed_off"`,
	})
}

func TestSpeedToLeadHeatmap(t *testing.T) {
	// README "Response by weekday and hour": Tue 15 holds A1's 20 minutes
	// (0.3 h, one touched assignment), Fri 21 the median of 3900 and 3960
	// (65.5 h, two). A cell is [hour, weekday, assignments, median hours]:
	// the colour scale reads the last.
	pageHas(t, startServer(t, fixtureLake(t)), "/speed", []string{
		`"value":[15,1,1,0.3]`, `"value":[21,4,2,65.5]`,
		`"name":"Tue 15:00: median 0.3 h over 1 assignments"`,
	})
}

// The overview's headline and its rows say the same numbers: the MQL →
// SQL tile's "k of the period's n" is the headline period's
// mqls_reached_sql and mqls in the API's rows, and its rate is k ÷ n.
func TestOverviewHeadlineReconcilesWithRows(t *testing.T) {
	l := sampletest.Lake(t, 3000, 11)
	base := startServer(t, l.Dir)
	resp, body := get(t, base+"/overview")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/overview: %d", resp.StatusCode)
	}
	page := html.UnescapeString(string(body))
	m := regexp.MustCompile(`Headline numbers, (\w+ \d{4})`).FindStringSubmatch(page)
	tile := regexp.MustCompile(`(\d+) of the period's (\d+) MQLs reached SQL \(cohort\)`).FindStringSubmatch(page)
	rate := regexp.MustCompile(`MQL → SQL</span><span class="value">([\d.]+)%`).FindStringSubmatch(page)
	if m == nil || tile == nil || rate == nil {
		t.Fatalf("headline %v, tile %v, rate %v", m, tile, rate)
	}
	month, err := time.Parse("Jan 2006", m[1])
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := getReport(t, base+"/api/v1/reports/overview")
	var found bool
	for _, r := range rows.Rows {
		if r["period"] != month.Format(time.DateOnly) {
			continue
		}
		found = true
		k, n := fmt.Sprint(r["mqls_reached_sql"]), fmt.Sprint(r["mqls"])
		if tile[1] != k || tile[2] != n {
			t.Errorf("%s: the tile says %s of %s, the row %s of %s", m[1], tile[1], tile[2], k, n)
		}
		kk, _ := strconv.ParseFloat(k, 64)
		nn, _ := strconv.ParseFloat(n, 64)
		if want := fmt.Sprintf("%.1f", kk/nn*100); rate[1] != want {
			t.Errorf("%s: the tile's rate %s%%, k ÷ n is %s%%", m[1], rate[1], want)
		}
	}
	if !found {
		t.Errorf("no row for the headline's period %s", m[1])
	}
}

// The server warms the lake it serves as it starts, and /readyz says when
// it has; told not to, it never does.
func TestReadyzSaysWhenTheLakeIsWarmed(t *testing.T) {
	dir := fixtureLake(t)
	warmed := func(base string) bool {
		t.Helper()
		resp, body := get(t, base+"/readyz")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/readyz: %d %s", resp.StatusCode, body)
		}
		var ready struct {
			Warmed *bool `json:"warmed"`
		}
		if err := json.Unmarshal(body, &ready); err != nil || ready.Warmed == nil {
			t.Fatalf("/readyz: %s (%v)", body, err)
		}
		return *ready.Warmed
	}
	base := startServer(t, dir)
	// No clock of the test's own: the binary's deadline bounds the wait.
	for !warmed(base) {
		time.Sleep(20 * time.Millisecond)
	}
	cold := startServerWith(t, Options{Lake: dir, Config: reports.DefaultConfig(), NoWarm: true})
	pageHas(t, cold, "/sla", nil)
	if warmed(cold) {
		t.Error("a server told not to warm says it has")
	}
}
