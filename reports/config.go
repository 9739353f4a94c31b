package reports

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/handoff-dev/handoff/internal/yamldoc"
)

// Config is the reports part of handoff.yaml (top-level key `reports:`):
// the SLAs, how long a lead may sit in a stage, and marketing's MQL
// commitments. DefaultConfig holds the defaults of METRICS.md.
type Config struct {
	// SLAs are the named rules compliance is measured against.
	SLAs []SLA `yaml:"slas"`
	// StuckAfter is, per open stage, how long a lead may stay in it before
	// it is listed as stuck, e.g. {mql: 3d}.
	StuckAfter map[string]string `yaml:"stuck_after"`
	// MQLCommitments is, per segment (smb, mid_market, enterprise), the MQLs
	// marketing commits to deliver each month.
	MQLCommitments map[string]float64 `yaml:"mql_commitments"`
	// Leaks are the limits past which an MQL has fallen through a crack.
	Leaks LeakLimits `yaml:"leaks"`
}

// LeakLimits say how long each step of the handoff may take before the
// lead counts as leaked (the leaks report). Durations as 24h, 3d; the
// disposition limit is in working days of the owner's calendar.
type LeakLimits struct {
	// HandoffWithin: from the MQL to an assignment to a sales owner.
	HandoffWithin string `yaml:"handoff_within"`
	// TouchWithin: from the handoff to the first sales touch.
	TouchWithin string `yaml:"touch_within"`
	// DispositionWithin: from the handoff to accepted, rejected or
	// unreachable, in working days (5d).
	DispositionWithin string `yaml:"disposition_within"`
	// RecycleTouchWithin: from a recycle to marketing's next touch.
	RecycleTouchWithin string `yaml:"recycle_touch_within"`
	// DuplicateWithin: two handoffs of one domain and company to two
	// owners within this make the later a duplicate.
	DuplicateWithin string `yaml:"duplicate_within"`
}

// DefaultLeakLimits are the limits a RevOps team starts from.
func DefaultLeakLimits() LeakLimits {
	return LeakLimits{HandoffWithin: "24h", TouchWithin: "3d", DispositionWithin: "5d", RecycleTouchWithin: "30d", DuplicateWithin: "14d"}
}

// leakArgs are the leak models' limit parameters.
func (c Config) leakArgs() (map[string]any, error) {
	lim := c.Leaks
	def := DefaultLeakLimits()
	pick := func(v, d string) string {
		if strings.TrimSpace(v) == "" {
			return d
		}
		return v
	}
	args := map[string]any{}
	for _, x := range []struct{ key, name, v string }{
		{"handoff_seconds", "handoff_within", pick(lim.HandoffWithin, def.HandoffWithin)},
		{"touch_seconds", "touch_within", pick(lim.TouchWithin, def.TouchWithin)},
		{"disposition_workdays", "disposition_within", pick(lim.DispositionWithin, def.DispositionWithin)},
		{"recycle_seconds", "recycle_touch_within", pick(lim.RecycleTouchWithin, def.RecycleTouchWithin)},
		{"duplicate_seconds", "duplicate_within", pick(lim.DuplicateWithin, def.DuplicateWithin)},
	} {
		d, err := ParseDuration(x.v)
		if err != nil {
			return nil, fmt.Errorf("reports.leaks.%s: %w", x.name, err)
		}
		if d <= 0 {
			return nil, fmt.Errorf("reports.leaks.%s: %s is not a positive duration", x.name, x.v)
		}
		if x.key == "disposition_workdays" {
			args[x.key] = d.Hours() / 24
		} else {
			args[x.key] = d.Seconds()
		}
	}
	hours, err := c.stuckHours()
	if err != nil {
		return nil, err
	}
	limits := duckdb.Map{}
	for k, v := range hours {
		limits[k] = v
	}
	args["stuck_limits"] = limits
	return args, nil
}

// SLA is one named rule: a clock that starts at one event and stops at
// another, with a limit.
type SLA struct {
	Name string `yaml:"name"`
	// Start: assignment or mql.
	Start string `yaml:"start"`
	// Stop: first_sales_touch, disposition or sql_or_rejection.
	Stop string `yaml:"stop"`
	// Limit: 60m, 4h, 3d. On the business clock a day is one working day
	// of the owner's calendar (2d = two working days).
	Limit string `yaml:"limit"`
	// Clock: calendar (default) or business.
	Clock string `yaml:"clock"`
}

// SLA starts and stops the models know.
var (
	SLAStarts = []string{"assignment", "mql"}
	SLAStops  = []string{"first_sales_touch", "disposition", "sql_or_rejection"}
)

// DefaultConfig is METRICS.md's three SLAs and stuck limits a RevOps team
// would start from. No MQL commitment is assumed: a shortfall against a
// number nobody agreed is noise.
func DefaultConfig() Config {
	return Config{
		SLAs: []SLA{
			{Name: "first_touch", Start: "assignment", Stop: "first_sales_touch", Limit: "60m", Clock: "calendar"},
			{Name: "disposition", Start: "assignment", Stop: "disposition", Limit: "2d", Clock: "business"},
			{Name: "mql_acceptance", Start: "mql", Stop: "sql_or_rejection", Limit: "3d", Clock: "calendar"},
		},
		// No limit on "lead": unqualified leads rest there by design; a team
		// that works raw leads sets one.
		StuckAfter: map[string]string{"mql": "3d", "sql": "14d", "opportunity": "90d"},
		Leaks:      DefaultLeakLimits(),
	}
}

// LoadConfig reads the reports section of handoff.yaml over the defaults:
// slas replaces the list when given; stuck_after and mql_commitments merge
// by key. Unknown keys are errors that name the line.
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, raw)
}

