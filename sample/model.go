// Package sample generates handoff's deterministic demo data: a company's
// leads, reps, activities, opportunities and spend, simulated from stated
// rates (Truth) so later reports can be checked against known answers, and
// written as canonical files or as HubSpot, Salesforce and Marketo exports.
// It streams lead by lead, so memory stays flat from 100 to 10 million leads.
package sample

import (
	"math"
	"math/rand/v2"
	"time"
	_ "time/tzdata" // the sample's reps live in named zones on any machine
)

// SourceTruth are the stated rates of one lead source.
type SourceTruth struct {
	Name   string
	Weight float64 // share of leads
	// MQL is P(reaches mql | lead). SkipMQL is the share of a source's
	// qualified leads handed straight to sales without an MQL stage.
	MQL     float64
	SkipMQL float64
	// SQL is P(sql | handed off and first touched within an hour); slower
	// touches convert at SQL × SpeedFactor.
	SQL       float64
	Opp       float64 // P(opportunity | sql)
	Win       float64 // P(customer | opportunity)
	Campaigns []string
	// CostPerLead drives the monthly spend; 0 means no spend is recorded
	// (the source's spend is unknown, not zero).
	CostPerLead float64
}

// Truth holds every rate the generator draws from. Tests check that the
// generated data shows them within sampling tolerance.
type Truth struct {
	Sources []SourceTruth
	// SpeedFactor multiplies SQL by first-response bucket: within an hour,
	// within a day, after a day. Within-hour converts 3× after-a-day.
	SpeedFastHour, SpeedSameDay, SpeedSlow float64
	NeverHandedOff                         float64 // P(no assignment | mql)
	NeverTouched                           float64 // P(no sales touch | assigned)
	Reassign                               float64 // P(reassigned | not touched within a day)
	NoDisposition                          float64 // P(no disposition | touched, not sql)
	RejectShare                            float64 // of non-SQL dispositions: rejected vs unreachable
	RecycleToMQL                           float64 // P(back to mql | recycled)
	Duplicate                              float64 // P(same company as the region's last handoff | handed off)
	RejectReasons                          []Weighted
	// BusyDaySlowdown is how reps slow down as their day fills: each new
	// lead a rep receives on a working day beyond their typical day (their
	// mean, as a lead sees it) stretches their first-response times that
	// day by this factor, and each lead fewer shrinks them by it. 1 (or 0)
	// is a team that answers at one speed whatever the load.
	BusyDaySlowdown float64
}

// Weighted is a value with a weight.
type Weighted struct {
	Value  string
	Weight float64
}

// DefaultTruth is the sample company. E-mail converts lead→customer about an
// order of magnitude worse than the other sources.
var DefaultTruth = Truth{
	Sources: []SourceTruth{
		{Name: "website", Weight: 0.28, MQL: 0.30, SQL: 0.45, Opp: 0.55, Win: 0.30, Campaigns: []string{"seo-content", "homepage-demo"}, CostPerLead: 18},
		{Name: "paid_search", Weight: 0.22, MQL: 0.28, SQL: 0.40, Opp: 0.55, Win: 0.28, Campaigns: []string{"brand-search", "competitor-search"}, CostPerLead: 95},
		{Name: "email", Weight: 0.20, MQL: 0.10, SQL: 0.15, Opp: 0.50, Win: 0.20, Campaigns: []string{"newsletter", "nurture-drip"}, CostPerLead: 4},
		{Name: "webinar", Weight: 0.12, MQL: 0.45, SQL: 0.50, Opp: 0.55, Win: 0.30, Campaigns: []string{"webinar-pipeline", "webinar-product"}, CostPerLead: 60},
		{Name: "events", Weight: 0.08, MQL: 0.40, SQL: 0.45, Opp: 0.55, Win: 0.30, Campaigns: []string{"trade-show", "field-dinner"}, CostPerLead: 220},
		{Name: "referral", Weight: 0.10, MQL: 0.50, SkipMQL: 0.20, SQL: 0.60, Opp: 0.65, Win: 0.35, Campaigns: []string{"partner-program"}},
	},
	SpeedFastHour:  1.0,
	SpeedSameDay:   0.6,
	SpeedSlow:      1.0 / 3,
	NeverHandedOff: 0.03,
	NeverTouched:   0.06,
	Reassign:       0.40,
	NoDisposition:  0.05,
	RejectShare:    0.60,
	RecycleToMQL:   0.15,
	Duplicate:      0.01,
	// A rep on a day two leads busier than usual answers 1.56× slower.
	BusyDaySlowdown: 1.25,
	RejectReasons: []Weighted{
		{"No budget", 0.30}, {"Not a decision maker", 0.25}, {"Bad fit: company too small", 0.20},
		{"Student or job seeker", 0.10}, {"Competitor", 0.05}, {"", 0.10},
	},
}

// SpendOnlyCampaign has spend and no leads: reports must still list it.
const SpendOnlyCampaign = "podcast-sponsorship"

// User is a rep, manager or marketer.
type User struct {
	ID, Name, Team, Role, Region, Timezone string
	WorkStart, WorkEnd                     int // local hours, Monday to Friday
	// Capacity is new leads a month the rep can take (users.capacity),
	// sized for the sample's 20,000 leads a year.
	Capacity int
	Active   bool
	// MedianResponse is the rep's typical first-response time in working
	// minutes; the spread around it is log-normal.
	MedianResponse float64
	loc            *time.Location
}

// WorkingHours is the users.working_hours value.
func (u User) WorkingHours() string {
	return "Mon-Fri " + hh(u.WorkStart) + "-" + hh(u.WorkEnd)
}

