package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/reports"
)

// send makes one request with the given Host and headers, and returns the
// status and body.
func send(t *testing.T, method, base, path, host string, headers map[string]string, body io.Reader) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	// No time limit of its own: a slow answer on a busy machine is not a
	// failure, and the test binary's -timeout bounds a hang.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// A page on another site whose name resolves to 127.0.0.1 (DNS rebinding)
// sends its own name as Host: refused on GET and POST, though the loopback
// dashboards are open. The names the server was told, and its own
// address, are answered; a same-origin upload goes through.
func TestHostAllowListAndOrigin(t *testing.T) {
	base := startServerWith(t, Options{Lake: fixtureLake(t), Config: reports.DefaultConfig(), FeedEvery: -1, Hosts: []string{"handoff.internal"}})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	upload := func() (io.Reader, string) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		part, _ := w.CreateFormFile("files", "users.csv")
		io.WriteString(part, "user_id,name,team,role,region,timezone,working_hours,capacity,active\nU9,Zed,SDR NA,sdr,NA,UTC,,10,true\n")
		w.WriteField("source", "auto")
		w.Close()
		return &body, w.FormDataContentType()
	}
	for _, c := range []struct {
		name, method, path, host, origin string
		want                             int
	}{
		{"foreign host, GET", "GET", "/overview", "evil.example:" + port, "", http.StatusMisdirectedRequest},
		{"foreign host, API", "GET", "/api/v1/openapi.json", "evil.example:" + port, "", http.StatusMisdirectedRequest},
		{"foreign host, POST with its own origin", "POST", "/data/upload", "evil.example:" + port, "http://evil.example:" + port, http.StatusMisdirectedRequest},
		{"foreign host, health", "GET", "/healthz", "evil.example:" + port, "", http.StatusOK},
		{"address", "GET", "/overview", "127.0.0.1:" + port, "", http.StatusOK},
		{"localhost", "GET", "/overview", "localhost:" + port, "", http.StatusOK},
		{"LOCALHOST without a port", "GET", "/overview", "LOCALHOST", "", http.StatusOK},
		{"a name the server was told", "GET", "/overview", "handoff.internal:" + port, "", http.StatusOK},
		{"upload from another origin", "POST", "/data/upload", "", "http://evil.example", http.StatusForbidden},
		{"upload with no origin", "POST", "/data/upload", "", "", http.StatusForbidden},
		{"upload from this origin", "POST", "/data/upload", "", base, http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			headers := map[string]string{}
			var body io.Reader
			if c.method == "POST" {
				var ct string
				body, ct = upload()
				headers["Content-Type"] = ct
			}
			if c.origin != "" {
				headers["Origin"] = c.origin
			}
			got, _, text := send(t, c.method, base, c.path+"?as_of="+fixtureAsOf, c.host, headers, body)
			if got != c.want {
				t.Errorf("%d, want %d\n%.300s", got, c.want, text)
			}
		})
	}
}

// Every answer carries the headers that keep a page from being framed,
// sniffed or given inline script.
func TestSecurityHeaders(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	for _, path := range []string{"/overview", "/login", "/api/v1/reports", "/nowhere", "/assets/handoff.js", "/review"} {
		_, h, _ := send(t, "GET", base, path, "", nil, nil)
		csp := h.Get("Content-Security-Policy")
		// Scripts only from the server's own files: no inline script.
		if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", path, k, got, want)
			}
		}
		if h.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", path)
		}
	}
}

// HEAD is answered wherever GET is, with GET's status and headers and no
// body; the API's description needs no token.
func TestHeadAndOpenAPIWithoutToken(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	for _, path := range []string{"/overview", "/healthz", "/assets/echarts.min.js", "/api/v1/openapi.json", "/download/reports/funnel"} {
		getStatus, getHeaders, _ := send(t, "GET", base, path+"?as_of="+fixtureAsOf, "", nil, nil)
		headStatus, headHeaders, body := send(t, "HEAD", base, path+"?as_of="+fixtureAsOf, "", nil, nil)
		if getStatus != http.StatusOK || headStatus != getStatus || body != "" || headHeaders.Get("Content-Type") != getHeaders.Get("Content-Type") {
			t.Errorf("%s: GET %d %s, HEAD %d %s with %d bytes", path, getStatus, getHeaders.Get("Content-Type"), headStatus, headHeaders.Get("Content-Type"), len(body))
		}
	}
	status, _, body := send(t, "GET", base, "/api/v1/openapi.json", "", nil, nil)
	var doc map[string]any
	if status != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil || doc["openapi"] == nil {
		t.Errorf("openapi.json without a token: %d %.200s", status, body)
	}
}

