// Package ingest reads the exports CRMs and marketing-automation tools
// produce (canonical CSV/NDJSON, HubSpot, Salesforce, Marketo), maps them
// onto the canonical tables with declarative per-vendor mappings, validates
// every row, quarantines the bad ones with their file, line and column, and
// writes the good ones to the lake in one atomic commit.
package ingest

import (
	"context"
	"database/sql/driver"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/handoff-dev/handoff/lake"
)

// Sources are the values --source accepts.
var Sources = []string{"auto", "canonical", "hubspot", "salesforce", "marketo"}

// Options configure one ingest run.
type Options struct {
	Lake   string
	Source string // one of Sources; "" means auto
	// Table forces the canonical table of every file (canonical source only).
	Table  string
	Config Config
	// Strict fails the run, leaving the lake as it was, if any row is refused.
	Strict bool
	Logger *slog.Logger
	// Progress, when set, is called now and then with bytes read and total.
	Progress func(done, total int64)
	// Now is the clock for the run id; tests pin it.
	Now func() time.Time
	// Names, when set, say what the run's record calls an input path
	// (uploads are stored under a temporary name; the manifest keeps the
	// name the person sent).
	Names map[string]string
}

// FileResult is what became of one input file.
type FileResult struct {
	lake.RunInput
	// Errors holds the first refused rows, for people; the quarantine file
	// has them all.
	Errors []*Error
}

// Result is what a run did.
type Result struct {
	Manifest    lake.Manifest
	Run         lake.Run
	Files       []FileResult
	Accepted    int64
	Quarantined int64
}

const (
	seqFileShift = 40 // _seq = file number << 40 | line: orders rows and finds them again
	shownErrors  = 5
)

// Run ingests the files (directories are read for *.csv, *.ndjson and
// *.jsonl) into the lake in one commit. A file that cannot be read or
// recognised fails the whole run; the lake is then as it was.
func Run(ctx context.Context, opts Options, paths []string) (Result, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Source == "" {
		opts.Source = "auto"
	}
	if !slices.Contains(Sources, opts.Source) {
		return Result{}, fmt.Errorf("unknown source %q (known: %s)", opts.Source, strings.Join(Sources, ", "))
	}
	files, err := expand(paths)
	if err != nil {
		return Result{}, err
	}
	if len(files) == 0 {
		return Result{}, fmt.Errorf("no input files in %s (looked for *.csv, *.ndjson, *.jsonl)", strings.Join(paths, ", "))
	}
	var total int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	tx, err := lake.Begin(ctx, opts.Lake, lake.NewRunID(opts.Now()))
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback()
	in := &ingester{opts: opts, tx: tx, total: total, appenders: map[string]*duckdb.Appender{}}
	defer in.closeAppenders()
	res := Result{}
	phase := time.Now()
	in.startStager()
	for i, path := range files {
		fr, err := in.file(ctx, i+1, path)
		if err != nil {
			if stageErr := in.stopStager(); stageErr != nil {
				return Result{}, stageErr // the cause; the reader only saw that staging stopped
			}
			return Result{}, err
		}
		res.Files = append(res.Files, fr)
	}
	if err := in.stopStager(); err != nil {
		return Result{}, err
	}
	if err := in.closeAppenders(); err != nil {
		return Result{}, fmt.Errorf("stage rows: %w", err)
	}
	opts.Logger.Debug("read and staged", "files", len(files), "elapsed", time.Since(phase))
	phase = time.Now()
	if err := in.dropDuplicates(ctx, files, res.Files); err != nil {
		return Result{}, err
	}
	opts.Logger.Debug("checked duplicate keys", "elapsed", time.Since(phase))
	phase = time.Now()
	if err := in.closeQuarantine(); err != nil {
		return Result{}, err
	}
	run := lake.Run{}
	for _, f := range res.Files {
		res.Accepted += f.Accepted
		res.Quarantined += f.Quarantined
		run.Inputs = append(run.Inputs, f.RunInput)
	}
	if opts.Strict && res.Quarantined > 0 {
		return res, fmt.Errorf("%d rows refused and --strict given; the lake is unchanged: %w", res.Quarantined, ErrQuarantined)
	}
	m, err := tx.Commit(ctx, run)
	if err != nil {
		return Result{}, err
	}
	opts.Logger.Debug("merged and committed", "generation", m.Generation, "elapsed", time.Since(phase))
	res.Manifest = m
	res.Run = m.Runs[len(m.Runs)-1]
	for i := range res.Files {
		res.Files[i].RunInput = res.Run.Inputs[i]
	}
	return res, nil
}