func hh(h int) string { return string(rune('0'+h/10)) + string(rune('0'+h%10)) + ":00" }

type region struct {
	name      string
	weight    float64
	countries []string
	tz        string
}

var regions = []region{
	{"NA", 0.55, []string{"United States", "United States", "United States", "Canada"}, "America/New_York"},
	{"EMEA", 0.30, []string{"United Kingdom", "Germany", "France", "Netherlands", "Sweden", "Spain"}, "Europe/London"},
	{"APAC", 0.15, []string{"Australia", "Singapore", "Japan", "India"}, "Australia/Sydney"},
}

// Users is the sales and marketing org: SDR teams per region, AEs, managers
// and marketers, one SDR who has left (inactive).
func Users() []User {
	mk := func(n int, name, team, role, reg, tz string, start, end, capacity int, active bool, median float64) User {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			panic(err) // embedded zone names; a missing tzdata is a build problem
		}
		return User{ID: sfID("005", n), Name: name, Team: team, Role: role, Region: reg, Timezone: tz,
			WorkStart: start, WorkEnd: end, Capacity: capacity, Active: active, MedianResponse: median, loc: loc}
	}
	return []User{
		mk(1, "Ana Silva", "SDR NA", "sdr", "NA", "America/New_York", 9, 17, 90, true, 6),
		mk(2, "Ben Carter", "SDR NA", "sdr", "NA", "America/New_York", 9, 17, 90, true, 14),
		mk(3, "Chloe Nguyen", "SDR NA", "sdr", "NA", "America/Chicago", 8, 16, 80, true, 35),
		mk(4, "Diego Ramos", "SDR NA", "sdr", "NA", "America/Los_Angeles", 9, 17, 80, true, 90),
		mk(5, "Erin Walsh", "SDR NA", "sdr", "NA", "America/New_York", 9, 17, 40, false, 240),
		mk(6, "Farah Khan", "SDR EMEA", "sdr", "EMEA", "Europe/London", 9, 17, 80, true, 10),
		mk(7, "Gustav Berg", "SDR EMEA", "sdr", "EMEA", "Europe/Berlin", 8, 16, 80, true, 40),
		mk(8, "Hélène Martin", "SDR EMEA", "sdr", "EMEA", "Europe/Paris", 9, 18, 70, true, 150),
		mk(9, "Ivy Chen", "SDR APAC", "sdr", "APAC", "Australia/Sydney", 9, 17, 60, true, 20),
		mk(10, "Jun Tanaka", "SDR APAC", "sdr", "APAC", "Asia/Tokyo", 9, 18, 60, true, 70),
		mk(11, "Kate Moore", "AE NA", "ae", "NA", "America/New_York", 9, 17, 30, true, 60),
		mk(12, "Liam O'Brien", "AE EMEA", "ae", "EMEA", "Europe/Dublin", 9, 17, 30, true, 60),
		mk(13, "Maya Patel", "SDR NA", "manager", "NA", "America/New_York", 9, 17, 0, true, 0),
		mk(14, "Noah Fischer", "SDR EMEA", "manager", "EMEA", "Europe/Berlin", 9, 17, 0, true, 0),
		mk(15, "Olivia Reed", "Marketing", "marketing", "NA", "America/New_York", 9, 17, 0, true, 0),
	}
}

// sfID makes a Salesforce-shaped 18-character id with the given prefix.
func sfID(prefix string, n int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := []byte(prefix + "8d00000000000AAA")
	for i := len(prefix) + 12; n > 0 && i > len(prefix)+3; i-- {
		b[i] = digits[n%62]
		n /= 62
	}
	return string(b)
}

// pick draws from weights.
func pick(r *rand.Rand, weights func(i int) float64, n int) int {
	total := 0.0
	for i := 0; i < n; i++ {
		total += weights(i)
	}
	x := r.Float64() * total
	for i := 0; i < n; i++ {
		x -= weights(i)
		if x < 0 {
			return i
		}
	}
	return n - 1
}

// logNormal draws with the given median and spread (sigma of the log).
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// workday is the rep's working day on which a lead assigned at t can
// first be answered (the local date of the first working minute at or
// after t), in days since 1970-01-01.
func (u User) workday(t time.Time) int64 {
	l := u.addWorking(t, 0).In(u.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// addWorking adds working minutes to t on the user's calendar: time outside
// working hours does not count, so a lead assigned at night waits for the
// morning.
func (u User) addWorking(t time.Time, minutes float64) time.Time {
	remaining := time.Duration(minutes * float64(time.Minute))
	for i := 0; i < 400; i++ { // bounded: a year of working days at most
		l := t.In(u.loc)
		dayStart := time.Date(l.Year(), l.Month(), l.Day(), u.WorkStart, 0, 0, 0, u.loc)
		dayEnd := time.Date(l.Year(), l.Month(), l.Day(), u.WorkEnd, 0, 0, 0, u.loc)
		weekend := l.Weekday() == time.Saturday || l.Weekday() == time.Sunday
		if weekend || !l.Before(dayEnd) {
			t = time.Date(l.Year(), l.Month(), l.Day()+1, u.WorkStart, 0, 0, 0, u.loc)
			continue
		}
		if l.Before(dayStart) {
			t = dayStart
			continue
		}
		left := dayEnd.Sub(t)
		if remaining <= left {
			return t.Add(remaining).UTC()
		}
		remaining -= left
		t = time.Date(l.Year(), l.Month(), l.Day()+1, u.WorkStart, 0, 0, 0, u.loc)
	}
	return t.UTC()
}
