package server

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/reports"
)

// The authorization sweep: every route the router holds × every kind of
// token × the two ways the dashboards are bound (open on loopback, and
// --require-token). The routes are read from the router, so a route added
// later is swept too, and one registered without saying who may use it
// fails here.
func TestAuthorizationSweep(t *testing.T) {
	for _, mode := range []struct {
		name         string
		requireToken bool
	}{{"loopback open", false}, {"require-token", true}} {
		t.Run(mode.name, func(t *testing.T) {
			lakeDir := fixtureLake(t)
			srv, base := startServerObject(t, withFixtureRules(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), FeedEvery: -1, RequireToken: mode.requireToken}))
			only := map[string]string{}   // a token with just this scope
			allBut := map[string]string{} // a token with every other scope
			for _, scope := range Scopes {
				_, tok, err := CreateToken(lakeDir, "only "+scope, []string{scope})
				if err != nil {
					t.Fatal(err)
				}
				only[scope] = tok
				others := slices.DeleteFunc(slices.Clone(Scopes), func(s string) bool { return s == scope })
				if _, tok, err = CreateToken(lakeDir, "all but "+scope, others); err != nil {
					t.Fatal(err)
				}
				allBut[scope] = tok
			}
			revoked, revokedToken, err := CreateToken(lakeDir, "old", Scopes)
			if err != nil {
				t.Fatal(err)
			}
			if err := RevokeToken(lakeDir, revoked.ID); err != nil {
				t.Fatal(err)
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

			registered := map[string]route{}
			for _, r := range srv.routes {
				registered[r.Method+" "+r.Path] = r
			}
			swept := 0
			for _, ginRoute := range srv.engine.Routes() {
				r, ok := registered[ginRoute.Method+" "+ginRoute.Path]
				if !ok {
					t.Errorf("%s %s is not registered through openRoute, pageRoute or apiRoute: nobody says who may use it", ginRoute.Method, ginRoute.Path)
					continue
				}
				if r.Kind != openRoute && !slices.Contains(Scopes, r.Scope) {
					t.Errorf("%s %s needs the scope %q, which no token can have", r.Method, r.Path, r.Scope)
				}
				path := strings.NewReplacer(":name", "funnel", ":lead", "L2", "*filepath", "handoff.css").Replace(r.Path)
				for _, v := range []struct {
					name   string
					header string // the Authorization header
					// refused: the token is no token at all; scoped: it
					// is live, with (right) or without the scope.
					refused, right bool
				}{
					{"no token", "", true, false},
					{"malformed token", "Bearer hnd_ not a token; \"quoted\"", true, false},
					{"basic credentials", "Basic aGFuZG9mZjpobmRfeA==", true, false},
					{"wrong token", "Bearer hnd_notatokenofthisserver", true, false},
					{"revoked token", "Bearer " + revokedToken, true, false},
					{"wrong-scope token", "Bearer " + allBut[r.Scope], false, false},
					{"right-scope token", "Bearer " + only[r.Scope], false, true},
				} {
					if r.Kind == openRoute && v.name == "wrong-scope token" {
						continue
					}
					body := strings.NewReader("not: [valid")
					req, err := http.NewRequest(r.Method, base+path, body)
					if err != nil {
						t.Fatal(err)
					}
					// A same-origin browser, so that Origin is not what
					// decides.
					req.Header.Set("Origin", base)
					if v.header != "" {
						req.Header["Authorization"] = []string{v.header}
					}
					resp, err := client.Do(req)
					if err != nil {
						t.Fatalf("%s %s: %v", r.Method, path, err)
					}
					resp.Body.Close()
					got := resp.StatusCode
					toLogin := got == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login")
					letThrough := got != http.StatusUnauthorized && got != http.StatusForbidden && !toLogin
					var want string
					switch {
					case r.Method == http.MethodPost && r.Path == "/login":
						// The sign-in form carries no token here: the
						// form's own refusal, whatever the header says.
						if got != http.StatusUnauthorized {
							want = "401 from the sign-in form"
						}
					case r.Kind == openRoute, r.Kind == pageRoute && !mode.requireToken, v.right:
						if !letThrough {
							want = "let through"
						}
					case r.Kind == pageRoute && v.refused && (r.Method == http.MethodGet || r.Method == http.MethodHead):
						if !toLogin {
							want = "303 to /login"
						}
					case v.refused:
						if got != http.StatusUnauthorized {
							want = "401"
						}
					default:
						if got != http.StatusForbidden {
							want = "403"
						}
					}
					if want != "" {
						t.Errorf("%s %s with %s: %d %s, want %s", r.Method, r.Path, v.name, got, resp.Header.Get("Location"), want)
					}
				}
				swept++
			}
			if swept < 40 {
				t.Errorf("swept %d routes: fewer than the server has", swept)
			}
			t.Logf("swept %d routes", swept)
		})
	}
}

// A page a token cannot see says which scope it needs.
func TestPageSaysWhichScopeItNeeds(t *testing.T) {
	lakeDir := fixtureLake(t)
	base := startServerWith(t, withFixtureRules(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), FeedEvery: -1, RequireToken: true}))
	rec, tok, err := CreateToken(lakeDir, "reader", []string{ScopeReports})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, scope string }{{"/scoring", ScopeFeed}, {"/routing", ScopeFeed}} {
		req, _ := http.NewRequest(http.MethodGet, base+c.path, nil)
		req.AddCookie(&http.Cookie{Name: tokenCookie, Value: tok})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		_, _ = fmt.Fprint(&body, readAll(t, resp))
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body.String(), "This needs the scope "+c.scope) || !strings.Contains(body.String(), rec.ID) {
			t.Errorf("%s with a reports:read token: %d\n%s", c.path, resp.StatusCode, body.String())
		}
	}
	// The lead's page opens, without the score.
	req, _ := http.NewRequest(http.MethodGet, base+"/leads/L2", nil)
	req.AddCookie(&http.Cookie{Name: tokenCookie, Value: tok})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "need a token with the feed:read scope") || strings.Contains(body, `<span class="label">Score</span>`) {
		t.Errorf("/leads/L2 with a reports:read token: %d\n%s", resp.StatusCode, body)
	}
	// The data page offers no form to a token that cannot upload.
	req, _ = http.NewRequest(http.MethodGet, base+"/data", nil)
	req.AddCookie(&http.Cookie{Name: tokenCookie, Value: tok})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK || strings.Contains(body, `action="/data/upload"`) || !strings.Contains(body, "needs a token with the lake:write scope") {
		t.Errorf("/data with a reports:read token: %d\n%s", resp.StatusCode, body)
	}
	// Upload needs lake:write.
	req, _ = http.NewRequest(http.MethodPost, base+"/data/upload", strings.NewReader(""))
	req.Header.Set("Origin", base)
	req.AddCookie(&http.Cookie{Name: tokenCookie, Value: tok})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "lake:write") {
		t.Errorf("an upload with a reports:read token: %d\n%s", resp.StatusCode, body)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
