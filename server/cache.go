package server

import (
	"container/list"
	"sync"

	"golang.org/x/sync/singleflight"
)

// cache keeps computed values (report tables, rendered pages) by a key
// that starts with the lake generation, least recently used out first.
// Concurrent requests for the same missing key compute it once. A new lake
// generation changes every key, so a re-ingest never serves numbers of the
// state before it. Errors are not kept.
type cache[V any] struct {
	max    int
	mu     sync.Mutex
	order  *list.List // front = most recently used; values are *cacheEntry
	byKey  map[string]*list.Element
	flight singleflight.Group
}

type cacheEntry[V any] struct {
	key   string
	value V
}

func newCache[V any](max int) *cache[V] {
	return &cache[V]{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns the value for key, computing it with compute on a miss. hit
// says whether it came from the cache.
func (c *cache[V]) get(key string, compute func() (V, error)) (value V, hit bool, err error) {
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		v := el.Value.(*cacheEntry[V]).value
		c.mu.Unlock()
		return v, true, nil
	}
	c.mu.Unlock()
	v, err, _ := c.flight.Do(key, func() (any, error) {
		v, err := compute()
		if err != nil {
			return nil, err
		}
		c.put(key, v)
		return v, nil
	})
	if err != nil {
		var zero V
		return zero, false, err
	}
	return v.(V), false, nil
}

func (c *cache[V]) put(key string, v V) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		el.Value.(*cacheEntry[V]).value = v
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry[V]{key: key, value: v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*cacheEntry[V]).key)
	}
}
