package exports

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock moves time by hand: After lets the time pass at once.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// A server down from 20 to 23 November: at start the daily 06:00 export
// runs once, for the 23rd, then at its times; a failed run is recorded and
// the next time comes anyway; the state outlives a restart.
func TestSchedulerRunsMissedOnceThenOnTime(t *testing.T) {
	e := Export{Name: "daily", Report: "funnel", Dir: "out", Schedule: "0 6 * * *", Timezone: "UTC"}
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "exports.json")
	clock := &fakeClock{now: at("2026-11-23T10:00:00Z")}
	var ran []time.Time
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{Exports: []Export{e}, StateFile: state, Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Run: func(_ context.Context, _ Export, scheduled time.Time) (Manifest, error) {
			ran = append(ran, scheduled)
			if len(ran) == 2 {
				return Manifest{}, errors.New("disk full")
			}
			if len(ran) == 3 {
				cancel()
			}
			return Manifest{File: scheduled.Format(time.DateOnly) + ".parquet", Rows: 7}, nil
		}}
	s.state = map[string]Status{}
	s.set("daily", func(x *Status) { x.LastScheduled = at("2026-11-20T06:00:00Z") })
	s.save()
	s.Loop(ctx)
	want := []string{"2026-11-23T06:00:00Z", "2026-11-24T06:00:00Z", "2026-11-25T06:00:00Z"}
	if len(ran) != len(want) {
		t.Fatalf("ran for %v, want %v", ran, want)
	}
	for i := range want {
		if !ran[i].Equal(at(want[i])) {
			t.Errorf("run %d for %s, want %s", i, ran[i].Format(time.RFC3339), want[i])
		}
	}
	st, err := ReadStatuses(state)
	if err != nil {
		t.Fatal(err)
	}
	got := st["daily"]
	if !got.LastScheduled.Equal(at("2026-11-25T06:00:00Z")) || got.LastFile != "2026-11-25.parquet" || got.LastError != "" {
		t.Errorf("state after the runs: %+v", got)
	}

	// Restarted on the 25th at 07:00: nothing is due; the next run is the
	// 26th.
	clock2 := &fakeClock{now: at("2026-11-25T07:00:00Z")}
	var ran2 []time.Time
	ctx2, cancel2 := context.WithCancel(context.Background())
	s2 := &Scheduler{Exports: []Export{e}, StateFile: state, Clock: clock2, Log: s.Log,
		Run: func(_ context.Context, _ Export, scheduled time.Time) (Manifest, error) {
			ran2 = append(ran2, scheduled)
			cancel2()
			return Manifest{}, nil
		}}
	s2.Loop(ctx2)
	if len(ran2) != 1 || !ran2[0].Equal(at("2026-11-26T06:00:00Z")) {
		t.Errorf("after the restart: %v, want one run for the 26th", ran2)
	}
}

// A failed run is recorded with its reason.
func TestSchedulerRecordsFailures(t *testing.T) {
	e := Export{Name: "daily", Report: "funnel", Dir: "out", Schedule: "0 6 * * *", Timezone: "UTC"}
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: at("2026-11-23T05:00:00Z")}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{Exports: []Export{e}, StateFile: filepath.Join(t.TempDir(), "s.json"), Clock: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Run: func(context.Context, Export, time.Time) (Manifest, error) {
			cancel()
			return Manifest{}, errors.New("no space left on device")
		}}
	s.Loop(ctx)
	if st := s.Statuses()["daily"]; st.LastError != "no space left on device" || !st.LastSuccess.IsZero() {
		t.Errorf("status after a failure: %+v", st)
	}
}
