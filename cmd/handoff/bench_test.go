package main

import (
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/sample"
)

// The daily delta of a 2,000-lead sample: 1% new leads (20, created in
// the day after the sample's export, their ids renamed from L… to N…
// everywhere, their activities' from A… to B…) and 1% of the base leads
// again (every 100th row: 20), with "(updated)" in the title; nothing
// else of the base.
func TestBenchDeltaIsOnePercentNewAndOnePercentUpdated(t *testing.T) {
	// benchDelta itself: the bench command runs its sides as children of
	// its own executable, which here is the test binary.
	dir := t.TempDir()
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	data, err := benchSample(t.Context(), e, dir, 2000)
	if err != nil {
		t.Fatal(err)
	}
	delta, err := benchDelta(t.Context(), e, dir, data, 2000)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(delta, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	leads := read("leads.csv")
	var fresh, updated int
	for _, r := range leads[1:] {
		switch {
		case strings.HasPrefix(r[0], "N"):
			fresh++
			created, err := time.Parse(time.RFC3339, r[1])
			if err != nil || created.Before(sample.DefaultEnd) || !created.Before(sample.DefaultEnd.Add(24*time.Hour)) {
				t.Errorf("new lead %s created %s, not in the day after the export (%v)", r[0], r[1], err)
			}
		case strings.HasPrefix(r[0], "L") && strings.HasSuffix(r[8], "(updated)"):
			updated++
		default:
			t.Errorf("a lead row that is neither new nor updated: %v", r)
		}
	}
	if fresh != 20 || updated != 20 {
		t.Errorf("%d new and %d updated leads, want 20 and 20", fresh, updated)
	}
	for _, r := range read("activities.csv")[1:] {
		if !strings.HasPrefix(r[0], "B") || !strings.HasPrefix(r[1], "N") {
			t.Fatalf("an activity of the delta keeps a base id: %v", r)
		}
	}
}
