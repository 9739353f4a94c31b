package reports

import (
	"context"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/ingest/ingesttest"
	"github.com/handoff-dev/handoff/lake"
)

// A lake of three MQLs, each the shape of a leaks mistake (limits are the
// defaults: handoff 24h, touch 3d, disposition 5 working days, recycle
// touch 30d):
//
//	X1 handed off in time to Ana, never touched, decided unreachable late
//	   (20 Jan): counted never_touched (deadline 8 Jan 11:00), and the late
//	   decision recovers never_dispositioned, not this crack.
//	X2 never handed off (deadline 6 Jan 10:00), recycled on 6 Jan and
//	   nurtured by marketing late (10 Feb): counted never_handed_off, not
//	   recovered by the nurture of recycled_forgotten.
//	X3 handed to Eve, inactive, at 5 Jan 11:00: inactive_owner only once
//	   the touch deadline (8 Jan 11:00) has passed untouched.
func crackLake(t *testing.T) *lake.Lake {
	t.Helper()
	files := map[string]string{
		"users.csv": "user_id,name,team,role,region,timezone,working_hours,capacity,active\n" +
			"U1,Ana,SDR,sdr,NA,UTC,Mon-Fri 09:00-17:00,50,true\nU3,Eve,SDR,sdr,NA,UTC,Mon-Fri 09:00-17:00,50,false\nM1,Mia,Marketing,marketing,NA,UTC,,0,true\n",
		"leads.csv": "lead_id,created_at,email_domain,company,country,region,industry,company_size,title,source,campaign,owner_id,updated_at\n" +
			"X1,2026-01-05T09:00:00Z,x1.com,X1,United States,NA,Software,50,CTO,web,c1,U1,\n" +
			"X2,2026-01-05T09:00:00Z,x2.com,X2,United States,NA,Software,50,CTO,web,c1,,\n" +
			"X3,2026-01-05T09:00:00Z,x3.com,X3,United States,NA,Software,50,CTO,web,c1,U3,\n",
		"stage_changes.csv": "lead_id,stage,changed_at,actor_id\n" +
			"X1,lead,2026-01-05T09:00:00Z,\nX1,mql,2026-01-05T10:00:00Z,\n" +
			"X2,lead,2026-01-05T09:00:00Z,\nX2,mql,2026-01-05T10:00:00Z,\nX2,recycled,2026-01-06T10:00:00Z,\n" +
			"X3,lead,2026-01-05T09:00:00Z,\nX3,mql,2026-01-05T10:00:00Z,\n",
		"assignments.csv":  "lead_id,owner_id,assigned_at,rule,reason\nX1,U1,2026-01-05T11:00:00Z,round_robin,\nX3,U3,2026-01-05T11:00:00Z,round_robin,\n",
		"dispositions.csv": "lead_id,owner_id,decided_at,outcome,reason\nX1,U1,2026-01-20T10:00:00Z,unreachable,no answer\n",
		"activities.csv":   "activity_id,lead_id,occurred_at,kind,actor_id,actor_role,channel,detail\nN1,X2,2026-02-10T10:00:00Z,email_sent,M1,marketing,email,nurture\n",
	}
	return handMadeLake(t, files)
}

func TestLeakRecoveryBelongsToItsCrack(t *testing.T) {
	l := crackLake(t)
	ctx := context.Background()
	leaked := func(asOf time.Time) map[string]LeakedRow {
		r, err := Leaked(ctx, l, Params{AsOf: asOf}, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]LeakedRow{}
		for _, row := range r.Rows {
			out[row.LeadID] = row
		}
		return out
	}
	march := leaked(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	for lead, crack := range map[string]string{"X1": "never_touched", "X2": "never_handed_off", "X3": "inactive_owner"} {
		row, ok := march[lead]
		if !ok || row.Crack != crack || row.Recovered || row.RecoveredAt != nil {
			t.Errorf("%s as of 1 Mar: %+v, want %s, not recovered", lead, row, crack)
		}
	}
	if want := time.Date(2026, 1, 8, 11, 0, 0, 0, time.UTC); !march["X3"].CrackAt.Equal(want) {
		t.Errorf("X3 fell into inactive_owner at %v, want the touch deadline %v", march["X3"].CrackAt, want)
	}
	// On 6 Jan X3's touch deadline is still two days away: not a leak yet.
	if row, ok := leaked(time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC))["X3"]; ok {
		t.Errorf("X3 as of 6 Jan: %+v, want no leak before its touch deadline", row)
	}
}

