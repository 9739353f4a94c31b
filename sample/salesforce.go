package sample

import (
	"path"
	"strconv"
	"strings"
	"time"
)

// salesforce writes Data Export style CSVs (API field names, CRLF):
// Lead, LeadHistory, Task, Event, Opportunity, User, Campaign and
// CampaignMember. Web activity, which lives in no CRM object, goes to a
// canonical activities file beside them.
type salesforce struct {
	out       *output
	dir       string
	extra     *canonical
	spoil     []int
	seen      int // leads written so far
	historyID int
	taskID    int
	memberID  int
	campaigns map[string]string // campaign name → Campaign Id

	pendingHistory, pendingTask bool
}

var salesforceIDs = idScheme{
	lead:     func(i int) string { return sfID("00Q", i+1) },
	opp:      func(i int) string { return sfID("006", i+1) },
	activity: func(l *Lead, k int) string { return sfID("00T", l.Index+1) + "-" + strconv.Itoa(k) },
}

var sfSources = map[string]string{"website": "Web", "paid_search": "Paid Search", "email": "Email", "webinar": "Webinar",
	"events": "Trade Show", "referral": "Partner Referral"}

var sfCampaignTypes = map[string]string{"website": "Website", "paid_search": "Paid Search", "email": "Email", "webinar": "Webinar",
	"events": "Trade Show", "referral": "Referral Program", "podcast": "Podcast"}

var sfStatus = map[string]string{"lead": "Open - Not Contacted", "mql": "Marketing Qualified", "sql": "Qualified",
	"opportunity": "Closed - Converted", "customer": "Closed - Converted", "disqualified": "Disqualified", "recycled": "Recycled", "nurture": "Nurture"}

var sfMemberStatus = map[string]string{"form_fill": "Responded", "email_open": "Opened", "email_click": "Clicked",
	"webinar_registered": "Registered", "webinar_attended": "Attended", "event_visit": "Visited"}

var sfOutcome = map[string]string{"accepted": "Accepted", "rejected": "Rejected", "unreachable": "Unreachable"}

const marketingQueue = "00G8d000004MktQ"

func newSalesforce(out *output, dir string) *salesforce {
	return &salesforce{out: out, dir: dir, extra: newCanonical(out, dir, salesforceIDs, nil), spoil: spoilAt(4), campaigns: map[string]string{}}
}

func (s *salesforce) file(name string, header []string) (*csvFile, error) {
	return s.out.file(path.Join(s.dir, name), header, csvStyle{crlf: true})
}

func (s *salesforce) close() error { return nil }

func sfBool(b bool, variant int) string {
	// Exports disagree on spelling; so do these files.
	t := []string{"true", "TRUE", "1"}[variant%3]
	f := []string{"false", "FALSE", "0"}[variant%3]
	if b {
		return t
	}
	return f
}

func (s *salesforce) users(users []User) error {
	f, err := s.file("User.csv", []string{"Id", "Username", "Name", "Department", "Sales_Role__c", "Region__c", "TimeZoneSidKey", "Working_Hours__c", "Lead_Capacity__c", "IsActive"})
	if err != nil {
		return err
	}
	roles := map[string]string{"sdr": "SDR", "ae": "AE", "manager": "Manager", "marketing": "Marketing"}
	for i, u := range users {
		f.row(u.ID, strings.ToLower(strings.ReplaceAll(u.Name, " ", "."))+"@example.com", u.Name, u.Team, roles[u.Role], u.Region, u.Timezone,
			u.WorkingHours(), strconv.Itoa(u.Capacity), sfBool(u.Active, i))
	}
	return nil
}

func (s *salesforce) spend(rows []SpendRow) error {
	f, err := s.file("Campaign.csv", []string{"Id", "Name", "Type", "StartDate", "ActualCost", "CurrencyIsoCode"})
	if err != nil {
		return err
	}
	for i, r := range rows {
		f.row(sfID("701", 5000+i), r.Campaign, sfCampaignTypes[r.Source], r.Month.Format(dateOnly), money(r.Amount), "USD")
	}
	return nil
}

