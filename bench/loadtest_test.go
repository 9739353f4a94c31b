package bench

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The load harness against a server of its own on 127.0.0.1: it stops at
// its request budget, counts failures and cache hits, and orders the
// latencies it reports.
func TestLoadCountsWhatHappened(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/fail"):
			http.Error(w, "no", http.StatusInternalServerError)
		case strings.HasPrefix(r.URL.Path, "/api"):
			w.Header().Set("X-Cache", "hit")
		}
		w.Write([]byte("ok"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	// Every fourth request fails, every fourth is an API hit.
	paths := []string{"/page", "/fail", "/api", "/other"}
	r := Load(context.Background(), LoadOptions{Base: "http://" + ln.Addr().String(), Clients: 3, Duration: 30 * time.Second, MaxRequests: 200,
		Next: func(i int) string { return paths[i%4] }})
	if r.Requests != 200 || r.Errors != 50 || len(r.Latencies) != 150 || r.Cached != 50 || r.CacheHits != 50 {
		t.Errorf("requests %d, errors %d, answered %d, cached %d, hits %d; want 200, 50, 150, 50, 50", r.Requests, r.Errors, len(r.Latencies), r.Cached, r.CacheHits)
	}
	if r.Elapsed > 20*time.Second {
		t.Errorf("200 requests took %v: the budget did not stop it", r.Elapsed)
	}
	if r.Percentile(50) > r.Percentile(99) || r.Percentile(99) > r.Percentile(100) || r.Percentile(100) != r.Latencies[len(r.Latencies)-1] {
		t.Errorf("percentiles out of order: %v %v %v", r.Percentile(50), r.Percentile(99), r.Percentile(100))
	}
	if len(r.ErrorSamples) == 0 || !strings.Contains(r.ErrorSamples[0], "/fail: status 500") {
		t.Errorf("error samples: %v", r.ErrorSamples)
	}

	// The clock stops it too: a budget it cannot reach in 300 ms.
	started := time.Now()
	r = Load(context.Background(), LoadOptions{Base: "http://" + ln.Addr().String(), Clients: 2, Duration: 300 * time.Millisecond, MaxRequests: 1 << 30,
		Next: func(int) string { return "/page" }})
	if took := time.Since(started); took > 5*time.Second || r.Errors != 0 || r.Requests == 0 {
		t.Errorf("a 300 ms run took %v with %d requests, %d errors", took, r.Requests, r.Errors)
	}
}
