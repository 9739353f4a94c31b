package server

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/reports"
)

func put(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// RevOps replaces the rules over the API: a file with a mistake changes
// nothing and names its line; a good one takes effect at once (the scores
// follow it) and is saved over the --rules file.
func TestRulesAPI(t *testing.T) {
	lakeDir := fixtureLake(t)
	raw, err := os.ReadFile("../testdata/routing/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := withFixtureRules(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), FeedEvery: -1})
	opts.RulesPath = path
	base := startServerWith(t, opts)
	_, manager, err := CreateToken(lakeDir, "revops", []string{ScopeRules})
	if err != nil {
		t.Fatal(err)
	}
	_, reader, err := CreateToken(lakeDir, "crm", []string{ScopeFeed})
	if err != nil {
		t.Fatal(err)
	}
	l2 := func() string {
		_, body := get(t, base+"/api/v1/scores/L2")
		return string(body)
	}
	if !strings.Contains(l2(), `"mql":true`) {
		t.Fatalf("L2 before: %s", l2())
	}

	bad := strings.Replace(string(raw), "kind: page_view", "kind: page_veiw", 1)
	if code, body := put(t, base+"/api/v1/rules", manager, bad); code != http.StatusUnprocessableEntity || !strings.Contains(body, `unknown activity kind \"page_veiw\"`) || !strings.Contains(body, "line ") {
		t.Errorf("a rule with a typo: %d %s", code, body)
	}
	if code, _ := put(t, base+"/api/v1/rules", reader, string(raw)); code != http.StatusForbidden {
		t.Errorf("a token without rules:manage: %d", code)
	}
	if !strings.Contains(l2(), `"mql":true`) {
		t.Errorf("a refused file changed the scores: %s", l2())
	}

	// MQL threshold 45 → 50: L2 (45 points) is no longer an MQL.
	good := strings.Replace(string(raw), "mql: 45", "mql: 50", 1)
	code, body := put(t, base+"/api/v1/rules", manager, good)
	if code != http.StatusOK || !strings.Contains(body, `"version":1`) {
		t.Fatalf("good rules: %d %s", code, body)
	}
	if !strings.Contains(l2(), `"mql":false`) || !strings.Contains(l2(), "not an MQL (threshold 50)") {
		t.Errorf("L2 after the change: %s", l2())
	}
	if saved, _ := os.ReadFile(path); string(saved) != good {
		t.Errorf("the rules file was not saved:\n%s", saved)
	}
	resp, got := get(t, base+"/api/v1/rules")
	if resp.StatusCode != http.StatusOK || string(got) != good || resp.Header.Get("X-Rules-Version") != "1" {
		t.Errorf("GET rules: %d version %s", resp.StatusCode, resp.Header.Get("X-Rules-Version"))
	}
}
