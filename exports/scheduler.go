package exports

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Clock is the scheduler's time: the real one in the server, a hand-moved
// one in tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock is the wall clock.
var RealClock Clock = realClock{}

// Status is what the scheduler knows of one export, kept on disk so a
// restart knows what it missed, and shown on the data page.
type Status struct {
	// LastScheduled is the schedule time of the last run, done or failed.
	LastScheduled time.Time `json:"last_scheduled"`
	LastSuccess   time.Time `json:"last_success,omitempty"`
	LastFile      string    `json:"last_file,omitempty"`
	LastRows      int       `json:"last_rows,omitempty"`
	LastError     string    `json:"last_error,omitempty"`
}

// Scheduler runs exports on their schedules.
type Scheduler struct {
	Exports []Export
	// StateFile keeps each export's Status between runs of the server.
	StateFile string
	Clock     Clock
	// Run does one export for its schedule time.
	Run func(ctx context.Context, e Export, scheduledFor time.Time) (Manifest, error)
	Log *slog.Logger

	mu    sync.Mutex
	state map[string]Status
}

// Statuses are the exports' statuses as of now.
func (s *Scheduler) Statuses() map[string]Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Status{}
	for k, v := range s.state {
		out[k] = v
	}
	return out
}

// ReadStatuses reads a state file ({} when there is none).
func ReadStatuses(path string) (map[string]Status, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]Status{}, nil
	}
	if err != nil {
		return nil, err
	}
	st := map[string]Status{}
	return st, json.Unmarshal(raw, &st)
}

func (s *Scheduler) save() {
	s.mu.Lock()
	raw, err := json.MarshalIndent(s.state, "", "  ")
	s.mu.Unlock()
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(s.StateFile), 0o700); err == nil {
			err = writeAtomic(s.StateFile, raw)
		}
	}
	if err != nil {
		s.Log.Warn("exports: save state", "error", err)
	}
}

// Loop runs until ctx ends. At start, an export whose schedule fired while
// the server was down runs once, for the latest time it missed; an export
// never run before waits for its next time. Then each runs at its times.
func (s *Scheduler) Loop(ctx context.Context) {
	st, err := ReadStatuses(s.StateFile)
	if err != nil {
		s.Log.Warn("exports: read state", "error", err)
		st = map[string]Status{}
	}
	s.mu.Lock()
	s.state = st
	s.mu.Unlock()
	now := s.Clock.Now()
	for _, e := range s.Exports {
		if e.Schedule == "" {
			continue
		}
		last := s.Statuses()[e.Name].LastScheduled
		if due, ok := e.Due(last, now); ok {
			s.runOne(ctx, e, due)
		} else if last.IsZero() {
			s.set(e.Name, func(x *Status) { x.LastScheduled = now })
		}
	}
	s.save()
	for ctx.Err() == nil {
		var next time.Time
		for _, e := range s.Exports {
			if t := e.Next(s.Statuses()[e.Name].LastScheduled); !t.IsZero() && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
		if next.IsZero() {
			<-ctx.Done()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.Clock.After(next.Sub(s.Clock.Now())):
		}
		now := s.Clock.Now()
		for _, e := range s.Exports {
			if due, ok := e.Due(s.Statuses()[e.Name].LastScheduled, now); ok {
				s.runOne(ctx, e, due)
			}
		}
		s.save()
	}
}

func (s *Scheduler) set(name string, f func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.state[name]
	f(&x)
	s.state[name] = x
}

func (s *Scheduler) runOne(ctx context.Context, e Export, at time.Time) {
	m, err := s.Run(ctx, e, at)
	s.set(e.Name, func(x *Status) {
		x.LastScheduled = at
		if err != nil {
			x.LastError = err.Error()
			return
		}
		x.LastSuccess, x.LastFile, x.LastRows, x.LastError = s.Clock.Now(), m.File, m.Rows, ""
	})
	if err != nil {
		s.Log.Error("export failed; the previous files stay", "export", e.Name, "scheduled_for", at, "error", err)
		return
	}
	s.Log.Info("export written", "export", e.Name, "file", m.File, "rows", m.Rows, "scheduled_for", at)
}
