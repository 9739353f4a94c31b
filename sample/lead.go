package sample

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Lead is one simulated lead with its whole history up to the end date.
type Lead struct {
	Index                      int
	CreatedAt, UpdatedAt       time.Time
	FirstName, LastName, Phone string
	Company, Domain, Country   string
	Region, Industry, Title    string
	Size                       int
	Source, Campaign           string
	Owner                      *User // current owner, nil if never handed off
	Stages                     []StageChange
	Assignments                []Assignment
	Activities                 []Activity
	Disposition                *Disposition
	Opportunity                *Opportunity
	// FirstTouchDelay runs from the first assignment to the first sales
	// touch; -1 when never touched. SpeedBucket is 0 (≤1h), 1 (≤24h), 2.
	FirstTouchDelay time.Duration
	SpeedBucket     int
	// DayLoad is how many new leads the first owner received on the
	// working day the lead was first assigned (it among them), and
	// TypicalLoad that owner's typical day (Truth.BusyDaySlowdown); 0
	// when never handed off.
	DayLoad     int
	TypicalLoad float64
	// Quality is the lead's true quality as a factor on its chance of
	// becoming a sales-qualified lead (Quality says how it is drawn).
	Quality float64
}

// Email is the lead's address; only the domain survives ingest by default.
func (l *Lead) Email() string {
	return strings.ToLower(l.FirstName+"."+l.LastName) + "@" + l.Domain
}

// StageChange is an entry into a stage.
type StageChange struct {
	Stage string
	At    time.Time
	Actor string
}

// Assignment hands the lead to a sales owner.
type Assignment struct {
	Owner  *User
	At     time.Time
	Rule   string
	Reason string
}

// Activity is a marketing or sales touch.
type Activity struct {
	At                  time.Time
	Kind, Role, Channel string
	Actor               *User
	Detail              string
	seq                 int
}

// Disposition is sales' verdict on a handed-off lead.
type Disposition struct {
	Owner           *User
	At              time.Time
	Outcome, Reason string
}

// Opportunity is the deal a qualified lead became.
type Opportunity struct {
	CreatedAt, ClosedAt time.Time // ClosedAt zero while open
	Stage               string
	Amount              float64
	Won                 bool
}

// Stage returns when the lead first entered a stage.
func (l *Lead) Stage(stage string) (time.Time, bool) {
	for _, s := range l.Stages {
		if s.Stage == stage {
			return s.At, true
		}
	}
	return time.Time{}, false
}

var (
	firstNames = []string{"Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Priya", "Wei", "Lucas", "Sofia", "Mateo", "Emma", "Noor", "Kenji", "Zoe", "Omar"}
	lastNames  = []string{"Smith", "Garcia", "Müller", "Kim", "Okafor", "Rossi", "Dubois", "Novak", "Larsen", "Singh", "Tanaka", "Lopez", "Brown", "Cohen", "Ivanova", "O'Neil"}
	syllables  = []string{"nor", "vex", "tal", "qui", "ber", "lum", "dar", "sol", "kin", "zen", "ora", "pix", "mar", "tec", "fin", "geo"}
	suffixes   = []string{"Inc.", ", Inc.", "Ltd", "GmbH", "Labs", "Systems", "Group", "& Co", "AG", "Software"}
	industries = []string{"Software", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Education", "Logistics", "Media"}
	titles     = []string{"VP Marketing", "Head of Sales", "Marketing Manager", "CTO", "Software Engineer", "Operations Director", "RevOps Lead", "CFO", "Student", "Founder"}
)

// simulator carries the state that spans leads: round-robin positions.
type simulator struct {
	opts  Options
	truth Truth
	users []User
	start time.Time
	span  time.Duration
	teams map[string][]*User // region → SDRs
	rr    map[string]int
	// rrReassign is the round robin of reassignments.
	rrReassign map[string]int
	// load counts each rep's new leads on each working day and typical is
	// each rep's mean day as a lead sees it (countLoads); a rep slows down
	// on a day busier than typical (median).
	load    map[loadKey]int
	typical map[*User]float64
	// zones are the regions' time zones, loaded once: loading one reads
	// the zone database.
	zones map[string]*time.Location
	// Erin leaves after this; a few leads still get routed to her, and
	// nobody touches them until the SLA reassigns them.
	leftAt time.Time
	// lastHandoff is each region's latest handoff, which an injected
	// duplicate copies the company of.
	lastHandoff map[string]handoffMark
}

// handoffMark is one handoff as a later duplicate sees it.
type handoffMark struct {
	company, domain string
	owner           *User
	at              time.Time
}

func newSimulator(opts Options) *simulator {
	s := &simulator{opts: opts, truth: opts.Truth, users: Users(), rr: map[string]int{}, rrReassign: map[string]int{}, teams: map[string][]*User{}, lastHandoff: map[string]handoffMark{}}
	s.zones = map[string]*time.Location{}
	for _, reg := range regions {
		loc, err := time.LoadLocation(reg.tz)
		if err != nil {
			panic(err) // embedded zone names; a missing tzdata is a build problem
		}
		s.zones[reg.tz] = loc
	}
	s.start = opts.End.AddDate(-1, 0, 0)
	if opts.Span > 0 {
		s.start = opts.End.Add(-opts.Span)
	}
	s.span = opts.End.Sub(s.start)
	s.leftAt = s.start.AddDate(0, 8, 0)
	for i := range s.users {
		u := &s.users[i]
		if u.Role == "sdr" {
			s.teams[u.Region] = append(s.teams[u.Region], u)
		}
	}
	return s
}

// rng gives each lead its own streams, so a lead's history does not
// depend on how many leads came before it or on the output format.
func (s *simulator) rng(i, stream int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(s.opts.Seed)+uint64(stream)*0xD1B54A32D192ED03, uint64(i)*0x9E3779B97F4A7C15+1))
}

