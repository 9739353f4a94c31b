package sample

import (
	"slices"
	"time"
)

// LeakLimits are the limits of the leaks report, as durations (the
// disposition limit in working days).
type LeakLimits struct {
	Handoff, Touch, Recycle, Duplicate time.Duration
	DispositionDays                    float64
	// Stuck is how long a lead may stay in sql and in opportunity.
	Stuck map[string]time.Duration
}

// DefaultLeakLimits are the leaks report's defaults.
var DefaultLeakLimits = LeakLimits{
	Handoff: 24 * time.Hour, Touch: 72 * time.Hour, Recycle: 30 * 24 * time.Hour, Duplicate: 14 * 24 * time.Hour,
	DispositionDays: 5,
	Stuck:           map[string]time.Duration{"sql": 14 * 24 * time.Hour, "opportunity": 90 * 24 * time.Hour},
}

// Leak is the crack a simulated lead fell into first, worked out in Go
// from the generator's own record of what happened to it: a second route
// to the leaks report's classification, for tests.
type Leak struct {
	Crack     string // "" when none
	At        time.Time
	Recovered bool
}

// leakCracks in the report's order, which breaks ties.
var leakCracks = []string{"never_handed_off", "inactive_owner", "never_touched", "never_dispositioned",
	"rejected_without_reason", "stuck", "recycled_forgotten", "duplicate"}

// Handoff is when and to whom the lead was handed to sales as of asOf:
// the owner it had when it became an MQL, else its first assignment after.
// ok is false for a lead that is no MQL or was never handed off.
func (l *Lead) Handoff(asOf time.Time) (at time.Time, owner *User, ok bool) {
	mql, isMQL := l.mqlAt(asOf)
	if !isMQL {
		return time.Time{}, nil, false
	}
	for _, a := range l.Assignments {
		if !a.At.After(mql) {
			at, owner, ok = mql, a.Owner, true
		}
	}
	if ok {
		return at, owner, true
	}
	for _, a := range l.Assignments {
		if a.At.After(mql) && !a.At.After(asOf) {
			return a.At, a.Owner, true
		}
	}
	return time.Time{}, nil, false
}

// mqlAt is entered_at(mql): the first entry into mql or, when it was
// skipped, into the first later funnel stage.
func (l *Lead) mqlAt(asOf time.Time) (time.Time, bool) {
	for _, stage := range []string{"mql", "sql", "opportunity", "customer"} {
		if t, ok := l.Stage(stage); ok && !t.After(asOf) {
			return t, true
		}
	}
	return time.Time{}, false
}

// FirstLeak classifies the lead as of asOf. duplicateAt says when its
// handoff made it a duplicate of another lead (zero when it did not); the
// caller, who sees every lead, works that out.
func (l *Lead) FirstLeak(asOf time.Time, lim LeakLimits, duplicateAt time.Time) Leak {
	mql, isMQL := l.mqlAt(asOf)
	if !isMQL {
		return Leak{}
	}
	type cand struct {
		crack     string
		at        time.Time
		recovered bool
	}
	var cands []cand
	add := func(crack string, at time.Time, recoveredAt time.Time) {
		cands = append(cands, cand{crack, at, !recoveredAt.IsZero() && !recoveredAt.After(asOf)})
	}
	handoff, owner, handed := l.Handoff(asOf)
	var touched, decided time.Time
	if handed {
		for _, a := range l.Activities {
			if a.Role == "sales" && slices.Contains([]string{"call", "email_sent", "meeting", "sms", "chat"}, a.Kind) &&
				!a.At.Before(handoff) && !a.At.After(asOf) {
				touched = a.At
				break
			}
		}
		if d := l.Disposition; d != nil && !d.At.Before(handoff) && !d.At.After(asOf) {
			decided = d.At
		}
		if handoff.Sub(mql) > lim.Handoff {
			add("never_handed_off", mql.Add(lim.Handoff), handoff)
		}
		touchDeadline := handoff.Add(lim.Touch)
		late := touched.IsZero() || touched.After(touchDeadline)
		if !owner.Active && late {
			var rescued time.Time
			for _, a := range l.Assignments {
				if a.At.After(handoff) && a.Owner.Active && !a.At.After(asOf) {
					rescued = a.At
					break
				}
			}
			// at the touch deadline: until then a touch in time can come
			add("inactive_owner", touchDeadline, rescued)
		}
		if late {
			add("never_touched", touchDeadline, touched)
		}
		dispoDeadline := owner.addWorking(handoff, lim.DispositionDays*float64(owner.WorkEnd-owner.WorkStart)*60)
		if decided.IsZero() || decided.After(dispoDeadline) {
			add("never_dispositioned", dispoDeadline, decided)
		}
		if !duplicateAt.IsZero() {
			add("duplicate", duplicateAt, time.Time{})
		}
	} else {
		add("never_handed_off", mql.Add(lim.Handoff), time.Time{})
	}
	if d := l.Disposition; d != nil && d.Outcome == "rejected" && d.Reason == "" && !d.At.Before(mql) && !d.At.After(asOf) {
		add("rejected_without_reason", d.At, time.Time{})
	}
	if stage, since := l.current(asOf); stage == "sql" || stage == "opportunity" {
		add("stuck", since.Add(lim.Stuck[stage]), time.Time{})
	}
	var recycled time.Time
	for _, s := range l.Stages {
		if s.Stage == "recycled" && !s.At.Before(mql) && !s.At.After(asOf) && (recycled.IsZero() || s.At.Before(recycled)) {
			recycled = s.At
		}
	}
	if !recycled.IsZero() {
		var nurtured time.Time
		for _, a := range l.Activities {
			if a.Role == "marketing" && a.At.After(recycled) && !a.At.After(asOf) && (nurtured.IsZero() || a.At.Before(nurtured)) {
				nurtured = a.At
			}
		}
		if nurtured.IsZero() || nurtured.Sub(recycled) > lim.Recycle {
			add("recycled_forgotten", recycled.Add(lim.Recycle), nurtured)
		}
	}
	best := -1
	for i, c := range cands {
		if c.at.After(asOf) {
			continue
		}
		if best < 0 || c.at.Before(cands[best].at) ||
			(c.at.Equal(cands[best].at) && slices.Index(leakCracks, c.crack) < slices.Index(leakCracks, cands[best].crack)) {
			best = i
		}
	}
	if best < 0 {
		return Leak{}
	}
	return Leak{Crack: cands[best].crack, At: cands[best].at, Recovered: cands[best].recovered}
}

// current is the lead's stage as of asOf and when it entered it (ties at
// one instant go to the later stage).
func (l *Lead) current(asOf time.Time) (string, time.Time) {
	order := []string{"lead", "mql", "sql", "opportunity", "customer", "disqualified", "recycled", "nurture"}
	var stage string
	var since time.Time
	for _, s := range l.Stages {
		if s.At.After(asOf) {
			continue
		}
		if stage == "" || s.At.After(since) || (s.At.Equal(since) && slices.Index(order, s.Stage) > slices.Index(order, stage)) {
			stage, since = s.Stage, s.At
		}
	}
	return stage, since
}

// CanonicalLeadID is lead i's lead_id in the canonical format.
func CanonicalLeadID(i int) string { return canonicalIDs.lead(i) }
