package lake

import (
	"context"
	"fmt"
	"sync"
)

// Handle is one opened state of the lake, shared by the callers that
// acquired it.
type Handle struct {
	Lake       *Lake
	Generation int64
	refs       int
	retired    bool
}

// Latest keeps the newest committed state of a lake directory open. Each
// caller acquires the current state; an ingest that commits meanwhile makes
// the next Acquire open the new state, and the old one closes once its last
// caller releases it. A caller therefore sees one consistent state from
// start to end, and never an older one than the caller before it.
type Latest struct {
	dir     string
	prepare func(context.Context, *Lake) error
	mu      sync.Mutex
	cur     *Handle
}

// Follow tracks the newest state of the lake in dir. prepare, when not nil,
// runs once on each state as it is opened, before anyone uses it; a state
// it fails on is closed and the error returned to the caller.
func Follow(dir string, prepare func(context.Context, *Lake) error) *Latest {
	return &Latest{dir: dir, prepare: prepare}
}

// Acquire returns the newest committed state; Release it when done.
func (ls *Latest) Acquire(ctx context.Context) (*Handle, error) {
	m, err := ReadManifest(ls.dir)
	if err != nil {
		return nil, err
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.cur == nil || ls.cur.Generation < m.Generation {
		l, err := Open(ctx, ls.dir)
		if err != nil {
			return nil, err
		}
		if ls.prepare != nil {
			if err := ls.prepare(ctx, l); err != nil {
				l.Close()
				return nil, fmt.Errorf("prepare lake %s generation %d: %w", ls.dir, l.Manifest.Generation, err)
			}
		}
		if old := ls.cur; old != nil {
			old.retired = true
			if old.refs == 0 {
				old.Lake.Close()
			}
		}
		ls.cur = &Handle{Lake: l, Generation: l.Manifest.Generation}
	}
	ls.cur.refs++
	return ls.cur, nil
}

// Release gives back a state from Acquire.
func (ls *Latest) Release(h *Handle) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	h.refs--
	if h.retired && h.refs == 0 {
		h.Lake.Close()
	}
}

// Close closes the current state once its last caller releases it.
func (ls *Latest) Close() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.cur != nil {
		ls.cur.retired = true
		if ls.cur.refs == 0 {
			ls.cur.Lake.Close()
		}
		ls.cur = nil
	}
}