// arrival is what a lead's first assignment depends on, drawn from a
// stream of its own (rng(i, arrivalStream)): the simulator can then count
// each rep's working days in a first pass (countLoads) without drawing
// anything else, and the second pass finds the same arrivals.
type arrival struct {
	region     region
	source     SourceTruth
	created    time.Time
	qualified  bool
	mqlAt      time.Time
	skipMQL    bool
	handedOff  bool
	assignedAt time.Time
}

const (
	leadStream    = 0
	arrivalStream = 1
)

func (s *simulator) arrival(i int) arrival {
	r := s.rng(i, arrivalStream)
	var a arrival
	a.region = regions[pick(r, func(k int) float64 { return regions[k].weight }, len(regions))]
	a.source = s.truth.Sources[pick(r, func(k int) float64 { return s.truth.Sources[k].Weight }, len(s.truth.Sources))]
	// Creation time: spread evenly over the year, so ids grow with time as
	// in a real export; most leads arrive in the region's daytime.
	created := s.start.Add(time.Duration((float64(i) + r.Float64()) / float64(s.opts.Leads) * float64(s.span)))
	loc := s.zones[a.region.tz]
	if lh := created.In(loc).Hour(); (lh < 7 || lh >= 20) && r.Float64() < 0.7 {
		lc := created.In(loc)
		moved := time.Date(lc.Year(), lc.Month(), lc.Day(), 8, 0, 0, 0, loc).Add(time.Duration(r.Float64() * 4 * float64(time.Hour)))
		if lh >= 20 {
			moved = moved.AddDate(0, 0, 1)
		}
		if moved.Before(s.opts.End) {
			created = moved
		}
	}
	a.created = created.UTC().Truncate(time.Second)
	a.qualified = r.Float64() < a.source.MQL
	a.mqlAt = a.created.Add(time.Duration(logNormal(r, 20, 1.5) * float64(time.Hour))).Truncate(time.Second)
	a.skipMQL = r.Float64() < a.source.SkipMQL
	a.handedOff = a.qualified && r.Float64() >= s.truth.NeverHandedOff
	a.assignedAt = a.mqlAt.Add(time.Duration(1+r.IntN(20)) * time.Minute)
	return a
}

// firstOwner picks the rep a lead's first assignment goes to; called once
// a lead, in lead order, in each pass. Its stream is the arrival's own, so
// the rep who left gets the same few leads in both passes.
func (s *simulator) firstOwner(i int, a arrival) *User {
	return s.next(s.rng(i, arrivalStream+1), s.rr, a.region.name, a.assignedAt, nil)
}

// loadKey is one rep's working day.
type loadKey struct {
	user *User
	day  int64 // the rep's local date, in days since 1970-01-01
}

// countLoads is the first pass: how many new leads each rep receives on
// each of their working days (a lead assigned after hours counts on the
// day it can first be answered), and each rep's typical day: the mean
// load a lead lands in (weighted by leads, as a lead sees it).
func (s *simulator) countLoads() {
	s.load = map[loadKey]int{}
	for i := 0; i < s.opts.Leads; i++ {
		a := s.arrival(i)
		if !a.handedOff {
			continue
		}
		u := s.firstOwner(i, a)
		s.load[loadKey{u, u.workday(a.assignedAt)}]++
	}
	clear(s.rr)
	sum, sq := map[*User]float64{}, map[*User]float64{}
	for k, n := range s.load {
		sum[k.user] += float64(n)
		sq[k.user] += float64(n) * float64(n)
	}
	s.typical = map[*User]float64{}
	for u, n := range sum {
		s.typical[u] = sq[u] / n
	}
}