// expand turns the arguments into a sorted list of input files.
func expand(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", p, err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != p {
				return filepath.SkipDir
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".csv", ".ndjson", ".jsonl":
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", p, err)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

type ingester struct {
	opts      Options
	tx        *lake.Tx
	total     int64
	read      atomic.Int64
	appenders map[string]*duckdb.Appender
	// the reader → stager pipeline
	batch       []stagedRow
	stageCh     chan []stagedRow
	stageDone   chan error
	stageFailed atomic.Bool
	// quarantine writers by file number, opened on the first refused row
	quarantine map[int]*quarantineFile
	qnames     map[string]bool
}

// stageBatch is how many rows travel together from the reader to the
// stager; large enough that the channel costs nothing per row.
const stageBatch = 4096

type stagedRow struct {
	table lake.Table
	row   []driver.Value // canonical columns, then _seq
}

// startStager runs the DuckDB appends on their own goroutine, so reading
// and validating one row overlaps with staging the previous ones: on two
// cores this nearly halves the time of the read phase.
func (in *ingester) startStager() {
	in.stageCh = make(chan []stagedRow, 4)
	in.stageDone = make(chan error, 1)
	go func() {
		var failed error
		for b := range in.stageCh {
			if failed != nil {
				continue // drain, so the reader never blocks
			}
			for _, r := range b {
				if err := in.append(r.table, r.row); err != nil {
					failed = err
					in.stageFailed.Store(true)
					break
				}
			}
		}
		in.stageDone <- failed
	}()
}

// sendBatch hands the rows read so far to the stager.
func (in *ingester) sendBatch() error {
	if in.stageFailed.Load() {
		return errors.New("staging rows in DuckDB failed")
	}
	if len(in.batch) == 0 {
		return nil
	}
	in.stageCh <- in.batch
	in.batch = make([]stagedRow, 0, stageBatch)
	return nil
}

// stopStager waits for the stager to finish and returns its error.
func (in *ingester) stopStager() error {
	if in.stageCh == nil {
		return nil
	}
	close(in.stageCh)
	err := <-in.stageDone
	in.stageCh = nil
	return err
}

type quarantineFile struct {
	f *os.File
	w *csv.Writer
}

// countingReader reports progress as the file is read.
type countingReader struct {
	r  io.Reader
	in *ingester
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.in.read.Add(int64(n))
	return n, err
}

var tableFromName = regexp.MustCompile(`^([a-z_]+?)(?:[-.][^/]*)?$`)

// canonicalTable infers a canonical file's table from its name
// (leads.csv, stage_changes-2024-05.ndjson) unless --table says.
func (in *ingester) canonicalTable(path string) (lake.Table, bool) {
	if in.opts.Table != "" {
		return lake.TableNamed(in.opts.Table)
	}
	m := tableFromName.FindStringSubmatch(strings.ToLower(filepath.Base(path)))
	if m == nil {
		return lake.Table{}, false
	}
	return lake.TableNamed(m[1])
}

// file ingests one input file.
func (in *ingester) file(ctx context.Context, num int, path string) (FileResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileResult{}, fmt.Errorf("open input: %w", err)
	}
	defer f.Close()
	src := &countingReader{r: f, in: in}
	recorded := path
	if name, ok := in.opts.Names[path]; ok {
		recorded = name
	}
	fr := FileResult{RunInput: lake.RunInput{Path: recorded, Tables: map[string]int{}}}
	var reader rowReader
	var m *mapping
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".ndjson" || ext == ".jsonl" {
		if in.opts.Source != "auto" && in.opts.Source != "canonical" {
			return FileResult{}, fmt.Errorf("%s: %s exports are CSV; NDJSON is read as canonical only", path, in.opts.Source)
		}
		t, ok := in.canonicalTable(path)
		if !ok {
			return FileResult{}, fmt.Errorf("%s: cannot tell the canonical table from the file name; name it after a table (%s) or pass --table", path, strings.Join(lake.TableNames(), ", "))
		}
		spec, fs := canonicalSpec(t)
		reader = newNDJSONReader(path, src, t.ColumnNames())
		if m, err = compile(spec, fs, path, t.ColumnNames(), in.opts.Config); err != nil {
			return FileResult{}, err
		}
	} else {
		cr, err := newCSVReader(path, src)
		if err != nil {
			return FileResult{}, err
		}
		reader = cr
		spec, fs, err := in.detect(path, cr.header())
		if err != nil {
			return FileResult{}, err
		}
		if m, err = compile(spec, fs, path, cr.header(), in.opts.Config); err != nil {
			return FileResult{}, err
		}
	}
	fr.Source, fr.Kind = m.vendor, m.kind
	in.opts.Logger.Info("reading", "file", path, "source", m.vendor, "kind", m.kind)
	var buf pending
	lastProgress := time.Now()
	for {
		rec, err := reader.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) || ie.Kind == KindIO {
				return FileResult{}, fmt.Errorf("read %s: %w", path, err)
			}
			fr.Rows++
			if err := in.refuse(num, &fr, ie); err != nil {
				return FileResult{}, err
			}
			continue
		}
		fr.Rows++
		if ie := m.apply(rec, &buf); ie != nil {
			if err := in.refuse(num, &fr, ie); err != nil {
				return FileResult{}, err
			}
			continue
		}
		if len(buf.rows) == 0 {
			fr.Skipped++
		}
		seq := int64(num)<<seqFileShift | int64(rec.line)
		for i, t := range buf.tables {
			in.batch = append(in.batch, stagedRow{table: t, row: append(buf.rows[i], seq)})
		}
		if len(in.batch) >= stageBatch {
			if err := in.sendBatch(); err != nil {
				return FileResult{}, err
			}
		}
		fr.Accepted++
		if in.opts.Progress != nil && fr.Rows%4096 == 0 && time.Since(lastProgress) > 100*time.Millisecond {
			in.opts.Progress(in.read.Load(), in.total)
			lastProgress = time.Now()
		}
		if fr.Rows%65536 == 0 && ctx.Err() != nil {
			return FileResult{}, ctx.Err()
		}
	}
	if err := in.sendBatch(); err != nil {
		return FileResult{}, err
	}
	if in.opts.Progress != nil {
		in.opts.Progress(in.read.Load(), in.total)
	}
	return fr, nil
}

