package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/apache/arrow-go/v18/arrow/flight/flightsql/driver"
)

// lockedBuffer is written by the serving goroutine and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServeAnswersAndStopsOnSignal(t *testing.T) {
	lakeDir := fixtureLake(t)
	// The API needs a token: made here the way a person would.
	var tokenOut, tokenErr bytes.Buffer
	if code := run(context.Background(), []string{"token", "create", "--lake", lakeDir, "--scope", "reports:read", "--name", "test"},
		strings.NewReader(""), &tokenOut, &tokenErr); code != exitOK {
		t.Fatalf("token create: exit %d\n%s", code, tokenErr.String())
	}
	token := strings.TrimSpace(tokenOut.String())
	if !strings.HasPrefix(token, "hnd_") || !strings.Contains(tokenErr.String(), "shown only now") {
		t.Fatalf("token create printed %q\n%s", token, tokenErr.String())
	}
	// And one for SQL clients.
	tokenOut.Reset()
	if code := run(context.Background(), []string{"token", "create", "--lake", lakeDir, "--scope", "lake:read", "--name", "bi"},
		strings.NewReader(""), &tokenOut, &tokenErr); code != exitOK {
		t.Fatalf("token create: exit %d\n%s", code, tokenErr.String())
	}
	sqlToken := strings.TrimSpace(tokenOut.String())
	addr, flightAddr := freeAddr(t), freeAddr(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--lake", lakeDir, "--addr", addr, "--flight-addr", flightAddr, "--log-format", "json"}, strings.NewReader(""), &out, &errOut)
	}()

	// Until the server answers or the test binary's deadline: no clock of
	// the test's own, so a slow start on a busy machine is not a failure.
	client := &http.Client{}
	var resp *http.Response
	var err error
	waitCtx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancelWait context.CancelFunc
		waitCtx, cancelWait = context.WithDeadline(waitCtx, d.Add(-10*time.Second))
		defer cancelWait()
	}
	for {
		req, _ := http.NewRequestWithContext(waitCtx, http.MethodGet, "http://"+addr+"/api/v1/reports/funnel?as_of=2026-04-01T00:00:00Z&format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err = client.Do(req)
		if err == nil || waitCtx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server never answered: %v\n%s%s", err, out.String(), errOut.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("funnel: %d", resp.StatusCode)
	}

	// A SQL client through the Flight SQL endpoint, with the token of
	// scope lake:read: the fixture's 13 leads. The reports token lacks
	// the scope and is refused.
	for _, c := range []struct {
		token string
		ok    bool
	}{{sqlToken, true}, {token, false}} {
		db, err := sql.Open("flightsql", "flightsql://"+flightAddr+"?timeout=20s&token="+c.token)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = db.QueryRow("SELECT count(*) FROM leads").Scan(&n)
		db.Close()
		switch {
		case c.ok && (err != nil || n != 13):
			t.Errorf("Flight SQL count of leads: %d, %v; want 13", n, err)
		case !c.ok && (err == nil || !strings.Contains(err.Error(), "lake:read")):
			t.Errorf("Flight SQL with a reports:read token: %v; want a refusal naming lake:read", err)
		}
	}
	if !strings.Contains(out.String(), "flightsql://"+flightAddr) {
		t.Errorf("serve did not say where SQL clients connect:\n%s", out.String())
	}
	if resp, err := client.Get("http://" + addr + "/data"); err != nil {
		t.Error(err)
	} else {
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "flightsql://"+flightAddr) {
			t.Errorf("the data page does not say where SQL clients connect")
		}
	}

	cancel() // what Ctrl-C does through main's signal context
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of the signal")
	}
	if !strings.Contains(out.String(), "Serving "+lakeDir+" on http://"+addr) || !strings.Contains(out.String(), "Stopped.") {
		t.Errorf("output:\n%s", out.String())
	}
	// One structured log line per request, at info by default.
	var logged bool
	for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "request" && rec["path"] == "/api/v1/reports/funnel" && rec["status"] == 200.0 {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no JSON request log for the funnel request:\n%s", errOut.String())
	}
}

// freeAddr is a 127.0.0.1 address nothing listens on just now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeNeedsALake(t *testing.T) {
	if code, _, errOut := runCLI(t, "serve"); code != exitUsage || !strings.Contains(errOut, "--lake") {
		t.Fatalf("serve without --lake: %d %s", code, errOut)
	}
}

func TestServeFlightTLSNeedsBoth(t *testing.T) {
	code, _, errOut := runCLI(t, "serve", "--lake", t.TempDir(), "--flight-tls-cert", "cert.pem")
	if code != exitUsage || !strings.Contains(errOut, "--flight-tls-key") {
		t.Fatalf("a certificate without its key: %d %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "serve", "--lake", t.TempDir(), "--flight-tls-cert", "missing.pem", "--flight-tls-key", "missing.key")
	if code != exitFailure || !strings.Contains(errOut, "missing.pem") {
		t.Fatalf("a missing certificate: %d %s", code, errOut)
	}
}