// lead simulates lead i.
func (s *simulator) lead(i int) *Lead {
	r := s.rng(i, leadStream)
	a := s.arrival(i)
	l := &Lead{Index: i, FirstTouchDelay: -1}
	reg, src := a.region, a.source
	l.Region = reg.name
	l.Country = reg.countries[r.IntN(len(reg.countries))]
	l.Source = src.Name
	l.Campaign = src.Campaigns[r.IntN(len(src.Campaigns))]
	l.FirstName = firstNames[r.IntN(len(firstNames))]
	l.LastName = lastNames[r.IntN(len(lastNames))]
	// The index, in base 36, makes each company its own: two leads share a
	// company only where a duplicate is injected (handoff).
	name := syllables[r.IntN(len(syllables))] + syllables[r.IntN(len(syllables))] + strconv.FormatInt(int64(i), 36)
	l.Company = strings.ToUpper(name[:1]) + name[1:] + " " + suffixes[r.IntN(len(suffixes))]
	l.Company = strings.ReplaceAll(l.Company, " , ", ", ")
	l.Domain = name + []string{".com", ".io", ".co", ".de", ".net"}[r.IntN(5)]
	l.Phone = "+1 555 01" + string(rune('0'+r.IntN(10))) + string(rune('0'+r.IntN(10)))
	l.Industry = industries[r.IntN(len(industries))]
	l.Title = titles[r.IntN(len(titles))]
	l.Size = int(math.Max(1, math.Round(logNormal(r, 120, 1.4))))
	l.Quality = Quality(l.Title, l.Industry, l.Size)

	l.CreatedAt = a.created
	l.addStage("lead", l.CreatedAt, "")
	s.marketing(r, l, src)

	if !a.qualified {
		s.finish(l)
		return l
	}
	if !a.skipMQL {
		l.addStage("mql", a.mqlAt, "")
	}
	if !a.handedOff {
		s.finish(l)
		return l
	}
	s.handoff(r, l, src, a.assignedAt, s.firstOwner(i, a))
	s.finish(l)
	return l
}

func (l *Lead) addStage(stage string, at time.Time, actor string) {
	l.Stages = append(l.Stages, StageChange{Stage: stage, At: at, Actor: actor})
}

// marketing adds the touches that led to (or did not lead to) qualification.
func (s *simulator) marketing(r *rand.Rand, l *Lead, src SourceTruth) {
	at := l.CreatedAt
	first := "form_fill"
	switch src.Name {
	case "webinar":
		first = "webinar_registered"
	case "events":
		first = "event_visit"
	case "email":
		first = "email_click"
	}
	l.Activities = append(l.Activities, Activity{At: at, Kind: first, Role: "marketing", Channel: src.Name, Detail: l.Campaign})
	if src.Name == "webinar" && r.Float64() < 0.7 {
		l.Activities = append(l.Activities, Activity{At: at.Add(time.Duration(2+r.IntN(10)) * 24 * time.Hour), Kind: "webinar_attended", Role: "marketing", Channel: "webinar", Detail: l.Campaign})
	}
	// About fifteen web and e-mail touches a lead, as marketing automation logs them.
	n := r.IntN(30)
	for k := 0; k < n; k++ {
		at = at.Add(time.Duration(logNormal(r, 30, 1.2) * float64(time.Hour))).Truncate(time.Second)
		kind := []string{"page_view", "page_view", "page_view", "email_open", "email_open", "email_click", "content_download"}[r.IntN(7)]
		detail := []string{"/pricing", "/product", "/blog/speed-to-lead", "/customers", "/docs"}[r.IntN(5)]
		if strings.HasPrefix(kind, "email") {
			detail = "Newsletter " + at.Format("2006-01")
		}
		l.Activities = append(l.Activities, Activity{At: at, Kind: kind, Role: "marketing", Channel: "web", Detail: detail})
	}
}

