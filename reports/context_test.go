package reports

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The context packet of leads in testdata/leaks, read off the README's
// table; the SLA clocks worked by hand below.
func TestContextPacket(t *testing.T) {
	l := openLeaksFixture(t)
	ctx := context.Background()
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	c, err := ContextOf(ctx, l, "D2", leaksAsOf, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if c.Lead.Company == nil || *c.Lead.Company != "D Two" || c.Lead.Source != "paid" || c.Lead.Campaign != "paid-1" ||
		c.Lead.Owner != "Ben" || c.Lead.Stage == nil || *c.Lead.Stage != "opportunity" ||
		!c.Lead.StageSince.Equal(at("2026-02-05T10:00:00Z")) || !c.Lead.MQLAt.Equal(at("2026-01-21T16:00:00Z")) {
		t.Errorf("D2's facts: %+v", c.Lead)
	}
	var stages []string
	for _, e := range c.Stages {
		stages = append(stages, e.What)
	}
	if strings.Join(stages, " ") != "opportunity sql mql lead" {
		t.Errorf("D2's stages, newest first: %v", stages)
	}
	if len(c.Owners) != 1 || c.Owners[0].What != "Ben" || !c.Owners[0].At.Equal(at("2026-01-21T16:30:00Z")) {
		t.Errorf("D2's owner history: %+v", c.Owners)
	}
	if len(c.SalesTouches) != 1 || c.SalesTouches[0].What != "call" || len(c.Engagement) != 1 || c.Engagement[0].What != "form_fill" {
		t.Errorf("D2's touches %+v, engagement %+v", c.SalesTouches, c.Engagement)
	}
	if len(c.Dispositions) != 1 || c.Dispositions[0].What != "accepted" {
		t.Errorf("D2's dispositions: %+v", c.Dispositions)
	}
	// D2's clocks: first touch 16:30 -> 09:30 next day = 1,020 min of 60;
	// disposition on Ben's working days, Wed 16:30 -> Thu 01-29 12:00 =
	// 30 + 2 x 480 + 3 x 480 + 180 = 2,610 min of 960; MQL acceptance
	// 01-21 16:00 -> sql 01-29 12:00 = 7 d 20 h = 11,280 min of 4,320.
	want := map[string][3]float64{"first_touch": {1020, 60, 0}, "disposition": {2610, 960, 0}, "mql_acceptance": {11280, 4320, 0}}
	for _, k := range c.SLAClocks {
		w, ok := want[k.SLA]
		if !ok || k.Status != "breached" || k.ElapsedMinutes != w[0] || k.LimitMinutes != w[1] || k.LeftMinutes != nil {
			t.Errorf("D2's %s clock: %+v, want breached, %v of %v minutes", k.SLA, k, w[0], w[1])
		}
		delete(want, k.SLA)
	}
	if len(want) != 0 {
		t.Errorf("D2: no clock for %v", want)
	}

	// N1, handed off Fri 02-27 09:05 and not touched by the as-of time:
	// first touch running past its hour (2,335 min: breached); disposition
	// 475 working minutes of 960 (485 left, pending); MQL acceptance
	// 2,340 min of 4,320 (1,980 left, pending).
	c, err = ContextOf(ctx, l, "N1", leaksAsOf, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]float64{}
	for _, k := range c.SLAClocks {
		switch {
		case k.SLA == "first_touch" && (k.Status != "breached" || k.ElapsedMinutes != 2335):
			t.Errorf("N1's first touch: %+v, want breached after 2,335 min", k)
		case k.LeftMinutes != nil:
			left[k.SLA] = *k.LeftMinutes
		}
	}
	if left["disposition"] != 485 || left["mql_acceptance"] != 1980 || len(left) != 2 {
		t.Errorf("N1's running clocks: %v, want disposition 485 and mql_acceptance 1,980 minutes left", left)
	}

	if _, err := ContextOf(ctx, l, "NOPE", leaksAsOf, DefaultConfig()); !errors.Is(err, ErrNoLead) {
		t.Errorf("an unknown lead: %v, want ErrNoLead", err)
	}
}
