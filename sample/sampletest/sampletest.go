// Package sampletest gives tests a real lake of generated leads: the sample
// generator's exports, ingested and opened.
package sampletest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/sample"
)

// Lake generates leads with the sample generator (seed fixes them),
// ingests them into a lake of the test's own and opens it until the test
// ends.
func Lake(t testing.TB, leads int, seed int64) *lake.Lake {
	t.Helper()
	return LakeWith(t, sample.Options{Leads: leads, Seed: seed})
}

// LakeWith is Lake with the generator's options given whole (an Observe
// hook to see the simulated leads, another Truth).
func LakeWith(t testing.TB, opts sample.Options) *lake.Lake {
	t.Helper()
	ctx := context.Background()
	work := t.TempDir()
	exports, lakeDir := filepath.Join(work, "exports"), filepath.Join(work, "lake")
	if _, err := sample.Generate(ctx, exports, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(ctx, ingest.Options{Lake: lakeDir}, []string{exports}); err != nil {
		t.Fatal(err)
	}
	l, err := lake.Open(ctx, lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
