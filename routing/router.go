package routing

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Rep is a user as routing sees them.
type Rep struct {
	ID   string `col:"user_id"`
	Name string `col:"name"`
	Team string `col:"team"`
	Role string `col:"role"`
	TZ   string `col:"tz"`
	// Days D1..D2 (ISO, Monday 1) and minutes WS..WE after local midnight
	// are the working hours (user_hours in models/sql/base.sql).
	D1 int64 `col:"d1"`
	D2 int64 `col:"d2"`
	WS int64 `col:"ws"`
	WE int64 `col:"we"`
	// Capacity is new leads a month (users.capacity): negative when
	// unknown (no limit), 0 for someone who takes none.
	Capacity int64 `col:"capacity"`
	Active   bool  `col:"active"`
}

// Lead is what routing matches on.
type Lead struct {
	ID, Country, Region, Segment, Source, Quadrant string
	// At is when the lead is routed.
	At time.Time
	// Exclude is a rep who may not get it (the owner a reassignment takes
	// it from).
	Exclude string
}

// RuleTry is one rule tried for a lead and why it matched or not.
type RuleTry struct {
	Rule    string
	Matched bool
	Why     string
}

// Skip is a rep of a pool passed over and why.
type Skip struct {
	Pool, Rep, Why string
}

// Decision is one routing decision with its audit record.
type Decision struct {
	Lead Lead
	// Rule is the rule that matched ("" when none did); Pool and Method
	// are what chose the rep, Fallback when the fallback pool did.
	Rule, Pool, Method string
	Fallback           bool
	// Rep is the chosen rep; nil when nobody was eligible anywhere.
	Rep     *Rep
	Tried   []RuleTry
	Skipped []Skip
	// QueuedUntil is set when nobody was available when the lead came: it
	// waited in the queue of pool Queue until Rep's working hours began,
	// and that wait counts on its first-touch clock.
	Queue       string
	QueuedUntil time.Time
}

// Waited is how long the lead waited in a queue for its rep.
func (d Decision) Waited() time.Duration {
	if d.QueuedUntil.IsZero() {
		return 0
	}
	return d.QueuedUntil.Sub(d.Lead.At)
}

// Audit is the decision in one paragraph: what was chosen, by which rule,
// the rules tried in order and the reps passed over.
func (d Decision) Audit() string {
	var b strings.Builder
	switch {
	case d.Rep == nil:
		fmt.Fprintf(&b, "%s: nobody eligible, left unassigned.", d.Lead.ID)
	case !d.QueuedUntil.IsZero():
		fmt.Fprintf(&b, "%s waited %s in the queue of pool %s (nobody available at %s), then → %s when %s working hours began (%s).",
			d.Lead.ID, waitWords(d.Waited()), d.Queue, d.Lead.At.UTC().Format("Mon 15:04 UTC"), d.Rep.Name, possessive(d.Rep.Name),
			d.QueuedUntil.In(zoneOf(d.Rep)).Format("Mon 15:04 MST"))
	case d.Fallback:
		fmt.Fprintf(&b, "%s → %s from fallback pool %s (%s).", d.Lead.ID, d.Rep.Name, d.Pool, words(d.Method))
	default:
		fmt.Fprintf(&b, "%s → %s by rule %q, pool %s (%s).", d.Lead.ID, d.Rep.Name, d.Rule, d.Pool, words(d.Method))
	}
	var tried []string
	for _, t := range d.Tried {
		verdict := "no"
		if t.Matched {
			verdict = "yes"
		}
		tried = append(tried, fmt.Sprintf("%q %s (%s)", t.Rule, verdict, t.Why))
	}
	if len(tried) > 0 {
		fmt.Fprintf(&b, " Rules tried: %s.", strings.Join(tried, "; "))
	}
	for i := 0; i < len(d.Skipped); {
		pool := d.Skipped[i].Pool
		var skipped []string
		for ; i < len(d.Skipped) && d.Skipped[i].Pool == pool; i++ {
			skipped = append(skipped, d.Skipped[i].Rep+" ("+d.Skipped[i].Why+")")
		}
		fmt.Fprintf(&b, " Skipped in %s: %s.", pool, strings.Join(skipped, "; "))
	}
	return b.String()
}

func words(method string) string {
	return strings.ReplaceAll(method, "_", " ")
}

// Router routes leads one at a time, in time order, keeping the state the
// methods need: each rule's round-robin position and weighted credits, and
// every rep's recent assignments for the capacity check.
type Router struct {
	cfg    Config
	byKey  map[string]*Rep // by id and by name
	zones  map[string]*time.Location
	next   map[string]int                // rule or pool → round-robin position
	credit map[string]map[string]float64 // rule → rep id → weighted credit
	recent map[string][]time.Time        // rep id → assignment times
}

