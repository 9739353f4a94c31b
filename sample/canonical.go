package sample

import (
	"fmt"
	"path"
	"strconv"
)

// idScheme names records the way one system does.
type idScheme struct {
	lead     func(i int) string
	opp      func(i int) string
	activity func(l *Lead, k int) string
}

var canonicalIDs = idScheme{
	lead:     func(i int) string { return fmt.Sprintf("L%07d", i+1) },
	opp:      func(i int) string { return fmt.Sprintf("O%07d", i+1) },
	activity: func(l *Lead, k int) string { return fmt.Sprintf("A%07d-%02d", l.Index+1, k) },
}

var allTables = []string{"leads", "stage_changes", "activities", "assignments", "dispositions", "opportunities", "users", "spend"}

// Canonical column headers, as docs/ingest.md lists them.
var canonicalHeaders = map[string][]string{
	"leads":         {"lead_id", "created_at", "email_domain", "company", "country", "region", "industry", "company_size", "title", "source", "campaign", "owner_id", "updated_at"},
	"stage_changes": {"lead_id", "stage", "changed_at", "actor_id"},
	"activities":    {"activity_id", "lead_id", "occurred_at", "kind", "actor_id", "actor_role", "channel", "detail"},
	"assignments":   {"lead_id", "owner_id", "assigned_at", "rule", "reason"},
	"dispositions":  {"lead_id", "owner_id", "decided_at", "outcome", "reason"},
	"opportunities": {"opportunity_id", "lead_id", "created_at", "closed_at", "stage", "amount", "currency", "won"},
	"users":         {"user_id", "name", "team", "role", "region", "timezone", "working_hours", "capacity", "active"},
	"spend":         {"month", "source", "campaign", "amount", "currency"},
}

// canonical writes the canonical CSV files. Vendor writers use it too, for
// what their exports cannot carry (a HubSpot portal's dispositions, say),
// under their own folder and with their own ids.
type canonical struct {
	out    *output
	dir    string
	ids    idScheme
	tables map[string]bool
	// suffix tells extra files apart from the vendor's own ("-extra").
	suffix string
}

func newCanonical(out *output, dir string, ids idScheme, tables []string) *canonical {
	set := map[string]bool{}
	for _, t := range tables {
		set[t] = true
	}
	return &canonical{out: out, dir: dir, ids: ids, tables: set}
}

func (c *canonical) file(table string) (*csvFile, error) {
	return c.out.file(path.Join(c.dir, table+c.suffix+".csv"), canonicalHeaders[table], csvStyle{})
}

func (c *canonical) users(users []User) error {
	if !c.tables["users"] {
		return nil
	}
	f, err := c.file("users")
	if err != nil {
		return err
	}
	for _, u := range users {
		f.row(u.ID, u.Name, u.Team, u.Role, u.Region, u.Timezone, u.WorkingHours(), strconv.Itoa(u.Capacity), strconv.FormatBool(u.Active))
	}
	return nil
}

func (c *canonical) spend(rows []SpendRow) error {
	if !c.tables["spend"] {
		return nil
	}
	f, err := c.file("spend")
	if err != nil {
		return err
	}
	for _, s := range rows {
		f.row(s.Month.Format("2006-01"), s.Source, s.Campaign, money(s.Amount), "USD")
	}
	return nil
}

func (c *canonical) lead(l *Lead) error {
	if c.tables["leads"] {
		if err := c.leadRow(l); err != nil {
			return err
		}
	}
	if c.tables["stage_changes"] {
		for _, s := range l.Stages {
			if err := c.stage(l, s); err != nil {
				return err
			}
		}
	}
	if c.tables["activities"] {
		for k, a := range l.Activities {
			if err := c.activity(l, a, c.ids.activity(l, k)); err != nil {
				return err
			}
		}
	}
	if c.tables["assignments"] {
		for _, a := range l.Assignments {
			if err := c.assignment(l, a); err != nil {
				return err
			}
		}
	}
	if c.tables["dispositions"] {
		if err := c.disposition(l); err != nil {
			return err
		}
	}
	if c.tables["opportunities"] {
		if err := c.opportunity(l); err != nil {
			return err
		}
	}
	return nil
}

func (c *canonical) close() error { return nil }

func ownerID(u *User) string {
	if u == nil {
		return ""
	}
	return u.ID
}

func (c *canonical) leadRow(l *Lead) error {
	f, err := c.file("leads")
	if err != nil {
		return err
	}
	f.row(c.ids.lead(l.Index), ts(l.CreatedAt, isoZ), l.Domain, l.Company, l.Country, l.Region, l.Industry,
		strconv.Itoa(l.Size), l.Title, l.Source, l.Campaign, ownerID(l.Owner), ts(l.UpdatedAt, isoZ))
	return nil
}

func (c *canonical) stage(l *Lead, s StageChange) error {
	f, err := c.file("stage_changes")
	if err != nil {
		return err
	}
	f.row(c.ids.lead(l.Index), s.Stage, ts(s.At, isoZ), s.Actor)
	return nil
}

func (c *canonical) activity(l *Lead, a Activity, id string) error {
	f, err := c.file("activities")
	if err != nil {
		return err
	}
	f.row(id, c.ids.lead(l.Index), ts(a.At, isoZ), a.Kind, ownerID(a.Actor), a.Role, a.Channel, a.Detail)
	return nil
}

func (c *canonical) assignment(l *Lead, a Assignment) error {
	f, err := c.file("assignments")
	if err != nil {
		return err
	}
	f.row(c.ids.lead(l.Index), ownerID(a.Owner), ts(a.At, isoZ), a.Rule, a.Reason)
	return nil
}

func (c *canonical) disposition(l *Lead) error {
	d := l.Disposition
	if d == nil {
		return nil
	}
	f, err := c.file("dispositions")
	if err != nil {
		return err
	}
	f.row(c.ids.lead(l.Index), ownerID(d.Owner), ts(d.At, isoZ), d.Outcome, d.Reason)
	return nil
}

func (c *canonical) opportunity(l *Lead) error {
	o := l.Opportunity
	if o == nil {
		return nil
	}
	f, err := c.file("opportunities")
	if err != nil {
		return err
	}
	won := ""
	if !o.ClosedAt.IsZero() {
		won = strconv.FormatBool(o.Won)
	}
	f.row(c.ids.opp(l.Index), c.ids.lead(l.Index), ts(o.CreatedAt, isoZ), ts(o.ClosedAt, isoZ), o.Stage, money(o.Amount), "USD", won)
	return nil
}
