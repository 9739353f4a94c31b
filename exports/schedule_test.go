package exports

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Next runs across time zones and daylight-saving changes, worked out on a
// calendar.
func TestNextRun(t *testing.T) {
	cases := []struct {
		name, schedule, tz, after, want string
	}{
		{"daily at 06:00 in Berlin, winter", "0 6 * * *", "Europe/Berlin", "2026-01-10T05:00:00Z", "2026-01-11T05:00:00Z"},
		// Clocks go forward on 29 March 2026 in Berlin: 06:00 is then 04:00Z.
		{"Berlin across spring forward", "0 6 * * *", "Europe/Berlin", "2026-03-28T05:00:00Z", "2026-03-29T04:00:00Z"},
		// And back on 25 October: 06:00 is 05:00Z again.
		{"Berlin across fall back", "0 6 * * *", "Europe/Berlin", "2026-10-24T04:00:00Z", "2026-10-25T05:00:00Z"},
		// 02:30 does not exist in New York on 8 March 2026 (02:00 → 03:00):
		// that day fires just after the gap, at 03:30 EDT, 07:30Z.
		{"New York, a time the spring skips", "30 2 * * *", "America/New_York", "2026-03-07T08:00:00Z", "2026-03-08T07:30:00Z"},
		// 01:30 happens twice in New York on 1 November 2026: it fires once,
		// at the first (EDT, 05:30Z); the next is the day after (EST).
		{"New York, a time the fall repeats", "30 1 * * *", "America/New_York", "2026-10-31T06:00:00Z", "2026-11-01T05:30:00Z"},
		{"New York, the day after the repeat", "30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"},
		{"weekdays at 07:00 in Sydney, from a Friday", "0 7 * * 1-5", "Australia/Sydney", "2026-11-19T21:00:00Z", "2026-11-22T20:00:00Z"},
		{"first of the month, UTC", "0 0 1 * *", "UTC", "2026-11-23T10:00:00Z", "2026-12-01T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := Export{Name: "x", Report: "funnel", Dir: "d", Schedule: c.schedule, Timezone: c.tz}
			if err := e.Check(); err != nil {
				t.Fatal(err)
			}
			if got := e.Next(at(c.after)).UTC(); !got.Equal(at(c.want)) {
				t.Errorf("next after %s: %s, want %s", c.after, got.Format(time.RFC3339), c.want)
			}
		})
	}
}

// A server down across three daily ticks runs once, for the latest; one
// that ran at the last tick has nothing due; a new export waits.
func TestMissedRuns(t *testing.T) {
	e := Export{Name: "x", Report: "funnel", Dir: "d", Schedule: "0 6 * * *", Timezone: "UTC"}
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
	due, ok := e.Due(at("2026-11-20T06:00:00Z"), at("2026-11-23T10:00:00Z"))
	if !ok || !due.Equal(at("2026-11-23T06:00:00Z")) {
		t.Errorf("after three missed ticks: %v %v, want one run for 23 Nov 06:00", due, ok)
	}
	if _, ok := e.Due(at("2026-11-23T06:00:00Z"), at("2026-11-23T10:00:00Z")); ok {
		t.Error("ran at the last tick, yet something is due")
	}
	if _, ok := e.Due(time.Time{}, at("2026-11-23T10:00:00Z")); ok {
		t.Error("a new export ran at once instead of waiting for its time")
	}
}

func TestConfigErrorsNameTheLine(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"exports:\n  - name: f\n    report: funnels\n    dir: out\n", `line 2: export "f": unknown report "funnels"`},
		{"exports:\n  - name: f\n    report: funnel\n    dir: out\n    schedule: every morning\n", `schedule "every morning"`},
		{"exports:\n  - name: f\n    table: leads\n    report: funnel\n    dir: out\n", "give a report"},
		{"exports:\n  - name: f\n    report: funnel\n    dir: out\n    format: xlsx\n", `format "xlsx"`},
		{"exports:\n  - name: f\n    report: funnel\n    dir: out\n    timezone: Berlin\n", `timezone "Berlin"`},
		{"exports:\n  - name: f\n    report: funnel\n    dir: out\n    shedule: x\n", `unknown field "shedule"`},
	}
	for _, c := range cases {
		_, err := ParseConfig("handoff.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %s", c.yaml, err, c.want)
		}
	}
}
