package sample

import (
	"fmt"
	"path"
	"strconv"
)

// hubspot writes a HubSpot portal's exports: contacts (with the "Became a …
// Date" lifecycle columns), calls, emails, meetings and deals. What HubSpot
// cannot export (dispositions, earlier owners, web activity, stage moves
// backwards) is written as canonical files beside them, as a team would
// from its spreadsheets.
type hubspot struct {
	out      *output
	dir      string
	extra    *canonical
	spoil    []int
	seen     int // leads written so far
	engageID int
}

var hubspotIDs = idScheme{
	lead:     func(i int) string { return strconv.Itoa(100000001 + i) },
	opp:      func(i int) string { return strconv.Itoa(900000001 + i) },
	activity: func(l *Lead, k int) string { return fmt.Sprintf("hs-%d-%02d", 100000001+l.Index, k) },
}

var hubspotContactHeader = []string{"Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Country/Region",
	"Industry", "Number of Employees", "Job Title", "Original Source", "Original Source Drill-Down 1", "Original Source Drill-Down 2",
	"Lifecycle Stage", "Create Date", "Became a Subscriber Date", "Became a Lead Date", "Became a Marketing Qualified Lead Date",
	"Became a Sales Qualified Lead Date", "Became an Opportunity Date", "Became a Customer Date", "Contact owner",
	"Owner Assigned Date", "Last Modified Date"}

var hubspotSources = map[string]string{"website": "Organic Search", "paid_search": "Paid Search", "email": "Email Marketing",
	"referral": "Referrals", "events": "Offline Sources", "webinar": "Other Campaigns"}

var hubspotLifecycle = map[string]string{"lead": "lead", "mql": "marketingqualifiedlead", "sql": "salesqualifiedlead",
	"opportunity": "opportunity", "customer": "customer", "recycled": "other", "disqualified": "other", "nurture": "other"}

func newHubSpot(out *output, dir string, standalone bool) *hubspot {
	tables := []string{"stage_changes", "activities", "assignments", "dispositions"}
	if standalone {
		tables = append(tables, "users", "spend")
	}
	extra := newCanonical(out, dir, hubspotIDs, tables)
	return &hubspot{out: out, dir: dir, extra: extra, spoil: spoilAt(3), engageID: 700000000}
}

func (h *hubspot) file(name string, header []string) (*csvFile, error) {
	// HubSpot's exports open with a byte-order mark for Excel.
	return h.out.file(path.Join(h.dir, name), header, csvStyle{bom: true})
}

func (h *hubspot) users(u []User) error     { return h.extra.users(u) }
func (h *hubspot) spend(s []SpendRow) error { return h.extra.spend(s) }
func (h *hubspot) close() error             { return nil }