// X-Forwarded-For is a header like any other unless the server was told
// to trust the proxy that sends it: the log names the real peer.
func TestForwardedForIsNotTrusted(t *testing.T) {
	var mu sync.Mutex
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
	base := startServerWith(t, Options{Lake: fixtureLake(t), Config: reports.DefaultConfig(), FeedEvery: -1, Logger: logger})
	send(t, "GET", base, "/healthz", "", map[string]string{"X-Forwarded-For": "203.0.113.9"}, nil)
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), "203.0.113.9") || !strings.Contains(logs.String(), `"remote":"127.0.0.1"`) {
		t.Errorf("the request log:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A 500 says "internal error" and a request id; the cause, which may hold
// SQL or paths, is only in the log, under the same id.
func TestInternalErrorsHideTheirCause(t *testing.T) {
	var mu sync.Mutex
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
	lakeDir := fixtureLake(t)
	srv := New(Options{Lake: lakeDir, Config: reports.DefaultConfig(), FeedEvery: -1, Logger: logger})
	srv.openRoute("GET", "/test/fail", func(c *gin.Context) { srv.fail(c, errors.New("SELECT secret FROM '/srv/lake/leads.parquet' failed")) })
	srv.openRoute("GET", "/test/panic", func(*gin.Context) { panic("boom at /srv/lake") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	base := "http://" + ln.Addr().String()
	for _, path := range []string{"/test/fail", "/test/panic"} {
		status, h, body := send(t, "GET", base, path, "", nil, nil)
		id := h.Get("X-Request-Id")
		if status != http.StatusInternalServerError || strings.Contains(body, "/srv/lake") || !strings.Contains(body, "internal error (request id "+id+")") {
			t.Errorf("%s: %d %s", path, status, body)
		}
		mu.Lock()
		logged := logs.String()
		mu.Unlock()
		if !strings.Contains(logged, id) || !strings.Contains(logged, "/srv/lake") {
			t.Errorf("%s: the log lacks the cause under %s:\n%s", path, id, logged)
		}
	}
	if status, _, _ := send(t, "GET", base, "/healthz", "", nil, nil); status != http.StatusOK {
		t.Errorf("after the panic /healthz answers %d", status)
	}
}

// A body that never arrives and a kept-alive connection that sends nothing
// are both closed by the server. The limits here are short; the wait for
// the close is long and only there so that a server that never closes
// fails instead of hanging the test.
func TestSlowBodiesAndIdleConnectionsTimeOut(t *testing.T) {
	base := startServerWith(t, Options{Lake: fixtureLake(t), Config: reports.DefaultConfig(), FeedEvery: -1,
		ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond})
	addr := strings.TrimPrefix(base, "http://")
	// Reading to the end returns once the server closes; a server that
	// never closed would hang until the test binary's -timeout, so the
	// read stops a little before it, whatever the machine's speed.
	closedWithin := func(conn net.Conn) error {
		if deadline, ok := t.Deadline(); ok {
			conn.SetReadDeadline(deadline.Add(-5 * time.Second))
		}
		_, err := io.ReadAll(conn)
		return err
	}
	// A POST that promises a body and sends a few bytes of it.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /data/upload HTTP/1.1\r\nHost: "+addr+"\r\nOrigin: "+base+"\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n--x\r\n")
	if err := closedWithin(conn); err != nil {
		t.Errorf("a body that stalls: the connection was not closed (%v)", err)
	}
	// A kept-alive connection after one answer.
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	if err := closedWithin(idle); err != nil {
		t.Errorf("an idle connection: not closed (%v)", err)
	}
}
