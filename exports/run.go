package exports

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

// Manifest describes one export file, written beside it as FILE.json
// after the file itself: a loader that finds the manifest finds a whole
// file, and tells a new file from an old one by its checksum.
type Manifest struct {
	Export         string            `json:"export"`
	File           string            `json:"file"`
	Format         string            `json:"format"`
	Rows           int               `json:"rows"`
	Columns        []ManifestColumn  `json:"columns"`
	Report         string            `json:"report,omitempty"`
	Table          string            `json:"table,omitempty"`
	Params         map[string]string `json:"params,omitempty"`
	LakeGeneration int64             `json:"lake_generation"`
	ScheduledFor   time.Time         `json:"scheduled_for"`
	WrittenAt      time.Time         `json:"written_at"`
	Bytes          int64             `json:"bytes"`
	SHA256         string            `json:"sha256"`
}

// ManifestColumn is one column of an export file.
type ManifestColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Run writes one export for the time it is scheduled for (or now, for a
// run by hand), then applies its retention. The file is written beside its
// place and renamed into it, then its manifest: a failed run leaves the
// previous files as they were and only a temporary file, removed, behind.
func Run(ctx context.Context, l *lake.Lake, e Export, cfg reports.Config, scheduledFor time.Time) (Manifest, error) {
	path := filepath.Join(e.Dir, e.path(scheduledFor))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return Manifest{}, fmt.Errorf("export %s: %w", e.Name, err)
	}
	var cols []reports.Column
	var rows int
	if e.Review {
		if err := e.writeReview(ctx, l, cfg, scheduledFor, path); err != nil {
			return Manifest{}, fmt.Errorf("export %s: %w", e.Name, err)
		}
	} else if e.Table != "" {
		t, _ := lake.TableNamed(e.Table)
		cols = tableColumns(t)
		n, err := writeTable(ctx, l, e.Table, e.Format, path)
		if err != nil {
			return Manifest{}, fmt.Errorf("export %s: %w", e.Name, err)
		}
		rows = n
	} else {
		tb, err := e.table(ctx, l, cfg, scheduledFor)
		if err != nil {
			return Manifest{}, fmt.Errorf("export %s: %w", e.Name, err)
		}
		if err := write(ctx, l, e.Format, tb, path); err != nil {
			return Manifest{}, fmt.Errorf("export %s: %w", e.Name, err)
		}
		cols, rows = tb.Columns, len(tb.Rows)
	}
	sum, size, err := lake.HashFile(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("export %s: %w", e.Name, err)
	}
	report := e.Report
	if e.Review {
		report = "review"
	}
	m := Manifest{Export: e.Name, File: filepath.Base(path), Format: e.Format, Rows: rows, Report: report, Table: e.Table,
		Params: e.Params, LakeGeneration: l.Manifest.Generation, ScheduledFor: scheduledFor.UTC(), WrittenAt: time.Now().UTC(),
		Bytes: size, SHA256: sum}
	for _, c := range cols {
		m.Columns = append(m.Columns, ManifestColumn{Name: c.Name, Type: kindName(c.Kind)})
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := writeAtomic(path+".json", raw); err != nil {
		return m, fmt.Errorf("export %s: manifest: %w", e.Name, err)
	}
	return m, e.retain(filepath.Dir(path))
}

// table computes what the export holds: a report with its parameters, or a
// whole canonical table.
func (e Export) table(ctx context.Context, l *lake.Lake, cfg reports.Config, scheduledFor time.Time) (reports.Table, error) {
	spec, _ := reports.Lookup(e.Report)
	loc, _ := time.LoadLocation(e.Timezone)
	day := scheduledFor.In(loc)
	// The API's parameters, so an export reads them exactly as the API
	// does; from and to may also be relative to the run's day, and a filter
	// or a dimension may list values separated by commas.
	v := url.Values{}
	for k, x := range e.Params {
		switch {
		case k == "from" || k == "to":
			d, err := relativeDate(x, day)
			if err != nil {
				return reports.Table{}, fmt.Errorf("params.%s: %w", k, err)
			}
			v.Set(k, d)
		case k == "filter" || slices.Contains(reports.Dimensions, k):
			v[k] = strings.Split(x, ",")
		default:
			v.Set(k, x)
		}
	}
	q, only, err := reports.QueryFromValues(v)
	if err != nil {
		return reports.Table{}, err
	}
	p, err := q.Params()
	if err != nil {
		return reports.Table{}, err
	}
	return spec.Run(ctx, l, p, cfg, only)
}

// relativeDate reads a date parameter: YYYY-MM-DD, today, yesterday, or
// -Nd (N days before the run's day).
func relativeDate(v string, day time.Time) (string, error) {
	switch {
	case v == "today":
		return day.Format(time.DateOnly), nil
	case v == "yesterday":
		return day.AddDate(0, 0, -1).Format(time.DateOnly), nil
	case strings.HasPrefix(v, "-") && strings.HasSuffix(v, "d"):
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, "-"), "d"))
		if err != nil || n < 0 {
			return "", fmt.Errorf("%q: want YYYY-MM-DD, today, yesterday or -Nd", v)
		}
		return day.AddDate(0, 0, -n).Format(time.DateOnly), nil
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return "", fmt.Errorf("%q: want YYYY-MM-DD, today, yesterday or -Nd", v)
	}
	return v, nil
}

func write(ctx context.Context, l *lake.Lake, format string, tb reports.Table, path string) error {
	switch format {
	case "parquet":
		return reports.WriteParquet(ctx, l.DB, tb, path)
	case "csv":
		return lake.WriteAtomic(path, func(w io.Writer) error { return reports.WriteCSV(w, tb) })
	case "arrow":
		return lake.WriteAtomic(path, func(w io.Writer) error { return writeArrow(w, tb) })
	}
	return fmt.Errorf("format %q", format)
}

func writeAtomic(path string, data []byte) error {
	return lake.WriteAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// retain keeps the export's newest Keep files in dir (by name: the date in
// the name sorts them) and removes the older ones with their manifests.
func (e Export) retain(dir string) error {
	if e.Keep <= 0 {
		return nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*."+e.ext()))
	if err != nil {
		return err
	}
	sort.Strings(files)
	for len(files) > e.Keep {
		if err := os.Remove(files[0]); err != nil {
			return err
		}
		os.Remove(files[0] + ".json")
		files = files[1:]
	}
	return nil
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int64:
		return "int64"
	case reflect.Float64:
		return "double"
	case reflect.Bool:
		return "boolean"
	case reflect.Struct:
		return "timestamp"
	}
	return "string"
}

// writeReview writes the weekly review: params.week, or the last full week
// before the run's day in the export's zone.
func (e Export) writeReview(ctx context.Context, l *lake.Lake, cfg reports.Config, scheduledFor time.Time, path string) error {
	loc, _ := time.LoadLocation(e.Timezone)
	week := e.Params["week"]
	if week == "" {
		week = reports.WeekOf(scheduledFor.In(loc).AddDate(0, 0, -7))
	}
	tz := e.Params["tz"]
	if tz == "" {
		tz = e.Timezone
	}
	r, err := reports.BuildReview(ctx, l, week, tz, cfg)
	if err != nil {
		return err
	}
	if e.Format == "md" {
		return writeAtomic(path, []byte(reports.ReviewMarkdown(r)))
	}
	html, err := reports.ReviewHTML(r, nil)
	if err != nil {
		return err
	}
	return writeAtomic(path, html)
}
