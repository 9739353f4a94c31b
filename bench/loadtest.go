package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// LoadOptions bound a load test: a fixed number of clients for a fixed
// time, and never more than MaxRequests in all.
type LoadOptions struct {
	// Base is the server's address, http://127.0.0.1:PORT.
	Base string
	// Next gives the path a client asks for on its i-th request overall.
	Next        func(i int) string
	Clients     int
	Duration    time.Duration
	MaxRequests int
	// Timeout bounds one request.
	Timeout time.Duration
	// Token, when set, is sent as a bearer token with every request.
	Token string
}

// LoadResult is what a load test measured.
type LoadResult struct {
	Requests int
	Errors   int
	// ErrorSamples are the first few failures, for people.
	ErrorSamples []string
	Elapsed      time.Duration
	// Latencies of the successful requests, sorted.
	Latencies []time.Duration
	// Cached counts answers that carry X-Cache (the API's), CacheHits
	// those marked hit.
	Cached, CacheHits int
}

// RPS is successful requests per second.
func (r LoadResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// Percentile is the p-th percentile latency (nearest rank), 0 with none.
func (r LoadResult) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// Load runs the clients until the time or the request budget is spent, or
// ctx ends. A request fails on a transport error or a status other than
// 200; its body is read whole either way, as a browser would.
func Load(ctx context.Context, o LoadOptions) LoadResult {
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	client := &http.Client{Timeout: o.Timeout, Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients}}
	defer client.CloseIdleConnections()
	var (
		mu    sync.Mutex
		next  int
		res   LoadResult
		wg    sync.WaitGroup
		start = time.Now()
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if o.MaxRequests > 0 && next >= o.MaxRequests {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for c := 0; c < o.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i, ok := take()
				if !ok {
					return
				}
				path := o.Next(i)
				began := time.Now()
				cache, err := fetch(ctx, client, o.Base+path, o.Token)
				took := time.Since(began)
				if ctx.Err() != nil && err != nil {
					return // stopped by the clock, not a failure of the server
				}
				mu.Lock()
				res.Requests++
				if err != nil {
					res.Errors++
					if len(res.ErrorSamples) < 5 {
						res.ErrorSamples = append(res.ErrorSamples, fmt.Sprintf("%s: %v", path, err))
					}
				} else {
					res.Latencies = append(res.Latencies, took)
					if cache != "" {
						res.Cached++
					}
					if cache == "hit" {
						res.CacheHits++
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.sortLatencies()
	return res
}

func (r *LoadResult) sortLatencies() {
	sort.Slice(r.Latencies, func(i, j int) bool { return r.Latencies[i] < r.Latencies[j] })
}

// Merge adds o's requests to r, as one phase of several runs.
func (r *LoadResult) Merge(o LoadResult) {
	r.Requests += o.Requests
	r.Errors += o.Errors
	r.ErrorSamples = append(r.ErrorSamples, o.ErrorSamples...)
	r.Elapsed += o.Elapsed
	r.Latencies = append(r.Latencies, o.Latencies...)
	r.Cached += o.Cached
	r.CacheHits += o.CacheHits
	r.sortLatencies()
}

// fetch gets url and says what its X-Cache header said.
func fetch(ctx context.Context, client *http.Client, url, token string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.Header.Get("X-Cache"), nil
}
