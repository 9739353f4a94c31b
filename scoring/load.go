package scoring

import (
	"math"
	"sort"
	"time"
)

// LoadCell is one row of backtest_load: a rep's first-touch clocks on
// working days that received Load of them.
type LoadCell struct {
	OwnerID    string    `col:"owner_id"`
	Owner      string    `col:"owner"`
	Team       string    `col:"team"`
	Load       int64     `col:"load"`
	Answerable bool      `col:"answerable"`
	Received   int64     `col:"received"`
	Judged     int64     `col:"judged"`
	Breached   int64     `col:"breached"`
	Untouched  int64     `col:"untouched"`
	First      time.Time `col:"first_started"`
	Last       time.Time `col:"last_started"`
}

// LoadModel is how each rep's first-touch breach share rises with the new
// leads their day brings, fitted on history (docs/scoring.md, "The load
// model"). A rep's response times are taken as log-normal, stretched by
// the same factor for each lead more in their day; then a clock the rep
// could meet in working hours (answerable) and did touch is late with
//
//	P(late | touched, load k) = Φ(a_rep + b·k)
//
// (Φ the standard normal distribution), an intercept a per rep and one
// slope b for the team, fitted by maximum likelihood. Some leads are
// never touched at all, a share u_rep of the rep's answerable clocks, so
//
//	P(breach | load k) = u_rep + (1 − u_rep) · Φ(a_rep + b·k)
//
// Clocks nobody could meet in working hours breach at the rep's observed
// share, whatever the load.
type LoadModel struct {
	// Slope is b: how far each lead more in a day moves the rep along the
	// normal curve (the log of the stretch, over the spread of the log
	// response times). It is never below 0: when history shows reps
	// answering faster on busier days, the model takes load as harmless
	// (SlopeFloored).
	Slope        float64
	SlopeFloored bool
	// WorkingDays is the span of the clocks, Monday to Friday.
	WorkingDays int64
	Reps        []RepLoad
	// ByLoad is the answerable clocks of every rep by their day's load:
	// the observed curve the model is fitted to.
	ByLoad []LoadPoint
}

// RepLoad is one rep's part of the model.
type RepLoad struct {
	OwnerID   string  `col:"owner_id"`
	Owner     string  `col:"owner"`
	Team      string  `col:"team"`
	Intercept float64 `col:"intercept"`
	// UntouchedShare is u: the answerable clocks never touched.
	UntouchedShare float64 `col:"untouched_share"`
	// LeadsPerDay is the clocks the rep received per working day.
	LeadsPerDay float64 `col:"leads_per_day"`
	// Received counts every clock; Judged the met and breached, split
	// into answerable ones and the rest (off hours).
	Received           int64    `col:"received"`
	Answerable         int64    `col:"answerable"`
	AnswerableBreached int64    `col:"answerable_breached"`
	OffHours           int64    `col:"off_hours"`
	OffHoursBreached   int64    `col:"off_hours_breached"`
	Untouched          int64    `col:"untouched"`
	ObservedBreachRate *float64 `col:"observed_breach_rate"`
	// TypicalLoad is the mean load of the rep's answerable clocks (as a
	// lead sees its day).
	TypicalLoad float64 `col:"typical_load"`
}

// LoadPoint is the answerable clocks on days of one load, over every rep.
type LoadPoint struct {
	Load     int64    `col:"load"`
	Judged   int64    `col:"judged"`
	Breached int64    `col:"breached"`
	Observed *float64 `col:"observed"`
	// Fitted is the model's share at this load for the team: each rep's
	// curve, weighted by the rep's answerable clocks over every load (the
	// same mix at every load, so the line shows load alone).
	Fitted *float64 `col:"fitted"`
}

// Breach is the model's chance that an answerable clock of rep i is
// breached on a day of load k.
func (m *LoadModel) Breach(i int, k float64) float64 {
	u := m.Reps[i].UntouchedShare
	return u + (1-u)*normalCDF(m.Reps[i].Intercept+m.Slope*k)
}

// prior is the pseudo-clocks each rep starts with, half late and half in
// time at their typical load, so a rep whose every touch was in time (or
// late) still gets a finite curve.
const prior = 1.0