// next picks the next eligible SDR of the lead's region by the round
// robin rr (first assignments and reassignments keep their own, so the
// first pass, which makes no reassignments, sees the same first owners).
func (s *simulator) next(r *rand.Rand, rr map[string]int, region string, at time.Time, not *User) *User {
	team := s.teams[region]
	for tries := 0; tries < 2*len(team); tries++ {
		u := team[rr[region]%len(team)]
		rr[region]++
		if u == not {
			continue
		}
		if !u.Active && at.After(s.leftAt) && r.Float64() > 0.01 {
			continue // routed to the rep who left only by mistake, rarely
		}
		return u
	}
	return team[0]
}

// handoff assigns the lead, simulates the first response, reassignment,
// the disposition and what follows.
func (s *simulator) handoff(r *rand.Rand, l *Lead, src SourceTruth, assignedAt time.Time, owner *User) {
	l.Assignments = append(l.Assignments, Assignment{Owner: owner, At: assignedAt, Rule: "round_robin", Reason: "territory " + l.Region})
	l.Owner = owner
	// An injected duplicate: the same company as the region's last
	// handoff, handed to another rep within the fortnight.
	if prev, ok := s.lastHandoff[l.Region]; ok && r.Float64() < s.truth.Duplicate &&
		prev.owner != owner && prev.at.Before(assignedAt) && assignedAt.Sub(prev.at) <= 14*24*time.Hour {
		l.Company, l.Domain = prev.company, prev.domain
	}
	s.lastHandoff[l.Region] = handoffMark{company: l.Company, domain: l.Domain, owner: owner, at: assignedAt}
	first := assignedAt
	var touchAt time.Time
	// The rep who left touches nothing routed to her after she went.
	touched := r.Float64() >= s.truth.NeverTouched && (owner.Active || assignedAt.Before(s.leftAt))
	if touched {
		touchAt = owner.addWorking(assignedAt, logNormal(r, s.median(owner, assignedAt, l), 1.0)).Truncate(time.Second)
	}
	if (!touched || touchAt.Sub(assignedAt) > 24*time.Hour) && r.Float64() < s.truth.Reassign {
		reAt := assignedAt.Add(24 * time.Hour)
		if !touched || touchAt.After(reAt) {
			owner = s.next(r, s.rrReassign, l.Region, reAt, owner)
			l.Assignments = append(l.Assignments, Assignment{Owner: owner, At: reAt, Rule: "sla_reassign", Reason: "no first touch within 24h"})
			l.Owner = owner
			touched = r.Float64() >= s.truth.NeverTouched && (owner.Active || reAt.Before(s.leftAt))
			if touched {
				touchAt = owner.addWorking(reAt, logNormal(r, s.median(owner, reAt, nil), 1.0)).Truncate(time.Second)
			}
		}
	}
	if !touched {
		return
	}
	l.FirstTouchDelay = touchAt.Sub(first)
	factor := s.truth.SpeedSlow
	switch {
	case l.FirstTouchDelay <= time.Hour:
		factor, l.SpeedBucket = s.truth.SpeedFastHour, 0
	case l.FirstTouchDelay <= 24*time.Hour:
		factor, l.SpeedBucket = s.truth.SpeedSameDay, 1
	default:
		l.SpeedBucket = 2
	}
	kind := []string{"call", "call", "call", "email_sent", "email_sent", "sms"}[r.IntN(6)]
	l.addTouch(touchAt, kind, owner)
	decided := owner.addWorking(touchAt, logNormal(r, 8*60, 0.8)).Truncate(time.Second)
	for k, n := 0, r.IntN(3); k < n; k++ {
		at := touchAt.Add(time.Duration(float64(decided.Sub(touchAt)) * float64(k+1) / float64(n+1))).Truncate(time.Second)
		l.addTouch(at, []string{"call", "email_sent"}[r.IntN(2)], owner)
	}
	if r.Float64() < math.Min(0.95, src.SQL*factor*l.Quality) {
		l.Disposition = &Disposition{Owner: owner, At: decided, Outcome: "accepted"}
		l.addStage("sql", decided, owner.ID)
		l.addTouch(decided.Add(time.Duration(24+r.IntN(72))*time.Hour), "meeting", owner)
		s.opportunity(r, l, src, decided)
		return
	}
	if r.Float64() < s.truth.NoDisposition {
		return
	}
	if r.Float64() < s.truth.RejectShare {
		reason := s.truth.RejectReasons[pick(r, func(k int) float64 { return s.truth.RejectReasons[k].Weight }, len(s.truth.RejectReasons))].Value
		l.Disposition = &Disposition{Owner: owner, At: decided, Outcome: "rejected", Reason: reason}
		if r.Float64() < 0.5 {
			l.addStage("disqualified", decided, owner.ID)
			return
		}
	} else {
		l.Disposition = &Disposition{Owner: owner, At: decided, Outcome: "unreachable"}
	}
	l.addStage("recycled", decided, owner.ID)
	if r.Float64() < s.truth.RecycleToMQL {
		back := decided.Add(time.Duration(30+r.IntN(60)) * 24 * time.Hour)
		l.Activities = append(l.Activities, Activity{At: back.Add(-time.Hour), Kind: "email_click", Role: "marketing", Channel: "email", Detail: "nurture-drip"})
		l.addStage("mql", back, "")
	}
}

