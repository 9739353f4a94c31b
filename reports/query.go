package reports

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Query is a report request as text, the way the command line's flags and
// the API's URL parameters carry it. Params turns it into checked Params;
// every error wraps ErrBadParam and names the parameter.
type Query struct {
	From, To string // dates, YYYY-MM-DD, in TZ
	AsOf     string // RFC 3339, or a date meaning the end of that day in TZ
	TZ       string
	Grain    string
	Window   string // 90d, 12w, 36h
	By       string
	Clock    string
	What     string // the leads report's list
	// Filters are DIM=VALUE pairs.
	Filters []string
	// Flags names parameters in errors as command-line flags (--as-of)
	// rather than URL parameters (as_of).
	Flags bool
}

// name is how an error calls the parameter whose URL name is param.
func (q Query) name(param string) string {
	if q.Flags {
		return "--" + strings.ReplaceAll(param, "_", "-")
	}
	return param
}

// Params parses q. Empty fields take the defaults of Params.
func (q Query) Params() (Params, error) {
	p := Params{TZ: q.TZ, Grain: q.Grain, By: q.By, Clock: q.Clock, What: q.What, flags: q.Flags}
	var err error
	if p.From, err = parseDate(q.name("from"), q.From); err != nil {
		return p, err
	}
	if p.To, err = parseDate(q.name("to"), q.To); err != nil {
		return p, err
	}
	if q.AsOf != "" {
		if p.AsOf, err = parseInstant(q.name("as_of"), q.AsOf, q.TZ); err != nil {
			return p, err
		}
	}
	if q.Window != "" {
		if p.Window, err = ParseDuration(q.Window); err != nil {
			return p, err
		}
	}
	if p.Filters, err = parseFilters(q.name("filter"), q.Filters); err != nil {
		return p, err
	}
	return p, nil
}

func parseDate(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q: want a date as YYYY-MM-DD", ErrBadParam, name, s)
	}
	return d, nil
}

// parseInstant reads an as-of time: RFC 3339, or a date meaning the end of
// that day in the reporting zone.
func parseInstant(name, s, tz string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q: want RFC 3339 (2026-10-31T18:00:00Z) or a date (2026-10-31)", ErrBadParam, name, s)
	}
	if tz == "" {
		tz = "UTC"
	}
	if err := checkTimeZone("tz", tz); err != nil {
		return time.Time{}, err
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc).Add(-time.Microsecond), nil
}

func parseFilters(name string, fs []string) (map[string][]string, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	out := map[string][]string{}
	for _, f := range fs {
		dim, value, ok := strings.Cut(f, "=")
		dim = strings.TrimSpace(dim)
		if !ok || dim == "" {
			return nil, fmt.Errorf("%w: %s %q: want DIM=VALUE, e.g. source=webinar", ErrBadParam, name, f)
		}
		out[dim] = append(out[dim], value)
	}
	return out, nil
}

// URLParams are a report's parameters by their URL names, besides the
// dimensions, each of which filters directly (source=webinar).
var URLParams = []string{"from", "to", "as_of", "tz", "grain", "window", "by", "clock", "filter", "sla", "what"}

// QueryFromValues reads a report request from URL-style values, as the API
// and the scheduled exports take them: the URLParams, and a dimension as a
// filter (an empty value is no filter). also are keys the caller reads
// itself (format, limit); any other key is an error. only is the sla
// parameter (sla-breaches' one SLA).
func QueryFromValues(v url.Values, also ...string) (q Query, only string, err error) {
	for key := range v {
		if !slices.Contains(URLParams, key) && !slices.Contains(Dimensions, key) && !slices.Contains(also, key) {
			return q, "", fmt.Errorf("%w: unknown parameter %q: want %s, or a dimension (%s) to filter on", ErrBadParam, key,
				strings.Join(append(slices.Clone(URLParams), also...), ", "), strings.Join(Dimensions, ", "))
		}
	}
	q = Query{
		From: v.Get("from"), To: v.Get("to"), AsOf: v.Get("as_of"), TZ: v.Get("tz"), Grain: v.Get("grain"),
		Window: v.Get("window"), By: v.Get("by"), Clock: v.Get("clock"), What: v.Get("what"), Filters: v["filter"],
	}
	for _, dim := range Dimensions {
		for _, x := range v[dim] {
			if x != "" {
				q.Filters = append(q.Filters, dim+"="+x)
			}
		}
	}
	return q, v.Get("sla"), nil
}
