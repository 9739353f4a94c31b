package routing

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// receiver is a webhook receiver on 127.0.0.1 that checks every delivery
// with the reference Verify and records the ids it accepted.
type receiver struct {
	secret string
	mu     sync.Mutex
	ids    []string
	bad    int
	// refuse answers 503 to the first refuse deliveries.
	refuse int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := Verify(rc.secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
		rc.bad++
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if rc.refuse > 0 {
		rc.refuse--
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	var ev Event
	if json.Unmarshal(body, &ev) != nil || ev.ID != r.Header.Get(HeaderID) {
		rc.bad++
		http.Error(w, "body and id differ", http.StatusBadRequest)
		return
	}
	rc.ids = append(rc.ids, ev.ID)
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.ids...)
}

func testEvents(t *testing.T, n int) []Event {
	t.Helper()
	var out []Event
	for i := 0; i < n; i++ {
		ev, err := NewEvent("lead.mql", "L"+string(rune('A'+i)), time.Date(2026, 3, 1, 0, i, 0, 0, time.UTC), map[string]any{"lead_id": i})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

var fastRetry = Retry{Base: 10 * time.Millisecond, Max: 100 * time.Millisecond, Attempts: 200}

// A receiver that is down (no listener at all, then answering 503) and
// comes back gets every event, in order, each id once, signed so its
// reference check passes.
func TestWebhooksReachAReceiverThatWasDown(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	// A port nobody listens on yet.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	ep := Endpoint{ID: "ep_test", URL: "http://" + addr + "/hook", Secret: secret}
	box, err := OpenOutbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	events := testEvents(t, 5)
	for _, ev := range events {
		if err := box.Enqueue(ev, []Endpoint{ep}); err != nil {
			t.Fatal(err)
		}
	}
	// Queued twice, kept once.
	if err := box.Enqueue(events[0], []Endpoint{ep}); err != nil {
		t.Fatal(err)
	}
	if files, _ := box.Pending(ep.ID); len(files) != 5 {
		t.Fatalf("%d queued, want 5", len(files))
	}

	// Bounded by the test binary's deadline, not a clock of the test's own.
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
		defer cancel()
	}
	done := make(chan error, 1)
	go func() {
		done <- box.Deliver(ctx, ep, &http.Client{Timeout: 5 * time.Second}, fastRetry, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()

	time.Sleep(300 * time.Millisecond) // refused connections meanwhile
	rc := &receiver{secret: secret, refuse: 3}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rc}
	go srv.Serve(ln)
	defer srv.Close()

	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := rc.got()
	if len(got) != 5 || rc.bad != 0 {
		t.Fatalf("received %v (%d refused by the check), want the 5 events once", got, rc.bad)
	}
	for i, ev := range events {
		if got[i] != ev.ID {
			t.Errorf("delivery %d is %s, want %s (in order)", i, got[i], ev.ID)
		}
	}
	if files, _ := box.Pending(ep.ID); len(files) != 0 {
		t.Errorf("%d deliveries still queued", len(files))
	}
}

// A restart in the middle loses nothing: a second outbox over the same
// directory delivers what the first did not, with the same ids.
func TestWebhooksSurviveARestart(t *testing.T) {
	secret, _ := NewSecret()
	rc := &receiver{secret: secret}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Slow enough that the first run is stopped after a delivery or two.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(80 * time.Millisecond)
		rc.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	ep := Endpoint{ID: "ep_restart", URL: "http://" + ln.Addr().String(), Secret: secret}
	dir := t.TempDir()
	box, err := OpenOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	events := testEvents(t, 6)
	for _, ev := range events {
		if err := box.Enqueue(ev, []Endpoint{ep}); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	err = box.Deliver(ctx, ep, &http.Client{}, fastRetry, quiet)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the first run ended with %v, want it stopped", err)
	}
	first := len(rc.got())
	if first == len(events) {
		t.Fatal("the first run delivered everything: the restart tests nothing")
	}

	box2, err := OpenOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	if err := box2.Deliver(ctx2, ep, &http.Client{}, fastRetry, quiet); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range rc.got() {
		seen[id] = true
	}
	for _, ev := range events {
		if !seen[ev.ID] {
			t.Errorf("event %s was lost in the restart (first run delivered %d)", ev.ID, first)
		}
	}
}

// The reference check refuses a tampered body, a stale or future
// timestamp and another endpoint's secret.
func TestVerifyRefusesTamperingAndReplays(t *testing.T) {
	secret, _ := NewSecret()
	other, _ := NewSecret()
	body := []byte(`{"id":"evt_1","type":"lead.mql"}`)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	headers := func(at time.Time, b []byte, key string) http.Header {
		sig, err := Sign(key, "evt_1", at, b)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(HeaderID, "evt_1")
		h.Set(HeaderTimestamp, fmt.Sprint(at.Unix()))
		h.Set(HeaderSignature, sig)
		return h
	}
	cases := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"good", headers(now, body, secret), body, nil},
		{"tampered body", headers(now, body, secret), []byte(`{"id":"evt_1","type":"lead.assigned"}`), ErrBadSignature},
		{"stale", headers(now.Add(-10*time.Minute), body, secret), body, ErrStale},
		{"from the future", headers(now.Add(10*time.Minute), body, secret), body, ErrStale},
		{"another secret", headers(now, body, other), body, ErrBadSignature},
	}
	for _, c := range cases {
		err := Verify(secret, c.h, c.body, now, 5*time.Minute)
		if !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// The signature is the standard's: HMAC-SHA256 of "id.timestamp.body",
	// worked out independently here.
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(fmt.Sprintf("evt_1.%d.%s", now.Unix(), body)))
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); headers(now, body, secret).Get(HeaderSignature) != want {
		t.Errorf("signature %s, want %s", headers(now, body, secret).Get(HeaderSignature), want)
	}
}

// A receiver that answers with a redirect has not received the event: the
// redirect is not followed (the target never sees the signed body), each
// attempt fails, and the event ends in dead/ with the reason in the log.
func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	var targetHits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { targetHits.Add(1) }))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	ep := Endpoint{ID: "ep_redirect", URL: redirector.URL, Secret: "whsec_test"}
	dir := t.TempDir()
	box, err := OpenOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := box.Enqueue(testEvents(t, 1)[0], []Endpoint{ep}); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if err := box.Deliver(t.Context(), ep, &http.Client{}, Retry{Base: time.Millisecond, Max: 5 * time.Millisecond, Attempts: 3}, log); err != nil {
		t.Fatal(err)
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("the redirect's target was sent the event %d times", n)
	}
	dead, _ := filepath.Glob(filepath.Join(dir, "*", "dead", "*"))
	deeper, _ := filepath.Glob(filepath.Join(dir, "dead", "*"))
	dead = append(dead, deeper...)
	if len(dead) != 1 || !strings.Contains(logs.String(), "redirect") {
		t.Errorf("dead letters %v; log:\n%s", dead, logs.String())
	}
}
