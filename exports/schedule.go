package exports

import (
	"time"

	cron "github.com/netresearch/go-cron"
)

// Next is the first time after after that the export's schedule fires, in
// its time zone. The schedule runs on the zone's wall clock: a day whose
// time falls in the hour that daylight saving skips still fires, just
// after the gap (02:30 becomes 03:30), and a time the fall-back hour
// repeats fires once, at its first occurrence. A daily export thus writes
// one file every day. Zero without a schedule.
func (e Export) Next(after time.Time) time.Time {
	if e.Schedule == "" {
		return time.Time{}
	}
	sched, err := cron.ParseStandard(e.Schedule)
	if err != nil {
		return time.Time{}
	}
	loc, err := time.LoadLocation(e.Timezone)
	if err != nil {
		loc = time.UTC
	}
	// Walk the wall clock as if it had no daylight saving (UTC has none),
	// then place each wall time in the zone.
	l := after.In(loc)
	wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	for i := 0; i < 3; i++ {
		wall = sched.Next(wall)
		if wall.IsZero() {
			return time.Time{}
		}
		t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), 0, 0, loc)
		if l := t.In(loc); l.Hour() != wall.Hour() || l.Minute() != wall.Minute() {
			// The wall time does not exist that day: Go placed it with the
			// offset after the gap, an hour early. Daylight-saving gaps are
			// an hour where handoff's users are.
			t = t.Add(time.Hour)
		}
		if t.After(after) {
			return t
		}
	}
	return time.Time{}
}

// Due says which scheduled time to run now, if any, for an export last run
// for last: the latest time the schedule fired between last and now. A
// server that was down across several ticks runs once, for the latest, not
// once per tick. An export that never ran has nothing due: it waits for
// its next time.
func (e Export) Due(last, now time.Time) (time.Time, bool) {
	if e.Schedule == "" || last.IsZero() {
		return time.Time{}, false
	}
	var due time.Time
	for t := e.Next(last); !t.IsZero() && !t.After(now); t = e.Next(t) {
		due = t
	}
	return due, !due.IsZero()
}