// FitLoad fits the load model to backtest_load's rows; nil without a
// judged clock.
func FitLoad(cells []LoadCell) *LoadModel {
	type cell struct {
		k    float64
		n, y float64
	}
	byRep := map[string]int{}
	m := &LoadModel{}
	var cellsOf [][]cell
	points := map[int64]*LoadPoint{}
	var first, last time.Time
	var judged int64
	for _, c := range cells {
		i, ok := byRep[c.OwnerID]
		if !ok {
			i = len(m.Reps)
			byRep[c.OwnerID] = i
			m.Reps = append(m.Reps, RepLoad{OwnerID: c.OwnerID, Owner: c.Owner, Team: c.Team})
			cellsOf = append(cellsOf, nil)
		}
		r := &m.Reps[i]
		r.Received += c.Received
		judged += c.Judged
		if first.IsZero() || c.First.Before(first) {
			first = c.First
		}
		if c.Last.After(last) {
			last = c.Last
		}
		if !c.Answerable {
			r.OffHours += c.Judged
			r.OffHoursBreached += c.Breached
			continue
		}
		r.Answerable += c.Judged
		r.AnswerableBreached += c.Breached
		r.Untouched += c.Untouched
		if touched := c.Judged - c.Untouched; touched > 0 {
			cellsOf[i] = append(cellsOf[i], cell{float64(c.Load), float64(touched), float64(c.Breached - c.Untouched)})
			p := points[c.Load]
			if p == nil {
				p = &LoadPoint{Load: c.Load}
				points[c.Load] = p
			}
			p.Judged += c.Judged
			p.Breached += c.Breached
		}
	}
	if judged == 0 {
		return nil
	}
	m.WorkingDays = max(workingDays(first, last), 1)
	for i := range m.Reps {
		r := &m.Reps[i]
		r.LeadsPerDay = float64(r.Received) / float64(m.WorkingDays)
		r.ObservedBreachRate = ratio(r.AnswerableBreached+r.OffHoursBreached, r.Answerable+r.OffHours)
		var n, kn float64
		for _, c := range cellsOf[i] {
			n += c.n
			kn += c.k * c.n
		}
		r.TypicalLoad = 1
		if n > 0 {
			r.TypicalLoad = kn / n
		}
		if r.Answerable > 0 {
			r.UntouchedShare = float64(r.Untouched) / float64(r.Answerable)
		}
		// the prior's pseudo-clocks
		cellsOf[i] = append(cellsOf[i], cell{r.TypicalLoad, prior, prior / 2})
	}

	// Fisher scoring on the log-likelihood. The information matrix is an
	// arrow (each intercept meets only itself and the slope), so a step
	// costs one pass over the cells however many reps there are.
	fit := func(withSlope bool) {
		for i := range m.Reps {
			var n, y float64
			for _, c := range cellsOf[i] {
				n += c.n
				y += c.y
			}
			m.Reps[i].Intercept = normalQuantile(y / n)
		}
		m.Slope = 0
		for iter := 0; iter < 200; iter++ {
			gb, f := 0.0, 0.0
			ga, d, e := make([]float64, len(m.Reps)), make([]float64, len(m.Reps)), make([]float64, len(m.Reps))
			for i, cs := range cellsOf {
				for _, c := range cs {
					eta := m.Reps[i].Intercept + m.Slope*c.k
					p, dens := normalCDF(eta), normalPDF(eta)
					v := math.Max(p*(1-p), 1e-300)
					score := (c.y - c.n*p) * dens / v
					w := c.n * dens * dens / v
					ga[i] += score
					d[i] += w
					e[i] += c.k * w
					gb += c.k * score
					f += c.k * c.k * w
				}
			}
			step := 0.0
			if withSlope {
				schur, rhs := f, gb
				for i := range m.Reps {
					schur -= e[i] * e[i] / d[i]
					rhs -= e[i] * ga[i] / d[i]
				}
				if schur <= 1e-12 {
					// no rep's days differ in load: nothing to learn a slope from
					withSlope = false
				} else {
					step = rhs / schur
				}
			}
			das := make([]float64, len(m.Reps))
			moved := math.Abs(step)
			for i := range m.Reps {
				das[i] = (ga[i] - e[i]*step) / d[i]
				moved = math.Max(moved, math.Abs(das[i]))
			}
			if moved < 1e-10 {
				break
			}
			// A step of more than one unit along the normal curve
			// overshoots from a poor start; shorter steps still converge.
			shrink := math.Min(1, 1/moved)
			m.Slope += shrink * step
			for i := range m.Reps {
				m.Reps[i].Intercept += shrink * das[i]
			}
		}
	}
	fit(true)
	if m.Slope < 0 {
		m.SlopeFloored = true
		fit(false)
	}

	for _, p := range points {
		p.Observed = ratio(p.Breached, p.Judged)
		m.ByLoad = append(m.ByLoad, *p)
	}
	sort.Slice(m.ByLoad, func(a, b int) bool { return m.ByLoad[a].Load < m.ByLoad[b].Load })
	for pi := range m.ByLoad {
		p := &m.ByLoad[pi]
		var sum, weight float64
		for i, r := range m.Reps {
			sum += float64(r.Answerable) * m.Breach(i, float64(p.Load))
			weight += float64(r.Answerable)
		}
		fitted := sum / weight
		p.Fitted = &fitted
	}
	sort.SliceStable(m.Reps, func(a, b int) bool { return m.Reps[a].Owner < m.Reps[b].Owner })
	return m
}