// RouterState is where a router's turns stand: the round-robin positions
// and the weighted credits. A router restored from it carries on where the
// last one stopped, so routing done in stretches (the feed) deals leads as
// one long run would, instead of starting every stretch at the first rep.
type RouterState struct {
	Next   map[string]int                `json:"next,omitempty"`
	Credit map[string]map[string]float64 `json:"credit,omitempty"`
}

// State is a copy of the router's turns.
func (r *Router) State() RouterState {
	st := RouterState{Next: maps.Clone(r.next), Credit: map[string]map[string]float64{}}
	for rule, c := range r.credit {
		st.Credit[rule] = maps.Clone(c)
	}
	return st
}

// Restore sets the router's turns to st.
func (r *Router) Restore(st RouterState) {
	for k, v := range st.Next {
		r.next[k] = v
	}
	for rule, c := range st.Credit {
		r.credit[rule] = maps.Clone(c)
	}
}

// NewRouter makes a router over the lake's users. load holds assignments
// made before routing starts (rep id → times), so capacity counts them.
func NewRouter(cfg Config, users []Rep, load map[string][]time.Time) *Router {
	r := &Router{cfg: cfg, byKey: map[string]*Rep{}, zones: map[string]*time.Location{},
		next: map[string]int{}, credit: map[string]map[string]float64{}, recent: map[string][]time.Time{}}
	for i := range users {
		u := &users[i]
		r.byKey[u.ID], r.byKey[u.Name] = u, u
		if loc, err := time.LoadLocation(u.TZ); err == nil {
			r.zones[u.ID] = loc
		} else {
			r.zones[u.ID] = time.UTC
		}
	}
	for id, times := range load {
		r.recent[id] = slices.Clone(times)
		slices.SortFunc(r.recent[id], func(a, b time.Time) int { return a.Compare(b) })
	}
	return r
}

// Route decides who gets the lead at l.At and records the assignment.
func (r *Router) Route(l Lead) Decision {
	d := Decision{Lead: l}
	var matched *Rule
	for i := range r.cfg.Rules {
		rule := &r.cfg.Rules[i]
		ok, why := r.matches(rule.Match, l)
		d.Tried = append(d.Tried, RuleTry{Rule: rule.Name, Matched: ok, Why: why})
		if ok {
			matched = rule
			break
		}
	}
	if matched != nil {
		d.Rule, d.Pool, d.Method = matched.Name, matched.Pool, method(matched.Method)
		if rep := r.pick(&d, matched.Name, matched.Pool, d.Method, matched.Weights, matched.OffHours, l.At); rep != nil {
			return r.assign(d, rep)
		}
	}
	if r.cfg.Fallback == "" {
		return d
	}
	// The fallback catches what the rules could not place, held to the
	// same availability as the rule's pool: a rep skipped as off hours in
	// one pool is not handed the lead from another.
	offHours := matched != nil && matched.OffHours
	d.Pool, d.Method, d.Fallback = r.cfg.Fallback, "round_robin", true
	if rep := r.pick(&d, "fallback:"+r.cfg.Fallback, r.cfg.Fallback, "round_robin", nil, offHours, l.At); rep != nil {
		return r.assign(d, rep)
	}
	// Nobody available now: the lead waits for the first rep of the
	// rule's pool, else of the fallback pool, whose working hours begin.
	var pools []string
	if matched != nil {
		pools = append(pools, matched.Pool)
	}
	pools = append(pools, r.cfg.Fallback)
	var best *Rep
	var bestAt time.Time
	var bestPool string
	for _, pool := range pools {
		for _, who := range r.cfg.Pools[pool] {
			rep := r.byKey[who]
			if rep == nil || rep.ID == l.Exclude || !rep.Active || rep.Capacity == 0 || rep.D1 == 0 {
				continue
			}
			at := r.nextWorkStart(rep, l.At)
			if rep.Capacity > 0 && r.load(rep.ID, at) >= rep.Capacity {
				continue
			}
			if best == nil || at.Before(bestAt) {
				best, bestAt, bestPool = rep, at, pool
			}
		}
	}
	if best == nil {
		return d
	}
	d.Queue, d.QueuedUntil, d.Rep = bestPool, bestAt, best
	r.insertLoad(best.ID, bestAt)
	return d
}