func (h *hubspot) lead(l *Lead) error {
	defer func() { h.seen++ }()
	contacts, err := h.file("contacts.csv", hubspotContactHeader)
	if err != nil {
		return err
	}
	became := map[string]string{}
	current := "lead"
	for _, s := range l.Stages {
		current = s.Stage
		if _, seen := became[s.Stage]; !seen {
			became[s.Stage] = ts(s.At, hubspotTS)
		}
	}
	owner, assigned := "", ""
	if n := len(l.Assignments); n > 0 {
		owner = ownerID(l.Assignments[n-1].Owner)
		assigned = strconv.FormatInt(l.Assignments[n-1].At.UnixMilli(), 10) // epoch ms, as HubSpot's API-fed exports write it
	}
	id := hubspotIDs.lead(l.Index)
	row := []string{id, l.FirstName, l.LastName, l.Email(), l.Phone, l.Company, l.Country, l.Industry, strconv.Itoa(l.Size), l.Title,
		hubspotSources[l.Source], "", l.Campaign, hubspotLifecycle[current], ts(l.CreatedAt, hubspotTS), "", became["lead"], became["mql"],
		became["sql"], became["opportunity"], became["customer"], owner, assigned, ts(l.UpdatedAt, hubspotTS)}
	contacts.row(row...)
	if k, ok := isSpoilPoint(h.spoil, h.seen); ok {
		bad := append([]string{}, row...)
		bad[0] = fmt.Sprintf("99900000%d", k)
		switch k {
		case 0:
			bad[14] = "31/02/2026 25:00"
			h.out.spoil(contacts, contacts.row(bad...), "unparseable Create Date")
		case 1:
			bad[0] = ""
			h.out.spoil(contacts, contacts.row(bad...), "missing Record ID")
		default:
			// Opened and saved in Excel: the id is in scientific notation,
			// its digits lost. (A company size in words is no longer bad:
			// it is kept as text.)
			bad[0] = fmt.Sprintf("9.99%dE+11", k)
			h.out.spoil(contacts, contacts.row(bad...), "Record ID damaged by Excel")
		}
	}
	// Stage entries the lifecycle columns cannot hold: side stages and
	// re-entries.
	seen := map[string]bool{}
	for _, s := range l.Stages {
		forward := s.Stage == "lead" || s.Stage == "mql" || s.Stage == "sql" || s.Stage == "opportunity" || s.Stage == "customer"
		if forward && !seen[s.Stage] {
			seen[s.Stage] = true
			continue
		}
		if err := h.extra.stage(l, s); err != nil {
			return err
		}
	}
	for _, a := range l.Assignments {
		if err := h.extra.assignment(l, a); err != nil {
			return err
		}
	}
	if err := h.extra.disposition(l); err != nil {
		return err
	}
	for k, a := range l.Activities {
		if err := h.activity(l, k, a); err != nil {
			return err
		}
	}
	return h.deal(l)
}

func (h *hubspot) activity(l *Lead, k int, a Activity) error {
	contact := hubspotIDs.lead(l.Index)
	h.engageID++
	id := strconv.Itoa(h.engageID)
	switch a.Kind {
	case "call":
		f, err := h.file("calls.csv", []string{"Record ID", "Activity date", "Activity assigned to", "Call outcome", "Call direction", "Associated Contact IDs"})
		if err != nil {
			return err
		}
		f.row(id, ts(a.At, hubspotTS), ownerID(a.Actor), []string{"Connected", "Left voicemail", "No answer"}[k%3], "OUTBOUND", contact)
	case "email_sent":
		f, err := h.file("emails.csv", []string{"Record ID", "Activity date", "Activity assigned to", "Email subject", "Email direction", "Associated Contact IDs"})
		if err != nil {
			return err
		}
		f.row(id, ts(a.At, hubspotTS), ownerID(a.Actor), "Quick question, "+l.FirstName, "EMAIL", contact)
	case "meeting":
		f, err := h.file("meetings.csv", []string{"Record ID", "Activity date", "Meeting start time", "Activity assigned to", "Meeting name", "Associated Contact IDs"})
		if err != nil {
			return err
		}
		f.row(id, ts(a.At, hubspotTS), ts(a.At, hubspotTS), ownerID(a.Actor), "Discovery call: "+l.Company, contact)
	default:
		return h.extra.activity(l, a, hubspotIDs.activity(l, k))
	}
	return nil
}

func (h *hubspot) deal(l *Lead) error {
	o := l.Opportunity
	if o == nil {
		return nil
	}
	f, err := h.file("deals.csv", []string{"Record ID", "Deal Name", "Create Date", "Close Date", "Is Closed", "Deal Stage", "Amount", "Currency", "Associated Contact IDs"})
	if err != nil {
		return err
	}
	stage, closed := "contractsent", "False"
	if !o.ClosedAt.IsZero() {
		closed = "True"
		stage = "closedlost"
		if o.Won {
			stage = "closedwon"
		}
	}
	f.row(hubspotIDs.opp(l.Index), l.Company+" - new business", ts(o.CreatedAt, hubspotTS), ts(o.ClosedAt, dateOnly), closed, stage,
		money(o.Amount), "USD", hubspotIDs.lead(l.Index))
	return nil
}
