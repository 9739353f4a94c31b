package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/ingest/ingesttest"
	"github.com/handoff-dev/handoff/sample/sampletest"
)

// A whole list from the API streams past the cache, and says so; its
// bytes are the bytes of the same list cut from the cache as one page big
// enough for every row (the path the fixture's tests check), in CSV and
// JSON. A bad parameter is still a 400: nothing is sent before the report
// has checked its parameters.
func TestWholeListsStream(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	for _, q := range []string{
		"leads?what=created", "leads?what=assigned", "sla-breaches?", "stuck?", "leaked?",
	} {
		for _, format := range []string{"csv", "json"} {
			u := base + "/api/v1/reports/" + q + "&as_of=" + fixtureAsOf + "&format=" + format
			resp, streamed := get(t, u)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cache") != "stream" {
				t.Fatalf("%s: %d, X-Cache %q", u, resp.StatusCode, resp.Header.Get("X-Cache"))
			}
			resp, cached := get(t, u+"&limit=1000000")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cache") == "stream" {
				t.Fatalf("%s as a page: %d, X-Cache %q", u, resp.StatusCode, resp.Header.Get("X-Cache"))
			}
			if string(streamed) != string(cached) {
				t.Errorf("%s: streamed and cached differ:\n%s\n---\n%s", u, streamed, cached)
			}
		}
	}
	resp, body := get(t, base+"/api/v1/reports/leads?what=nonsense&format=csv")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "what must be one of") {
		t.Errorf("a bad what: %d %s", resp.StatusCode, body)
	}
}

// A page's download of a list goes to a person's spreadsheet: text that
// starts like a formula is sent as text there, as it is in every other
// page download, and as it is in the API's CSV, for programs.
func TestStreamedDownloadIsSpreadsheetSafe(t *testing.T) {
	formula := `=HYPERLINK("http://evil.example","x")`
	lakeDir := ingesttest.Files(t, nil, map[string]string{
		"leads.csv": "lead_id,created_at,email_domain,company,country,region,industry,company_size,title,source,campaign,owner_id,updated_at\n" +
			`F1,2026-01-05T09:00:00Z,f.com,"` + strings.ReplaceAll(formula, `"`, `""`) + `",United States,NA,Software,50,CTO,web,c1,,` + "\n",
	})
	base := startServer(t, lakeDir)
	_, page := get(t, base+"/download/reports/leads?what=created&format=csv")
	if !strings.Contains(string(page), `"'=HYPERLINK(""http://evil.example"",""x"")"`) {
		t.Errorf("page download:\n%s", page)
	}
	_, api := get(t, base+"/api/v1/reports/leads?what=created&format=csv")
	if !strings.Contains(string(api), `"=HYPERLINK(""http://evil.example"",""x"")"`) {
		t.Errorf("API CSV:\n%s", api)
	}
}

// The leads page shows the head of a long list, streamed, and the whole
// list's count, which the API's full list agrees with.
func TestLeadsPageShowsTheHeadOfALongList(t *testing.T) {
	l := sampletest.Lake(t, 3000, 11)
	base := startServer(t, l.Dir)
	resp, body := get(t, base+"/api/v1/reports/leads?what=created&format=csv")
	if resp.StatusCode != http.StatusOK {
		t.Fatal(resp.StatusCode)
	}
	total := strings.Count(string(body), "\n") - 1
	if total <= 500 {
		t.Fatalf("%d leads: the list must be longer than the page's 500", total)
	}
	_, page := get(t, base+"/leads?what=created")
	want := fmt.Sprintf("The first 500 rows are shown; the downloads have all %d.", total)
	if !strings.Contains(string(page), want) || !strings.Contains(string(page), fmt.Sprintf(": %d</h2>", total)) {
		t.Errorf("the leads page does not say %q with the count in its title", want)
	}
	if rows := strings.Count(string(page), `<tr>`) - 1; rows != 500 {
		t.Errorf("the page lists %d rows, want 500", rows)
	}
	// The page kept only its head: the whole list is not in the cache.
	resp, _ = get(t, base+"/api/v1/reports/leads?what=created&limit=100000")
	if resp.Header.Get("X-Cache") != "miss" {
		t.Errorf("after the page, the whole list is a cache %s: the page held it whole", resp.Header.Get("X-Cache"))
	}
}
