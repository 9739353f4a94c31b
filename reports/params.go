// Package reports turns the models into typed reports: a parameter struct
// checked before any SQL runs, and typed rows for each report. Every rate
// travels with its numerator and denominator.
package reports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// Errors a caller branches on.
var (
	// ErrEmptyLake: the lake holds no event to report on.
	ErrEmptyLake = models.ErrEmptyLake
	// ErrBadParam: a parameter is outside what the report accepts.
	ErrBadParam = errors.New("bad report parameter")
)

// Dimensions are the breakdown and filter names every lead-level report
// knows. Some reports add their own (week, hour) or allow fewer.
var Dimensions = []string{"source", "campaign", "segment", "region", "industry", "owner", "team"}

// ScoreBand is the breakdown by each lead's score band: the quadrant of its
// score at handoff under the scoring rules (sales, nurture, watch,
// no_action; unscored for a lead with no scoring time yet). The funnel,
// sources, quality and response-curve reports take it when there are rules.
const ScoreBand = "score_band"

// BandDimensions are Dimensions and the score band.
var BandDimensions = append(append([]string(nil), Dimensions...), ScoreBand)

// Grains are the period lengths a report can cut time into.
var Grains = []string{"day", "week", "month", "quarter"}

// Clocks are the ways an SLA or response clock counts time.
var Clocks = []string{"calendar", "business"}

// Params are the parameters common to every report. The zero value means:
// all the data, as of the latest event, in UTC, by month, 90-day window, no
// breakdown, no filter, calendar clock.
type Params struct {
	// From and To are local dates in TZ; the period is From 00:00 up to the
	// end of To (To is included). Zero means unbounded.
	From, To time.Time
	// AsOf is the time the report is computed at. Zero: the latest event in
	// the lake, so a historical export reads as of its own end.
	AsOf time.Time
	// TZ is the reporting time zone (IANA name); "" is UTC.
	TZ string
	// Grain cuts periods: day, week (Monday), month, quarter. "" is month.
	Grain string
	// Window is the funnel conversion window; 0 is 90 days.
	Window time.Duration
	// By is the breakdown dimension; "" is none.
	By string
	// Filters keep rows whose dimension value is one of the listed values.
	// Values of one dimension combine with OR, dimensions with AND.
	Filters map[string][]string
	// Clock is "calendar" or "business" for the response report; "" is
	// calendar.
	Clock string
	// What is the list the leads report draws (DrillLists); "" elsewhere.
	What string
	// ScoreBands, when there are scoring rules, fills each lead's score
	// band (lead_bands in base.sql) for a breakdown by score_band; nil
	// without rules, and such a breakdown is refused.
	ScoreBands func(context.Context, *lake.Lake) error
	// flags names parameters in errors as command-line flags (set by a
	// Query from the command line), else as URL parameters.
	flags bool
}

// DefaultWindow is the funnel conversion window when none is given.
const DefaultWindow = 90 * 24 * time.Hour

// withDefaults fills the zero values.
func (p Params) withDefaults() Params {
	if p.TZ == "" {
		p.TZ = "UTC"
	}
	if p.Grain == "" {
		p.Grain = "month"
	}
	if p.Window == 0 {
		p.Window = DefaultWindow
	}
	if p.Clock == "" {
		p.Clock = "calendar"
	}
	return p
}