// detect picks the mapping for a CSV file from its name and header.
func (in *ingester) detect(path string, header []string) (VendorSpec, FileSpec, error) {
	idx := headerIndex(header)
	has := func(cols []string) bool {
		for _, c := range cols {
			if _, ok := idx[strings.ToLower(strings.TrimSpace(c))]; !ok {
				return false
			}
		}
		return true
	}
	source := in.opts.Source
	if source == "canonical" || source == "auto" {
		if t, ok := in.canonicalTable(path); ok {
			spec, fs := canonicalSpec(t)
			if has(fs.Detect) || source == "canonical" {
				return spec, fs, nil
			}
		} else if source == "canonical" {
			return VendorSpec{}, FileSpec{}, fmt.Errorf("%s: cannot tell the canonical table from the file name; name it after a table (%s) or pass --table", path, strings.Join(lake.TableNames(), ", "))
		}
	}
	vendors := Vendors()
	if source != "auto" {
		vendors = []string{source}
	}
	type candidate struct {
		spec  VendorSpec
		fs    FileSpec
		score int
	}
	var best []candidate
	for _, v := range vendors {
		spec, err := in.opts.Config.Spec(v)
		if err != nil {
			return VendorSpec{}, FileSpec{}, err
		}
		for _, fs := range spec.Files {
			if len(fs.Detect) == 0 || !has(fs.Detect) {
				continue
			}
			c := candidate{spec, fs, len(fs.Detect)}
			switch {
			case len(best) == 0 || c.score > best[0].score:
				best = []candidate{c}
			case c.score == best[0].score:
				best = append(best, c)
			}
		}
	}
	switch len(best) {
	case 0:
		shown := header
		if len(shown) > 8 {
			shown = append(shown[:8:8], "…")
		}
		return VendorSpec{}, FileSpec{}, &Error{File: path, Line: 1, Kind: KindFormat,
			Reason: fmt.Sprintf("not a known %s export (header: %s); pass --source, or name a canonical file after its table", strings.ReplaceAll(source, "auto", "canonical or vendor"), strings.Join(shown, ", "))}
	case 1:
		return best[0].spec, best[0].fs, nil
	}
	var names []string
	for _, c := range best {
		names = append(names, c.spec.Vendor+" "+c.fs.Kind)
	}
	return VendorSpec{}, FileSpec{}, &Error{File: path, Line: 1, Kind: KindFormat,
		Reason: fmt.Sprintf("header fits several exports (%s); pass --source", strings.Join(names, ", "))}
}

