package reports

import (
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/sample"
)

// scanBeforeKept is lead_stages and sla_instances as they were before the
// lake kept per-lead tables, renamed scan_*: the independent route the
// kept versions are held to.
//
//go:embed testdata/scan_before_kept.sql
var scanBeforeKept string

// queuedSampleLake is a generated lake where every fifth assignment goes
// to a Salesforce queue first (its owner becomes 00G…), so the queue
// windows are exercised too.
func queuedSampleLake(t *testing.T, leads int) string {
	t.Helper()
	ctx := context.Background()
	work := t.TempDir()
	exports, lakeDir := filepath.Join(work, "exports"), filepath.Join(work, "lake")
	if _, err := sample.Generate(ctx, exports, sample.Options{Leads: leads, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(exports, "assignments.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(recs); i += 5 {
		recs[i][1] = "00G5e000000QUEUE"
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	out.Close()
	if _, err := ingest.Run(ctx, ingest.Options{Lake: lakeDir}, []string{exports}); err != nil {
		t.Fatal(err)
	}
	return lakeDir
}

// The lake's kept tables change how lead_stages and sla_instances are
// computed, never what they return: as of any instant (before the first
// event, through history, after the last), for every start, stop and
// clock, the rows equal those of the definitions that read every event.
func TestKeptTablesGiveTheSameRowsAsOfAnyInstant(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests a generated sample")
	}
	ctx := context.Background()
	l, err := lake.Open(ctx, queuedSampleLake(t, 1500))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !l.Manifest.HasKept() {
		t.Fatal("the ingest kept no per-lead tables")
	}
	if err := models.PrepareLake(ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, err := l.DB.ExecContext(ctx, scanBeforeKept); err != nil {
		t.Fatal(err)
	}
	differ := func(kept, scan string, args ...any) (int, int) {
		t.Helper()
		var n, d int
		q := fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s),
			(SELECT count(*) FROM ((SELECT * FROM %[1]s EXCEPT ALL SELECT * FROM %[2]s)
			                 UNION ALL (SELECT * FROM %[2]s EXCEPT ALL SELECT * FROM %[1]s)))`, kept, scan)
		// kept appears three times, scan twice, each with the same arguments
		var all []any
		for range 5 {
			all = append(all, args...)
		}
		if err := l.DB.QueryRowContext(ctx, q, all...).Scan(&n, &d); err != nil {
			t.Fatalf("%s: %v", kept, err)
		}
		return n, d
	}
	end := sample.DefaultEnd
	instants := []time.Time{
		end.AddDate(-2, 0, 0), // before every event
		end.AddDate(0, -10, 0),
		end.AddDate(0, -6, 0).Add(13*time.Hour + 7*time.Minute),
		end.AddDate(0, -1, -3),
		end.Add(-36 * time.Hour),
		end.AddDate(1, 0, 0), // after every event
	}
	type clock struct {
		start, stop, clock string
		workdays           any
	}
	var clocks []clock
	for _, start := range SLAStarts {
		for _, stop := range SLAStops {
			clocks = append(clocks, clock{start, stop, "calendar", nil}, clock{start, stop, "business", 2.0})
		}
	}
	total := map[string]int{}
	for _, at := range instants {
		n, d := differ("(SELECT * EXCLUDE (left_lead, left_mql, left_sql, left_opportunity) FROM lead_stages(?::TIMESTAMPTZ))", "scan_lead_stages(?::TIMESTAMPTZ)", at)
		if d != 0 {
			t.Errorf("as of %s: lead_stages differs in %d of %d rows", at, d, n)
		}
		// when each lead left its first entry into each open stage: as the
		// time-in-stage report worked it out from the stage changes
		lit := "'" + at.Format("2006-01-02 15:04:05") + "+00'::TIMESTAMPTZ"
		n, d = differ("(SELECT s.lead_id, st.stage, CASE st.stage WHEN 'lead' THEN s.left_lead WHEN 'mql' THEN s.left_mql WHEN 'sql' THEN s.left_sql ELSE s.left_opportunity END AS left_at"+
			" FROM lead_stages("+lit+") s, (VALUES ('lead'), ('mql'), ('sql'), ('opportunity')) st(stage)"+
			" WHERE CASE st.stage WHEN 'lead' THEN s.f_lead WHEN 'mql' THEN s.f_mql WHEN 'sql' THEN s.f_sql ELSE s.f_opportunity END IS NOT NULL)",
			"(SELECT e.lead_id, e.stage, min(c.changed_at) AS left_at FROM"+
				" (SELECT s.lead_id, st.stage, CASE st.stage WHEN 'lead' THEN s.f_lead WHEN 'mql' THEN s.f_mql WHEN 'sql' THEN s.f_sql ELSE s.f_opportunity END AS entered_at"+
				"  FROM scan_lead_stages("+lit+") s, (VALUES ('lead'), ('mql'), ('sql'), ('opportunity')) st(stage)) e"+
				" LEFT JOIN stage_changes c ON c.lead_id = e.lead_id AND c.changed_at > e.entered_at AND c.changed_at <= "+lit+" AND c.stage <> e.stage"+
				" WHERE e.entered_at IS NOT NULL GROUP BY ALL)")
		if d != 0 {
			t.Errorf("as of %s: leaving each stage differs in %d of %d rows", at, d, n)
		}
		total["left"] += n
		total["lead_stages"] += n
		for _, c := range clocks {
			call := "%s(?::TIMESTAMPTZ, ?, ?, ?, 60, ?::DOUBLE)"
			n, d := differ(fmt.Sprintf(call, "sla_instances"), fmt.Sprintf(call, "scan_sla_instances"),
				at, c.start, c.stop, c.clock, c.workdays)
			if d != 0 {
				t.Errorf("as of %s, %+v: sla_instances differs in %d of %d rows", at, c, d, n)
			}
			total[c.start] += n
		}
	}
	// The comparison is of something: clocks of both starts, leads staged.
	for _, k := range []string{"lead_stages", "left", "assignment", "mql"} {
		if total[k] == 0 {
			t.Errorf("no %s rows compared", k)
		}
	}
}

// local_time, which adds a zone's offset on a day instead of converting
// row by row, gives the wall-clock time the conversion gives, and
// utc_time takes it back to the instant the conversion gives, at every
// instant of two years in zones with whole-hour, half-hour and 45-minute
// offsets and daylight saving of an hour and of half an hour (Lord Howe),
// on the days their offsets change too.
func TestLocalTimeByDayOffsetIsTheConversion(t *testing.T) {
	l := openFixture(t)
	ctx := context.Background()
	if err := models.PrepareLake(ctx, l); err != nil {
		t.Fatal(err)
	}
	var instants, wrong, wrongBack, changeDays int
	err := l.DB.QueryRowContext(ctx, `
		WITH i AS (
			SELECT z.tz, CAST(r.t AS TIMESTAMPTZ) AS t, utc_day(CAST(r.t AS TIMESTAMPTZ)) AS day
			FROM (VALUES ('America/New_York'), ('Europe/London'), ('Australia/Lord_Howe'),
			             ('Asia/Kolkata'), ('America/St_Johns'), ('Pacific/Chatham'), ('UTC')) z(tz),
			     range(TIMESTAMP '2025-01-01 00:00:00', TIMESTAMP '2027-01-01 00:00:00', INTERVAL 97 MINUTE) r(t)
		), l AS (
			SELECT tz, t AT TIME ZONE tz AS l, utc_day(t AT TIME ZONE tz) AS lday FROM i
		)
		SELECT (SELECT count(*) FROM i),
		       (SELECT count(*) FILTER (WHERE local_time(t, tz, zone_offset(day, tz), zone_offset(day + 1, tz)) IS DISTINCT FROM t AT TIME ZONE tz) FROM i),
		       (SELECT count(*) FILTER (WHERE utc_time(l, tz, zone_offset(lday - 1, tz), zone_offset(lday, tz), zone_offset(lday + 1, tz), zone_offset(lday + 2, tz))
		                                      IS DISTINCT FROM timezone(tz, l)) FROM l),
		       (SELECT count(DISTINCT (tz, day)) FILTER (WHERE zone_offset(day, tz) <> zone_offset(day + 1, tz)) FROM i)`).Scan(&instants, &wrong, &wrongBack, &changeDays)
	if err != nil {
		t.Fatal(err)
	}
	if wrong != 0 {
		t.Errorf("%d of %d instants get another wall-clock time", wrong, instants)
	}
	if wrongBack != 0 {
		t.Errorf("%d of %d wall-clock times go back to another instant", wrongBack, instants)
	}
	// two changes a year in five of the zones (Kolkata and UTC have none)
	if changeDays != 20 {
		t.Errorf("%d days with an offset change, want 20: the slow path is not what is tested", changeDays)
	}
}

// Time in a stage runs from the first entry to the next change into
// another stage: a second entry into the same stage on the way does not
// end it. A1 is a lead from 09:00 to 12:00 on 5 Jan (3 h), then an MQL
// (again at 09:00 on the 6th) until it becomes an SQL at 09:00 on the 7th
// (45 h, not 21).
func TestTimeInStageRunsToAnotherStage(t *testing.T) {
	l := handMadeLake(t, map[string]string{
		"users.csv": "user_id,name,team,role,region,timezone,working_hours,capacity,active\nU1,Ana,SDR,sdr,NA,UTC,Mon-Fri 09:00-17:00,50,true\n",
		"leads.csv": "lead_id,created_at,email_domain,company,country,region,industry,company_size,title,source,campaign,owner_id,updated_at\n" +
			"A1,2026-01-05T09:00:00Z,a.com,A,United States,NA,Software,50,CTO,web,c1,U1,\n",
		"stage_changes.csv": "lead_id,stage,changed_at,actor_id\n" +
			"A1,lead,2026-01-05T09:00:00Z,\nA1,mql,2026-01-05T12:00:00Z,\nA1,mql,2026-01-06T09:00:00Z,\nA1,sql,2026-01-07T09:00:00Z,\n",
	})
	r, err := TimeInStage(context.Background(), l, Params{AsOf: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"lead": 3, "mql": 45}
	for _, row := range r.Rows {
		w, ok := want[row.Stage]
		if !ok {
			continue
		}
		delete(want, row.Stage)
		if row.N != 1 || row.StillInStage != 0 || row.P50Hours == nil || *row.P50Hours != w {
			t.Errorf("%s: n %d, still %d, p50 %v; want 1, 0, %v", row.Stage, row.N, row.StillInStage, row.P50Hours, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("no row for %v", want)
	}
}
