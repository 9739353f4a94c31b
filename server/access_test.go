package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/reports"
)

// Tokens are stored as hashes only.
func TestTokensAreNotStoredInTheClear(t *testing.T) {
	lakeDir := t.TempDir()
	_, plain, err := CreateToken(lakeDir, "reader", []string{ScopeReports})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is stored in the clear.
	tokens, err := ReadTokens(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tokens {
		if strings.HasPrefix(tk.Hash, "hnd_") || tk.Hash == plain {
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
	code, h, _ := send(t, "GET", base, "/overview?as_of="+fixtureAsOf, "", nil, nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
		t.Fatalf("a page without a token: %d %s", code, h.Get("Location"))
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Signing in as the browser does it: a form posted from the login page.
	signIn := func(form url.Values) (*http.Response, error) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		return client.Do(req)
	}
	bad, err := signIn(url.Values{"token": {"hnd_wrong"}, "next": {"/overview"}})
	if err != nil {
		t.Fatal(err)
	}
	bad.Body.Close()
	if bad.StatusCode != http.StatusUnauthorized {
		t.Errorf("signing in with a wrong token: %d", bad.StatusCode)
	}
	good, err := signIn(url.Values{"token": {token}, "next": {"/overview"}})
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
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/overview?as_of="+fixtureAsOf, nil)
	req.AddCookie(cookie)
	page, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Errorf("a page with the cookie: %d", page.StatusCode)
	}
	// An open redirect is not offered, in any of the shapes browsers read
	// as another site.
	for _, next := range []string{"//evil.example/", "/\\evil.example", "/\\/evil.example", "/\t/evil.example", "https://evil.example/", "/%0a/evil.example\\x", "javascript:alert(1)"} {
		evil, err := signIn(url.Values{"token": {token}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		evil.Body.Close()
		if evil.Header.Get("Location") != "/" {
			t.Errorf("next=%q redirected to %s", next, evil.Header.Get("Location"))
		}
	}
	// A sign-in posted from another site is refused before the token is
	// looked at.
	req, _ = http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	foreign, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	foreign.Body.Close()
	if foreign.StatusCode != http.StatusForbidden || len(foreign.Cookies()) > 0 {
		t.Errorf("a sign-in from another site: %d, cookies %v", foreign.StatusCode, foreign.Cookies())
	}
}