func (in *ingester) append(t lake.Table, row []driver.Value) error {
	a, ok := in.appenders[t.Name]
	if !ok {
		err := in.tx.Conn().Raw(func(dc any) error {
			var err error
			a, err = duckdb.NewAppenderFromConn(dc.(driver.Conn), "", lake.Incoming(t.Name))
			return err
		})
		if err != nil {
			return fmt.Errorf("stage %s: %w", t.Name, err)
		}
		in.appenders[t.Name] = a
	}
	if err := a.AppendRow(row...); err != nil {
		return fmt.Errorf("stage %s row: %w", t.Name, err)
	}
	return nil
}

func (in *ingester) closeAppenders() error {
	var first error
	for name, a := range in.appenders {
		if err := a.Close(); err != nil && first == nil {
			first = fmt.Errorf("flush %s: %w", name, err)
		}
		delete(in.appenders, name)
	}
	return first
}

// refuse writes a row to the file's quarantine.
func (in *ingester) refuse(num int, fr *FileResult, e *Error) error {
	fr.Quarantined++
	if len(fr.Errors) < shownErrors {
		fr.Errors = append(fr.Errors, e)
	}
	if in.quarantine == nil {
		in.quarantine = map[int]*quarantineFile{}
		in.qnames = map[string]bool{}
	}
	q, ok := in.quarantine[num]
	if !ok {
		if err := os.MkdirAll(in.tx.QuarantineDir(), 0o755); err != nil {
			return fmt.Errorf("create quarantine: %w", err)
		}
		base := strings.TrimSuffix(filepath.Base(fr.Path), filepath.Ext(fr.Path))
		name := base + ".csv"
		for i := 2; in.qnames[name]; i++ {
			name = base + "-" + strconv.Itoa(i) + ".csv"
		}
		in.qnames[name] = true
		f, err := os.Create(filepath.Join(in.tx.QuarantineDir(), name))
		if err != nil {
			return fmt.Errorf("create quarantine file: %w", err)
		}
		q = &quarantineFile{f: f, w: csv.NewWriter(f)}
		in.quarantine[num] = q
		fr.Quarantine = in.tx.QuarantinePath(name)
		if err := q.w.Write([]string{"line", "column", "field", "kind", "reason", "row"}); err != nil {
			return fmt.Errorf("write quarantine: %w", err)
		}
	}
	if err := q.w.Write([]string{itoaOrBlank(e.Line), itoaOrBlank(e.Column), e.Field, string(e.Kind), e.Reason, e.Raw}); err != nil {
		return fmt.Errorf("write quarantine: %w", err)
	}
	return nil
}

func itoaOrBlank(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func (in *ingester) closeQuarantine() error {
	for _, q := range in.quarantine {
		q.w.Flush()
		if err := q.w.Error(); err != nil {
			return fmt.Errorf("write quarantine: %w", err)
		}
		if err := q.f.Close(); err != nil {
			return fmt.Errorf("close quarantine: %w", err)
		}
	}
	return nil
}
