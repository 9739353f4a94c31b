package server

import (
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
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

// routeKind says how a route is reached.
type routeKind int

const (
	// openRoute: no token, anywhere (assets, health, sign-in, the API's
	// description).
	openRoute routeKind = iota
	// pageRoute: open on the loopback address (unless --require-token),
	// a token with the route's scope anywhere else, by cookie or header.
	pageRoute
	// apiRoute: a bearer token with the route's scope, always.
	apiRoute
)

// route is one registered route and who may use it; the authorization
// sweep test reads these against the router, so a route registered any
// other way fails it.
type route struct {
	Method, Path string
	Kind         routeKind
	Scope        string
}

func (s *Server) openRoute(method, path string, h gin.HandlerFunc) {
	s.addRoute(route{Method: method, Path: path, Kind: openRoute}, h)
}

func (s *Server) pageRoute(method, path, scope string, h gin.HandlerFunc) {
	s.addRoute(route{Method: method, Path: path, Kind: pageRoute, Scope: scope}, s.pageAccess(scope), h)
}

func (s *Server) apiRoute(method, path, scope string, h gin.HandlerFunc) {
	s.addRoute(route{Method: method, Path: path, Kind: apiRoute, Scope: scope}, s.requireScope(scope), h)
}

// addRoute registers r; a GET is answered for HEAD too (net/http drops the
// body of a HEAD answer).
func (s *Server) addRoute(r route, handlers ...gin.HandlerFunc) {
	s.engine.Handle(r.Method, r.Path, handlers...)
	s.routes = append(s.routes, r)
	if r.Method == http.MethodGet {
		s.engine.Handle(http.MethodHead, r.Path, handlers...)
		r.Method = http.MethodHead
		s.routes = append(s.routes, r)
	}
}

// tokenKey is where pageAccess keeps the request's token.
const tokenKey = "handoff.token"

// pageAccess keeps the pages open on the loopback address and asks for a
// token with scope anywhere else: no token (or one that is not live) is
// sent to sign in, a live token without the scope is told which scope the
// page needs.
func (s *Server) pageAccess(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.loopback.Load() {
			c.Next()
			return
		}
		tok, err := s.tokens.check(presented(c), "")
		if err != nil {
			if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
				c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
				c.Abort()
				return
			}
			problem(c, http.StatusUnauthorized, err.Error())
			return
		}
		if !slices.Contains(tok.Scopes, scope) {
			c.Status(http.StatusForbidden)
			c.Header("Content-Type", "text/html; charset=utf-8")
			_ = scopePage.Execute(c.Writer, map[string]string{"Scope": scope, "Token": tok.ID, "Has": strings.Join(tok.Scopes, ", ")})
			c.Abort()
			return
		}
		c.Set(tokenKey, tok)
		c.Next()
	}
}

// mayWriteLake says whether the request may upload: on the open
// loopback, or with a lake:write token.
func (s *Server) mayWriteLake(c *gin.Context) bool {
	if s.loopback.Load() {
		return true
	}
	tok, ok := c.Get(tokenKey)
	return ok && slices.Contains(tok.(Token).Scopes, ScopeLakeWrite)
}

// mayReadFeed says whether the request may see scores, routing decisions
// and explanations: on the open loopback, or with a feed:read token.
func (s *Server) mayReadFeed(c *gin.Context) bool {
	if s.loopback.Load() {
		return true
	}
	tok, ok := c.Get(tokenKey)
	return ok && slices.Contains(tok.(Token).Scopes, ScopeFeed)
}

var scopePage = template.Must(template.New("scope").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Needs {{.Scope}} · handoff</title><link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/handoff.css"></head><body>
<main><h1>This needs the scope {{.Scope}}</h1>
<p class="alert">Your token {{.Token}} has {{.Has}}, not {{.Scope}}.</p>
<p class="note">Create a token that has it where the lake lives, then <a href="/login">sign in</a> with it:
<code>handoff token create --lake DIR --scope {{.Scope}} --name "me"</code>.</p>
<p><a href="/overview">Back to the overview</a></p></main></body></html>`))

// pageScopes are the scopes a token may carry to sign in to the pages.
var pageScopes = []string{ScopeReports, ScopeFeed, ScopeLakeWrite}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · handoff</title><link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/handoff.css"></head><body>
<main><h1>handoff</h1>
<p class="note">This server asks for a token at its dashboards: one with the reports:read scope (feed:read adds scores and routing, lake:write the upload).
Create one where the lake lives: <code>handoff token create --lake DIR --scope reports:read --name "me"</code>.</p>
{{if .Error}}<p class="alert">{{.Error}}</p>{{end}}
<form class="upload" method="post" action="/login">
<input type="hidden" name="next" value="{{.Next}}">
<label>Token <input name="token" type="password" size="44" autocomplete="off" required></label>
<button type="submit">Open the dashboards</button></form></main></body></html>`))

func (s *Server) login(c *gin.Context) {
	next := c.Query("next")
	if c.Request.Method == http.MethodPost {
		// checkOrigin has refused a sign-in posted from another site.
		next = c.PostForm("next")
		token := strings.TrimSpace(c.PostForm("token"))
		tok, err := s.tokens.check(token, "")
		if err == nil && !slices.ContainsFunc(pageScopes, func(sc string) bool { return slices.Contains(tok.Scopes, sc) }) {
			err = fmt.Errorf("token %s has %s: the pages need one of %s", tok.ID, strings.Join(tok.Scopes, ", "), strings.Join(pageScopes, ", "))
		}
		if err != nil {
			c.Status(http.StatusUnauthorized)
			c.Header("Content-Type", "text/html; charset=utf-8")
			_ = loginPage.Execute(c.Writer, map[string]string{"Error": err.Error(), "Next": next})
			return
		}
		c.SetSameSite(http.SameSiteStrictMode)
		c.SetCookie(tokenCookie, token, 0, "/", "", c.Request.TLS != nil, true)
		c.Redirect(http.StatusSeeOther, sameOriginPath(next))
		return
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = loginPage.Execute(c.Writer, map[string]string{"Next": sameOriginPath(next)})
}

// sameOriginPath is next when it is a path on this server, else "/".
// Browsers read a backslash as a slash and drop tabs and newlines, so
// "/\evil.example" and "/", tab, "/evil.example" would leave the site:
// any of them refuses the path.
func sameOriginPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// isLoopback says whether a listener answers only this machine.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
