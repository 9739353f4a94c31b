// Package scoring owns lead scoring: the score rules RevOps edits (the
// scoring: section of rules.yaml), scores computed as of a time with an
// explanation rule by rule, and the threshold backtest. The computation is
// set-based SQL (models/sql/score*.sql over score_parts in base.sql); this
// package checks the rules, binds them as parameters and types the rows.
package scoring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/handoff-dev/handoff/internal/yamldoc"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// ErrBadRules: the rules file cannot be used as it is.
var ErrBadRules = errors.New("bad rules")

// Kinds are the activity kinds handoff's importers write. A rules file may
// name any of them, and any other kind the lake holds (Marketo keeps the
// ids of types it does not map).
var Kinds = []string{
	"page_view", "form_fill", "content_download", "email_open", "email_click",
	"webinar_registered", "webinar_attended", "event_visit",
	"call", "email_sent", "meeting", "sms", "chat",
}

// Sections are the top-level keys of rules.yaml: scoring here, routing and
// the SLA timers in package routing.
var Sections = []string{"scoring", "routing", "sla_timers"}

// Rules are the scoring rules of rules.yaml.
type Rules struct {
	Fit        []FitRule  `yaml:"fit"`
	Engagement Engagement `yaml:"engagement"`
	Thresholds Thresholds `yaml:"thresholds"`
}

// FitRule gives points to leads whose attributes match every condition it
// sets.
type FitRule struct {
	Name   string   `yaml:"name"`
	Points *float64 `yaml:"points"`
	// CompanySize is a band of employees: min included, max excluded.
	CompanySize *SizeBand `yaml:"company_size"`
	Industry    []string  `yaml:"industry"`
	Country     []string  `yaml:"country"`
	// Title is a regular expression (RE2) matched against the job title.
	Title string `yaml:"title"`
}

// SizeBand is a company-size range; a missing end is open.
type SizeBand struct {
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

// Engagement gives points per activity, decaying with age.
type Engagement struct {
	// HalfLife applies to every kind that sets none; "" is no decay.
	// A kind's own "none" turns decay off for it.
	HalfLife string     `yaml:"half_life"`
	Kinds    []KindRule `yaml:"kinds"`
}

// KindRule is the points of one activity kind.
type KindRule struct {
	Kind     string   `yaml:"kind"`
	Points   *float64 `yaml:"points"`
	HalfLife string   `yaml:"half_life"`
	// Max caps the kind's points for one lead, after decay.
	Max *float64 `yaml:"max"`
}

// Thresholds split the quadrants and mark MQLs.
type Thresholds struct {
	Fit        *float64 `yaml:"fit"`
	Engagement *float64 `yaml:"engagement"`
	MQL        *float64 `yaml:"mql"`
}

// LoadRules reads the scoring rules of a rules file. known are the activity
// kinds a rule may name besides Kinds (those the lake holds); nil adds none.
func LoadRules(path string, known []string) (Rules, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Rules{}, fmt.Errorf("read rules: %w", err)
	}
	return ParseRules(path, raw, known)
}

// ParseRules is LoadRules on content; name is used in errors, each of which
// names the line and says what to do.
func ParseRules(name string, raw []byte, known []string) (Rules, error) {
	d, err := ParseFile(name, raw)
	if err != nil {
		return Rules{}, err
	}
	var r Rules
	found, err := d.Decode("$.scoring", &r)
	if err != nil {
		return Rules{}, err
	}
	if !found {
		return Rules{}, d.Errorf("$", "no scoring: section: add one with fit, engagement and thresholds (see examples/rules.yaml)")
	}
	return r, r.validate(d, append(slices.Clone(Kinds), known...))
}

// File is a parsed rules file: each section is decoded by the package
// that owns it, and errors name the line.
type File struct {
	doc *yamldoc.Doc
}

// ParseFile parses a rules file and checks its top-level sections.
func ParseFile(name string, raw []byte) (*File, error) {
	doc, err := yamldoc.Parse(name, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRules, err)
	}
	d := &File{doc: doc}
	return d, d.checkSections()
}

// ReadFile is ParseFile on a file's content.
func ReadFile(path string) (*File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	return ParseFile(path, raw)
}

// Decode decodes the YAML at path strictly into v (an unknown field is an
// error naming its line); found is false when the path is absent.
func (d *File) Decode(path string, v any) (found bool, err error) {
	found, err = d.doc.Decode(path, v)
	if err != nil {
		return found, fmt.Errorf("%w: %w", ErrBadRules, err)
	}
	return found, nil
}

// Errorf is a rules error at the line of the YAML path ($.routing.rules[2]),
// or of the nearest enclosing path that exists.
func (d *File) Errorf(path, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if line := d.doc.Line(path); line > 0 {
		return fmt.Errorf("%w: %s: line %d: %s", ErrBadRules, d.doc.Name, line, msg)
	}
	return fmt.Errorf("%w: %s: %s", ErrBadRules, d.doc.Name, msg)
}

func (d *File) checkSections() error {
	if err := d.doc.CheckKeys("$", "section", Sections); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRules, err)
	}
	return nil
}

