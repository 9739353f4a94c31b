package server

import (
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// tokenCookie carries a token for the dashboards when the server is bound
// beyond the loopback address.
const tokenCookie = "handoff_token"

// presented is the token a request carries: a bearer header, or the
// dashboards' cookie.
func presented(c *gin.Context) string {
	if h := c.GetHeader("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	if ck, err := c.Cookie(tokenCookie); err == nil {
		return ck
	}
	return ""
}

// requireScope lets a request through only with a live token carrying
// scope ("" for any scope). Every API route sits behind it, wherever the
// server is bound: no default secret exists, and a server without tokens
// answers its API to nobody.
func (s *Server) requireScope(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, err := s.tokens.check(presented(c), scope); err != nil {
			status := http.StatusUnauthorized
			if strings.Contains(err.Error(), "lacks the scope") {
				status = http.StatusForbidden
			}
			c.Header("WWW-Authenticate", `Bearer realm="handoff"`)
			problem(c, status, err.Error())
			c.Abort()
			return
		}
		c.Next()
	}
}

// dashboardAccess keeps the pages open on the loopback address and asks
// for a token (once, kept in a cookie) anywhere else.
func (s *Server) dashboardAccess(c *gin.Context) {
	if s.loopback.Load() {
		c.Next()
		return
	}
	if _, err := s.tokens.check(presented(c), ScopeReports); err != nil {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		c.Abort()
		return
	}
	c.Next()
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · handoff</title><link rel="stylesheet" href="/assets/handoff.css"></head><body>
<main><h1>handoff</h1>
<p class="note">This server is reachable beyond this machine, so its dashboards need a token with the reports:read scope.
Create one where the lake lives: <code>handoff token create --lake DIR --scope reports:read --name "me"</code>.</p>
{{if .Error}}<p class="alert">{{.Error}}</p>{{end}}
<form class="upload" method="post" action="/login">
<input type="hidden" name="next" value="{{.Next}}">
<label>Token <input name="token" type="password" size="44" autocomplete="off" required></label>
<button type="submit">Open the dashboards</button></form></main></body></html>`))

func (s *Server) login(c *gin.Context) {
	next := c.Query("next")
	if c.Request.Method == http.MethodPost {
		next = c.PostForm("next")
		if origin := c.GetHeader("Origin"); origin != "" {
			if u, err := url.Parse(origin); err != nil || u.Host != c.Request.Host {
				problem(c, http.StatusForbidden, "sign in from this server's own page")
				return
			}
		}
		token := strings.TrimSpace(c.PostForm("token"))
		if _, err := s.tokens.check(token, ScopeReports); err != nil {
			c.Status(http.StatusUnauthorized)
			loginPage.Execute(c.Writer, map[string]string{"Error": err.Error(), "Next": next})
			return
		}
		c.SetSameSite(http.SameSiteStrictMode)
		c.SetCookie(tokenCookie, token, 0, "/", "", c.Request.TLS != nil, true)
		if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
			next = "/"
		}
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	loginPage.Execute(c.Writer, map[string]string{"Next": next})
}

// isLoopback says whether a listener answers only this machine.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
