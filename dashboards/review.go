package dashboards

import (
	"net/url"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/reports"
)

// ServedReviewLinks are the links of a review the server shows: the leads
// page for the week's lists, the leaked leads of a crack as CSV, and the
// reviews of the weeks either side ("week:2026-W46").
func ServedReviewLinks(list string, r reports.Review) string {
	if week, ok := strings.CutPrefix(list, "week:"); ok {
		return "/review?" + url.Values{"week": {week}, "tz": {r.TZ}}.Encode()
	}
	q := url.Values{"from": {r.From.Format(time.DateOnly)}, "to": {r.To.Format(time.DateOnly)}, "tz": {r.TZ},
		"as_of": {r.AsOf.Format(time.RFC3339)}}
	if crack, ok := strings.CutPrefix(list, "leaked:"); ok {
		q.Set("what", crack)
		q.Set("format", "csv")
		return "/download/reports/leaked?" + q.Encode()
	}
	q.Set("what", list)
	return "/leads?" + q.Encode()
}
