package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
	"github.com/handoff-dev/handoff/scoring"
)

// contentSecurityPolicy lets a page run only the server's own script
// files: no inline script, no event-handler attribute, nothing from
// another origin. Charts travel as JSON data blocks (dashboards.Chart),
// which are never executed. Inline style stays allowed: the weekly review
// is one self-contained file with its style inside, and style cannot run
// code.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secureHeaders are on every answer, pages and API alike.
func secureHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	c.Next()
}

// requestIDKey is where a request's id is kept on its gin context.
const requestIDKey = "handoff.request_id"

// tagRequest gives each request an id: in the X-Request-Id header, in its
// log line, and in any "internal error" answer, so a person who reports one
// can be matched to the cause in the log.
func tagRequest(c *gin.Context) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// hostAllowList is the set of names a server answers to. A page on another
// site whose name is made to resolve to 127.0.0.1 (DNS rebinding) reaches
// the open loopback dashboards with its own name in Host: refusing names
// the server was not told is what keeps it out.
type hostAllowList struct {
	names map[string]bool
	any   bool
}

// newHostAllowList allows names, plus the address the server listens on,
// localhost and the loopback addresses. A server listening on every
// address (0.0.0.0 or ::) also allows the addresses of this machine's
// interfaces and its host name.
func newHostAllowList(names []string, listen net.Addr) *hostAllowList {
	h := &hostAllowList{names: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}}
	for _, n := range names {
		if n == "*" {
			h.any = true
		}
		h.names[strings.ToLower(strings.Trim(n, "[]"))] = true
	}
	if tcp, ok := listen.(*net.TCPAddr); ok {
		if tcp.IP.IsUnspecified() {
			if addrs, err := net.InterfaceAddrs(); err == nil {
				for _, a := range addrs {
					if ipn, ok := a.(*net.IPNet); ok {
						h.names[ipn.IP.String()] = true
					}
				}
			}
			if name, err := os.Hostname(); err == nil {
				h.names[strings.ToLower(name)] = true
			}
		} else {
			h.names[tcp.IP.String()] = true
		}
	}
	return h
}

// allows says whether a Host header (name, or name:port) is one of the
// server's.
func (h *hostAllowList) allows(host string) bool {
	if h.any {
		return true
	}
	name := host
	if n, _, err := net.SplitHostPort(host); err == nil {
		name = n
	}
	name = strings.ToLower(strings.Trim(name, "[]"))
	return name != "" && h.names[name]
}

func (h *hostAllowList) list() []string {
	var out []string
	for n := range h.names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// checkHost answers 421 to a Host the server was not told. /healthz stays
// open to any name: monitors and load balancers probe it by address.
func (s *Server) checkHost(c *gin.Context) {
	hosts := s.hosts.Load()
	if hosts == nil || hosts.allows(c.Request.Host) || c.Request.URL.Path == "/healthz" {
		c.Next()
		return
	}
	// The names it does answer to go to the log, not to whoever asked.
	s.log.Warn("refused host", "host", c.Request.Host, "path", c.Request.URL.Path, "request_id", requestID(c), "allowed", strings.Join(hosts.list(), ", "))
	problem(c, http.StatusMisdirectedRequest, fmt.Sprintf("this server does not answer to the name %q: if it should, start it with --host %s", hostName(c.Request.Host), hostName(c.Request.Host)))
}

func hostName(host string) string {
	if n, _, err := net.SplitHostPort(host); err == nil {
		return n
	}
	return host
}

// checkOrigin refuses a state-changing request a browser sent from another
// site. A browser sends Origin with every POST and PUT; a request that
// carries a valid bearer token is not riding on a browser's cookie or on
// the open loopback (a page on another site cannot set Authorization
// without a CORS preflight, which this server never grants), so it needs
// none.
func (s *Server) checkOrigin(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	if bearer, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer "); ok {
		if _, err := s.tokens.check(strings.TrimSpace(bearer), ""); err == nil {
			c.Next()
			return
		}
	}
	if _, err := c.Cookie(tokenCookie); err != nil && strings.HasPrefix(c.Request.URL.Path, "/api/") {
		// No browser credential: the API's own check refuses it.
		c.Next()
		return
	}
	origin := c.GetHeader("Origin")
	if origin == "" {
		// Older browsers leave Origin out of same-origin posts but say
		// where the request came from in Sec-Fetch-Site.
		if site := c.GetHeader("Sec-Fetch-Site"); site == "same-origin" || site == "none" {
			c.Next()
			return
		}
		problem(c, http.StatusForbidden, "this request changes the lake or the server and carries no Origin: send it from the server's own pages, or with a bearer token")
		return
	}
	u, err := url.Parse(origin)
	if err != nil || !strings.EqualFold(u.Host, c.Request.Host) {
		problem(c, http.StatusForbidden, fmt.Sprintf("a request from %s may not change this server: send it from the server's own pages", origin))
		return
	}
	c.Next()
}

// errorStatus is the one table from an error to what the caller is told:
// the status, and the message, which for a 500 is only "internal error"
// and the request id (the cause, which may hold SQL or paths, goes to the
// log).
func (s *Server) errorStatus(c *gin.Context, err error) (int, string) {
	var se *statusError
	switch {
	case errors.As(err, &se):
		return se.status, se.msg
	case errors.Is(err, reports.ErrBadParam):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, scoring.ErrBadRules):
		// The rules are the operator's own text, checked against the lake:
		// what is wrong with them is theirs to read.
		return http.StatusUnprocessableEntity, err.Error()
	case errors.Is(err, reports.ErrNoLead):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, lake.ErrNoLake):
		return http.StatusServiceUnavailable, fmt.Sprintf("the lake %s holds nothing yet: ingest exports first (handoff ingest --lake %s PATH...)", s.opts.Lake, s.opts.Lake)
	case errors.Is(err, reports.ErrEmptyLake):
		return http.StatusServiceUnavailable, err.Error()
	}
	id := requestID(c)
	s.log.Error("internal error", "path", c.Request.URL.Path, "request_id", id, "error", err)
	return http.StatusInternalServerError, internalMessage(id)
}

func internalMessage(id string) string {
	return fmt.Sprintf("internal error (request id %s): the server's log has the cause", id)
}

// statusError is an error that says what the caller is told: a status
// below 500 and its message.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// httpError is an answer of status with message, as an error a handler
// returns.
func httpError(status int, message string) error {
	return &statusError{status: status, msg: message}
}

// handle adapts a handler that returns its error: the error is answered
// once, here, through errorStatus.
func (s *Server) handle(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.fail(c, err)
		}
	}
}
