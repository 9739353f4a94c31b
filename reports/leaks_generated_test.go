package reports

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/sample"
	"github.com/handoff-dev/handoff/sample/sampletest"
)

// On generated data the leaks report finds, lead by lead, the crack the
// generator's own record puts each lead in (sample.Lead.FirstLeak, worked
// out in Go from what the simulation did, not from the lake), and every
// crack is there: the ones the generator injects at stated rates (never
// handed off, never touched, no disposition, a rejection without reason,
// the rep who left, duplicates) and the ones that follow from the
// simulation (stuck, recycled and forgotten).
func TestLeaksAgreeWithTheGenerator(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 20,000 leads")
	}
	ctx := context.Background()
	var leads []*sample.Lead
	l := sampletest.LakeWith(t, sample.Options{Leads: 20000, Seed: 5, Observe: func(ld *sample.Lead) { leads = append(leads, ld) }})
	asOf := sample.DefaultEnd

	// Duplicates need every lead: the later of two handoffs of one
	// company to two reps within 14 days.
	type handed struct {
		i     int
		at    time.Time
		owner *sample.User
	}
	byCompany := map[string][]handed{}
	for _, ld := range leads {
		if at, owner, ok := ld.Handoff(asOf); ok {
			key := strings.ToLower(ld.Domain) + "\\x00" + strings.ToLower(ld.Company)
			byCompany[key] = append(byCompany[key], handed{ld.Index, at, owner})
		}
	}
	dupAt := map[int]time.Time{}
	for _, hs := range byCompany {
		for _, h := range hs {
			for _, o := range hs {
				earlier := o.at.Before(h.at) || (o.at.Equal(h.at) && o.i < h.i)
				if o.i != h.i && o.owner != h.owner && earlier && h.at.Sub(o.at) <= 14*24*time.Hour {
					dupAt[h.i] = h.at
				}
			}
		}
	}
	want := map[string]string{}
	wantCount := map[string]int{}
	for _, ld := range leads {
		if k := ld.FirstLeak(asOf, sample.DefaultLeakLimits, dupAt[ld.Index]); k.Crack != "" {
			want[sample.CanonicalLeadID(ld.Index)] = k.Crack
			wantCount[k.Crack]++
		}
	}

	list, err := Leaked(ctx, l, Params{AsOf: asOf}, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	gotCount := map[string]int{}
	for _, row := range list.Rows {
		got[row.LeadID] = row.Crack
		gotCount[row.Crack]++
	}
	var wrong []string
	for id, c := range want {
		if got[id] != c {
			wrong = append(wrong, id+": report "+got[id]+", generator "+c)
		}
	}
	for id, c := range got {
		if _, ok := want[id]; !ok {
			wrong = append(wrong, id+": report "+c+", generator none")
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		t.Errorf("%d of %d leaked leads disagree; the first:\n  %s", len(wrong), len(want), strings.Join(wrong[:min(len(wrong), 15)], "\n  "))
	}
	for _, c := range Cracks {
		if wantCount[c] == 0 {
			t.Errorf("the generator put no lead in %s: every crack must be present", c)
		}
		t.Logf("%-24s report %5d  generator %5d", c, gotCount[c], wantCount[c])
	}
}