// A Salesforce queue (an owner id starting 00G, with no user) and a pool
// the importer marked queue: (a HubSpot team holding a contact nobody
// owns) are labelled queues in every owner column, not passed off as
// people.
func TestQueuesAreNotPeople(t *testing.T) {
	files := map[string]string{
		"users.csv": "user_id,name,team,role,region,timezone,working_hours,capacity,active\nU1,Ana,SDR,sdr,NA,UTC,Mon-Fri 09:00-17:00,50,true\n",
		"leads.csv": "lead_id,created_at,email_domain,company,country,region,industry,company_size,title,source,campaign,owner_id,updated_at\n" +
			"Q1,2026-01-05T09:00:00Z,q.com,Q,United States,NA,Software,50,CTO,web,c1,00G8d000004MktQ,\n" +
			"P1,2026-01-05T09:00:00Z,p.com,P,United States,NA,Software,50,CTO,web,c1,U1,\n" +
			"X1,2026-01-05T09:00:00Z,x.com,X,United States,NA,Software,50,CTO,web,c1,005000000000XYZ,\n" +
			"H1,2026-01-05T09:00:00Z,h.com,H,United States,NA,Software,50,CTO,web,c1,queue:Inbound SDRs,\n",
	}
	l := handMadeLake(t, files)
	r, err := Leads(context.Background(), l, Params{AsOf: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), What: "created"}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, row := range r.Rows {
		got[row.LeadID] = row.Owner + " / " + row.Team
	}
	// A person keeps her name; an unknown user id stays an id.
	want := map[string]string{"Q1": "queue 00G8d000004MktQ / queues", "P1": "Ana / SDR", "X1": "005000000000XYZ / (blank)",
		"H1": "queue Inbound SDRs / queues"}
	for lead, w := range want {
		if got[lead] != w {
			t.Errorf("%s: owner / team %q, want %q", lead, got[lead], w)
		}
	}
}

// Time a lead waits in a queue counts on the clock of the person who takes
// it, and the queue's own clock is carried over, not counted again:
//
//	Q1 enters queue 00G at 09:00, Ana takes it at 11:00 and calls at 11:30:
//	   Ana's first touch took 150 minutes from the queue, breached (60);
//	   the queue's clock is superseded.
//	Q2 enters the queue at 09:00 and is still there on 6 Jan: the queue's
//	   own clock, breached.
//	P1 goes straight to Ana at 09:00, called at 09:20: met.
func TestQueueTimeCountsOnTheClock(t *testing.T) {
	files := map[string]string{
		"users.csv": "user_id,name,team,role,region,timezone,working_hours,capacity,active\nU1,Ana,SDR,sdr,NA,UTC,Mon-Fri 09:00-17:00,50,true\n",
		"leads.csv": "lead_id,created_at,email_domain,company,country,region,industry,company_size,title,source,campaign,owner_id,updated_at\n" +
			"Q1,2026-01-05T08:00:00Z,q.com,Q,United States,NA,Software,50,CTO,web,c1,U1,\n" +
			"Q2,2026-01-05T08:00:00Z,r.com,R,United States,NA,Software,50,CTO,web,c1,00G8d000004MktQ,\n" +
			"P1,2026-01-05T08:00:00Z,p.com,P,United States,NA,Software,50,CTO,web,c1,U1,\n",
		"assignments.csv": "lead_id,owner_id,assigned_at,rule,reason\n" +
			"Q1,00G8d000004MktQ,2026-01-05T09:00:00Z,queue,\nQ1,U1,2026-01-05T11:00:00Z,round_robin,\n" +
			"Q2,00G8d000004MktQ,2026-01-05T09:00:00Z,queue,\nP1,U1,2026-01-05T09:00:00Z,round_robin,\n",
		"activities.csv": "activity_id,lead_id,occurred_at,kind,actor_id,actor_role,channel,detail\n" +
			"A1,Q1,2026-01-05T11:30:00Z,call,U1,sales,phone,\nA2,P1,2026-01-05T09:20:00Z,call,U1,sales,phone,\n",
	}
	l := handMadeLake(t, files)
	r, err := SLACompliance(context.Background(), l, Params{AsOf: time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC), By: "owner"}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]SLARow{}
	for _, row := range r.Rows {
		if row.SLA == "first_touch" && row.Dim != nil {
			got[*row.Dim] = row
		}
	}
	ana, queue := got["Ana"], got["queue 00G8d000004MktQ"]
	if ana.Met != 1 || ana.Breached != 1 || ana.Superseded != 0 {
		t.Errorf("Ana: %+v, want 1 met (P1), 1 breached (Q1, 150 minutes from the queue)", ana)
	}
	if queue.Breached != 1 || queue.Superseded != 1 || queue.Met != 0 {
		t.Errorf("the queue: %+v, want Q2 breached and Q1 carried over (superseded)", queue)
	}
	// The breach list says why Ana's clock ran from 09:00.
	b, err := SLABreaches(context.Background(), l, Params{AsOf: time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)}, DefaultConfig(), "first_touch")
	if err != nil {
		t.Fatal(err)
	}
	nine := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, row := range b.Rows {
		if row.LeadID == "Q1" && (row.QueuedAt == nil || !row.QueuedAt.Equal(nine) || row.ElapsedMinutes != 150) {
			t.Errorf("Q1's breach: %+v, want queued at 09:00 and 150 minutes", row)
		}
	}
}

// handMadeLake ingests files (name → CSV) and opens the lake until the
// test ends.
func handMadeLake(t *testing.T, files map[string]string) *lake.Lake {
	t.Helper()
	l, err := lake.Open(context.Background(), ingesttest.Files(t, nil, files))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
