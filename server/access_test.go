package server

import (
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
// and answers a good one.
func TestAPIRefusesBadTokens(t *testing.T) {
	lakeDir := fixtureLake(t)
	base := startServer(t, lakeDir)
	_, reportsToken, err := CreateToken(lakeDir, "bi", []string{ScopeReports})
	if err != nil {
		t.Fatal(err)
	}
	_, feedToken, err := CreateToken(lakeDir, "crm", []string{ScopeFeed})
	if err != nil {
		t.Fatal(err)
	}
	revoked, revokedToken, err := CreateToken(lakeDir, "old", []string{ScopeReports, ScopeFeed})
	if err != nil {
		t.Fatal(err)
	}
	if err := RevokeToken(lakeDir, revoked.ID); err != nil {
		t.Fatal(err)
	}
	routes := []struct {
		path  string
		scope string // what the route needs; "" any token
	}{
		{"/api/v1/openapi.json", ""},
		{"/api/v1/reports", ScopeReports},
		{"/api/v1/reports/funnel?as_of=" + fixtureAsOf, ScopeReports},
	}
	for _, r := range routes {
		for _, c := range []struct {
			name, token string
			want        int
		}{
			{"missing", "", http.StatusUnauthorized},
			{"wrong", "hnd_notatokenofthisserver", http.StatusUnauthorized},
			{"revoked", revokedToken, http.StatusUnauthorized},
			{"reports scope", reportsToken, http.StatusOK},
			{"feed scope only", feedToken, map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[r.scope == ""]},
		} {
			if resp := getWith(t, base+r.path, c.token); resp.StatusCode != c.want {
				t.Errorf("%s with a %s token: %d, want %d", r.path, c.name, resp.StatusCode, c.want)
			}
		}
	}
	// Nothing is stored in the clear.
	tokens, err := ReadTokens(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tokens {
		if strings.HasPrefix(tk.Hash, "hnd_") || tk.Hash == reportsToken {
			t.Errorf("token %s is stored in the clear", tk.ID)
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
