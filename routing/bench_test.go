package routing

import (
	"fmt"
	"testing"
	"time"
)

// benchLeads are leads across the regions, one a minute through a working
// week, as a busy inbound day would bring them.
func benchLeads(n int) []Lead {
	regions := []struct{ region, country string }{{"NA", "United States"}, {"EMEA", "Germany"}, {"EMEA", "France"}, {"APAC", "Japan"}}
	out := make([]Lead, n)
	for i := range out {
		r := regions[i%len(regions)]
		out[i] = Lead{ID: fmt.Sprintf("L%d", i), Region: r.region, Country: r.country, Segment: []string{"smb", "mid_market", "enterprise"}[i%3],
			Quadrant: []string{"sales", "nurture"}[i%2], At: monday.Add(time.Duration(i%(5*24*60)) * time.Minute)}
	}
	return out
}

// BenchmarkRoute routes leads through the test rules with the full audit
// record: rules tried, eligibility (active, working hours in the rep's zone,
// capacity), the method, and the audit text.
//
//	go test ./routing -run '^$' -bench . -benchmem
func BenchmarkRoute(b *testing.B) {
	cfg := testConfigB(b)
	leads := benchLeads(10000)
	reps := testReps()
	for i := range reps {
		reps[i].Capacity = -1 // no limit: every lead is routed by its rule
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := NewRouter(cfg, reps, nil)
		for _, l := range leads {
			d := r.Route(l)
			_ = d.Audit()
		}
	}
	b.ReportMetric(float64(b.N*len(leads))/b.Elapsed().Seconds(), "decisions/s")
}

// BenchmarkRoundRobinBaseline is the baseline: the same leads dealt round
// robin to the same reps with no rules, eligibility or audit.
func BenchmarkRoundRobinBaseline(b *testing.B) {
	leads := benchLeads(10000)
	reps := testReps()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		counts := map[string]int{}
		for k, l := range leads {
			counts[reps[k%len(reps)].ID+l.ID[:1]]++
		}
	}
	b.ReportMetric(float64(b.N*len(leads))/b.Elapsed().Seconds(), "decisions/s")
}
