// Package exports owns what BI tools take from handoff. Scheduled exports:
// any report with its parameters, any canonical table, or the weekly
// review, written on a cron schedule as Parquet, CSV, Arrow IPC (or HTML
// and Markdown for the review) into a folder, each file appearing whole
// beside a manifest that tells a loader what it holds, with the oldest
// files removed past a retention count. And live queries: a read-only
// Arrow Flight SQL endpoint over the lake's tables and reports (Flight).
package exports

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	cron "github.com/netresearch/go-cron"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"

	"github.com/handoff-dev/handoff/internal/yamldoc"
)

// Formats are the file formats an export writes; ReviewFormats a review's.
var (
	Formats       = []string{"parquet", "csv", "arrow"}
	ReviewFormats = []string{"html", "md"}
)

// Export is one scheduled export.
type Export struct {
	Name string `yaml:"name"`
	// Report names a report (handoff report NAME), Table a canonical
	// table; exactly one.
	Report string `yaml:"report"`
	Table  string `yaml:"table"`
	// Review writes the weekly handoff review (handoff review) as html or
	// md: the last full week before the run's day, or params.week.
	Review bool `yaml:"review"`
	// Params are the report's parameters as the API takes them (by, grain,
	// window, tz, filter, a dimension...). from and to may be relative to
	// the run's day in Timezone: today, yesterday, -30d.
	Params map[string]string `yaml:"params"`
	Format string            `yaml:"format"` // parquet (default), csv, arrow
	Dir    string            `yaml:"dir"`
	// File names each run's file under Dir: {name}, {date} (the run's day,
	// YYYY-MM-DD, in Timezone), {time} (HHMM) and {ext}. Default
	// {name}/{date}.{ext}.
	File     string `yaml:"file"`
	Schedule string `yaml:"schedule"` // cron: minute hour day month weekday
	Timezone string `yaml:"timezone"` // IANA; default UTC
	// Keep is how many of the export's files stay; 0 keeps all.
	Keep int `yaml:"keep"`
}

// Config is the exports: section of handoff.yaml.
type Config struct {
	Exports []Export `yaml:"exports"`
}

// LoadConfig reads the exports section of handoff.yaml.
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, raw)
}

// ParseConfig parses the exports section; every error names the line.
func ParseConfig(name string, raw []byte) (Config, error) {
	doc, err := yamldoc.Parse(name, raw)
	if err != nil {
		return Config{}, err
	}
	var c Config
	if _, err := doc.Decode("$.exports", &c.Exports); err != nil {
		return Config{}, err
	}
	line := func(i int) string {
		if n := doc.Line(fmt.Sprintf("$.exports[%d]", i)); n > 0 {
			return fmt.Sprintf("line %d: ", n)
		}
		return ""
	}
	seen := map[string]bool{}
	for i := range c.Exports {
		e := &c.Exports[i]
		if err := e.Check(); err != nil {
			return Config{}, fmt.Errorf("%s: %sexport %q: %w", name, line(i), e.Name, err)
		}
		if seen[e.Name] {
			return Config{}, fmt.Errorf("%s: %stwo exports are called %q", name, line(i), e.Name)
		}
		seen[e.Name] = true
	}
	return c, nil
}

// Check fills defaults and says what is wrong, in words that say what to
// write.
func (e *Export) Check() error {
	switch {
	case e.Name == "":
		return fmt.Errorf("needs a name (it names its folder and its files)")
	case strings.ContainsAny(e.Name, `/\`):
		return fmt.Errorf("a name cannot hold a slash")
	case e.Review && (e.Report != "" || e.Table != ""):
		return fmt.Errorf("a review export takes no report or table: it writes the weekly review")
	case !e.Review && (e.Report == "") == (e.Table == ""):
		return fmt.Errorf("give a report (%s), a table (%s) or review: true, one of them", strings.Join(reports.Names(), ", "), strings.Join(lake.TableNames(), ", "))
	case e.Dir == "":
		return fmt.Errorf("needs a dir to write into")
	case e.Keep < 0:
		return fmt.Errorf("keep cannot be negative")
	}
	if e.Report != "" {
		if _, ok := reports.Lookup(e.Report); !ok {
			return fmt.Errorf("unknown report %q (known: %s)", e.Report, strings.Join(reports.Names(), ", "))
		}
	}
	if e.Table != "" {
		if _, ok := lake.TableNamed(e.Table); !ok {
			return fmt.Errorf("unknown table %q (known: %s)", e.Table, strings.Join(lake.TableNames(), ", "))
		}
		if len(e.Params) > 0 {
			return fmt.Errorf("a table export takes no params: it writes the whole table")
		}
	}
	if e.Review {
		if e.Format == "" {
			e.Format = "html"
		}
		if !slices.Contains(ReviewFormats, e.Format) {
			return fmt.Errorf("format %q: a review is written as %s", e.Format, strings.Join(ReviewFormats, " or "))
		}
		for k := range e.Params {
			if k != "week" && k != "tz" {
				return fmt.Errorf("params.%s: a review takes week and tz", k)
			}
		}
	}
	if e.Format == "" {
		e.Format = "parquet"
	}
	if !e.Review && !slices.Contains(Formats, e.Format) {
		return fmt.Errorf("format %q: want %s", e.Format, strings.Join(Formats, ", "))
	}
	if e.File == "" {
		e.File = "{name}/{date}.{ext}"
	}
	if e.Timezone == "" {
		e.Timezone = "UTC"
	}
	if _, err := time.LoadLocation(e.Timezone); err != nil {
		return fmt.Errorf("timezone %q: use an IANA name such as Europe/Berlin", e.Timezone)
	}
	if e.Schedule != "" {
		if _, err := cron.ParseStandard(e.Schedule); err != nil {
			return fmt.Errorf("schedule %q: %v (five fields: minute hour day month weekday, e.g. \"0 6 * * *\")", e.Schedule, err)
		}
	}
	return nil
}

func (e Export) ext() string {
	if e.Format == "arrow" {
		return "arrow"
	}
	return e.Format
}

// path is where a run scheduled for at writes, under Dir.
func (e Export) path(at time.Time) string {
	loc, _ := time.LoadLocation(e.Timezone)
	local := at.In(loc)
	r := strings.NewReplacer("{name}", e.Name, "{date}", local.Format(time.DateOnly), "{time}", local.Format("1504"), "{ext}", e.ext())
	return r.Replace(e.File)
}
