package server

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/routing"
)

// The served feed end to end: a webhook endpoint registered with the lake,
// a receiver on 127.0.0.1 that runs the reference check, and a server whose
// feed last looked at 1 March. The receiver gets March's events signed:
// the assignments A11 (L11), A8 (L12) and A9 (L13), and A8's reassignment
// after 24 hours untouched, to Ben (routing/feed_test.go works it out).
func TestFeedPushesSignedEvents(t *testing.T) {
	lakeDir := fixtureLake(t)
	var mu sync.Mutex
	var got []routing.Event
	var refused int
	secretCh := make(chan string, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var secret string
	rc := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if secret == "" {
			secret = <-secretCh
		}
		if err := routing.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			refused++
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var ev routing.Event
		json.Unmarshal(body, &ev)
		got = append(got, ev)
	})}
	go rc.Serve(ln)
	defer rc.Close()
	ep, err := routing.AddEndpoint(lakeDir, "http://"+ln.Addr().String()+"/hooks", nil)
	if err != nil {
		t.Fatal(err)
	}
	secretCh <- ep.Secret
	if st, err := os.Stat(routing.EndpointsFile(lakeDir)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("webhooks.json: %v %v, want owner-only", st.Mode(), err)
	}
	if err := saveFeedState(lakeDir, feedState{AsOf: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	opts := withFixtureRules(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), FeedEvery: 100 * time.Millisecond,
		FeedRetry: routing.Retry{Base: 10 * time.Millisecond, Max: 100 * time.Millisecond, Attempts: 50}})
	base := startServerWith(t, opts)

	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		pending, _ := filepath.Glob(filepath.Join(routing.OutboxDir(lakeDir), ep.ID, "*.json"))
		if n > 0 && len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %d delivered, %d pending", n, len(pending))
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if refused > 0 {
		t.Errorf("%d deliveries failed the reference check", refused)
	}
	var assigned, reassigns []string
	for _, ev := range got {
		var d map[string]any
		json.Unmarshal(ev.Data, &d)
		switch ev.Type {
		case "lead.assigned":
			assigned = append(assigned, d["lead_id"].(string))
		case "sla.reassign":
			reassigns = append(reassigns, string(ev.Data))
		}
	}
	sort.Strings(assigned)
	if strings.Join(assigned, " ") != "L11 L12 L13" {
		t.Errorf("assignments pushed: %v, want L11 L12 L13", assigned)
	}
	// A9 (L13, Ben) is untouched 24 hours later too, on 1 April, before
	// the lake's last event: nobody else is in the EMEA pool, so the event
	// says nobody could take it.
	sort.Strings(reassigns)
	// L11 became an MQL on 3 March before anyone had it: the rules route it
	// (EMEA: Ben), and the decision is on record.
	resp, body := get(t, base+"/api/v1/routing/L11")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"type":"lead.routed"`) || !strings.Contains(string(body), `"new_owner":"Ben"`) {
		t.Errorf("L11's routing record: %d %s", resp.StatusCode, body)
	}
	if len(reassigns) != 2 || !strings.Contains(reassigns[0], `"lead_id":"L12"`) || !strings.Contains(reassigns[0], `"new_owner":"Ben"`) ||
		!strings.Contains(reassigns[1], `"lead_id":"L13"`) || !strings.Contains(reassigns[1], "nobody eligible, left unassigned") {
		t.Errorf("reassignments pushed: %v", reassigns)
	}
}

// The pull feed: scores, one explained, and routing decisions, paged.
func TestFeedEndpoints(t *testing.T) {
	base := startServerWith(t, withFixtureRules(t, Options{Lake: fixtureLake(t), Config: reports.DefaultConfig(), FeedEvery: -1}))
	var page struct {
		Total      int              `json:"total"`
		NextCursor *string          `json:"next_cursor"`
		Rows       []map[string]any `json:"rows"`
	}
	resp, body := get(t, base+"/api/v1/scores?limit=5")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scores: %d %s", resp.StatusCode, body)
	}
	json.Unmarshal(body, &page)
	// 13 leads, all created before the latest event; five a page.
	if page.Total != 13 || len(page.Rows) != 5 || page.NextCursor == nil || *page.NextCursor != "5" {
		t.Fatalf("first page: total %d, %d rows, next %v", page.Total, len(page.Rows), page.NextCursor)
	}
	// L2 is the only MQL (45 points) and so the highest score.
	if page.Rows[0]["lead_id"] != "L2" || page.Rows[0]["total"] != 45.0 || page.Rows[0]["mql"] != true {
		t.Errorf("top score: %v", page.Rows[0])
	}
	_, body = get(t, base+"/api/v1/scores?limit=5&cursor=10")
	json.Unmarshal(body, &page)
	if len(page.Rows) != 3 || page.NextCursor != nil {
		t.Errorf("last page: %d rows, next %v", len(page.Rows), page.NextCursor)
	}
	resp, body = get(t, base+"/api/v1/scores/L2")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"rule":"senior title"`) || !strings.Contains(string(body), "an MQL (threshold 45)") {
		t.Errorf("L2 explained: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, base+"/api/v1/routing?since=2026-01-01T00:00:00Z")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"total":10`) || !strings.Contains(string(body), `"audit":"L2 → Ben by rule \"NA\"`) {
		t.Errorf("routing decisions: %d %s", resp.StatusCode, body)
	}
}