// ParseConfig is LoadConfig on content; name is used in errors.
func ParseConfig(name string, raw []byte) (Config, error) {
	c := DefaultConfig()
	doc, err := yamldoc.Parse(name, raw)
	if err != nil {
		return c, err
	}
	var over Config
	found, err := doc.Decode("$.reports", &over)
	if err != nil || !found {
		return c, err
	}
	if over.SLAs != nil {
		c.SLAs = over.SLAs
	}
	for k, v := range over.StuckAfter {
		c.StuckAfter[k] = v
	}
	for _, f := range []struct{ over, into *string }{
		{&over.Leaks.HandoffWithin, &c.Leaks.HandoffWithin}, {&over.Leaks.TouchWithin, &c.Leaks.TouchWithin},
		{&over.Leaks.DispositionWithin, &c.Leaks.DispositionWithin}, {&over.Leaks.RecycleTouchWithin, &c.Leaks.RecycleTouchWithin},
		{&over.Leaks.DuplicateWithin, &c.Leaks.DuplicateWithin},
	} {
		if *f.over != "" {
			*f.into = *f.over
		}
	}
	if over.MQLCommitments != nil {
		c.MQLCommitments = map[string]float64{}
		for k, v := range over.MQLCommitments {
			c.MQLCommitments[k] = v
		}
	}
	return c, c.Validate(name)
}

// Validate checks every SLA and limit, naming the file and the entry.
func (c Config) Validate(name string) error {
	seen := map[string]bool{}
	for i, s := range c.SLAs {
		where := fmt.Sprintf("%s: reports.slas[%d]", name, i)
		switch {
		case s.Name == "":
			return fmt.Errorf("%s: an SLA needs a name", where)
		case seen[s.Name]:
			return fmt.Errorf("%s: SLA %q is defined twice", where, s.Name)
		case !slices.Contains(SLAStarts, s.Start):
			return fmt.Errorf("%s (%s): start %q: want one of %s", where, s.Name, s.Start, strings.Join(SLAStarts, ", "))
		case !slices.Contains(SLAStops, s.Stop):
			return fmt.Errorf("%s (%s): stop %q: want one of %s", where, s.Name, s.Stop, strings.Join(SLAStops, ", "))
		case s.Clock != "" && !slices.Contains(Clocks, s.Clock):
			return fmt.Errorf("%s (%s): clock %q: want calendar or business", where, s.Name, s.Clock)
		}
		seen[s.Name] = true
		if _, err := ParseDuration(s.Limit); err != nil {
			return fmt.Errorf("%s (%s): limit: %w", where, s.Name, err)
		}
	}
	for stage, limit := range c.StuckAfter {
		if !slices.Contains([]string{"lead", "mql", "sql", "opportunity"}, stage) {
			return fmt.Errorf("%s: reports.stuck_after: %q is not an open stage (lead, mql, sql, opportunity)", name, stage)
		}
		if _, err := ParseDuration(limit); err != nil {
			return fmt.Errorf("%s: reports.stuck_after.%s: %w", name, stage, err)
		}
	}
	if _, err := c.leakArgs(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for seg, n := range c.MQLCommitments {
		if n < 0 {
			return fmt.Errorf("%s: reports.mql_commitments.%s: %v is negative", name, seg, n)
		}
	}
	return nil
}

// slaArgs are the model parameters of one SLA. On the business clock a
// limit in whole days is working days; anything else is minutes.
func (s SLA) slaArgs() (map[string]any, error) {
	limit, err := ParseDuration(s.Limit)
	if err != nil {
		return nil, err
	}
	clock := s.Clock
	if clock == "" {
		clock = "calendar"
	}
	args := map[string]any{
		"sla_name":       s.Name,
		"start_event":    s.Start,
		"stop_event":     s.Stop,
		"clock":          clock,
		"limit_minutes":  limit.Minutes(),
		"limit_workdays": nil,
	}
	if clock == "business" && strings.HasSuffix(strings.TrimSpace(s.Limit), "d") {
		args["limit_workdays"] = limit.Hours() / 24
	}
	return args, nil
}

// stuckHours is StuckAfter in hours, for the stuck model.
func (c Config) stuckHours() (map[string]float64, error) {
	out := map[string]float64{}
	keys := make([]string, 0, len(c.StuckAfter))
	for k := range c.StuckAfter {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d, err := ParseDuration(c.StuckAfter[k])
		if err != nil {
			return nil, fmt.Errorf("stuck_after.%s: %w", k, err)
		}
		out[k] = d.Hours()
	}
	return out, nil
}

// FirstTouch is the first SLA that starts at assignment and stops at the
// first sales touch, else the default first_touch SLA (60 minutes,
// calendar).
func (c Config) FirstTouch() SLA {
	for _, s := range c.SLAs {
		if s.Start == "assignment" && s.Stop == "first_sales_touch" {
			return s
		}
	}
	return SLA{Name: "first_touch", Start: "assignment", Stop: "first_sales_touch", Limit: "60m", Clock: "calendar"}
}

// FirstTouchClock is the first-touch SLA's clock and limit, worked out
// here once for every caller (the reports, the scoring page's capacity
// check, the routing replay's expected compliance).
func (c Config) FirstTouchClock() (clock string, limit time.Duration) {
	clock = c.FirstTouch().Clock
	if clock == "" {
		clock = "calendar"
	}
	return clock, c.FirstTouchLimit()
}

// FirstTouchLimit is the limit that separates pending from no response:
// FirstTouch's limit, else 60 minutes.
func (c Config) FirstTouchLimit() time.Duration {
	if d, err := ParseDuration(c.FirstTouch().Limit); err == nil {
		return d
	}
	return time.Hour
}
