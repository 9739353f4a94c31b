package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/reports"
)

func getWith(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Every API route refuses a missing, wrong, revoked or out-of-scope token,
// and answers a token with its scope. The routes come from the server
// itself, so a route added later is checked too.
func TestAPIRefusesBadTokens(t *testing.T) {
	lakeDir := fixtureLake(t)
	base := startServerWith(t, withFixtureRules(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), FeedEvery: -1}))
	scoped := map[string]string{}
	for _, scope := range Scopes {
		_, tok, err := CreateToken(lakeDir, scope, []string{scope})
		if err != nil {
			t.Fatal(err)
		}
		scoped[scope] = tok
	}
	revoked, revokedToken, err := CreateToken(lakeDir, "old", Scopes)
	if err != nil {
		t.Fatal(err)
	}
	if err := RevokeToken(lakeDir, revoked.ID); err != nil {
		t.Fatal(err)
	}
	// What each route needs, by its path ("" is any token).
	need := map[string]string{
		"/api/v1/openapi.json": "", "/api/v1/reports": ScopeReports, "/api/v1/reports/:name": ScopeReports,
		"/api/v1/scores": ScopeFeed, "/api/v1/scores/:lead": ScopeFeed, "/api/v1/routing": ScopeFeed,
		"/api/v1/routing/:lead": ScopeFeed, "/api/v1/rules": ScopeRules, "/api/v1/leads/:lead/context": ScopeFeed,
	}
	checked := 0
	for _, route := range New(Options{}).engine.Routes() {
		if !strings.HasPrefix(route.Path, "/api/") {
			continue
		}
		scope, ok := need[route.Path]
		if !ok {
			t.Errorf("route %s %s: the test does not know its scope", route.Method, route.Path)
			continue
		}
		path := strings.NewReplacer(":name", "funnel", ":lead", "L2").Replace(route.Path)
		send := func(token string) int {
			req, _ := http.NewRequest(route.Method, base+path, strings.NewReader("{}"))
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for name, c := range map[string]struct {
			token string
			want  int
		}{
			"missing": {"", http.StatusUnauthorized},
			"wrong":   {"hnd_notatokenofthisserver", http.StatusUnauthorized},
			"revoked": {revokedToken, http.StatusUnauthorized},
		} {
			if got := send(c.token); got != c.want {
				t.Errorf("%s %s with a %s token: %d, want %d", route.Method, route.Path, name, got, c.want)
			}
		}
		for s, tok := range scoped {
			got := send(tok)
			switch {
			case scope != "" && s != scope && got != http.StatusForbidden:
				t.Errorf("%s %s with only %s: %d, want 403", route.Method, route.Path, s, got)
			case (scope == "" || s == scope) && (got == http.StatusUnauthorized || got == http.StatusForbidden):
				t.Errorf("%s %s with %s: %d, want it let through", route.Method, route.Path, s, got)
			}
		}
		checked++
	}
	if checked < len(need) {
		t.Errorf("checked %d routes, the table knows %d", checked, len(need))
	}
	// Nothing is stored in the clear.
	tokens, err := ReadTokens(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tokens {
		if strings.HasPrefix(tk.Hash, "hnd_") || tk.Hash == scoped[ScopeReports] {
			t.Errorf("token %s is stored in the clear", tk.ID)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "[::1]:8080": true, "0.0.0.0:8080": false, "192.168.1.20:8080": false, "[::]:8080": false} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := isLoopback(a); got != want {
			t.Errorf("%s: loopback %v, want %v", addr, got, want)
		}
	}
}

// Beyond the loopback address (here: behind a proxy, RequireToken) the
// dashboards ask for a token once and keep it in a cookie.
func TestDashboardsNeedATokenBeyondLoopback(t *testing.T) {
	lakeDir := fixtureLake(t)
	base := startServerWith(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), RequireToken: true})
	_, token, err := CreateToken(lakeDir, "me", []string{ScopeReports})
	if err != nil {
		t.Fatal(err)
	}
	resp := getWith(t, base+"/overview?as_of="+fixtureAsOf, "")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("a page without a token: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	client := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	bad, err := client.PostForm(base+"/login", url.Values{"token": {"hnd_wrong"}, "next": {"/overview"}})
	if err != nil {
		t.Fatal(err)
	}
	bad.Body.Close()
	if bad.StatusCode != http.StatusUnauthorized {
		t.Errorf("signing in with a wrong token: %d", bad.StatusCode)
	}
	good, err := client.PostForm(base+"/login", url.Values{"token": {token}, "next": {"/overview"}})
	if err != nil {
		t.Fatal(err)
	}
	good.Body.Close()
	var cookie *http.Cookie
	for _, ck := range good.Cookies() {
		if ck.Name == tokenCookie {
			cookie = ck
		}
	}
	if good.StatusCode != http.StatusSeeOther || good.Header.Get("Location") != "/overview" || cookie == nil || !cookie.HttpOnly {
		t.Fatalf("signing in: %d %s, cookie %v", good.StatusCode, good.Header.Get("Location"), cookie)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/overview?as_of="+fixtureAsOf, nil)
	req.AddCookie(cookie)
	page, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Errorf("a page with the cookie: %d", page.StatusCode)
	}
	// An open redirect is not offered.
	evil, err := client.PostForm(base+"/login", url.Values{"token": {token}, "next": {"//evil.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	evil.Body.Close()
	if evil.Header.Get("Location") != "/" {
		t.Errorf("next=//evil.example/ redirected to %s", evil.Header.Get("Location"))
	}
}
