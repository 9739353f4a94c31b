package dashboards

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

// runsShown is how many ingest runs the data page lists, newest first.
const runsShown = 10

// Upload is the data page's upload form.
type Upload struct {
	Action  string
	Sources []string
	// Denied, when set, says why this visitor gets no form (their token
	// lacks lake:write).
	Denied string
}

// uploadSection is the "Add an export" section: the form, or why not.
func uploadSection(u *Upload, note string) Section {
	if u.Denied != "" {
		return Section{Title: "Add an export", Note: note, Lines: []string{u.Denied}}
	}
	return Section{Title: "Add an export", Note: note, Upload: u}
}

// DataInfo is what the data page shows: the lake's state, and the outcome
// of an upload when the page answers one.
type DataInfo struct {
	Lake     string
	Manifest *lake.Manifest // nil: no lake yet
	Tables   []lake.TableSummary
	// Quarantine holds the first refused rows of recent runs.
	Quarantine []QuarantineSample
	Upload     Upload
	// Result says what an upload did; Failed marks it as an error.
	Result []string
	Failed bool
	// Exports are the scheduled exports and how their last runs went.
	Exports []ExportStatus
	// SQLAddr is where the Flight SQL endpoint listens; "" when it does not.
	// SQLTLS says it speaks TLS.
	SQLAddr string
	SQLTLS  bool
}

// ExportStatus is one scheduled export as the data page shows it.
type ExportStatus struct {
	Name, What, Format, Schedule string
	Next, LastSuccess            time.Time
	LastFile                     string
	LastRows                     int
	LastError                    string
}

// QuarantineSample is the start of one quarantine file.
type QuarantineSample struct {
	Run, Input, Href string
	Total            int64
	// Rows are line, column, field, kind, reason and the row as written.
	Rows [][]string
}

