package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/ingest/ingesttest"
)

// The leaks page on testdata/leaks as of 2026-03-01 (its README): 16 of
// 21 MQLs leaked; the list holds them with their evidence; a count opens
// the leads of its crack and period, here January's two leads that were
// never dispositioned (D1, D2).
func TestLeaksPage(t *testing.T) {
	base := startServer(t, ingesttest.Fixture(t, "leaks"))
	const asOf = "2026-03-01T00:00:00Z"
	resp, body := get(t, base+"/leaks?as_of="+asOf)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	page := string(body)
	for _, want := range []string{
		`<span class="value">16</span>`, "76.2% of 21 MQLs",
		`<a href="/leads/D2">D2</a>`, "decided 2026-01-29 12:00 (late)",
		"crack=never_dispositioned", "from=2026-01-01", "to=2026-01-31",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the leaks page lacks %q", want)
		}
	}
	resp, body = get(t, base+"/leaks?as_of="+asOf+"&crack=never_dispositioned&from=2026-01-01&to=2026-01-31")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	page = string(body)
	if !strings.Contains(page, `href="/leads/D1"`) || !strings.Contains(page, `href="/leads/D2"`) || strings.Contains(page, `href="/leads/C1"`) {
		t.Errorf("the never-dispositioned list of January is not D1 and D2 alone")
	}
}