func (s *salesforce) lead(l *Lead) error {
	defer func() { s.seen++ }()
	f, err := s.file("Lead.csv", []string{"Id", "FirstName", "LastName", "Email", "Phone", "Company", "Country", "Industry", "NumberOfEmployees",
		"Title", "LeadSource", "Original_Campaign__c", "OwnerId", "Status", "IsConverted", "CreatedDate", "LastModifiedDate",
		"Disposition__c", "Disposition_Reason__c", "Disposition_Date__c"})
	if err != nil {
		return err
	}
	id := salesforceIDs.lead(l.Index)
	owner := marketingQueue
	if l.Owner != nil {
		owner = l.Owner.ID
	}
	status := "Open - Not Contacted"
	converted := false
	for _, st := range l.Stages {
		status = sfStatus[st.Stage]
		converted = converted || st.Stage == "opportunity"
	}
	var dOutcome, dReason, dAt string
	if d := l.Disposition; d != nil {
		dOutcome, dReason, dAt = sfOutcome[d.Outcome], d.Reason, ts(d.At, isoMillis)
	}
	row := []string{id, l.FirstName, l.LastName, l.Email(), l.Phone, l.Company, l.Country, l.Industry, strconv.Itoa(l.Size), l.Title,
		sfSources[l.Source], l.Campaign, owner, status, sfBool(converted, l.Index), ts(l.CreatedAt, isoMillis), ts(l.UpdatedAt, isoMillis),
		dOutcome, dReason, dAt}
	f.row(row...)
	sk, spoiled := isSpoilPoint(s.spoil, s.seen)
	if spoiled && sk < 2 {
		bad := append([]string{}, row...)
		bad[0] = sfID("00Q", 90000000+sk)
		if sk == 0 {
			bad[0] = ""
			s.out.spoil(f, f.row(bad...), "missing Id")
		} else {
			bad[15] = "yesterday"
			s.out.spoil(f, f.row(bad...), "unparseable CreatedDate")
		}
	}
	// A spoiled history or task row waits for a lead that has one.
	s.pendingHistory = s.pendingHistory || spoiled && sk == 2
	s.pendingTask = s.pendingTask || spoiled && sk == 3
	if err := s.history(l); err != nil {
		return err
	}
	for k, a := range l.Activities {
		spoilThis := s.pendingTask && a.Role == "sales" && a.Kind != "meeting"
		if spoilThis {
			s.pendingTask = false
		}
		if err := s.activity(l, k, a, spoilThis); err != nil {
			return err
		}
	}
	return s.opportunity(l)
}

// history writes LeadHistory: Status changes (stages, plus "Working -
// Contacted" at the first touch, which is no stage) and Owner changes.
func (s *salesforce) history(l *Lead) error {
	f, err := s.file("LeadHistory.csv", []string{"Id", "LeadId", "CreatedById", "CreatedDate", "Field", "OldValue", "NewValue"})
	if err != nil {
		return err
	}
	type change struct {
		at              time.Time
		field, old, new string
		by              string
	}
	var changes []change
	prev := "Open - Not Contacted"
	for _, st := range l.Stages {
		if st.Stage == "lead" || st.Stage == "customer" {
			continue // creation is the Lead row; customers come from won opportunities
		}
		changes = append(changes, change{st.At, "Status", prev, sfStatus[st.Stage], st.Actor})
		prev = sfStatus[st.Stage]
	}
	old := marketingQueue
	for _, a := range l.Assignments {
		changes = append(changes, change{a.At, "Owner", old, a.Owner.ID, "0058d00000000AutoA"})
		old = a.Owner.ID
	}
	for _, a := range l.Activities {
		if a.Role == "sales" {
			changes = append(changes, change{a.At, "Status", "Marketing Qualified", "Working - Contacted", ownerID(a.Actor)})
			break
		}
	}
	for _, c := range changes {
		s.historyID++
		f.row(sfID("017", s.historyID), salesforceIDs.lead(l.Index), c.by, ts(c.at, isoMillis), c.field, c.old, c.new)
	}
	if s.pendingHistory && len(changes) > 0 {
		s.pendingHistory = false
		s.historyID++
		c := changes[0]
		line := f.row(sfID("017", s.historyID), salesforceIDs.lead(l.Index), c.by, ts(c.at.Add(time.Minute), isoMillis), "Status", c.old, "Hot Prospect")
		s.out.spoil(f, line, "unknown Status value")
	}
	return nil
}

