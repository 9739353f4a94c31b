package reports

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseWeek(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // Monday, or "" for an error
	}{
		{"2026-W01", "2025-12-29"}, // 4 January 2026 is a Sunday
		{"2026-W47", "2026-11-16"},
		{"2020-W53", "2020-12-28"}, // 2020 has 53 weeks
		{"2021-W53", ""},           // 2021 does not
		{"2026-W00", ""},
		{"2026-47", ""},
		{"W47", ""},
	} {
		got, err := ParseWeek(c.in)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%s: %v, want an error", c.in, got)
		case c.want != "" && (err != nil || got.Format(time.DateOnly) != c.want):
			t.Errorf("%s: %v %v, want Monday %s", c.in, got, err, c.want)
		case err == nil && WeekOf(got) != c.in:
			t.Errorf("WeekOf(%v) = %s, want %s", got, WeekOf(got), c.in)
		}
	}
}

// The review of 2026-W02 (5–11 January) on testdata/leaks, counted from
// its README's table: handed off that week W1, P1, D1, F1, G1 (A1 never
// was; B1 on 01-12); accepted W1, P1, F1; unreachable G1; D1 undecided.
// The week's MQLs are the same five; W1, P1 and F1 reached sql: 3/5.
// First responses: 50, 25, 55, 25, 25 minutes -> p50 25, p75 50, p90
// 50 + 0.6 x 5 = 53. As of the week's end (12 January 00:00) none of the
// five has fallen through yet: D1's decision is due 01-12 10:05, F1 is
// stuck only from 01-20, G1 forgotten only from 02-06.
func TestReviewOfAHandWorkedWeek(t *testing.T) {
	l := openLeaksFixture(t)
	r, err := BuildReview(context.Background(), l, "2026-W02", "UTC", DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	h := r.Handoff
	if h.HandedOff != 5 || h.Accepted != 3 || h.Unreachable != 1 || h.Rejected != 0 || h.Dispositioned != 4 {
		t.Errorf("handoff: %+v, want 5 handed off, 3 accepted, 1 unreachable, 4 decided", h)
	}
	if r.Overview.MQLs != 5 || r.Overview.MQLToSQL == nil || *r.Overview.MQLToSQL != 0.6 {
		t.Errorf("MQLs %d, MQL→SQL %v; want 5 and 0.6", r.Overview.MQLs, r.Overview.MQLToSQL)
	}
	rr := r.Response
	if rr.N != 5 || *rr.P50Minutes != 25 || *rr.P75Minutes != 50 || *rr.P90Minutes != 53 {
		t.Errorf("response: n %d, p50 %v, p75 %v, p90 %v; want 5, 25, 50, 53", rr.N, *rr.P50Minutes, *rr.P75Minutes, *rr.P90Minutes)
	}
	var leaked int64
	for _, k := range r.Leaks {
		leaked += k.Leads
	}
	if leaked != 0 || len(r.Leaks) != len(Cracks) {
		t.Errorf("leaks: %d in %d rows, want 0 in one row per crack", leaked, len(r.Leaks))
	}
	if !r.AsOf.Equal(time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("as of %v, want the week's end", r.AsOf)
	}
	// The baseline weeks (2025-W50 to 2026-W01) hold nothing, so no change
	// can be measured against them.
	if len(r.Weeks) != 5 || r.Weeks[4].Week != "2026-W02" || len(r.Changes) != 0 {
		t.Errorf("weeks %v, changes %v; want five weeks ending 2026-W02 and no change", r.Weeks, r.Changes)
	}
}

// Changes set this week against the mean of the weeks before, biggest
// move first, good or bad by the figure's direction.
func TestReviewChanges(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	week := func(name string, handed, leaks float64, rate *float64) WeekFigures {
		return WeekFigures{Week: name, Figures: map[string]*float64{"leads handed off": v(handed), "leaks": v(leaks), "acceptance rate": rate}}
	}
	weeks := []WeekFigures{
		week("W1", 10, 4, v(0.5)), week("W2", 10, 4, nil), week("W3", 20, 2, v(0.5)), week("W4", 20, 2, v(0.5)),
		week("W5", 30, 4.5, v(0.4)),
	}
	got := changes(weeks)
	// handed off: mean 15 -> 30, +100 %, good; leaks: mean 3 -> 4.5, +50 %,
	// bad; acceptance: mean of the three known 0.5 -> 0.4, -20 %, bad.
	want := []Change{
		{Metric: "leads handed off", This: 30, Baseline: 15, Relative: 1, Good: true},
		{Metric: "leaks", This: 4.5, Baseline: 3, Relative: 0.5, Good: false},
		{Metric: "acceptance rate", This: 0.4, Baseline: 0.5, Relative: -0.2, Good: false},
	}
	if len(got) != len(want) {
		t.Fatalf("changes %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Metric != w.Metric || g.This != w.This || g.Baseline != w.Baseline || g.Good != w.Good || g.Relative-w.Relative > 1e-9 || w.Relative-g.Relative > 1e-9 {
			t.Errorf("change %d: %+v, want %+v", i, g, w)
		}
	}
}

// A week the lake knows nothing of says so.
func TestReviewOfAQuietWeek(t *testing.T) {
	l := openLeaksFixture(t)
	r, err := BuildReview(context.Background(), l, "2025-W40", "UTC", DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if !r.Quiet {
		t.Errorf("2025-W40, before any lead of the fixture: not quiet: %+v", r.Handoff)
	}
	if md := ReviewMarkdown(r); !strings.Contains(md, "Nothing happened in this week") {
		t.Errorf("the quiet week's Markdown does not say so:\n%s", md)
	}
	busy, err := BuildReview(context.Background(), l, "2026-W02", "UTC", DefaultConfig())
	if err != nil || busy.Quiet {
		t.Errorf("2026-W02 is quiet (%v)", err)
	}
}

// Text from the data stays inside its Markdown cell: no new column, link,
// image, raw HTML or line.
func TestMarkdownText(t *testing.T) {
	for in, want := range map[string]string{
		"No budget":                         "No budget",
		"a | b":                             `a \| b`,
		"[click](javascript:alert(1))":      `\[click\]\(javascript:alert\(1\)\)`,
		"![x](http://evil/x.png)":           `\!\[x\]\(http://evil/x.png\)`,
		"<script>alert(1)</script>":         `\<script\>alert\(1\)\</script\>`,
		"two\nlines\u2028here":              "two lines here",
		"*bold* _it_ `code` # ~x~ &amp; \\": `\*bold\* \_it\_ \` + "`" + `code\` + "`" + ` \# \~x\~ \&amp; \\`,
	} {
		if got := markdownText(in); got != want {
			t.Errorf("markdownText(%q) = %q, want %q", in, got, want)
		}
	}
}
