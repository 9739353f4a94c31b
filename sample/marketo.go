package sample

import (
	"encoding/json"
	"path"
	"strconv"
)

// marketo writes a Marketo lead export and a bulk activity extract (web
// visits, forms, e-mails, and Revenue Cycle Model stage changes as activity
// type 101). The sales side (owners, touches, dispositions, deals) lives in
// the CRM, so it is written as canonical files beside them.
type marketo struct {
	out   *output
	dir   string
	extra *canonical
	spoil []int
	seen  int // leads written so far
	guid  int
}

var marketoIDs = idScheme{
	lead:     func(i int) string { return strconv.Itoa(2000001 + i) },
	opp:      func(i int) string { return "MO" + strconv.Itoa(2000001+i) },
	activity: func(l *Lead, k int) string { return "mk-" + strconv.Itoa(2000001+l.Index) + "-" + strconv.Itoa(k) },
}

var marketoSources = map[string]string{"website": "Website", "paid_search": "Paid Search", "email": "Email Newsletter",
	"webinar": "Webinar", "events": "Tradeshow", "referral": "Referral"}

var marketoTypes = map[string]int{"page_view": 1, "form_fill": 2, "email_open": 10, "email_click": 11}

var marketoStages = map[string]string{"mql": "MQL", "sql": "SQL", "opportunity": "Opportunity", "customer": "Customer",
	"disqualified": "Disqualified", "recycled": "Recycled", "nurture": "Nurture", "lead": "Lead"}

func newMarketo(out *output, dir string, standalone bool) *marketo {
	tables := []string{"assignments", "dispositions", "opportunities"}
	if standalone {
		tables = append(tables, "users", "spend")
	}
	extra := newCanonical(out, dir, marketoIDs, tables)
	return &marketo{out: out, dir: dir, extra: extra, spoil: spoilAt(3), guid: 500000000}
}

func (m *marketo) file(name string, header []string) (*csvFile, error) {
	return m.out.file(path.Join(m.dir, name), header, csvStyle{})
}

func (m *marketo) users(u []User) error     { return m.extra.users(u) }
func (m *marketo) spend(s []SpendRow) error { return m.extra.spend(s) }
func (m *marketo) close() error             { return nil }

func (m *marketo) lead(l *Lead) error {
	defer func() { m.seen++ }()
	f, err := m.file("marketo-leads.csv", []string{"Id", "First Name", "Last Name", "Email Address", "Phone Number", "Company Name",
		"Job Title", "Country", "Industry", "Number of Employees", "Lead Source", "Acquisition Program", "Lead Owner ID", "Created At", "Updated At"})
	if err != nil {
		return err
	}
	id := marketoIDs.lead(l.Index)
	row := []string{id, l.FirstName, l.LastName, l.Email(), l.Phone, l.Company, l.Title, l.Country, l.Industry, strconv.Itoa(l.Size),
		marketoSources[l.Source], l.Campaign, ownerID(l.Owner), ts(l.CreatedAt, naiveTS), ts(l.UpdatedAt, naiveTS)}
	f.row(row...)
	sk, spoiled := isSpoilPoint(m.spoil, m.seen)
	if spoiled && sk == 0 {
		bad := append([]string{}, row...)
		bad[0], bad[13] = "9900001", ""
		m.out.spoil(f, f.row(bad...), "missing Created At")
	}
	acts, err := m.file("marketo-activities.csv", []string{"marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId",
		"primaryAttributeValueId", "primaryAttributeValue", "attributes"})
	if err != nil {
		return err
	}
	for k, a := range l.Activities {
		t, ok := marketoTypes[a.Kind]
		if !ok || a.Role != "marketing" {
			m.extra.suffix = "-crm"
			err := m.extra.activity(l, a, marketoIDs.activity(l, k))
			m.extra.suffix = ""
			if err != nil {
				return err
			}
			continue
		}
		m.guid++
		acts.row(strconv.Itoa(m.guid), id, ts(a.At, isoZ), strconv.Itoa(t), "", "", a.Detail, "")
	}
	prev := "Lead"
	for _, s := range l.Stages {
		if s.Stage == "lead" {
			continue // the lead export's Created At is the entry into lead
		}
		m.guid++
		attrs, _ := json.Marshal(map[string]string{"New Stage": marketoStages[s.Stage], "Old Stage": prev, "Model": "Default RCM"})
		acts.row(strconv.Itoa(m.guid), id, ts(s.At, isoZ), "101", "", "", "Default RCM", string(attrs))
		prev = marketoStages[s.Stage]
	}
	if spoiled && sk > 0 {
		m.guid++
		if sk == 1 {
			m.out.spoil(acts, acts.row(strconv.Itoa(m.guid), id, "not a date", "1", "", "", "/pricing", ""), "unparseable activityDate")
		} else {
			attrs := `{"New Stage":"Champion","Old Stage":"Lead"}`
			m.out.spoil(acts, acts.row(strconv.Itoa(m.guid), id, ts(l.CreatedAt, isoZ), "101", "", "", "Default RCM", attrs), "unknown revenue stage")
		}
	}
	for _, a := range l.Assignments {
		if err := m.extra.assignment(l, a); err != nil {
			return err
		}
	}
	if err := m.extra.disposition(l); err != nil {
		return err
	}
	return m.extra.opportunity(l)
}
