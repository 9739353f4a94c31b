package server

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/reports"
)

// indexPage lists the reports with links to their rows. The dashboards
// will take this address over; until then it is the way in for a person.
var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>handoff</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2933;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e4e7eb;background:#16191d}a{color:#7cc4fa}td,th{border-color:#3e4c59}}
h1{margin-bottom:.2rem} .status{color:#616e7c;margin-top:0}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #cbd2d9;vertical-align:top}
code{font-size:.9em}
</style></head><body>
<p><a href="/funnel">← Dashboards</a></p>
<h1>All reports</h1>
<p class="status">{{.Status}}</p>
<p>Every report of the lake, computed as of its latest event. Each link is the report as JSON; add <code>&amp;format=csv</code> or
<code>&amp;format=parquet</code> for a download, <code>by=</code>, <code>from=</code>, <code>to=</code> or a dimension such as
<code>source=webinar</code> to slice it. Programs use the same answers under <code>/api/v1/reports/NAME</code> with a token
(<code>handoff token create --scope reports:read</code>), described by <code>/api/v1/openapi.json</code>.</p>
<table><thead><tr><th>report</th><th>what it shows</th><th>download</th></tr></thead><tbody>
{{range .Reports}}<tr><td><a href="/download/reports/{{.Name}}">{{.Name}}</a></td><td>{{.Short}}</td>
<td><a href="/download/reports/{{.Name}}?format=csv">CSV</a> · <a href="/download/reports/{{.Name}}?format=parquet">Parquet</a></td></tr>
{{end}}</tbody></table>
</body></html>
`))

func (s *Server) index(c *gin.Context) {
	status := "No lake yet: ingest exports with handoff ingest --lake " + s.opts.Lake + " PATH..."
	if h, err := s.lakes.Acquire(c.Request.Context()); err == nil {
		status = "Lake " + s.opts.Lake + ", generation " + itoa(h.Generation)
		if asOf, err := reports.LatestEvent(c.Request.Context(), h.Lake); err == nil {
			status += ", latest event " + asOf.Format("2006-01-02 15:04 MST")
		}
		s.lakes.Release(h)
	}
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := indexPage.Execute(c.Writer, map[string]any{"Status": status, "Reports": reports.Catalog()}); err != nil {
		s.log.Warn("index page", "error", err)
	}
}