// nextWorkStart is the first start of rep's working hours after at.
func (r *Router) nextWorkStart(rep *Rep, at time.Time) time.Time {
	loc := r.zones[rep.ID]
	local := at.In(loc)
	for i := 0; i < 8; i++ {
		day := local.AddDate(0, 0, i)
		start := time.Date(day.Year(), day.Month(), day.Day(), int(rep.WS/60), int(rep.WS%60), 0, 0, loc)
		wd := int64(start.Weekday())
		if wd == 0 {
			wd = 7
		}
		if wd >= rep.D1 && wd <= rep.D2 && start.After(at) {
			return start
		}
	}
	return at.Add(7 * 24 * time.Hour)
}

// insertLoad counts a lead given to rep at t, kept in time order (a queued
// lead's time may be after leads routed since).
func (r *Router) insertLoad(id string, t time.Time) {
	times := r.recent[id]
	i, _ := slices.BinarySearchFunc(times, t, func(a, b time.Time) int { return a.Compare(b) })
	r.recent[id] = slices.Insert(times, i, t)
}

func zoneOf(rep *Rep) *time.Location {
	if loc, err := time.LoadLocation(rep.TZ); err == nil {
		return loc
	}
	return time.UTC
}

func possessive(name string) string {
	if strings.HasSuffix(name, "s") {
		return name + "'"
	}
	return name + "'s"
}

func waitWords(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%.0f min", d.Minutes())
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

func (r *Router) assign(d Decision, rep *Rep) Decision {
	d.Rep = rep
	r.insertLoad(rep.ID, d.Lead.At)
	return d
}

func method(m string) string {
	if m == "" {
		return "round_robin"
	}
	return m
}

// matches says whether a lead meets every condition of m, and why not.
func (r *Router) matches(m Match, l Lead) (bool, string) {
	var why []string
	check := func(field, value string, allowed []string) bool {
		if len(allowed) == 0 {
			return true
		}
		for _, a := range allowed {
			if strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(value)) {
				why = append(why, fmt.Sprintf("%s %s", field, orBlank(value)))
				return true
			}
		}
		why = append(why, fmt.Sprintf("%s %s not in %s", field, orBlank(value), strings.Join(allowed, "/")))
		return false
	}
	if len(m.Territory) > 0 {
		in := false
		for _, t := range m.Territory {
			if slices.ContainsFunc(r.cfg.Territories[t], func(c string) bool { return strings.EqualFold(c, l.Country) }) {
				why = append(why, fmt.Sprintf("country %s in territory %s", l.Country, t))
				in = true
				break
			}
		}
		if !in {
			return false, fmt.Sprintf("country %s in no territory of %s", orBlank(l.Country), strings.Join(m.Territory, "/"))
		}
	}
	for _, c := range []struct {
		field, value string
		allowed      []string
	}{
		{"country", l.Country, m.Country}, {"region", l.Region, m.Region}, {"segment", l.Segment, m.Segment},
		{"source", l.Source, m.Source}, {"quadrant", l.Quadrant, m.Quadrant},
	} {
		if !check(c.field, c.value, c.allowed) {
			return false, why[len(why)-1]
		}
	}
	if len(why) == 0 {
		return true, "matches every lead"
	}
	return true, strings.Join(why, ", ")
}

func orBlank(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(blank)"
	}
	return s
}

// pick chooses among the eligible reps of a pool, noting who was skipped.
func (r *Router) pick(d *Decision, key, pool, how string, weights map[string]float64, offHours bool, at time.Time) *Rep {
	var eligible []*Rep
	for _, who := range r.cfg.Pools[pool] {
		rep := r.byKey[who]
		if rep == nil {
			continue // ParseConfig refused unknown names; users changed since
		}
		if rep.ID == d.Lead.Exclude {
			d.Skipped = append(d.Skipped, Skip{Pool: pool, Rep: rep.Name, Why: "the owner it is taken from"})
			continue
		}
		if why := r.ineligible(rep, offHours, at); why != "" {
			d.Skipped = append(d.Skipped, Skip{Pool: pool, Rep: rep.Name, Why: why})
			continue
		}
		if how == "weighted" && weightOf(weights, rep) == 0 {
			d.Skipped = append(d.Skipped, Skip{Pool: pool, Rep: rep.Name, Why: "weight 0"})
			continue
		}
		eligible = append(eligible, rep)
	}
	if len(eligible) == 0 {
		return nil
	}
	switch how {
	case "least_loaded":
		best := eligible[0]
		for _, rep := range eligible[1:] {
			if r.load(rep.ID, at) < r.load(best.ID, at) {
				best = rep
			}
		}
		return best
	case "weighted":
		// Smooth weighted round robin: every eligible rep earns its weight,
		// the richest is chosen and pays the round's total, so shares follow
		// the weights with the least bunching.
		credits := r.credit[key]
		if credits == nil {
			credits = map[string]float64{}
			r.credit[key] = credits
		}
		var total float64
		var best *Rep
		for _, rep := range eligible {
			w := weightOf(weights, rep)
			credits[rep.ID] += w
			total += w
			if best == nil || credits[rep.ID] > credits[best.ID] {
				best = rep
			}
		}
		credits[best.ID] -= total
		return best
	}
	// Round robin over the whole pool: the turn passes to the next eligible
	// rep after the last one chosen, so a rep away keeps no debt.
	members := r.cfg.Pools[pool]
	start := r.next[key]
	for k := 0; k < len(members); k++ {
		i := (start + k) % len(members)
		rep := r.byKey[members[i]]
		if rep != nil && slices.Contains(eligible, rep) {
			r.next[key] = i + 1
			return rep
		}
	}
	return nil
}

