package server

import (
	"context"
	"sync"

	"github.com/handoff-dev/handoff/lake"
)

// lakeHandle is one opened state of the lake, shared by the requests that
// use it.
type lakeHandle struct {
	lake       *lake.Lake
	generation int64
	refs       int
	retired    bool
}

// lakes keeps the newest committed state of a lake directory open. Each
// request acquires the current state; an ingest that commits while the
// server runs makes the next request open the new state, and the old one
// closes once its last request releases it. A request therefore sees one
// consistent state from start to end, and never an older one than the
// request before it.
type lakes struct {
	dir string
	mu  sync.Mutex
	cur *lakeHandle
}

func (ls *lakes) acquire(ctx context.Context) (*lakeHandle, error) {
	m, err := lake.ReadManifest(ls.dir)
	if err != nil {
		return nil, err
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.cur == nil || ls.cur.generation < m.Generation {
		l, err := lake.Open(ctx, ls.dir)
		if err != nil {
			return nil, err
		}
		if old := ls.cur; old != nil {
			old.retired = true
			if old.refs == 0 {
				old.lake.Close()
			}
		}
		ls.cur = &lakeHandle{lake: l, generation: l.Manifest.Generation}
	}
	ls.cur.refs++
	return ls.cur, nil
}

func (ls *lakes) release(h *lakeHandle) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	h.refs--
	if h.retired && h.refs == 0 {
		h.lake.Close()
	}
}

func (ls *lakes) close() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.cur != nil {
		ls.cur.retired = true
		if ls.cur.refs == 0 {
			ls.cur.lake.Close()
		}
		ls.cur = nil
	}
}
