package routing

import (
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/sample"
	"github.com/handoff-dev/handoff/scoring"
)

// reps of the routing cases: Mon–Fri 09:00–17:00 in their own zones.
func testReps() []Rep {
	rep := func(id, name, tz string, capacity int64, active bool) Rep {
		return Rep{ID: id, Name: name, Team: "T", Role: "sdr", TZ: tz, D1: 1, D2: 5, WS: 540, WE: 1020, Capacity: capacity, Active: active}
	}
	return []Rep{
		rep("U1", "Ana", "America/New_York", 100, true),
		rep("U2", "Ben", "America/New_York", 1, true),
		rep("U3", "Chloe", "America/New_York", 100, true),
		rep("U4", "Erin", "America/New_York", 100, false),
		rep("U5", "Farah", "Europe/London", 100, true),
		rep("U6", "Hélène", "Europe/Paris", 100, true),
		rep("U7", "Gus", "Europe/Berlin", 100, true),
		rep("U8", "Ivy", "Australia/Sydney", 100, true),
		rep("U9", "Jun", "Asia/Tokyo", 100, true),
		{ID: "M1", Name: "Maya", Role: "manager", TZ: "America/New_York", D1: 1, D2: 5, WS: 540, WE: 1020, Capacity: -1, Active: true},
	}
}

const testRouting = `
routing:
  territories:
    DACH: [Germany, Austria, Switzerland]
  pools:
    dach: [Gus]
    na: [Ana, Ben, Chloe, Erin]
    emea: [Farah, Hélène]
    apac: [Ivy, Jun]
    managers: [Maya]
  fallback: managers
  rules:
    - name: DACH
      match: {territory: [DACH]}
      pool: dach
    - name: enterprise NA
      match: {region: [NA], segment: [enterprise]}
      pool: na
      method: least_loaded
    - name: NA
      match: {region: [NA]}
      pool: na
    - name: EMEA
      match: {region: [EMEA]}
      pool: emea
      method: weighted
      weights: {Farah: 2, Hélène: 1}
    - name: APAC
      match: {region: [APAC], quadrant: [sales, nurture]}
      pool: apac
`

func testConfig(t *testing.T) Config { return testConfigB(t) }

