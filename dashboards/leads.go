package dashboards

import (
	"fmt"
	"net/url"

	"github.com/handoff-dev/handoff/reports"
)

// leadRowsShown is how many rows the leads page lists; the downloads have
// them all.
const leadRowsShown = 500

// drillTitles say what each list of the leads report holds, in the words
// of the number it sits behind.
var drillTitles = map[string]string{
	"created":     "Leads created",
	"lead":        "Leads entering the funnel",
	"mql":         "Leads that became MQL, and whether they reached SQL",
	"sql":         "Leads that became SQL, and whether they reached opportunity",
	"assigned":    "Assignments and their first touch",
	"handed_off":  "Leads handed to sales, and what sales decided",
	"opportunity": "Opportunities created",
	"won":         "Opportunities won",
}

// LeadsPage is the drill-down: the leads behind a number, with the
// evidence (when, outcome, minutes, amount) that counted them.
func LeadsPage(q url.Values, status string, run Runner) (Page, error) {
	p := Page{
		Title: "Leads behind the numbers", Path: "/leads", Status: status, Query: q,
		Form: Form{What: reports.DrillLists, Window: true, Filters: reports.Dimensions},
	}
	what := q.Get("what")
	if what == "" {
		what = "created"
		q = cloneValues(q)
		q.Set("what", what)
		p.Query = q
	}
	tb, err := run("leads", withHead(q, leadRowsShown, ""))
	if err != nil {
		return p, err
	}
	total := tb.Count()
	title := drillTitles[what]
	period := "all time"
	switch from, to := q.Get("from"), q.Get("to"); {
	case from != "" && to != "":
		period = from + " to " + to
	case from != "":
		period = "since " + from
	case to != "":
		period = "up to " + to
	}
	sec := Section{Title: fmt.Sprintf("%s, %s: %d", title, period, total), Report: "leads", Query: q,
		Key: []string{"lead_id", "event_at", "outcome", "minutes", "amount", "company", "source"}}
	if len(tb.Rows) == 0 {
		sec.Empty = "No row matches. Widen the dates or clear a filter."
		p.Sections = append(p.Sections, sec)
		return p, nil
	}
	sec.Note = "event_at is the time that put the row in this list; outcome and minutes say what happened next. Times are UTC."
	if total > leadRowsShown {
		sec.Note += fmt.Sprintf(" The first %d rows are shown; the downloads have all %d.", leadRowsShown, total)
		tb.Rows = tb.Rows[:min(leadRowsShown, len(tb.Rows))]
	}
	sec.Table = &tb
	p.Sections = append(p.Sections, sec)
	return p, nil
}
