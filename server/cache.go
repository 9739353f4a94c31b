package server

import (
	"container/list"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/handoff-dev/handoff/reports"
)

// cache keeps computed reports by (lake generation, report, parameters),
// least recently used out first. Concurrent requests for the same missing
// key compute it once. A new lake generation changes every key, so a
// re-ingest never serves numbers of the state before it.
type cache struct {
	max    int
	mu     sync.Mutex
	order  *list.List // front = most recently used; values are *cacheEntry
	byKey  map[string]*list.Element
	flight singleflight.Group
}

type cacheEntry struct {
	key   string
	table reports.Table
}

func newCache(max int) *cache {
	return &cache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns the table for key, computing it with compute on a miss. hit
// says whether it came from the cache.
func (c *cache) get(key string, compute func() (reports.Table, error)) (tb reports.Table, hit bool, err error) {
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		tb := el.Value.(*cacheEntry).table
		c.mu.Unlock()
		return tb, true, nil
	}
	c.mu.Unlock()
	v, err, _ := c.flight.Do(key, func() (any, error) {
		tb, err := compute()
		if err != nil {
			return nil, err
		}
		c.put(key, tb)
		return tb, nil
	})
	if err != nil {
		return reports.Table{}, false, err
	}
	return v.(reports.Table), false, nil
}

func (c *cache) put(key string, tb reports.Table) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		el.Value.(*cacheEntry).table = tb
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry{key: key, table: tb})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*cacheEntry).key)
	}
}