// check validates p for a report that accepts the breakdowns in by.
func (p Params) check(report string, by []string) error {
	// Errors name each parameter as its caller wrote it: --to on the
	// command line, to in a URL.
	name := Query{Flags: p.flags}.name
	if err := checkTimeZone(name("tz"), p.TZ); err != nil {
		return err
	}
	if !slices.Contains(Grains, p.Grain) {
		return fmt.Errorf("%w: grain %q: want one of %s", ErrBadParam, p.Grain, strings.Join(Grains, ", "))
	}
	if !slices.Contains(Clocks, p.Clock) {
		return fmt.Errorf("%w: clock %q: want one of %s", ErrBadParam, p.Clock, strings.Join(Clocks, ", "))
	}
	if p.Window < 0 {
		return fmt.Errorf("%w: %s must be positive", ErrBadParam, name("window"))
	}
	if p.By != "" && !slices.Contains(by, p.By) {
		if len(by) == 0 {
			return fmt.Errorf("%w: report %s takes no %s", ErrBadParam, report, name("by"))
		}
		return fmt.Errorf("%w: report %s cannot break down by %q: want one of %s", ErrBadParam, report, p.By, strings.Join(by, ", "))
	}
	for dim := range p.Filters {
		if !slices.Contains(Dimensions, dim) {
			return fmt.Errorf("%w: cannot filter on %q: want one of %s", ErrBadParam, dim, strings.Join(Dimensions, ", "))
		}
	}
	if report == "leads" && !slices.Contains(DrillLists, p.What) {
		return fmt.Errorf("%w: report leads: what must be one of %s", ErrBadParam, strings.Join(DrillLists, ", "))
	}
	if report == "leaked" && p.What != "" && !slices.Contains(Cracks, p.What) {
		return fmt.Errorf("%w: report leaked: what must be a crack: %s", ErrBadParam, strings.Join(Cracks, ", "))
	}
	if report != "leads" && report != "leaked" && p.What != "" {
		return fmt.Errorf("%w: only reports leads and leaked take %s", ErrBadParam, name("what"))
	}
	if !p.From.IsZero() && !p.To.IsZero() && p.To.Before(p.From) {
		return fmt.Errorf("%w: %s %s is before %s %s", ErrBadParam, name("to"), p.To.Format(time.DateOnly), name("from"), p.From.Format(time.DateOnly))
	}
	for _, d := range []struct {
		param string
		t     time.Time
	}{{"from", p.From}, {"to", p.To}, {"as_of", p.AsOf}} {
		if !d.t.IsZero() && (d.t.Year() < minYear || d.t.Year() > maxYear) {
			return fmt.Errorf("%w: %s %s: want a date between %d and %d", ErrBadParam, name(d.param), d.t.Format(time.DateOnly), minYear, maxYear)
		}
	}
	// A period is a row of every periodic report: a range of centuries by
	// day would be millions of them, hours of work for nobody to read.
	end := p.To
	if end.IsZero() {
		end = p.AsOf
	}
	if !p.From.IsZero() && !end.IsZero() {
		if n := periodsBetween(p.From, end, p.Grain); n > maxPeriods {
			return fmt.Errorf("%w: %s to %s is about %d %s periods, more than the %d a report draws: pick a coarser %s or a shorter range",
				ErrBadParam, p.From.Format(time.DateOnly), end.Format(time.DateOnly), n, p.Grain, maxPeriods, name("grain"))
		}
	}
	return nil
}

// The dates a report takes, and the periods it draws at most.
const (
	minYear, maxYear = 1900, 2999
	maxPeriods       = 5000
)

// periodsBetween is roughly how many grain periods from..to spans.
func periodsBetween(from, to time.Time, grain string) int {
	days := int(to.Sub(from).Hours()/24) + 1
	switch grain {
	case "day":
		return days
	case "week":
		return days/7 + 1
	case "quarter":
		return days/91 + 1
	}
	return days/30 + 1
}