func testConfigB(t testing.TB) Config {
	t.Helper()
	f, err := scoring.ParseFile("rules.yaml", []byte(testRouting))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(f, testReps())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Monday 2 March 2026, 15:00 UTC: 10:00 in New York, 15:00 in London,
// 16:00 in Berlin and Paris, 02:00 Tuesday in Sydney, 00:00 in Tokyo.
var monday = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

func TestRoutingDecisions(t *testing.T) {
	type step struct {
		lead      Lead
		wantRep   string
		wantAudit string
	}
	cases := []struct {
		name string
		load map[string][]time.Time
		at   time.Time
		// steps route one after another on one router.
		steps []step
	}{
		{name: "territory match", steps: []step{{
			Lead{ID: "L1", Country: "Germany", Region: "EMEA"}, "Gus",
			`L1 → Gus by rule "DACH", pool dach (round robin). Rules tried: "DACH" yes (country Germany in territory DACH).`}}},
		{name: "round robin in pool order; Ben full after one lead, Erin inactive", steps: []step{
			{Lead{ID: "L1", Region: "NA"}, "Ana", ""},
			{Lead{ID: "L2", Region: "NA"}, "Ben", ""},
			{Lead{ID: "L3", Region: "NA"}, "Chloe", `L3 → Chloe by rule "NA", pool na (round robin). Rules tried: "DACH" no (country (blank) in no territory of DACH); "enterprise NA" no (segment (blank) not in enterprise); "NA" yes (region NA). Skipped in na: Ben (at capacity: 1 of 1 leads in the last 30 days); Erin (inactive).`},
			{Lead{ID: "L4", Region: "NA"}, "Ana", ""},
		}},
		{name: "weights 2:1", steps: []step{
			{Lead{ID: "L1", Region: "EMEA", Country: "France"}, "Farah", ""},
			{Lead{ID: "L2", Region: "EMEA", Country: "France"}, "Hélène", ""},
			{Lead{ID: "L3", Region: "EMEA", Country: "France"}, "Farah", ""},
			{Lead{ID: "L4", Region: "EMEA", Country: "France"}, "Farah", ""},
			{Lead{ID: "L5", Region: "EMEA", Country: "France"}, "Hélène", ""},
		}},
		{name: "capacity full", load: map[string][]time.Time{"U2": {monday.Add(-48 * time.Hour)}}, steps: []step{
			{Lead{ID: "L1", Region: "NA"}, "Ana", ""},
			{Lead{ID: "L2", Region: "NA"}, "Chloe", `L2 → Chloe by rule "NA", pool na (round robin). Rules tried: "DACH" no (country (blank) in no territory of DACH); "enterprise NA" no (segment (blank) not in enterprise); "NA" yes (region NA). Skipped in na: Ben (at capacity: 1 of 1 leads in the last 30 days); Erin (inactive).`},
		}},
		{name: "capacity frees up after the window", load: map[string][]time.Time{"U2": {monday.Add(-31 * 24 * time.Hour)}}, steps: []step{
			{Lead{ID: "L1", Region: "NA"}, "Ana", ""},
			{Lead{ID: "L2", Region: "NA"}, "Ben", ""},
		}},
		{name: "least loaded", load: map[string][]time.Time{"U1": {monday.Add(-time.Hour), monday.Add(-2 * time.Hour)}, "U3": {monday.Add(-time.Hour)}}, steps: []step{
			// Ben has none but a capacity of 1; Ana 2, Chloe 1.
			{Lead{ID: "L1", Region: "NA", Segment: "enterprise"}, "Ben", ""},
			{Lead{ID: "L2", Region: "NA", Segment: "enterprise"}, "Chloe", ""},
		}},
		{name: "a rep off hours in another time zone, everyone away → fallback", steps: []step{{
			Lead{ID: "L1", Region: "APAC", Quadrant: "sales"}, "Maya",
			`L1 → Maya from fallback pool managers (round robin). Rules tried: "DACH" no (country (blank) in no territory of DACH); "enterprise NA" no (region APAC not in NA); "NA" no (region APAC not in NA); "EMEA" no (region APAC not in EMEA); "APAC" yes (region APAC, quadrant sales). Skipped in apac: Ivy (off hours: Tue 02:00 in Australia/Sydney, works Mon-Fri 09:00-17:00); Jun (off hours: Tue 00:00 in Asia/Tokyo, works Mon-Fri 09:00-17:00).`}}},
		{name: "no rule matches → fallback", steps: []step{{
			Lead{ID: "L1", Region: "APAC", Quadrant: "watch"}, "Maya", ""}}},
		{name: "Sydney at work", at: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), steps: []step{{
			// 11:00 Monday in Sydney, 09:00 in Tokyo.
			Lead{ID: "L1", Region: "APAC", Quadrant: "nurture"}, "Ivy", ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewRouter(testConfig(t), testReps(), c.load)
			at := c.at
			if at.IsZero() {
				at = monday
			}
			for _, s := range c.steps {
				s.lead.At = at
				d := r.Route(s.lead)
				got := "(nobody)"
				if d.Rep != nil {
					got = d.Rep.Name
				}
				if got != s.wantRep {
					t.Errorf("%s went to %s, want %s: %s", s.lead.ID, got, s.wantRep, d.Audit())
				}
				if s.wantAudit != "" && d.Audit() != s.wantAudit {
					t.Errorf("%s audit:\n got %s\nwant %s", s.lead.ID, d.Audit(), s.wantAudit)
				}
				at = at.Add(time.Minute)
			}
		})
	}
}

func TestNobodyEligibleLeavesTheLeadUnassigned(t *testing.T) {
	reps := testReps()
	for i := range reps {
		reps[i].Active = false
	}
	r := NewRouter(testConfig(t), reps, nil)
	d := r.Route(Lead{ID: "L1", Region: "NA", At: monday})
	if d.Rep != nil || !strings.HasPrefix(d.Audit(), "L1: nobody eligible, left unassigned.") || !strings.Contains(d.Audit(), "Skipped in managers: Maya (inactive)") {
		t.Errorf("got %v: %s", d.Rep, d.Audit())
	}
}

func TestRoutingErrorsNameTheLine(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"an unknown rep", "apac: [Ivy, Jun]", "apac: [Ivy, June]", `line 9: pool apac: nobody called "June" in users`},
		{"an unknown pool", "pool: emea", "pool: europe", `rule "EMEA": pool "europe" is not among pools`},
		{"an unknown method", "method: least_loaded", "method: fastest", `line 19: rule "enterprise NA": unknown method "fastest"`},
		{"an unknown territory", "territory: [DACH]", "territory: [Nordics]", `rule "DACH": territory "Nordics" is not among territories`},
		{"an unknown quadrant", "quadrant: [sales, nurture]", "quadrant: [hot]", `rule "APAC": unknown quadrant "hot"`},
		{"a weight outside the pool", "weights: {Farah: 2, Hélène: 1}", "weights: {Farah: 2, Ivy: 1}", `rule "EMEA": "Ivy" has a weight but is not in pool emea`},
		{"a misspelt field", "method: weighted", "methd: weighted", `unknown field "methd"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := scoring.ParseFile("rules.yaml", []byte(strings.Replace(testRouting, c.from, c.to, 1)))
			if err == nil {
				_, err = ParseConfig(f, testReps())
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant %s", err, c.want)
			}
		})
	}
}

// The commented example ships working: its routing section names only the
// sample company's reps and routes one of each region's leads.
func TestExampleRulesRoute(t *testing.T) {
	f, err := scoring.ReadFile("../examples/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var reps []Rep
	for _, u := range sample.Users() {
		reps = append(reps, Rep{ID: u.ID, Name: u.Name, Team: u.Team, Role: u.Role, TZ: u.Timezone,
			D1: 1, D2: 5, WS: int64(u.WorkStart * 60), WE: int64(u.WorkEnd * 60), Capacity: int64(u.Capacity), Active: u.Active})
	}
	cfg, err := ParseConfig(f, reps)
	if err != nil {
		t.Fatal(err)
	}
	if timers, err := ParseTimers(f); err != nil || len(timers) != 3 {
		t.Errorf("example sla_timers: %v, %v", timers, err)
	}
	r := NewRouter(cfg, reps, nil)
	for _, c := range []struct {
		region, country, want string
		at                    time.Time
	}{
		{"NA", "United States", "Ana Silva", monday},                   // 10:00 in New York
		{"EMEA", "Germany", "Gustav Berg", monday.Add(-5 * time.Hour)}, // 11:00 in Berlin, weight 3
		{"APAC", "Japan", "Ivy Chen", monday},                          // off hours allowed
	} {
		d := r.Route(Lead{ID: "L-" + c.region, Region: c.region, Country: c.country, Segment: "smb", At: c.at})
		if d.Rep == nil || d.Rep.Name != c.want {
			t.Errorf("%s lead: %s", c.region, d.Audit())
		}
	}
}

// The fallback pool is held to the same working hours as the rule's pool:
// a rep skipped as off hours is not handed the lead from the fallback, and
// when nobody anywhere is at work the lead waits in a queue for the first
// rep whose day begins, the audit saying so.
func TestFallbackHonoursAvailability(t *testing.T) {
	text := strings.Replace(testRouting, "    managers: [Maya]\n  fallback: managers", "    managers: [Maya]\n    all: [Ana, Farah]\n  fallback: all", 1)
	f, err := scoring.ParseFile("rules.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(f, testReps())
	if err != nil {
		t.Fatal(err)
	}
	// Monday 2 March 2026, 12:00 UTC: 07:00 in New York (nobody of na at
	// work, Ana included), 12:00 in London (Farah at work).
	r := NewRouter(cfg, testReps(), nil)
	d := r.Route(Lead{ID: "L1", Region: "NA", At: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)})
	if d.Rep == nil || d.Rep.Name != "Farah" || !d.Fallback || !d.QueuedUntil.IsZero() ||
		!strings.Contains(d.Audit(), "Skipped in all: Ana (off hours: Mon 07:00 in America/New_York") {
		t.Errorf("a NA lead at 07:00 New York: %v\n%s", d.Rep, d.Audit())
	}
	// Saturday 7 March, 03:00 UTC: nobody at work anywhere. Farah's
	// Monday begins first (09:00 GMT = 09:00 UTC, 9 March), 54 hours on.
	d = r.Route(Lead{ID: "L2", Region: "NA", At: time.Date(2026, 3, 7, 3, 0, 0, 0, time.UTC)})
	want := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	if d.Rep == nil || d.Rep.Name != "Farah" || !d.QueuedUntil.Equal(want) || d.Queue != "all" || d.Waited() != 54*time.Hour {
		t.Fatalf("a lead on Saturday night: %v until %v in %q\n%s", d.Rep, d.QueuedUntil, d.Queue, d.Audit())
	}
	if !strings.HasPrefix(d.Audit(), "L2 waited 2.2 days in the queue of pool all (nobody available at Sat 03:00 UTC), then → Farah when Farah's working hours began (Mon 09:00 GMT).") {
		t.Errorf("audit: %s", d.Audit())
	}
}
