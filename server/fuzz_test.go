package server

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/handoff-dev/handoff/reports"
)

// No report parameters, however odd, make the server fail: a parameter it
// cannot read is the caller's error (4xx), never a 500. The seeds are the
// ones that were 500s (time zones Go takes and DuckDB refuses) and the
// shapes each parameter takes.
func FuzzReportParams(f *testing.F) {
	for _, seed := range []struct {
		report                                        uint8
		from, to, asOf, tz, by, grain, window, filter string
	}{
		{0, "2026-01-01", "2026-03-31", "", "UTC", "source", "month", "", "source=web"},
		{1, "", "", "2026-04-01T00:00:00Z", "Local", "", "", "", ""},
		{2, "", "", "", "posixrules", "owner", "week", "90d", ""},
		{3, "2026-02-30", "2026-01-01", "2026-04-01", "Europe/Berlin", "team", "quarter", "-5d", "segment=smb"},
		{4, "9999-12-31", "0001-01-01", "yesterday", "America/New_York", "weekday_hour", "day", "0", "=web"},
		{5, "2026-01-01", "", "", "+05:00", "campaign", "year", "100000000d", "source"},
		{6, "", "", "", "Etc/GMT+12", "nothing", "", "", "owner=U1"},
		{7, "", "", "2026-04-01T00:00:00+25:00", "", "", "", "1.5d", "region=NA"},
	} {
		f.Add(seed.report, seed.from, seed.to, seed.asOf, seed.tz, seed.by, seed.grain, seed.window, seed.filter)
	}
	base := startServer(f, fixtureLake(f))
	names := reports.Names()
	token, _ := apiTokens.Load(base)
	client := &http.Client{}
	f.Fuzz(func(t *testing.T, report uint8, from, to, asOf, tz, by, grain, window, filter string) {
		q := url.Values{}
		for k, v := range map[string]string{"from": from, "to": to, "as_of": asOf, "tz": tz, "by": by, "grain": grain, "window": window, "filter": filter} {
			if v != "" {
				q.Set(k, v)
			}
		}
		name := names[int(report)%len(names)]
		for _, path := range []string{"/api/v1/reports/" + name, "/funnel", "/sla"} {
			req, err := http.NewRequest(http.MethodGet, base+path+"?"+q.Encode(), nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token.(string))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Errorf("%s?%s: %d", path, q.Encode(), resp.StatusCode)
			}
		}
	})
}
