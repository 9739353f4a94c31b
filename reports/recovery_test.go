package reports

import (
	"context"
	"testing"

	"github.com/handoff-dev/handoff/sample"
	"github.com/handoff-dev/handoff/sample/sampletest"
)

// TestReportsRecoverTheGeneratorsTruth is the independent route: the sample
// generator draws from stated rates (sample.DefaultTruth, sample.Users), so
// the reports run on its output must find those rates again, within
// sampling error.
func TestReportsRecoverTheGeneratorsTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests 30,000 leads")
	}
	ctx := context.Background()
	l := sampletest.Lake(t, 30000, 7)

	t.Run("rep response medians, business clock", func(t *testing.T) {
		// The generator draws each first touch as a log-normal number of
		// the rep's working minutes around MedianResponse (sigma 1). With
		// a few hundred responses a rep, the sample median is within about
		// 10% of the truth; allow 25%.
		r, err := Response(ctx, l, Params{By: "owner", Clock: "business"}, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		truth := map[string]float64{}
		for _, u := range sample.Users() {
			if u.MedianResponse > 0 {
				truth[u.Name] = u.MedianResponse
			}
		}
		checked := 0
		for _, row := range r.Rows {
			want, ok := truth[*row.Dim]
			if !ok || row.N < 200 {
				continue
			}
			checked++
			if got := *row.P50Minutes; got < want*0.75 || got > want*1.25 {
				t.Errorf("%s: median response %.1f working minutes, generator's %.0f (n=%d)", *row.Dim, got, want, row.N)
			}
		}
		if checked < 8 {
			t.Errorf("only %d reps had 200 responses; the check needs the SDR teams", checked)
		}
	})

	t.Run("speed-to-lead effect", func(t *testing.T) {
		// The generator multiplies the SQL chance by SpeedFastHour for a
		// first touch within the hour and by SpeedSlow after a day: the
		// curve's SQL rates must stand in that ratio (3), within 20%.
		r, err := ResponseCurve(ctx, l, Params{})
		if err != nil {
			t.Fatal(err)
		}
		var fastN, fastSQL, slowN, slowSQL int64
		for _, row := range r.Rows {
			switch row.Bucket {
			case "<5m", "5-30m", "30-60m":
				fastN, fastSQL = fastN+row.Leads, fastSQL+row.ReachedSQL
			case "1-3d", "3d+":
				slowN, slowSQL = slowN+row.Leads, slowSQL+row.ReachedSQL
			}
		}
		if fastN < 300 || slowN < 300 {
			t.Fatalf("too few leads to compare: %d fast, %d slow", fastN, slowN)
		}
		ratio := (float64(fastSQL) / float64(fastN)) / (float64(slowSQL) / float64(slowN))
		want := sample.DefaultTruth.SpeedFastHour / sample.DefaultTruth.SpeedSlow
		t.Logf("speed-to-lead ratio %.2f (%d/%d vs %d/%d), generator's %.2f", ratio, fastSQL, fastN, slowSQL, slowN, want)
		if ratio < want*0.8 || ratio > want*1.2 {
			t.Errorf("SQL rate within the hour ÷ after a day = %.2f (%d/%d vs %d/%d), generator's %.2f",
				ratio, fastSQL, fastN, slowSQL, slowN, want)
		}
	})

	t.Run("source MQL rates", func(t *testing.T) {
		// Sources that never skip the mql stage: reached(mql) ÷ leads is
		// the generator's MQL rate, within 0.03 (a source has 2,000+ leads).
		r, err := Sources(ctx, l, Params{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]SourceRow{}
		for _, row := range r.Rows {
			got[row.Source] = row
		}
		for _, src := range sample.DefaultTruth.Sources {
			if src.SkipMQL > 0 {
				continue
			}
			row, ok := got[src.Name]
			if !ok || row.MQLRate == nil {
				t.Errorf("%s: no row", src.Name)
				continue
			}
			if d := *row.MQLRate - src.MQL; d < -0.03 || d > 0.03 {
				t.Errorf("%s: MQL rate %.3f (%d/%d), generator's %.2f", src.Name, *row.MQLRate, row.MQLs, row.Leads, src.MQL)
			}
		}
	})
}
