package reports

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/sample"
	"github.com/handoff-dev/handoff/sample/sampletest"
)

// slaBeforeQueues is sla_instances as it was before queues got their
// own handling (commit eb09b6c's parent), renamed: the baseline the
// queue windows (prev_person_at, queued_at) are measured against.
//
//go:embed testdata/sla_instances_before_queues.sql
var slaBeforeQueues string

// BenchmarkSLAQueueWindows times the SLA clocks with the queue windows
// against the same clocks without them, in the same process on the same
// lake, alternating, and reports the ratio. The sample has no queue, so
// both must count the same clocks. HANDOFF_BENCH_LEADS sets the lake's
// size (default 20,000); docs/benchmarks.md has the 1-million figure.
//
//	HANDOFF_BENCH_LEADS=1000000 go test ./reports -run '^$' -bench SLAQueueWindows -benchtime 3x -timeout 60m
func BenchmarkSLAQueueWindows(b *testing.B) {
	leads := 20000
	if v := os.Getenv("HANDOFF_BENCH_LEADS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("HANDOFF_BENCH_LEADS=%q: %v", v, err)
		}
		leads = n
	}
	ctx := context.Background()
	l := sampletest.Lake(b, leads, 1)
	if err := models.PrepareLake(ctx, l); err != nil {
		b.Fatal(err)
	}
	if _, err := l.DB.ExecContext(ctx, slaBeforeQueues); err != nil {
		b.Fatal(err)
	}
	asOf := sample.DefaultEnd
	count := func(macro, start, stop string) (string, time.Duration) {
		q := fmt.Sprintf(`SELECT string_agg(status || ' ' || n, ', ' ORDER BY status) FROM (
			SELECT status, count(*) AS n FROM %s(?::TIMESTAMPTZ, '%s', '%s', 'business', 60, NULL) GROUP BY status)`, macro, start, stop)
		started := time.Now()
		var out string
		if err := l.DB.QueryRowContext(ctx, q, asOf).Scan(&out); err != nil {
			b.Fatal(err)
		}
		return out, time.Since(started)
	}
	var current, before time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, slaDef := range [][2]string{{"assignment", "first_sales_touch"}, {"mql", "sql_or_rejection"}} {
			// alternate which side goes first, so neither always runs warm
			sides := []string{"sla_instances", "sla_instances_before_queues"}
			if i%2 == 1 {
				sides[0], sides[1] = sides[1], sides[0]
			}
			got := map[string]string{}
			for _, macro := range sides {
				out, took := count(macro, slaDef[0], slaDef[1])
				got[macro] = out
				if macro == "sla_instances" {
					current += took
				} else {
					before += took
				}
			}
			if got["sla_instances"] != got["sla_instances_before_queues"] {
				b.Fatalf("%v: with queue windows %s, before %s: a lake without queues must count the same", slaDef, got["sla_instances"], got["sla_instances_before_queues"])
			}
		}
	}
	b.ReportMetric(current.Seconds()/float64(b.N), "s-current/op")
	b.ReportMetric(before.Seconds()/float64(b.N), "s-before/op")
	b.ReportMetric(current.Seconds()/before.Seconds(), "ratio")
}