func (s *salesforce) activity(l *Lead, k int, a Activity, spoil bool) error {
	lead := salesforceIDs.lead(l.Index)
	switch {
	case a.Kind == "meeting":
		f, err := s.file("Event.csv", []string{"Id", "WhoId", "OwnerId", "Subject", "StartDateTime", "EndDateTime"})
		if err != nil {
			return err
		}
		s.taskID++
		f.row(sfID("00U", s.taskID), lead, ownerID(a.Actor), "Discovery: "+l.Company, ts(a.At, isoMillis), ts(a.At.Add(30*time.Minute), isoMillis))
	case a.Role == "sales":
		f, err := s.file("Task.csv", []string{"Id", "WhoId", "OwnerId", "Subject", "TaskSubtype", "Status", "CreatedDate", "CompletedDateTime"})
		if err != nil {
			return err
		}
		s.taskID++
		subtype := map[string]string{"call": "Call", "email_sent": "Email", "sms": "SMS"}[a.Kind]
		subject := subtype + ": " + l.FirstName
		if k%5 == 0 {
			subject = "Call notes, " + l.FirstName + "\nleft voicemail" // quoted comma and newline, as reps type them
		}
		row := []string{sfID("00T", s.taskID), lead, ownerID(a.Actor), subject, subtype, "Completed", ts(a.At, isoMillis), ts(a.At, isoMillis)}
		f.row(row...)
		if spoil {
			s.taskID++
			bad := append([]string{sfID("00T", s.taskID)}, row[1:6]...) // two fields short
			s.out.spoil(f, f.row(bad...), "ragged row")
		}
	case sfMemberStatus[a.Kind] != "":
		f, err := s.file("CampaignMember.csv", []string{"Id", "CampaignId", "CampaignName__c", "LeadId", "Status", "HasResponded", "CreatedDate", "FirstRespondedDate"})
		if err != nil {
			return err
		}
		s.memberID++
		cid, ok := s.campaigns[l.Campaign]
		if !ok {
			cid = sfID("701", len(s.campaigns)+1)
			s.campaigns[l.Campaign] = cid
		}
		responded := a.Kind != "email_open"
		f.row(sfID("00v", s.memberID), cid, l.Campaign, lead, sfMemberStatus[a.Kind], sfBool(responded, s.memberID), ts(a.At, isoMillis), ts(a.At, isoMillis))
	default:
		s.extra.suffix = "-web"
		defer func() { s.extra.suffix = "" }()
		return s.extra.activity(l, a, salesforceIDs.activity(l, k))
	}
	return nil
}

func (s *salesforce) opportunity(l *Lead) error {
	o := l.Opportunity
	if o == nil {
		return nil
	}
	f, err := s.file("Opportunity.csv", []string{"Id", "Name", "Lead_Id__c", "CreatedDate", "CloseDate", "StageName", "Amount", "CurrencyIsoCode", "IsClosed", "IsWon"})
	if err != nil {
		return err
	}
	closeDate := o.ClosedAt
	if closeDate.IsZero() {
		closeDate = o.CreatedAt.AddDate(0, 2, 0) // expected close of an open deal
	}
	f.row(salesforceIDs.opp(l.Index), l.Company+" - New Business", salesforceIDs.lead(l.Index), ts(o.CreatedAt, isoMillis),
		closeDate.Format(dateOnly), o.Stage, money(o.Amount), "USD", sfBool(!o.ClosedAt.IsZero(), l.Index), sfBool(o.Won, l.Index))
	return nil
}