func weightOf(weights map[string]float64, rep *Rep) float64 {
	if w, ok := weights[rep.Name]; ok {
		return w
	}
	if w, ok := weights[rep.ID]; ok {
		return w
	}
	return 1
}

// ineligible says why a rep cannot take a lead at this time, "" if they can.
func (r *Router) ineligible(rep *Rep, offHours bool, at time.Time) string {
	if !rep.Active {
		return "inactive"
	}
	if !offHours {
		local := at.In(r.zones[rep.ID])
		day := int64(local.Weekday())
		if day == 0 {
			day = 7
		}
		minute := int64(local.Hour()*60 + local.Minute())
		if day < rep.D1 || day > rep.D2 || minute < rep.WS || minute >= rep.WE {
			return fmt.Sprintf("off hours: %s in %s, works %s", local.Format("Mon 15:04"), rep.TZ, hours(rep))
		}
	}
	switch {
	case rep.Capacity == 0:
		return "capacity 0: takes no leads"
	case rep.Capacity > 0:
		if n := r.load(rep.ID, at); n >= rep.Capacity {
			return fmt.Sprintf("at capacity: %d of %d leads in the last %s", n, rep.Capacity, days(r.cfg.window()))
		}
	}
	return ""
}

// load is how many leads a rep was given in the capacity window up to at.
// Leads are routed in time order, so assignments that fell out of the
// window are dropped for good.
func (r *Router) load(id string, at time.Time) int64 {
	from := at.Add(-r.cfg.window())
	times := r.recent[id]
	drop := 0
	for drop < len(times) && !times[drop].After(from) {
		drop++
	}
	times = times[drop:]
	r.recent[id] = times
	var n int64
	for _, t := range times {
		if !t.After(at) {
			n++
		}
	}
	return n
}

var dayNames = []string{"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

func hours(rep *Rep) string {
	return fmt.Sprintf("%s-%s %02d:%02d-%02d:%02d", dayNames[rep.D1], dayNames[rep.D2], rep.WS/60, rep.WS%60, rep.WE/60, rep.WE%60)
}

func days(d time.Duration) string {
	return fmt.Sprintf("%g days", d.Hours()/24)
}

// DecisionRow is a decision as a table row, for files.
type DecisionRow struct {
	LeadID   string    `col:"lead_id" json:"lead_id"`
	At       time.Time `col:"routed_at" json:"routed_at"`
	Rule     string    `col:"rule" json:"rule"`
	Pool     string    `col:"pool" json:"pool"`
	Method   string    `col:"method" json:"method"`
	Fallback bool      `col:"fallback" json:"fallback"`
	// Queue is the pool whose queue the lead waited in, WaitedMinutes how
	// long; "" and 0 when a rep was available at once.
	Queue         string  `col:"queue" json:"queue"`
	WaitedMinutes float64 `col:"waited_minutes" json:"waited_minutes"`
	RepID         string  `col:"rep_id" json:"rep_id"`
	Rep           string  `col:"rep" json:"rep"`
	Audit         string  `col:"audit" json:"audit"`
}

// DecisionRows flattens decisions for the report writers.
func DecisionRows(ds []Decision) []DecisionRow {
	out := make([]DecisionRow, 0, len(ds))
	for _, d := range ds {
		row := DecisionRow{LeadID: d.Lead.ID, At: d.Lead.At, Rule: d.Rule, Pool: d.Pool, Method: d.Method, Fallback: d.Fallback,
			Queue: d.Queue, WaitedMinutes: d.Waited().Minutes(), Audit: d.Audit()}
		if d.Rep != nil {
			row.RepID, row.Rep = d.Rep.ID, d.Rep.Name
		}
		out = append(out, row)
	}
	return out
}