// RepPrediction is what one rep's days would be at a threshold.
type RepPrediction struct {
	Threshold   float64  `col:"threshold"`
	OwnerID     string   `col:"owner_id"`
	Owner       string   `col:"owner"`
	Team        string   `col:"team"`
	LeadsPerDay float64  `col:"leads_per_day"`
	BreachRate  *float64 `col:"expected_breach_rate"`
	// InHoursBreachRate is the share for the answerable clocks alone:
	// the part the load moves.
	InHoursBreachRate *float64 `col:"expected_in_hours_breach_rate"`
}

// Prediction is the first-touch breach share a threshold's volume would
// bring: over every clock, and over the answerable ones alone; NaN
// without such clocks.
type Prediction struct {
	BreachRate, InHoursBreachRate float64
	Reps                          []RepPrediction
}

// Predict is the first-touch breach share when every rep receives scale
// times the leads they did: for each rep, new leads arrive on a working
// day as a Poisson count with mean λ = scale × LeadsPerDay, so the day a
// lead lands in holds it and a Poisson(λ) number of others; its answerable
// clocks breach at the curve's mean over those days, its off-hours clocks
// at their observed share. Reps weigh by their judged clocks.
func (m *LoadModel) Predict(threshold, scale float64) Prediction {
	var total, weight, inHours, inHoursWeight float64
	out := make([]RepPrediction, 0, len(m.Reps))
	for i, r := range m.Reps {
		lambda := scale * r.LeadsPerDay
		row := RepPrediction{Threshold: threshold, OwnerID: r.OwnerID, Owner: r.Owner, Team: r.Team, LeadsPerDay: lambda}
		n := float64(r.Answerable + r.OffHours)
		if n > 0 {
			answerable := 0.0
			if r.Answerable > 0 {
				answerable = poissonMean(lambda, func(others int) float64 { return m.Breach(i, float64(1+others)) })
				row.InHoursBreachRate = &answerable
				inHours += float64(r.Answerable) * answerable
				inHoursWeight += float64(r.Answerable)
			}
			rate := (float64(r.Answerable)*answerable + float64(r.OffHoursBreached)) / n
			row.BreachRate = &rate
			total += n * rate
			weight += n
		}
		out = append(out, row)
	}
	return Prediction{BreachRate: total / weight, InHoursBreachRate: inHours / inHoursWeight, Reps: out}
}

// poissonMean is E[f(K)] for K ~ Poisson(lambda), summed over lambda ±
// 12 standard deviations (the mass outside is below 1e-20), each term's
// probability from logs so that no lambda underflows.
func poissonMean(lambda float64, f func(int) float64) float64 {
	if lambda <= 0 {
		return f(0)
	}
	spread := 12*math.Sqrt(lambda) + 12
	lo, hi := int(math.Max(0, math.Floor(lambda-spread))), int(math.Ceil(lambda+spread))
	sum, mass := 0.0, 0.0
	for k := lo; k <= hi; k++ {
		lg, _ := math.Lgamma(float64(k + 1))
		p := math.Exp(float64(k)*math.Log(lambda) - lambda - lg)
		sum += p * f(k)
		mass += p
	}
	return sum / mass
}

func normalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func normalPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

func normalQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
