package dashboards

import (
	"fmt"
	"net/url"
	"reflect"
	"time"

	"github.com/handoff-dev/handoff/reports"
)

// LeadScore is a lead's score as the lead page shows it; nil without
// scoring rules.
type LeadScore struct {
	Total, Fit, Engagement float64
	Quadrant               string
	MQL                    bool
	Explanation            []string
}

// LeadPage is one lead's context packet for a person: who it is, where it
// came from, the SLA clocks on it, its score, what it did and who owned it.
func LeadPage(c reports.LeadContext, score *LeadScore) Page {
	f := c.Lead
	title := f.LeadID
	if f.Company != nil && *f.Company != "" {
		title = *f.Company + " · " + f.LeadID
	}
	p := Page{Title: title, Path: "/leads/" + url.PathEscape(f.LeadID), NoFilters: true, Query: url.Values{}}
	p.Status = "As of " + c.AsOf.Format("2 Jan 2006 15:04 MST")
	stage := "–"
	if f.Stage != nil {
		stage = *f.Stage
	}
	since := ""
	if f.StageSince != nil {
		since = "since " + f.StageSince.UTC().Format("2 Jan 2006 15:04")
	}
	mql, mqlTime := "no", "not an MQL"
	if f.MQLAt != nil {
		mql, mqlTime = f.MQLAt.UTC().Format("2 Jan 2006"), f.MQLAt.UTC().Format("15:04 UTC")
	}
	tiles := []Tile{
		{Label: "Stage", Value: stage, Detail: since},
		{Label: "MQL", Value: mql, Detail: mqlTime},
	}
	if score != nil {
		verdict := "not an MQL by the rules"
		if score.MQL {
			verdict = "an MQL by the rules"
		}
		tiles = append(tiles, Tile{Label: "Score", Value: fmt.Sprintf("%.0f", score.Total),
			Detail: fmt.Sprintf("%s · fit %.0f, engagement %.0f · %s", score.Quadrant, score.Fit, score.Engagement, verdict)})
	}
	who := []string{
		"Owner: " + f.Owner + " (" + f.Team + ")",
		"Source: " + f.Source + ", campaign " + f.Campaign + " (first touch)",
	}
	for _, x := range []struct {
		label string
		v     *string
	}{{"Title", f.Title}, {"Industry", f.Industry}, {"Country", f.Country}, {"Region", f.Region}, {"E-mail domain", f.EmailDomain}} {
		if x.v != nil && *x.v != "" {
			who = append(who, x.label+": "+*x.v)
		}
	}
	size := "size unknown"
	if f.CompanySize != nil {
		size = fmt.Sprintf("%d employees", *f.CompanySize)
	}
	who = append(who, fmt.Sprintf("Segment: %s (%s)", f.Segment, size), "Created: "+stamp(f.CreatedAt))
	p.Sections = append(p.Sections, Section{Title: "At a glance", Tiles: tiles}, Section{Title: "Who, and where from", Lines: who})

	clocks := reports.Table{Columns: cols("SLA", "owner", "started", "status", "elapsed min", "limit min", "min left")}
	for _, k := range c.SLAClocks {
		var left any
		if k.LeftMinutes != nil {
			left = *k.LeftMinutes
		}
		clocks.Rows = append(clocks.Rows, []any{k.SLA, k.Owner, stamp(k.StartedAt), k.Status, k.ElapsedMinutes, k.LimitMinutes, left})
	}
	p.Sections = append(p.Sections, Section{Title: "SLA clocks", Table: &clocks,
		Note:  "Every clock of the configured SLAs on this lead: pending ones are running, with the minutes left on their own clock (working minutes for a business clock).",
		Empty: emptyIf(len(clocks.Rows) == 0, "No SLA clock has started on this lead.")})
	if score != nil {
		p.Sections = append(p.Sections, Section{Title: "Why this score", Lines: score.Explanation,
			Note: "The scoring rules that fired, as of the latest event."})
	}
	events := func(title, note, empty string, es []reports.Event, actor bool) {
		names := []string{"when", "what", "detail"}
		if actor {
			names = append(names, "by")
		}
		tb := reports.Table{Columns: cols(names...)}
		for _, e := range es {
			row := []any{stamp(e.At), e.What, textOrNil(e.Detail)}
			if actor {
				row = append(row, textOrNil(e.Actor))
			}
			tb.Rows = append(tb.Rows, row)
		}
		p.Sections = append(p.Sections, Section{Title: title, Note: note, Table: &tb, Empty: emptyIf(len(tb.Rows) == 0, empty)})
	}
	events("Recent engagement", "Marketing's side, newest first: pages, content, e-mails, forms and events (the last ten).", "No engagement recorded.", c.Engagement, false)
	events("Sales touches", "Calls, e-mails, meetings by sales, newest first (the last ten).", "Sales has not touched this lead.", c.SalesTouches, true)
	events("Owner history", "Every assignment, newest first, with the rule and reason that made it.", "Never assigned.", c.Owners, false)
	events("Stages", "Stage changes, newest first.", "No stage change.", c.Stages, false)
	events("Dispositions", "Sales' verdicts, newest first.", "No disposition yet.", c.Dispositions, true)
	return p
}

func cols(names ...string) []reports.Column {
	out := make([]reports.Column, len(names))
	for i, n := range names {
		k := reflect.String
		switch n {
		case "elapsed min", "limit min", "min left":
			k = reflect.Float64
		}
		out[i] = reports.Column{Name: n, Kind: k, Nullable: true}
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func textOrNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// emptyIf is the empty-section message when there is nothing to show.
func emptyIf(nothing bool, msg string) string {
	if nothing {
		return msg
	}
	return ""
}