// median is the owner's median first response, in working minutes, to a
// lead assigned at t: MedianResponse on a typical day, stretched by
// BusyDaySlowdown for each lead more that day (and shrunk for each lead
// fewer). l, when given, records the load it saw.
func (s *simulator) median(owner *User, t time.Time, l *Lead) float64 {
	n := s.load[loadKey{owner, owner.workday(t)}]
	if l != nil {
		l.DayLoad, l.TypicalLoad = n, s.typical[owner]
	}
	if s.truth.BusyDaySlowdown <= 0 || n == 0 {
		return owner.MedianResponse
	}
	return owner.MedianResponse * math.Pow(s.truth.BusyDaySlowdown, float64(n)-s.typical[owner])
}

func (l *Lead) addTouch(at time.Time, kind string, owner *User) {
	channel := map[string]string{"call": "phone", "email_sent": "email", "sms": "sms", "meeting": "meeting"}[kind]
	l.Activities = append(l.Activities, Activity{At: at, Kind: kind, Role: "sales", Channel: channel, Actor: owner, Detail: kind + " by " + owner.Name})
}

func (s *simulator) opportunity(r *rand.Rand, l *Lead, src SourceTruth, sqlAt time.Time) {
	if r.Float64() >= src.Opp {
		return
	}
	created := sqlAt.Add(time.Duration(logNormal(r, 5, 0.6)*24) * time.Hour).Truncate(time.Second)
	o := &Opportunity{CreatedAt: created, Amount: math.Round(logNormal(r, 8000*math.Pow(float64(l.Size)/50, 0.4), 0.5)), Stage: "Proposal"}
	l.addStage("opportunity", created, l.Owner.ID)
	closed := created.Add(time.Duration(20+r.IntN(70)) * 24 * time.Hour)
	if r.Float64() < src.Win {
		o.Won, o.Stage = true, "Closed Won"
		l.addStage("customer", closed, l.Owner.ID)
	} else {
		o.Stage = "Closed Lost"
	}
	o.ClosedAt = closed
	l.Opportunity = o
}

// finish drops everything after the end date (the export is taken then),
// orders the history and sets the last-modified time.
func (s *simulator) finish(l *Lead) {
	end := s.opts.End
	keepStages := l.Stages[:0]
	for _, st := range l.Stages {
		if !st.At.After(end) {
			keepStages = append(keepStages, st)
		}
	}
	l.Stages = keepStages
	keepAct := l.Activities[:0]
	for k, a := range l.Activities {
		if !a.At.After(end) {
			a.seq = k
			keepAct = append(keepAct, a)
		}
	}
	l.Activities = keepAct
	sort.SliceStable(l.Activities, func(a, b int) bool { return l.Activities[a].At.Before(l.Activities[b].At) })
	keepAsg := l.Assignments[:0]
	for _, a := range l.Assignments {
		if !a.At.After(end) {
			keepAsg = append(keepAsg, a)
		}
	}
	l.Assignments = keepAsg
	if len(l.Assignments) == 0 {
		l.Owner = nil
	} else {
		l.Owner = l.Assignments[len(l.Assignments)-1].Owner
	}
	if l.FirstTouchDelay >= 0 && len(l.Assignments) > 0 && l.Assignments[0].At.Add(l.FirstTouchDelay).After(end) {
		l.FirstTouchDelay = -1
	}
	if l.Disposition != nil && l.Disposition.At.After(end) {
		l.Disposition = nil
	}
	if o := l.Opportunity; o != nil {
		switch {
		case o.CreatedAt.After(end):
			l.Opportunity = nil
		case o.ClosedAt.After(end):
			o.ClosedAt, o.Won, o.Stage = time.Time{}, false, "Negotiation"
		}
	}
	l.UpdatedAt = l.CreatedAt
	for _, st := range l.Stages {
		if st.At.After(l.UpdatedAt) {
			l.UpdatedAt = st.At
		}
	}
	for _, a := range l.Assignments {
		if a.At.After(l.UpdatedAt) {
			l.UpdatedAt = a.At
		}
	}
}