// args are the bound values every model may use; each model takes the ones
// it names.
func (p Params) args() map[string]any {
	loc, _ := time.LoadLocation(p.TZ)
	var from, to any
	if !p.From.IsZero() {
		from = time.Date(p.From.Year(), p.From.Month(), p.From.Day(), 0, 0, 0, 0, loc).UTC()
	}
	if !p.To.IsZero() {
		to = time.Date(p.To.Year(), p.To.Month(), p.To.Day()+1, 0, 0, 0, 0, loc).UTC()
	}
	// Filters match whatever the case: source=Webinar finds webinar
	// (dims_pass lowers the lake's side).
	filters := duckdb.Map{}
	for dim, values := range p.Filters {
		lowered := make([]string, len(values))
		for i, v := range values {
			lowered[i] = strings.ToLower(v)
		}
		filters[dim] = lowered
	}
	return map[string]any{
		"as_of":          p.AsOf.UTC(),
		"from":           from,
		"to":             to,
		"tz":             p.TZ,
		"grain":          p.Grain,
		"window_seconds": int64(p.Window / time.Second),
		"by":             p.By,
		"filters":        filters,
		"clock":          p.Clock,
	}
}

// Describe is the parameters as a person reads them, for JSON output and
// page headers.
func (p Params) Describe() map[string]any {
	d := map[string]any{
		"as_of":  p.AsOf.UTC().Format(time.RFC3339),
		"tz":     p.TZ,
		"grain":  p.Grain,
		"window": formatDays(p.Window),
		"clock":  p.Clock,
	}
	if !p.From.IsZero() {
		d["from"] = p.From.Format(time.DateOnly)
	}
	if !p.To.IsZero() {
		d["to"] = p.To.Format(time.DateOnly)
	}
	if p.By != "" {
		d["by"] = p.By
	}
	if p.What != "" {
		d["what"] = p.What
	}
	if len(p.Filters) > 0 {
		var fs []string
		for dim, vs := range p.Filters {
			for _, v := range vs {
				fs = append(fs, dim+"="+v)
			}
		}
		sort.Strings(fs)
		d["filters"] = fs
	}
	return d
}

func formatDays(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

// ParseDuration reads a window or limit: Go's units (90m, 36h) plus days
// (90d) and weeks (2w). Its errors wrap ErrBadParam.
func ParseDuration(s string) (time.Duration, error) {
	d, err := models.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadParam, err)
	}
	return d, nil
}

// prepare fills defaults, checks p, opens the models on l and resolves the
// as-of time.
func prepare(ctx context.Context, l *lake.Lake, report string, by []string, p Params) (Params, error) {
	p = p.withDefaults()
	if err := p.check(report, by); err != nil {
		return p, err
	}
	if err := prepareModels(ctx, l); err != nil {
		return p, err
	}
	if p.By == ScoreBand {
		if p.ScoreBands == nil {
			return p, fmt.Errorf("%w: %s %s needs scoring rules: start the server with --rules rules.yaml, or give the report --rules", ErrBadParam, Query{Flags: p.flags}.name("by"), ScoreBand)
		}
		if err := p.ScoreBands(ctx, l); err != nil {
			return p, err
		}
	}
	if p.AsOf.IsZero() {
		latest, err := LatestEvent(ctx, l)
		if err != nil {
			return p, err
		}
		p.AsOf = latest
	}
	return p, nil
}

// prepareModels creates the models' macros on l's DuckDB, once per lake.
func prepareModels(ctx context.Context, l *lake.Lake) error {
	return models.PrepareLake(ctx, l)
}

// LatestEvent is the time of the newest event in the lake: the default
// as-of time (models.LatestEvent).
func LatestEvent(ctx context.Context, l *lake.Lake) (time.Time, error) {
	return models.LatestEvent(ctx, l)
}

// checkTimeZone accepts a time zone both Go and DuckDB know by that name.
func checkTimeZone(param, tz string) error {
	loc, err := time.LoadLocation(tz)
	if err != nil || loc == nil || tz == "Local" {
		return fmt.Errorf("%w: %s %q is not a time zone (use an IANA name such as Europe/Berlin)", ErrBadParam, param, tz)
	}
	known, err := lake.KnownTimeZone(tz)
	if err != nil {
		return err
	}
	if !known {
		return fmt.Errorf("%w: %s %q is not a time zone DuckDB knows (use an IANA name such as Europe/Berlin)", ErrBadParam, param, tz)
	}
	return nil
}
