package sample

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Formats are the values --format accepts. "mixed" is the demo's: the
// company runs Salesforce in North America, HubSpot in EMEA and Marketo in
// APAC, as companies that grew by acquisition do.
var Formats = []string{"canonical", "hubspot", "salesforce", "marketo", "mixed"}

// DefaultEnd is when the sample's exports were taken: fixed, so the same
// seed gives the same bytes on any day.
var DefaultEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Options configure a generation.
type Options struct {
	Leads  int
	Seed   int64
	Format string
	End    time.Time // default DefaultEnd
	// Span is how long before End the first lead may arrive (default a
	// year): a day makes a daily delta of new leads.
	Span  time.Duration
	Truth Truth // default DefaultTruth
	// Progress, when set, is called with leads done so far.
	Progress func(done, total int)
	// Observe, when set, sees each simulated lead after it is written:
	// the generator's own record, for tests that check what it injected.
	Observe func(*Lead)
}

// BadRow is a row the generator spoiled on purpose; ingest must quarantine
// exactly these, at these lines.
type BadRow struct {
	File   string `json:"file"` // relative to the output directory
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// BadRowsFile lists the spoiled rows, beside the exports.
const BadRowsFile = "bad_rows.json"

// Result describes what was written.
type Result struct {
	Dir     string
	Files   []string // relative to Dir, sorted
	Leads   int
	BadRows []BadRow
}

// writer is one output format.
type writer interface {
	users([]User) error
	lead(*Lead) error
	spend([]SpendRow) error
	close() error
}

// Generate writes the sample into dir.
func Generate(ctx context.Context, dir string, opts Options) (Result, error) {
	if opts.Leads < 1 {
		return Result{}, fmt.Errorf("--leads must be at least 1, got %d", opts.Leads)
	}
	if opts.End.IsZero() {
		opts.End = DefaultEnd
	}
	if opts.Truth.Sources == nil {
		opts.Truth = DefaultTruth
	}
	if opts.Format == "" {
		opts.Format = "canonical"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("create %s: %w", dir, err)
	}
	out := &output{dir: dir}
	w, err := newWriter(out, opts.Format)
	if err != nil {
		return Result{}, err
	}
	sim := newSimulator(opts)
	sim.countLoads()
	if err := w.users(sim.users); err != nil {
		return Result{}, err
	}
	for i := 0; i < opts.Leads; i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				out.closeAll()
				return Result{}, err
			}
			if opts.Progress != nil {
				opts.Progress(i, opts.Leads)
			}
		}
		l := sim.lead(i)
		if err := w.lead(l); err != nil {
			out.closeAll()
			return Result{}, err
		}
		if opts.Observe != nil {
			opts.Observe(l)
		}
	}
	if err := w.spend(sim.spend()); err != nil {
		out.closeAll()
		return Result{}, err
	}
	if err := w.close(); err != nil {
		return Result{}, err
	}
	if err := out.closeAll(); err != nil {
		return Result{}, err
	}
	res := Result{Dir: dir, Leads: opts.Leads, BadRows: out.bad}
	for name := range out.files {
		res.Files = append(res.Files, name)
	}
	sort.Strings(res.Files)
	sort.Slice(res.BadRows, func(i, j int) bool {
		if res.BadRows[i].File != res.BadRows[j].File {
			return res.BadRows[i].File < res.BadRows[j].File
		}
		return res.BadRows[i].Line < res.BadRows[j].Line
	})
	if res.BadRows == nil {
		res.BadRows = []BadRow{}
	}
	raw, _ := json.MarshalIndent(res.BadRows, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, BadRowsFile), append(raw, '\n'), 0o644); err != nil {
		return Result{}, fmt.Errorf("write %s: %w", BadRowsFile, err)
	}
	return res, nil
}

func newWriter(out *output, format string) (writer, error) {
	switch format {
	case "canonical":
		return newCanonical(out, "", canonicalIDs, allTables), nil
	case "hubspot":
		return newHubSpot(out, "", true), nil
	case "salesforce":
		return newSalesforce(out, ""), nil
	case "marketo":
		return newMarketo(out, "", true), nil
	case "mixed":
		return &mixed{
			byRegion: map[string]writer{
				"NA":   newSalesforce(out, "salesforce"),
				"EMEA": newHubSpot(out, "hubspot", false),
				"APAC": newMarketo(out, "marketo", false),
			},
		}, nil
	}
	return nil, fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Formats, ", "))
}

// mixed sends each lead to the system of its region; users and spend live in
// Salesforce, the system of record.
type mixed struct{ byRegion map[string]writer }

func (m *mixed) users(u []User) error     { return m.byRegion["NA"].users(u) }
func (m *mixed) lead(l *Lead) error       { return m.byRegion[l.Region].lead(l) }
func (m *mixed) spend(s []SpendRow) error { return m.byRegion["NA"].spend(s) }
func (m *mixed) close() error {
	for _, k := range []string{"NA", "EMEA", "APAC"} {
		if err := m.byRegion[k].close(); err != nil {
			return err
		}
	}
	return nil
}