func (r Rules) validate(d *File, known []string) error {
	names := map[string]bool{}
	for i, f := range r.Fit {
		at := fmt.Sprintf("$.scoring.fit[%d]", i)
		if f.Points == nil {
			return d.Errorf(at, "fit rule %s has no points: add points: N (negative to count against)", f.label())
		}
		if f.CompanySize == nil && len(f.Industry) == 0 && len(f.Country) == 0 && f.Title == "" {
			return d.Errorf(at, "fit rule %s has no condition: give company_size, industry, country or title", f.label())
		}
		if b := f.CompanySize; b != nil {
			switch {
			case b.Min == nil && b.Max == nil:
				return d.Errorf(at+".company_size", "company_size needs min, max or both (employees, min included, max excluded)")
			case b.Min != nil && *b.Min < 0, b.Max != nil && *b.Max <= 0:
				return d.Errorf(at+".company_size", "company_size: employees cannot be negative")
			case b.Min != nil && b.Max != nil && *b.Max <= *b.Min:
				return d.Errorf(at+".company_size", "company_size: max %g is not above min %g", *b.Max, *b.Min)
			}
		}
		if f.Title != "" {
			if _, err := regexp.Compile(f.Title); err != nil {
				return d.Errorf(at+".title", "title %q is not a regular expression: %v (write (?i)\\bvp\\b to match VP in any case)", f.Title, err)
			}
		}
		if n := f.label(); names[n] {
			return d.Errorf(at, "two fit rules are called %s: give each a name of its own", n)
		}
		names[f.label()] = true
	}
	if r.Engagement.HalfLife != "" {
		if _, err := models.ParseDuration(r.Engagement.HalfLife); err != nil {
			return d.Errorf("$.scoring.engagement.half_life", "half_life: %v", err)
		}
	}
	seen := map[string]bool{}
	for i, k := range r.Engagement.Kinds {
		at := fmt.Sprintf("$.scoring.engagement.kinds[%d]", i)
		switch {
		case k.Kind == "":
			return d.Errorf(at, "an engagement entry has no kind: add kind: form_fill (known: %s)", strings.Join(known, ", "))
		case !slices.Contains(known, k.Kind):
			return d.Errorf(at+".kind", "unknown activity kind %q%s (known: %s)", k.Kind, suggest(k.Kind, known), strings.Join(known, ", "))
		case seen[k.Kind]:
			return d.Errorf(at+".kind", "activity kind %q is listed twice: keep one entry", k.Kind)
		case k.Points == nil:
			return d.Errorf(at, "engagement kind %s has no points: add points: N (per event)", k.Kind)
		case k.Max != nil && *k.Max <= 0:
			return d.Errorf(at+".max", "max must be positive: it caps the points of %s for one lead", k.Kind)
		}
		seen[k.Kind] = true
		if k.HalfLife != "" && k.HalfLife != "none" {
			if _, err := models.ParseDuration(k.HalfLife); err != nil {
				return d.Errorf(at+".half_life", "half_life: %v", err)
			}
		}
	}
	if len(r.Fit) == 0 && len(r.Engagement.Kinds) == 0 {
		return d.Errorf("$.scoring", "no rule: add fit rules, engagement kinds or both")
	}
	t := r.Thresholds
	for _, m := range []struct {
		v    *float64
		name string
	}{{t.Fit, "fit"}, {t.Engagement, "engagement"}, {t.MQL, "mql"}} {
		if m.v == nil {
			return d.Errorf("$.scoring.thresholds", "thresholds.%s is missing: set the fit, engagement and mql thresholds (points)", m.name)
		}
	}
	return nil
}

// label is the rule's name, or a description of its conditions.
func (f FitRule) label() string {
	if f.Name != "" {
		return f.Name
	}
	var parts []string
	if b := f.CompanySize; b != nil {
		switch {
		case b.Min != nil && b.Max != nil:
			parts = append(parts, fmt.Sprintf("company_size %g-%g", *b.Min, *b.Max))
		case b.Min != nil:
			parts = append(parts, fmt.Sprintf("company_size %g+", *b.Min))
		case b.Max != nil:
			parts = append(parts, fmt.Sprintf("company_size under %g", *b.Max))
		}
	}
	if len(f.Industry) > 0 {
		parts = append(parts, "industry "+strings.Join(f.Industry, "/"))
	}
	if len(f.Country) > 0 {
		parts = append(parts, "country "+strings.Join(f.Country, "/"))
	}
	if f.Title != "" {
		parts = append(parts, "title "+f.Title)
	}
	return strings.Join(parts, ", ")
}

// halfLifeDays is a kind's half-life in days, nil for no decay.
func (r Rules) halfLifeDays(k KindRule) *float64 {
	s := k.HalfLife
	if s == "" {
		s = r.Engagement.HalfLife
	}
	if s == "" || s == "none" {
		return nil
	}
	d, err := models.ParseDuration(s)
	if err != nil {
		return nil // validate refused it already
	}
	days := d.Hours() / 24
	return &days
}

// suggest is ` (did you mean "X"?)` for the known word closest to w.
func suggest(w string, known []string) string { return yamldoc.Suggest(w, known) }

// LakeKinds are the activity kinds the lake holds, for LoadRules.
func LakeKinds(ctx context.Context, l *lake.Lake) ([]string, error) {
	type kindRow struct {
		Kind   string `col:"kind"`
		Events int64  `col:"events"`
	}
	rows, err := query[kindRow](ctx, l, "activity_kinds", nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Kind)
	}
	return out, nil
}
