package scoring

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/ingest/ingesttest"
	"github.com/handoff-dev/handoff/lake"
)

// The hand-made fixture in testdata/scoring: README.md works out every
// expected number below by hand.
var scoreAsOf = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// fixtureLake ingests testdata/scoring (and extra files, path → content)
// into a lake of the test's own and opens it.
func fixtureLake(t *testing.T, extra map[string]string) *lake.Lake {
	t.Helper()
	inputs, _ := filepath.Glob("../testdata/scoring/*.csv")
	l, err := lake.Open(context.Background(), ingesttest.Files(t, inputs, extra))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func fixtureRules(t *testing.T) Rules {
	t.Helper()
	r, err := LoadRules("../testdata/scoring/rules.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func scoreLines(rows []ScoreRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s fit %g engagement %g total %g %s mql=%v\n", r.LeadID, r.Fit, r.Engagement, r.Total, r.Quadrant, r.MQL)
	}
	return b.String()
}

func TestScoresOnHandWorkedFixture(t *testing.T) {
	l := fixtureLake(t, nil)
	r := fixtureRules(t)
	ctx := context.Background()
	cases := []struct {
		name    string
		at      At
		filters map[string][]string
		want    string
	}{
		{"as of 1 March: decay, cap, no decay, the boundary and case", At{Mode: "as_of"}, nil,
			"S1 fit 60 engagement 15 total 75 sales mql=true\n" +
				"S4 fit 60 engagement 1 total 61 nurture mql=true\n" +
				"S3 fit 10 engagement 0 total 10 no_action mql=false\n" +
				"S2 fit -10 engagement 16 total 6 watch mql=false\n"},
		{"at handoff, or a week after creation when never assigned", At{Mode: "handoff", Days: 7}, nil,
			"S1 fit 60 engagement 18.66 total 78.66 sales mql=true\n" +
				"S4 fit 60 engagement 0 total 60 nurture mql=true\n" +
				"S3 fit 10 engagement 0 total 10 no_action mql=false\n" +
				"S2 fit -10 engagement 0 total -10 no_action mql=false\n"},
		{"paid leads only", At{Mode: "as_of"}, map[string][]string{"source": {"paid"}},
			"S4 fit 60 engagement 1 total 61 nurture mql=true\n" +
				"S3 fit 10 engagement 0 total 10 no_action mql=false\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, _, err := Score(ctx, l, r, Params{AsOf: scoreAsOf, At: c.at, Filters: c.filters})
			if err != nil {
				t.Fatal(err)
			}
			if got := scoreLines(rows); got != c.want {
				t.Errorf("got:\n%swant:\n%s", got, c.want)
			}
		})
	}

	t.Run("S1 explained rule by rule", func(t *testing.T) {
		parts, err := Explain(ctx, l, r, Params{AsOf: scoreAsOf}, []string{"S1"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range parts {
			events := "-"
			if p.Events != nil {
				events = fmt.Sprint(*p.Events)
			}
			got = append(got, fmt.Sprintf("%s %s %.4f events %s raw %g", p.Part, p.Rule, p.Points, events, p.RawPoints))
		}
		want := []string{
			"fit enterprise 30.0000 events - raw 30",
			"fit software 10.0000 events - raw 10",
			"fit senior title 20.0000 events - raw 20",
			// 20 points 10 days ago at a 10-day half-life: 10.
			"engagement form_fill 10.0000 events 1 raw 20",
			// 4 × 2 × 0.5^(1/10) = 7.4643, capped at 5.
			"engagement page_view 5.0000 events 4 raw 8",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	})
}

// Events at or after the as-of time change no score: the same lake with a
// form fill for S1 the day after, a webinar for S2 at the as-of instant and
// a whole new lead's page views later scores exactly as before.
func TestNoEventAfterTheAsOfTimeLeaksIn(t *testing.T) {
	ctx := context.Background()
	r := fixtureRules(t)
	before, _, err := Score(ctx, fixtureLake(t, nil), r, Params{AsOf: scoreAsOf})
	if err != nil {
		t.Fatal(err)
	}
	later := "activity_id,lead_id,occurred_at,kind,actor_id,actor_role,channel,detail\n" +
		"X1,S1,2026-03-02T00:00:00Z,form_fill,,marketing,web,\n" +
		"X2,S2,2026-03-01T00:00:00Z,webinar_attended,,marketing,webinar,\n" +
		"X3,S4,2026-03-01T00:00:01Z,page_view,,marketing,web,\n" +
		"X4,S5,2026-03-06T00:00:00Z,form_fill,,marketing,web,\n"
	after, _, err := Score(ctx, fixtureLake(t, map[string]string{"activities-later.csv": later}), r, Params{AsOf: scoreAsOf})
	if err != nil {
		t.Fatal(err)
	}
	if scoreLines(before) != scoreLines(after) {
		t.Errorf("events after the as-of time changed scores:\nbefore:\n%safter:\n%s", scoreLines(before), scoreLines(after))
	}
}

func TestRulesErrorsNameTheLine(t *testing.T) {
	base := "scoring:\n  fit:\n    - name: big\n      company_size: {min: 1000}\n      points: 10\n  engagement:\n    kinds:\n      - kind: form_fill\n        points: 5\n  thresholds: {fit: 1, engagement: 1, mql: 1}\n"
	cases := []struct{ name, yaml, want string }{
		{"a kind nobody writes, with a suggestion", strings.Replace(base, "kind: form_fill", "kind: form_fil", 1),
			`line 8: unknown activity kind "form_fil" (did you mean "form_fill"?) (known: page_view, form_fill`},
		{"an unknown field", strings.Replace(base, "points: 5", "pionts: 5", 1), `unknown field "pionts"`},
		{"a rule with no points", strings.Replace(base, "      points: 10\n", "", 1), "line 3: fit rule big has no points"},
		{"a band upside down", strings.Replace(base, "{min: 1000}", "{min: 1000, max: 10}", 1), "line 4: company_size: max 10 is not above min 1000"},
		{"a bad regular expression", strings.Replace(base, "company_size: {min: 1000}", "title: '(vp'", 1), "line 4: title \"(vp\" is not a regular expression"},
		{"a half-life nobody can read", strings.Replace(base, "points: 5", "points: 5\n        half_life: soon", 1), `line 10: half_life: duration "soon"`},
		{"a threshold missing", strings.Replace(base, "mql: 1", "", 1), "thresholds.mql is missing"},
		{"a section misspelt", base + "routng: {}\n", `line 11: unknown section "routng" (did you mean "routing"?)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseRules("rules.yaml", []byte(c.yaml), nil)
			if err == nil || !errors.Is(err, ErrBadRules) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant it to contain %s", err, c.want)
			}
		})
	}
	if _, err := ParseRules("rules.yaml", []byte(base), nil); err != nil {
		t.Errorf("the base case: %v", err)
	}
	if _, err := ParseRules("rules.yaml", []byte(strings.Replace(base, "form_fill", "2", 1)), []string{"2"}); err != nil {
		t.Errorf("a kind the lake holds (a Marketo id): %v", err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
