package scoring

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/ingest/ingesttest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/sample"
	"github.com/handoff-dev/handoff/sample/sampletest"
)

// backtest_load on a hand-made lake. Ana works Mon–Fri 09:00–17:00 in New
// York (EDT in April, UTC−4); the first-touch SLA is 60 calendar minutes.
//
//	L1 Mon 04-06 14:00Z = 10:00 local: the hour is in her day (answerable);
//	   touched 14:30Z: met. Working day Mon 04-06.
//	L2 Mon 04-06 20:30Z = 16:30: half an hour left, not answerable; touched
//	   Tue 13:10Z: breached. Mon 04-06.
//	L3 Mon 04-06 23:00Z = 19:00: off hours, first answerable Tue morning:
//	   working day Tue 04-07; never touched: breached.
//	L4 Tue 04-07 13:00Z = 09:00: answerable; touched 14:30Z, 90 minutes:
//	   breached. Tue 04-07.
//	L5 Sat 04-11 15:00Z: weekend, working day Mon 04-13; never touched.
//	L6 to the queue 00G… on Mon 04-06 14:00Z: a queue answers nothing and
//	   is left out.
//
// Loads: Mon 04-06 has L1 L2 (2), Tue 04-07 L3 L4 (2), Mon 04-13 L5 (1).
func TestBacktestLoadRowsByHand(t *testing.T) {
	l := loadFixture(t)
	ctx := context.Background()
	args := map[string]any{"as_of": time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), "from": nil, "to": nil,
		"ft_clock": "calendar", "ft_limit_minutes": 60.0, "ft_limit_workdays": nil}
	if err := models.PrepareLake(ctx, l); err != nil {
		t.Fatal(err)
	}
	rows, err := query[LoadCell](ctx, l, "backtest_load", args)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s load %d answerable %v: received %d judged %d breached %d", r.OwnerID, r.Owner, r.Load, r.Answerable, r.Received, r.Judged, r.Breached))
	}
	want := []string{
		"U1 Ana load 1 answerable false: received 1 judged 1 breached 1", // L5
		"U1 Ana load 2 answerable false: received 2 judged 2 breached 2", // L2, L3
		"U1 Ana load 2 answerable true: received 2 judged 2 breached 1",  // L1 met, L4
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// On a business clock every clock runs in working hours only, so each
	// is answerable: 60 working minutes from L2 (16:30) end at 09:30 Tue,
	// and it was touched at 09:10 local: met. L3 starts counting at 09:00
	// Tue and is never touched; L5 likewise.
	args["ft_clock"] = "business"
	rows, err = query[LoadCell](ctx, l, "backtest_load", args)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, r := range rows {
		got = append(got, fmt.Sprintf("load %d answerable %v: received %d judged %d breached %d", r.Load, r.Answerable, r.Received, r.Judged, r.Breached))
	}
	want = []string{
		"load 1 answerable true: received 1 judged 1 breached 1",
		"load 2 answerable true: received 4 judged 4 breached 2", // L1 met, L2 met, L3 and L4 breached
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("business clock:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func loadFixture(t *testing.T) *lake.Lake {
	t.Helper()
	files := map[string]string{
		"users.csv": "user_id,name,team,role,region,timezone,working_hours,capacity,active\n" +
			"U1,Ana,SDR NA,sdr,NA,America/New_York,Mon-Fri 09:00-17:00,20,true\n",
		"leads.csv": "lead_id,created_at,email_domain,company,country,region,industry,company_size,title,source,campaign,owner_id,updated_at\n" +
			"L1,2026-04-06T12:00:00Z,l1.com,L1,United States,NA,Software,10,,web,,U1,\n" +
			"L2,2026-04-06T12:00:00Z,l2.com,L2,United States,NA,Software,10,,web,,U1,\n" +
			"L3,2026-04-06T12:00:00Z,l3.com,L3,United States,NA,Software,10,,web,,U1,\n" +
			"L4,2026-04-07T12:00:00Z,l4.com,L4,United States,NA,Software,10,,web,,U1,\n" +
			"L5,2026-04-11T12:00:00Z,l5.com,L5,United States,NA,Software,10,,web,,U1,\n" +
			"L6,2026-04-06T12:00:00Z,l6.com,L6,United States,NA,Software,10,,web,,00G8d00000000AAAAA,\n",
		"assignments.csv": "lead_id,owner_id,assigned_at,rule,reason\n" +
			"L1,U1,2026-04-06T14:00:00Z,round_robin,\n" +
			"L2,U1,2026-04-06T20:30:00Z,round_robin,\n" +
			"L3,U1,2026-04-06T23:00:00Z,round_robin,\n" +
			"L4,U1,2026-04-07T13:00:00Z,round_robin,\n" +
			"L5,U1,2026-04-11T15:00:00Z,round_robin,\n" +
			"L6,00G8d00000000AAAAA,2026-04-06T14:00:00Z,queue,\n",
		"activities.csv": "activity_id,lead_id,occurred_at,kind,actor_id,actor_role,channel,detail\n" +
			"T1,L1,2026-04-06T14:30:00Z,call,U1,sales,phone,\n" +
			"T2,L2,2026-04-07T13:10:00Z,call,U1,sales,phone,\n" +
			"T4,L4,2026-04-07T14:30:00Z,call,U1,sales,phone,\n",
	}
	l, err := lake.Open(context.Background(), ingesttest.Files(t, nil, files))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// The fit is the maximum of the likelihood: at it, the derivative of the
// log-likelihood in each intercept and in the slope is 0 (prior
// included). Checked on cells
// drawn from known curves, which the fit must also find again.
func TestFitLoadSolvesTheLikelihoodAndRecoversKnownCurves(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	truth := map[string]float64{"A": -1.8, "B": -0.8, "C": 0.3}
	const slope = 0.2
	var cells []LoadCell
	day := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	for _, rep := range []string{"A", "B", "C"} {
		for k := int64(1); k <= 8; k++ {
			c := LoadCell{OwnerID: rep, Owner: rep, Load: k, Answerable: true, First: day, Last: day.AddDate(0, 0, 100)}
			for n := 0; n < 400; n++ {
				c.Received++
				c.Judged++
				if rng.Float64() < normalCDF(truth[rep]+slope*float64(k)) {
					c.Breached++
				}
			}
			cells = append(cells, c)
		}
		cells = append(cells, LoadCell{OwnerID: rep, Owner: rep, Load: 3, Received: 50, Judged: 50, Breached: 40, First: day, Last: day})
	}
	m := FitLoad(cells)
	if m == nil || m.SlopeFloored {
		t.Fatalf("model %+v", m)
	}
	if math.Abs(m.Slope-slope) > 0.05 {
		t.Errorf("slope %.3f, drawn with %.2f", m.Slope, slope)
	}
	for i, r := range m.Reps {
		if math.Abs(r.Intercept-truth[r.OwnerID]) > 0.25 {
			t.Errorf("rep %s intercept %.3f, drawn with %.2f", r.OwnerID, r.Intercept, truth[r.OwnerID])
		}
		// The score equations, prior included.
		var resid float64
		for _, c := range cells {
			if c.OwnerID == r.OwnerID && c.Answerable {
				resid += probitScore(float64(c.Breached), float64(c.Judged), m.Reps[i].Intercept+m.Slope*float64(c.Load))
			}
		}
		resid += probitScore(prior/2, prior, m.Reps[i].Intercept+m.Slope*r.TypicalLoad)
		if math.Abs(resid) > 1e-6 {
			t.Errorf("rep %s: breaches minus expected %.2e, want 0", r.OwnerID, resid)
		}
		if r.OffHours != 50 || r.OffHoursBreached != 40 {
			t.Errorf("rep %s off hours %d/%d, want 40/50", r.OwnerID, r.OffHoursBreached, r.OffHours)
		}
		// 8 × 400 + 50 clocks over the Monday-to-Friday days from Mon 01-05
		// to Thu 04-15: 73.
		if m.WorkingDays != 73 || !near(r.LeadsPerDay, 3250.0/73) {
			t.Errorf("rep %s: %.3f leads over %d working days, want 3250/73", r.OwnerID, r.LeadsPerDay, m.WorkingDays)
		}
	}
	// The slope's equation sums over every rep.
	var residK float64
	for _, c := range cells {
		if c.Answerable {
			i := map[string]int{"A": 0, "B": 1, "C": 2}[c.OwnerID]
			residK += float64(c.Load) * probitScore(float64(c.Breached), float64(c.Judged), m.Reps[i].Intercept+m.Slope*float64(c.Load))
		}
	}
	for i, r := range m.Reps {
		residK += r.TypicalLoad * probitScore(prior/2, prior, m.Reps[i].Intercept+m.Slope*r.TypicalLoad)
	}
	if math.Abs(residK) > 1e-6 {
		t.Errorf("load-weighted breaches minus expected %.2e, want 0", residK)
	}
}

// probitScore is the derivative of y·ln Φ(η) + (n − y)·ln(1 − Φ(η)) in η.
func probitScore(y, n, eta float64) float64 {
	p := normalCDF(eta)
	return (y/p - (n-y)/(1-p)) * math.Exp(-eta*eta/2) / math.Sqrt(2*math.Pi)
}

// History in which busier days were answered faster teaches nothing about
// load: the slope is floored at 0 and each rep's curve is flat at their
// share, the prior's half breach included.
func TestFitLoadFloorsANegativeSlope(t *testing.T) {
	day := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	cells := []LoadCell{
		{OwnerID: "A", Load: 1, Answerable: true, Received: 10, Judged: 10, Breached: 9, First: day, Last: day},
		{OwnerID: "A", Load: 5, Answerable: true, Received: 10, Judged: 10, Breached: 1, First: day, Last: day},
	}
	m := FitLoad(cells)
	if !m.SlopeFloored || m.Slope != 0 {
		t.Fatalf("slope %v floored %v, want 0 and floored", m.Slope, m.SlopeFloored)
	}
	// (10 + 0.5) / (20 + 1)
	if got := m.Breach(0, 3); !near(got, 10.5/21) {
		t.Errorf("flat curve at %.4f, want 10.5/21", got)
	}
}

// Predict by hand: one rep with a flat curve (slope 0) at p, answerable
// clocks A, off-hours clocks O of which OB breached: (A·p + OB) / (A + O)
// whatever the load; with a slope, the Poisson mean of the curve.
func TestPredictByHand(t *testing.T) {
	m := &LoadModel{Reps: []RepLoad{{OwnerID: "A", Intercept: normalQuantile(0.2), LeadsPerDay: 4, Answerable: 30, OffHours: 10, OffHoursBreached: 8}}}
	pred := m.Predict(50, 0.5)
	rate, reps := pred.BreachRate, pred.Reps
	if want := (30*0.2 + 8) / 40.0; !near(rate, want) || !near(*reps[0].BreachRate, want) || !near(reps[0].LeadsPerDay, 2) || !near(pred.InHoursBreachRate, 0.2) {
		t.Errorf("flat: %.4f (in hours %.4f) at %.2f a day, want %.4f (0.2) at 2", rate, pred.InHoursBreachRate, reps[0].LeadsPerDay, want)
	}
	m.Slope = 0.5
	rate = m.Predict(50, 0.5).BreachRate
	// λ = 2: a lead's day holds it and K ~ Poisson(2) others.
	var want float64
	for k := 0; k < 60; k++ {
		lg, _ := math.Lgamma(float64(k + 1))
		want += math.Exp(float64(k)*math.Log(2)-2-lg) * normalCDF(normalQuantile(0.2)+0.5*float64(1+k))
	}
	if want = (30*want + 8) / 40; !near(rate, want) {
		t.Errorf("sloped: %.6f, want %.6f", rate, want)
	}
}

func TestPoissonMeanMoments(t *testing.T) {
	for _, lambda := range []float64{0, 0.3, 4, 80, 2500} {
		mean := poissonMean(lambda, func(k int) float64 { return float64(k) })
		sq := poissonMean(lambda, func(k int) float64 { return float64(k * k) })
		if math.Abs(mean-lambda) > 1e-6*math.Max(1, lambda) || math.Abs(sq-lambda-lambda*lambda) > 1e-6*math.Max(1, lambda*lambda) {
			t.Errorf("λ=%g: E[K]=%g, E[K²]=%g; want %g and %g", lambda, mean, sq, lambda, lambda+lambda*lambda)
		}
	}
}

// On generated data the load model must find the curve the generator
// draws from: a rep's first response is log-normal (sigma 1) in working
// minutes around MedianResponse × BusyDaySlowdown^(load − typical day),
// and NeverTouched of the leads are never touched. For a clock whose hour
// lies in the rep's working day, a breach is a response over 60 working
// minutes or none:
//
//	P(breach | load n) = nt + (1 − nt) · (1 − Φ(ln(60 / median(n))))
//
// The fitted curve is a logistic, not this probit, and counts
// reassignments in the load too; within 7 points at the loads each rep
// had often is recovery.
// The slope is ln(BusyDaySlowdown) over the spread of the log response
// times, 1.
func TestLoadModelRecoversTheGeneratorsSlowdown(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests 30,000 leads")
	}
	typical := map[string]float64{}
	l := sampletest.LakeWith(t, sample.Options{Leads: 30000, Seed: 9, Observe: func(ld *sample.Lead) {
		if ld.DayLoad > 0 && len(ld.Assignments) > 0 {
			typical[ld.Assignments[0].Owner.Name] = ld.TypicalLoad
		}
	}})
	ctx := context.Background()
	if err := models.PrepareLake(ctx, l); err != nil {
		t.Fatal(err)
	}
	asOf := sample.DefaultEnd
	cells, err := query[LoadCell](ctx, l, "backtest_load", map[string]any{"as_of": asOf, "from": nil, "to": asOf.AddDate(0, 0, -7),
		"ft_clock": "calendar", "ft_limit_minutes": 60.0, "ft_limit_workdays": nil})
	if err != nil {
		t.Fatal(err)
	}
	m := FitLoad(cells)
	if m == nil || m.SlopeFloored || m.Slope <= 0 {
		t.Fatalf("model %+v: want a rising curve", m)
	}
	truth := sample.DefaultTruth
	users := map[string]sample.User{}
	for _, u := range sample.Users() {
		users[u.Name] = u
	}
	checked := 0
	for i, r := range m.Reps {
		u, ok := users[r.Owner]
		if !ok || !u.Active || typical[r.Owner] == 0 {
			continue
		}
		// a lighter day than usual, the usual, and a day two leads busier
		for _, k := range []float64{math.Round(r.TypicalLoad) - 1, math.Round(r.TypicalLoad), math.Round(r.TypicalLoad) + 2} {
			median := u.MedianResponse * math.Pow(truth.BusyDaySlowdown, k-typical[r.Owner])
			want := truth.NeverTouched + (1-truth.NeverTouched)*(1-normalCDF(math.Log(60/median)))
			got := m.Breach(i, k)
			checked++
			if math.Abs(got-want) > 0.07 {
				t.Errorf("%s on a day of %g leads: fitted breach share %.3f, generator's %.3f (%d answerable clocks)", r.Owner, k, got, want, r.Answerable)
			}
		}
	}
	if want := math.Log(truth.BusyDaySlowdown); math.Abs(m.Slope-want) > 0.05 {
		t.Errorf("slope %.3f, generator's ln %.2f = %.3f", m.Slope, truth.BusyDaySlowdown, want)
	}
	if checked < 27 {
		t.Errorf("only %d (rep, load) points checked; want the nine active SDRs'", checked)
	}
	// At history's own volume the prediction is history's breach share:
	// the Poisson days stand in for the real ones.
	var judged, breached int64
	for _, c := range cells {
		judged += c.Judged
		breached += c.Breached
	}
	if got := m.Predict(0, 1).BreachRate; math.Abs(got-float64(breached)/float64(judged)) > 0.02 {
		t.Errorf("predicted breach share at history's volume %.3f, observed %d/%d", got, breached, judged)
	}
	// And more leads bring more breaches.
	low, high := m.Predict(0, 0.5).BreachRate, m.Predict(0, 2).BreachRate
	if !(low < high) {
		t.Errorf("breach share at half the volume %.3f, at twice %.3f: want it rising", low, high)
	}
}

// A rep whose every in-hours touch came late, and one whose never did,
// still get finite curves (the prior's half-late pseudo-clock), and the
// fit settles from any start.
func TestFitLoadStaysFiniteAtTheEdges(t *testing.T) {
	day := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	cells := []LoadCell{
		{OwnerID: "late", Load: 1, Answerable: true, Received: 50, Judged: 50, Breached: 50, First: day, Last: day},
		{OwnerID: "late", Load: 6, Answerable: true, Received: 50, Judged: 50, Breached: 50, First: day, Last: day},
		{OwnerID: "fast", Load: 1, Answerable: true, Received: 50, Judged: 50, Breached: 0, First: day, Last: day},
		{OwnerID: "fast", Load: 9, Answerable: true, Received: 50, Judged: 50, Breached: 1, First: day, Last: day},
	}
	m := FitLoad(cells)
	for i, r := range m.Reps {
		for _, k := range []float64{1, 5, 20} {
			if p := m.Breach(i, k); math.IsNaN(p) || p < 0 || p > 1 {
				t.Errorf("rep %s at %g: %v", r.OwnerID, k, p)
			}
		}
		if math.IsNaN(r.Intercept) || math.IsInf(r.Intercept, 0) {
			t.Errorf("rep %s intercept %v", r.OwnerID, r.Intercept)
		}
	}
	if math.IsNaN(m.Slope) || m.Slope < 0 {
		t.Errorf("slope %v", m.Slope)
	}
	if late, fast := m.Breach(0, 3), m.Breach(1, 3); !(late > 0.9 && fast < 0.1) {
		t.Errorf("at 3 leads: late rep %.3f, fast rep %.3f; want them near 1 and 0", late, fast)
	}
}
