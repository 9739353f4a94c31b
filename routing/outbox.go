package routing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/handoff-dev/handoff/lake"
)

// EventTypes are the events the feed pushes.
var EventTypes = []string{"score.changed", "lead.mql", "lead.routed", "lead.assigned", "sla.nudge_owner", "sla.nudge_manager", "sla.reassign"}

// Event is one thing that happened to a lead, as pushed to webhooks.
type Event struct {
	// ID is stable: the same event made again (after a restart, or by a
	// second pass over the same lake) has the same id, so a receiver can
	// drop repeats.
	ID   string          `json:"id"`
	Type string          `json:"type"`
	At   time.Time       `json:"timestamp"`
	Data json.RawMessage `json:"data"`
}

// NewEvent makes an event whose id is a hash of its type and key: what
// makes it this event and no other (a lead and a time, a lead and a score).
func NewEvent(typ, key string, at time.Time, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, err
	}
	sum := sha256.Sum256([]byte(typ + "\x00" + key))
	return Event{ID: "evt_" + hex.EncodeToString(sum[:12]), Type: typ, At: at.UTC(), Data: raw}, nil
}

// Endpoint is a webhook receiver.
type Endpoint struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"` // none: every type
	// Secret signs deliveries; it is generated per endpoint and kept with
	// the lake, readable by its owner only.
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"created_at"`
}

func (e Endpoint) wants(typ string) bool { return len(e.Events) == 0 || slices.Contains(e.Events, typ) }

// Outbox keeps every event for every endpoint on disk until the endpoint
// took it, so a restart loses nothing: a delivery is a file, written before
// the first attempt and removed after a 2xx, moved aside after the last
// attempt fails.
type Outbox struct {
	dir string
	mu  sync.Mutex
	seq int64
	// queued are the event ids waiting per endpoint, read from disk the
	// first time an endpoint is used, so a repeat is skipped without a
	// directory scan per event.
	queued map[string]map[string]bool
}

// OpenOutbox opens (making it if needed) the outbox in dir.
func OpenOutbox(dir string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	o := &Outbox{dir: dir, queued: map[string]map[string]bool{}}
	// Continue the sequence past anything already queued.
	entries, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	for _, e := range entries {
		var n int64
		if _, err := fmt.Sscanf(filepath.Base(e), "%d-", &n); err == nil && n > o.seq {
			o.seq = n
		}
	}
	if o.seq == 0 {
		o.seq = time.Now().UnixNano()
	}
	return o, nil
}

// Enqueue queues an event for every endpoint that wants it, durably, and
// skips an endpoint that has it queued already (same id).
func (o *Outbox) Enqueue(ev Event, endpoints []Endpoint) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ep := range endpoints {
		if !ep.wants(ev.Type) {
			continue
		}
		dir := filepath.Join(o.dir, ep.ID)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		queued, err := o.queuedFor(ep.ID)
		if err != nil {
			return err
		}
		if queued[ev.ID] {
			continue
		}
		o.seq++
		if err := writeDurably(filepath.Join(dir, fmt.Sprintf("%020d-%s.json", o.seq, ev.ID)), body); err != nil {
			return fmt.Errorf("enqueue %s for %s: %w", ev.ID, ep.ID, err)
		}
		queued[ev.ID] = true
	}
	return nil
}

// queuedFor is the set of event ids waiting for an endpoint; o.mu is held.
func (o *Outbox) queuedFor(endpointID string) (map[string]bool, error) {
	if q, ok := o.queued[endpointID]; ok {
		return q, nil
	}
	files, err := o.Pending(endpointID)
	if err != nil {
		return nil, err
	}
	q := map[string]bool{}
	for _, f := range files {
		if _, id, ok := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".json"), "-"); ok {
			q[id] = true
		}
	}
	o.queued[endpointID] = q
	return q, nil
}

// done forgets a delivery that left the queue.
func (o *Outbox) done(endpointID, eventID string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.queued[endpointID], eventID)
}

// Pending lists an endpoint's queued deliveries, oldest first.
func (o *Outbox) Pending(endpointID string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(o.dir, endpointID, "*.json"))
	sort.Strings(files)
	return files, err
}

// writeDurably puts a whole file in place, synced: the outbox's promise
// that a queued event survives a crash.
func writeDurably(path string, data []byte) error {
	return lake.WriteAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// Retry says how long to wait between attempts: exponential from Base,
// capped at Max, each wait drawn between half and the whole of it (jitter,
// so receivers coming back are not hit by every sender at once), and how
// many attempts before a delivery is set aside.
type Retry struct {
	Base, Max time.Duration
	Attempts  int
}

// DefaultRetry spreads 15 attempts over about a day.
var DefaultRetry = Retry{Base: 5 * time.Second, Max: 2 * time.Hour, Attempts: 15}

func (r Retry) wait(attempt int) time.Duration {
	d := r.Base << min(attempt, 30)
	if d > r.Max || d <= 0 {
		d = r.Max
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Deliver sends an endpoint's queue in order until it is empty or ctx
// ends: each delivery signed afresh, retried on failure with backoff, set
// aside in dead/ after the last attempt.
func (o *Outbox) Deliver(ctx context.Context, ep Endpoint, client *http.Client, retry Retry, log *slog.Logger) error {
	for {
		files, err := o.Pending(ep.ID)
		if err != nil || len(files) == 0 {
			return err
		}
		for _, f := range files {
			if err := o.deliverOne(ctx, ep, f, client, retry, log); err != nil {
				return err
			}
		}
	}
}

func (o *Outbox) deliverOne(ctx context.Context, ep Endpoint, file string, client *http.Client, retry Retry, log *slog.Logger) error {
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return fmt.Errorf("outbox %s: %w", file, err)
	}
	for attempt := 0; ; attempt++ {
		err := send(ctx, client, ep, ev.ID, body)
		if err == nil {
			o.done(ep.ID, ev.ID)
			return os.Remove(file)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt+1 >= retry.Attempts {
			log.Warn("webhook given up", "endpoint", ep.ID, "event", ev.ID, "attempts", attempt+1, "error", err)
			dead := filepath.Join(filepath.Dir(file), "dead")
			if err := os.MkdirAll(dead, 0o700); err != nil {
				return err
			}
			o.done(ep.ID, ev.ID)
			return os.Rename(file, filepath.Join(dead, filepath.Base(file)))
		}
		wait := retry.wait(attempt)
		log.Info("webhook retry", "endpoint", ep.ID, "event", ev.ID, "attempt", attempt+1, "in", wait, "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func send(ctx context.Context, client *http.Client, ep Endpoint, id string, body []byte) error {
	now := time.Now()
	sig, err := Sign(ep.Secret, id, now, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, fmt.Sprint(now.Unix()))
	req.Header.Set(HeaderSignature, sig)
	// A redirect is not followed: the signed event would go to an address
	// nobody configured (another host, or one inside this network). It
	// counts as a failed attempt, with where it pointed in the log.
	noRedirects := *client
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirects.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return fmt.Errorf("receiver answered %d, a redirect to %q, which webhooks do not follow: set the endpoint's URL to the final address", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
	return nil
}

// Endpoints file: DIR/access/webhooks.json, owner-only.

// ErrNoEndpoint: no webhook endpoint by that id.
var ErrNoEndpoint = errors.New("no such webhook endpoint")

// EndpointsFile is where a lake keeps its webhook endpoints.
func EndpointsFile(lakeDir string) string { return filepath.Join(lakeDir, "access", "webhooks.json") }

// OutboxDir is where a lake keeps undelivered events.
func OutboxDir(lakeDir string) string { return filepath.Join(lakeDir, "access", "outbox") }

// ReadEndpoints lists the lake's webhook endpoints.
func ReadEndpoints(lakeDir string) ([]Endpoint, error) {
	raw, err := os.ReadFile(EndpointsFile(lakeDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var eps []Endpoint
	return eps, json.Unmarshal(raw, &eps)
}

// AddEndpoint registers a receiver with a secret of its own and returns it.
func AddEndpoint(lakeDir, url string, events []string) (Endpoint, error) {
	for _, e := range events {
		if !slices.Contains(EventTypes, e) {
			return Endpoint{}, fmt.Errorf("unknown event %q: want %s", e, strings.Join(EventTypes, ", "))
		}
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return Endpoint{}, fmt.Errorf("webhook url %q: want http:// or https://", url)
	}
	secret, err := NewSecret()
	if err != nil {
		return Endpoint{}, err
	}
	eps, err := ReadEndpoints(lakeDir)
	if err != nil {
		return Endpoint{}, err
	}
	id := fmt.Sprintf("ep_%d", time.Now().UnixNano())
	ep := Endpoint{ID: id, URL: url, Events: events, Secret: secret, CreatedAt: time.Now().UTC()}
	raw, err := json.MarshalIndent(append(eps, ep), "", "  ")
	if err != nil {
		return Endpoint{}, err
	}
	if err := os.MkdirAll(filepath.Dir(EndpointsFile(lakeDir)), 0o700); err != nil {
		return Endpoint{}, err
	}
	if err := writeDurably(EndpointsFile(lakeDir), raw); err != nil {
		return Endpoint{}, err
	}
	return ep, os.Chmod(EndpointsFile(lakeDir), 0o600)
}