// DataPage says what is in the lake: its tables with rows and dates, the
// recent ingest runs with what they refused and why, and a form to ingest
// another export.
func DataPage(d DataInfo) Page {
	p := Page{Title: "Data", Path: "/data", NoFilters: true, Query: url.Values{}}
	if d.Result != nil {
		title := "Upload ingested"
		if d.Failed {
			title = "Upload not ingested"
		}
		p.Sections = append(p.Sections, Section{Title: title, Lines: d.Result, Alert: d.Failed})
	}
	if d.Manifest == nil {
		p.Status = "No lake yet at " + d.Lake
		if d.SQLAddr != "" {
			p.Sections = append(p.Sections, sqlSection(d))
		}
		p.Sections = append(p.Sections, uploadSection(&d.Upload,
			"The lake is empty. Upload a HubSpot, Salesforce or Marketo export (CSV, NDJSON) or handoff's canonical files, and the dashboards fill in."))
		return p
	}
	m := d.Manifest
	p.Status = fmt.Sprintf("Lake %s · generation %d · last change %s", d.Lake, m.Generation, m.UpdatedAt.UTC().Format("2 Jan 2006 15:04 MST"))

	tables := reports.Table{Columns: []reports.Column{
		{Name: "table", Kind: reflect.String}, {Name: "rows", Kind: reflect.Int64}, {Name: "files", Kind: reflect.Int64},
		{Name: "size", Kind: reflect.String}, {Name: "first", Kind: reflect.String}, {Name: "last", Kind: reflect.String},
	}}
	for _, t := range d.Tables {
		first, last := "–", "–"
		if !t.First.IsZero() {
			first, last = t.First.Format("2006-01-02 15:04"), t.Last.Format("2006-01-02 15:04")
		}
		tables.Rows = append(tables.Rows, []any{t.Table, t.Rows, int64(t.Files), lake.HumanBytes(t.Bytes), first, last})
	}
	p.Sections = append(p.Sections, Section{Title: "Tables",
		Note:  "Each canonical table with its rows, Parquet files and size, and the span of its time column (UTC).",
		Table: &tables})

	runs := reports.Table{Columns: []reports.Column{
		{Name: "run", Kind: reflect.String}, {Name: "finished", Kind: reflect.String}, {Name: "file", Kind: reflect.String},
		{Name: "read as", Kind: reflect.String}, {Name: "rows", Kind: reflect.Int64}, {Name: "accepted", Kind: reflect.Int64},
		{Name: "quarantined", Kind: reflect.Int64}, {Name: "warnings", Kind: reflect.Int64}, {Name: "skipped", Kind: reflect.Int64},
		{Name: "note", Kind: reflect.String},
	}}
	for i := len(m.Runs) - 1; i >= 0 && i >= len(m.Runs)-runsShown; i-- {
		r := m.Runs[i]
		for _, in := range r.Inputs {
			readAs := in.Source + " " + in.Kind
			note := in.EncodingNote
			if in.Unrecognised != "" {
				readAs, note = "(skipped)", in.Unrecognised
			} else if in.Encoding != "" && in.Encoding != "utf-8" {
				readAs += ", " + in.Encoding
			}
			if in.DateOrder != "" {
				note = strings.TrimPrefix(note+"; slash dates "+in.DateOrder, "; ")
			}
			runs.Rows = append(runs.Rows, []any{r.ID, r.FinishedAt.UTC().Format("2006-01-02 15:04:05"), in.Path,
				readAs, in.Rows, in.Accepted, in.Quarantined, in.Warnings, in.Skipped, note})
		}
	}
	p.Sections = append(p.Sections, Section{Title: "Recent ingests",
		Note:  fmt.Sprintf("The last %s, newest first, a row per input file. Quarantined rows were refused with a reason and kept aside; warnings are optional values that could not be read and were left blank, the row kept; the lake holds the rest.", plural(int64(min(runsShown, len(m.Runs))), "run", "runs")),
		Table: &runs, Key: []string{"finished", "file", "rows", "accepted", "quarantined", "warnings", "skipped", "read as"}})

	if len(d.Quarantine) == 0 {
		p.Sections = append(p.Sections, Section{Title: "Quarantine", Empty: "The recent runs refused no row."})
	}
	for _, q := range d.Quarantine {
		tb := reports.Table{Columns: []reports.Column{
			{Name: "line", Kind: reflect.String}, {Name: "column", Kind: reflect.String}, {Name: "field", Kind: reflect.String},
			{Name: "kind", Kind: reflect.String}, {Name: "reason", Kind: reflect.String}, {Name: "row as written", Kind: reflect.String},
		}}
		for _, r := range q.Rows {
			row := make([]any, len(r))
			for i, v := range r {
				row[i] = v
			}
			tb.Rows = append(tb.Rows, row)
		}
		verb := "were"
		if q.Total == 1 {
			verb = "was"
		}
		note := fmt.Sprintf("%s of %s %s refused in run %s.", plural(q.Total, "row", "rows"), q.Input, verb, q.Run)
		if int64(len(q.Rows)) < q.Total {
			note += fmt.Sprintf(" The first %d are shown.", len(q.Rows))
		}
		p.Sections = append(p.Sections, Section{Title: "Quarantine: " + q.Input, Note: note, Table: &tb, Download: q.Href})
	}
	if len(d.Exports) > 0 {
		tb := reports.Table{Columns: []reports.Column{
			{Name: "export", Kind: reflect.String}, {Name: "what", Kind: reflect.String}, {Name: "schedule", Kind: reflect.String},
			{Name: "next run", Kind: reflect.String}, {Name: "last written", Kind: reflect.String}, {Name: "rows", Kind: reflect.Int64},
			{Name: "last error", Kind: reflect.String},
		}}
		var failing []string
		for _, x := range d.Exports {
			last, next := "not yet", "–"
			if !x.LastSuccess.IsZero() {
				last = x.LastFile + ", " + x.LastSuccess.UTC().Format("2006-01-02 15:04 UTC")
			}
			if !x.Next.IsZero() {
				next = x.Next.UTC().Format("2006-01-02 15:04 UTC")
			}
			errText := "–"
			if x.LastError != "" {
				errText = x.LastError
				failing = append(failing, x.Name)
			}
			tb.Rows = append(tb.Rows, []any{x.Name, x.What + " as " + x.Format, x.Schedule, next, last, int64(x.LastRows), errText})
		}
		sec := Section{Title: "Scheduled exports", Table: &tb,
			Note: "The exports of handoff.yaml: each file appears whole beside a manifest; a failed run leaves the previous files as they were."}
		if len(failing) > 0 {
			sec.Lines, sec.Alert = []string{fmt.Sprintf("The last run of %s failed: the previous files stay; the reason is in the table and the server's log.", strings.Join(failing, ", "))}, true
		}
		p.Sections = append(p.Sections, sec)
	}
	if d.SQLAddr != "" {
		p.Sections = append(p.Sections, sqlSection(d))
	}
	p.Sections = append(p.Sections, uploadSection(&d.Upload,
		"Ingest another export into this lake. Rows already there are updated, not doubled; bad rows go to the quarantine and the good ones are kept. The dashboards show the new data on their next load."))
	return p
}

// plural says n with the singular or plural words after it.
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// sqlSection says how a SQL client connects to the Flight SQL endpoint.
func sqlSection(d DataInfo) Section {
	transport, encryption := " (plain gRPC: keep it on this machine, or serve it over TLS with --flight-tls-cert and --flight-tls-key).", "false"
	if d.SQLTLS {
		transport, encryption = " (TLS).", "true"
	}
	return Section{Title: "Query with SQL",
		Note: "BI tools and programs can query this lake live over Arrow Flight SQL, read-only: the canonical tables in the schema main, each report at its default parameters in the schema reports (reports.funnel, reports.sla_breaches, …).",
		Lines: []string{
			"Address: " + d.SQLAddr + transport,
			"Token: handoff token create --lake " + d.Lake + " --scope lake:read",
			"Go (arrow-go's database/sql driver): flightsql://" + d.SQLAddr + "?token=hnd_…" + map[bool]string{true: "&tls=enabled", false: ""}[d.SQLTLS],
			"JDBC (Arrow Flight SQL driver): jdbc:arrow-flight-sql://" + d.SQLAddr + "/?useEncryption=" + encryption + "&token=hnd_…",
			"Writes, COPY, ATTACH, INSTALL and reading files are refused. More in docs/exports.md.",
		}}
}
