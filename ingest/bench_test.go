package ingest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/handoff-dev/handoff/sample"
)

// BenchmarkIngestCanonical ingests a generated canonical sample into a fresh
// lake. `handoff bench ingest` compares the same work with DuckDB's own
// CSV→Parquet copy; this one is for profiling (-cpuprofile).
func BenchmarkIngestCanonical(b *testing.B) {
	ctx := context.Background()
	data := filepath.Join(b.TempDir(), "data")
	res, err := sample.Generate(ctx, data, sample.Options{Leads: 50_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	_ = res
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := Run(ctx, Options{Lake: filepath.Join(b.TempDir(), "lake")}, []string{data})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(out.Accepted)/b.Elapsed().Seconds()*float64(i+1), "rows/s")
	}
}