// SpendRow is one month of spend on one campaign.
type SpendRow struct {
	Month            time.Time
	Source, Campaign string
	Amount           float64
}

// spend is the monthly spend per source and campaign: the expected leads
// times the source's cost per lead, with noise. Referral has none recorded
// (unknown); the podcast has spend and no leads.
func (s *simulator) spend() []SpendRow {
	r := rand.New(rand.NewPCG(uint64(s.opts.Seed), 0xC0FFEE))
	var rows []SpendRow
	perMonth := float64(s.opts.Leads) / 12
	for m := time.Date(s.start.Year(), s.start.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(s.opts.End); m = m.AddDate(0, 1, 0) {
		for _, src := range s.truth.Sources {
			if src.CostPerLead == 0 {
				continue
			}
			for _, c := range src.Campaigns {
				amount := perMonth * src.Weight / float64(len(src.Campaigns)) * src.CostPerLead * (0.85 + 0.3*r.Float64())
				rows = append(rows, SpendRow{Month: m, Source: src.Name, Campaign: c, Amount: math.Round(amount*100) / 100})
			}
		}
		rows = append(rows, SpendRow{Month: m, Source: "podcast", Campaign: SpendOnlyCampaign, Amount: 1500})
	}
	return rows
}

// output owns the files of one generation.
type output struct {
	dir   string
	files map[string]*csvFile
	bad   []BadRow
}

// file opens (once) a CSV file under the output directory.
func (o *output) file(name string, header []string, style csvStyle) (*csvFile, error) {
	if o.files == nil {
		o.files = map[string]*csvFile{}
	}
	if f, ok := o.files[name]; ok {
		return f, nil
	}
	path := filepath.Join(o.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	c := &csvFile{name: name, f: f, w: bufio.NewWriterSize(f, 256<<10), style: style, width: len(header)}
	if style.bom {
		c.w.Write([]byte{0xEF, 0xBB, 0xBF})
	}
	c.row(header...)
	o.files[name] = c
	return c, nil
}

// spoil records a deliberately bad row.
func (o *output) spoil(f *csvFile, line int, reason string) {
	o.bad = append(o.bad, BadRow{File: filepath.ToSlash(f.name), Line: line, Reason: reason})
}

func (o *output) closeAll() error {
	names := make([]string, 0, len(o.files))
	for n := range o.files {
		names = append(names, n)
	}
	sort.Strings(names)
	var first error
	for _, n := range names {
		if err := o.files[n].close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// csvStyle is how a vendor writes CSV.
type csvStyle struct {
	bom, crlf bool
}

// csvFile writes RFC 4180 rows and counts lines, so spoiled rows can be
// named by line even when quoted values hold newlines.
type csvFile struct {
	name   string
	f      *os.File
	w      *bufio.Writer
	style  csvStyle
	lines  int
	width  int
	closed bool
}

// row writes a record and returns the line it starts on.
func (c *csvFile) row(fields ...string) int {
	start := c.lines + 1
	for i, f := range fields {
		if i > 0 {
			c.w.WriteByte(',')
		}
		if strings.ContainsAny(f, ",\"\r\n") || strings.TrimSpace(f) != f {
			c.w.WriteByte('"')
			c.w.WriteString(strings.ReplaceAll(f, `"`, `""`))
			c.w.WriteByte('"')
			c.lines += strings.Count(f, "\n")
		} else {
			c.w.WriteString(f)
		}
	}
	if c.style.crlf {
		c.w.WriteString("\r\n")
	} else {
		c.w.WriteByte('\n')
	}
	c.lines++
	return start
}

func (c *csvFile) close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if err := c.w.Flush(); err != nil {
		c.f.Close()
		return fmt.Errorf("write %s: %w", c.name, err)
	}
	if err := c.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", c.name, err)
	}
	return nil
}

// spoilAt returns the positions (the writer's own count of leads) after
// which it inserts its n spoiled rows: early, so even a 100-lead sample
// split across three systems has them.
func spoilAt(n int) []int {
	var at []int
	for k := 0; k < n; k++ {
		at = append(at, 3+5*k)
	}
	return at
}

func isSpoilPoint(points []int, i int) (int, bool) {
	k := slices.Index(points, i)
	return k, k >= 0
}

// Timestamp layouts the vendors write.
const (
	isoZ      = "2006-01-02T15:04:05Z"
	isoMillis = "2006-01-02T15:04:05.000Z"
	hubspotTS = "2006-01-02 15:04"
	naiveTS   = "2006-01-02 15:04:05"
	dateOnly  = "2006-01-02"
)

func ts(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(layout)
}

func money(x float64) string { return fmt.Sprintf("%.2f", x) }
