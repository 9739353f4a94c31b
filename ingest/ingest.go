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
	"unicode/utf8"

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
	// Sheet is the worksheet of XLSX inputs to read (default: the first).
	Sheet string
	// MemoryLimit caps the staging DuckDB's memory ("4GB"; "" is DuckDB's
	// default, 80% of RAM); past it DuckDB spills to the lake's staging
	// directory. Go's own memory (reading and checking rows) is apart.
	MemoryLimit string
	// RebuildKept builds the lake's kept per-lead tables again from its
	// canonical tables even if the run changes none (`--rebuild`).
	RebuildKept bool
}

// FileResult is what became of one input file.
type FileResult struct {
	lake.RunInput
	// Errors holds the first refused rows, for people; the quarantine file
	// has them all.
	Errors []*Error
	// WarningSamples holds the first warnings; the warnings file has them all.
	WarningSamples []*Error
	// Header is the header of a file that was not recognised.
	Header []string
	// NotNeeded: the file was skipped as a layout handoff knows and has no
	// use for (a Data Export's Account.csv), not as an unknown one.
	NotNeeded bool
}

// Result is what a run did.
type Result struct {
	Manifest    lake.Manifest
	Run         lake.Run
	Files       []FileResult
	Accepted    int64
	Quarantined int64
	Warnings    int64
	// SkippedFiles counts inputs skipped whole as not recognised;
	// NotNeededFiles those skipped as layouts handoff has no use for, which
	// neither --strict nor the exit status counts against the run.
	SkippedFiles   int
	NotNeededFiles int
	// Unchanged is set when every input had been ingested before and the
	// lake already held what they say: nothing was committed. SeenIn names
	// an earlier run that read them.
	Unchanged bool
	SeenIn    string
}

const (
	seqFileShift = 40 // _seq = file number << 40 | line: orders rows and finds them again
	shownErrors  = 5
)

// Run ingests the files (directories are read for every format's files)
// into the lake in one commit. A file whose layout is not recognised is
// skipped and reported; one that cannot be read fails the whole run, and
// the lake is then as it was.
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
		return Result{}, fmt.Errorf("no input files in %s (looked for %s)", strings.Join(paths, ", "), walkedExts())
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
	if opts.MemoryLimit != "" {
		if err := tx.SetMemoryLimit(ctx, opts.MemoryLimit); err != nil {
			return Result{}, err
		}
	}
	in := &ingester{opts: opts, tx: tx, total: total, appenders: map[string]*duckdb.Appender{}, lookups: lookups{}}
	defer in.closeAppenders()
	res := Result{}
	phase := time.Now()
	in.startStager()
	res.Files = make([]FileResult, len(files))
	for _, i := range in.readOrder(ctx, files) {
		fr, err := in.file(ctx, i+1, files[i])
		if err != nil {
			if stageErr := in.stopStager(); stageErr != nil {
				return Result{}, stageErr // the cause; the reader only saw that staging stopped
			}
			return Result{}, err
		}
		res.Files[i] = fr
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
		res.Warnings += f.Warnings
		switch {
		case f.NotNeeded:
			res.NotNeededFiles++
		case f.Unrecognised != "":
			res.SkippedFiles++
		}
		run.Inputs = append(run.Inputs, f.RunInput)
	}
	if res.SkippedFiles+res.NotNeededFiles == len(res.Files) {
		return res, fmt.Errorf("no input was recognised, so nothing was ingested; the lake is unchanged: %w", ErrNothingRecognised)
	}
	if opts.Strict && res.Quarantined > 0 {
		what := fmt.Sprintf("%d rows were", res.Quarantined)
		if res.Quarantined == 1 {
			what = "1 row was"
		}
		return res, fmt.Errorf("%s refused and --strict was given: %w", what, ErrQuarantined)
	}
	if opts.Strict && res.SkippedFiles > 0 {
		return res, fmt.Errorf("%d files not recognised and --strict given; the lake is unchanged: %w", res.SkippedFiles, ErrSkippedFiles)
	}
	// The same files again change nothing: no new generation, no new
	// quarantine, no run recorded. Files seen before whose rows now map
	// differently (a changed mapping) still commit.
	seenBefore := map[string]string{}
	for _, r := range tx.Previous().Runs {
		for _, in := range r.Inputs {
			if in.SHA256 != "" {
				seenBefore[in.SHA256] = r.ID
			}
		}
	}
	allSeen := true
	for _, f := range res.Files {
		if _, ok := seenBefore[f.SHA256]; !ok {
			allSeen = false
		}
	}
	if allSeen {
		tx.KeepIfUnchanged()
	}
	if opts.RebuildKept {
		tx.RebuildKept()
	}
	m, err := tx.Commit(ctx, run)
	if err != nil {
		return Result{}, err
	}
	if allSeen && m.Generation == tx.Previous().Generation {
		res.Manifest = m
		res.Unchanged = true
		res.SeenIn = seenBefore[res.Files[0].SHA256]
		return res, nil
	}
	opts.Logger.Debug("merged and committed", "generation", m.Generation, "elapsed", time.Since(phase))
	res.Manifest = m
	res.Run = m.Runs[len(m.Runs)-1]
	for i := range res.Files {
		res.Files[i].RunInput = res.Run.Inputs[i]
	}
	return res, nil
}

// Rebuild builds the lake's kept per-lead tables again from its canonical
// tables, in one commit that reads no input: for a lake written before
// they existed or by a handoff whose definitions differ (its reports are
// right meanwhile, only slower), or to check them. The run is recorded
// with no inputs.
func Rebuild(ctx context.Context, opts Options) (lake.Manifest, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if _, err := lake.ReadManifest(opts.Lake); err != nil {
		return lake.Manifest{}, err
	}
	tx, err := lake.Begin(ctx, opts.Lake, lake.NewRunID(opts.Now()))
	if err != nil {
		return lake.Manifest{}, err
	}
	defer tx.Rollback()
	if opts.MemoryLimit != "" {
		if err := tx.SetMemoryLimit(ctx, opts.MemoryLimit); err != nil {
			return lake.Manifest{}, err
		}
	}
	tx.RebuildKept()
	return tx.Commit(ctx, lake.Run{})
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
			if !d.IsDir() && walked(path) && !strings.HasPrefix(d.Name(), "~$") { // ~$name.xlsx: Excel's lock file
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
	lookups   lookups
	tx        *lake.Tx
	total     int64
	read      atomic.Int64
	appenders map[string]*duckdb.Appender
	// the reader → stager pipeline
	batch       []stagedRow
	stageCh     chan []stagedRow
	stageDone   chan error
	stageFailed atomic.Bool
	// quarantine and warnings writers by file number and suffix, opened on
	// the first refused row or warning
	quarantine map[string]*quarantineFile
	qnames     map[string]bool
	// personal are each file's personal columns, by file number, masked
	// in what the quarantine keeps of a row.
	personal map[int]*personalColumns
	// qbytes is what this run has written to its quarantine so far.
	qbytes int64
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
	// full is set once the run's quarantine cap stopped this file.
	full bool
}

const (
	// defaultQuarantineMaxBytes bounds a run's quarantine when
	// ingest.quarantine_max_bytes is 0: a malformed export of hundreds of
	// megabytes is not copied whole.
	defaultQuarantineMaxBytes = 64 << 20
	// maxQuarantinedValue bounds one row or value as the quarantine keeps
	// it.
	maxQuarantinedValue = 8 << 10
)

// writeSide writes one record to a quarantine or warnings file, within the
// run's cap: past it, the file gets one line saying so and nothing more.
func (in *ingester) writeSide(q *quarantineFile, record []string) error {
	if q.full {
		return nil
	}
	limit := in.opts.Config.QuarantineMaxBytes
	if limit <= 0 {
		limit = defaultQuarantineMaxBytes
	}
	n := int64(0)
	for i, v := range record {
		record[i] = clip(v, maxQuarantinedValue)
		n += int64(len(record[i])) + 1
	}
	if in.qbytes+n > limit {
		q.full = true
		note := make([]string, len(record))
		note[len(note)-2] = fmt.Sprintf("this run's quarantine reached its limit of %s (ingest.quarantine_max_bytes): later rows are counted in the summary, not kept here", lake.LimitText(limit))
		return q.w.Write(note)
	}
	in.qbytes += n
	return q.w.Write(record)
}

// clip shortens s to at most n bytes, at a character boundary, saying how
// much was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d more bytes)", len(s)-cut)
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

// openRows opens an input's rows in its format. NDJSON is canonical only
// and needs its table's columns, from the file name.
//
// headerOnly settles a text file's encoding from its first 64 KiB, for a
// look at the header alone.
func (in *ingester) openRows(ctx context.Context, path string, counted, headerOnly bool) (rowReader, Dialect, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(path) }
	if counted {
		opener = func() (io.ReadCloser, error) { return in.countedOpen(path) }
	}
	format := formatOf(path)
	if format.name == "ndjson" {
		if in.opts.Source != "auto" && in.opts.Source != "canonical" {
			return nil, Dialect{}, fmt.Errorf("%s: %s exports are not NDJSON; NDJSON is read as canonical only", path, in.opts.Source)
		}
		t, ok := in.canonicalTable(path)
		if !ok {
			return nil, Dialect{}, &Error{File: path, Kind: KindFormat,
				Reason: fmt.Sprintf("cannot tell the canonical table from the file name; name it after a table (%s) or pass --table", strings.Join(lake.TableNames(), ", "))}
		}
		f, err := opener()
		if err != nil {
			return nil, Dialect{}, fmt.Errorf("open input: %w", err)
		}
		r := newNDJSONReader(path, skipBOM(f), t.ColumnNames())
		r.closer = f
		return r, Dialect{Encoding: "utf-8"}, nil
	}
	return format.open(ctx, openFile{
		path:     path,
		raw:      func() (io.ReadCloser, error) { return os.Open(path) },
		counted:  opener,
		encoding: in.opts.Config.Encoding,
		sheet:    in.opts.Sheet,
		head:     headerOnly,
	})
}

func (in *ingester) countedOpen(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return readCloser{&countingReader{r: f, in: in}, f}, nil
}

// opened is an input ready to read: its rows, how it was read and the
// mapping its header was matched to.
type opened struct {
	rows    rowReader
	dialect Dialect
	fs      FileSpec
	m       *mapping
}

// open opens an input and finds its layout. A file whose header fits no
// layout comes back as an *Unrecognised error, with how it was read (the
// opened value then holds only the dialect).
func (in *ingester) open(ctx context.Context, path string) (*opened, error) {
	rows, d, err := in.openRows(ctx, path, true, false)
	if err != nil {
		return nil, err
	}
	spec, fs, err := in.detect(path, rows.header())
	if err != nil {
		rows.close()
		return &opened{dialect: d}, err
	}
	m, err := compile(spec, fs, path, rows.header(), in.opts.Config, in.lookups)
	if err != nil {
		rows.close()
		return nil, err
	}
	if x, ok := rows.(*xlsxReader); ok {
		m.excelDates(x.date1904)
	}
	if err := in.settleDateOrder(ctx, path, spec, m, &d); err != nil {
		rows.close()
		return nil, err
	}
	return &opened{rows: rows, dialect: d, fs: fs, m: m}, nil
}

// readOrder is the order files are read in: those that provide lookups
// (a Lead export, for the Tasks on its converted contacts) first, the rest
// as given. Only headers are read here.
//
// A file that provides and also looks up (an Opportunity export finds its
// lead through the Lead export's ConvertedOpportunityId) comes after those
// that only provide.
func (in *ingester) readOrder(ctx context.Context, files []string) []int {
	var tiers [3][]int
	for i, path := range files {
		tier := 2
		if len(files) > 1 {
			if rows, _, err := in.openRows(ctx, path, false, true); err == nil {
				if _, fs, err := in.detect(path, rows.header()); err == nil && len(fs.Provides) > 0 {
					tier = 0
					if usesLookups(fs) {
						tier = 1
					}
				}
				rows.close()
			}
		}
		tiers[tier] = append(tiers[tier], i)
	}
	return append(append(tiers[0], tiers[1]...), tiers[2]...)
}

func usesLookups(fs FileSpec) bool {
	var uses func(f *FieldSpec) bool
	uses = func(f *FieldSpec) bool {
		return f != nil && (len(f.Lookup) > 0 || uses(f.Fallback))
	}
	for _, o := range fs.Outputs {
		for _, f := range o.Fields {
			if uses(&f) {
				return true
			}
		}
	}
	return false
}

// settleDateOrder decides whether the file's slash dates are month-first or
// day-first. The file's own values decide when one of them can only be read
// one way (13/02/2024); otherwise the vendor's convention, then
// ingest.date_order. Files without slash dates are not read again: the
// look stops after 1,000 rows with none.
func (in *ingester) settleDateOrder(ctx context.Context, path string, spec VendorSpec, m *mapping, d *Dialect) error {
	cols := m.timeColumns()
	if len(cols) == 0 {
		return nil
	}
	rows, _, err := in.openRows(ctx, path, false, false)
	if err != nil {
		return err
	}
	defer rows.close()
	seen := ""
	for n := 0; ; n++ {
		if seen == "" && n >= 1000 {
			return nil
		}
		rec, err := rows.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			continue // the read proper reports it
		}
		for _, c := range cols {
			v := strings.TrimSpace(rec.values[c])
			sd, ok := parseSlashDate(v)
			if !ok {
				continue
			}
			// The sample named when nothing settles the order is a date
			// that reads both ways: 31/02 or 25:00 is no date at all.
			_, dayFirst := sd.time("day-first", time.UTC)
			_, monthFirst := sd.time("month-first", time.UTC)
			if seen == "" && dayFirst == nil && monthFirst == nil {
				seen = fmt.Sprintf("%s on line %d", v, rec.line)
			}
			if e := sd.evidence(); e != "" {
				if _, err := sd.time(e, time.UTC); err != nil {
					continue // 31/02 or 25:00 proves nothing: it is no date either way
				}
				m.setDateOrder(e)
				d.DateOrder = fmt.Sprintf("%s (%s on line %d)", e, v, rec.line)
				return nil
			}
		}
		if n%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if seen == "" {
		return nil
	}
	switch {
	case spec.DateOrder != "":
		m.setDateOrder(spec.DateOrder)
		d.DateOrder = fmt.Sprintf("%s (%s's convention: no date in the file settles it)", spec.DateOrder, spec.Vendor)
	case in.opts.Config.DateOrder != "":
		m.setDateOrder(in.opts.Config.DateOrder)
		d.DateOrder = in.opts.Config.DateOrder + " (ingest.date_order: no date in the file settles it)"
	default:
		d.DateOrder = "unknown: no date in the file settles it (first: " + seen + "); dates that read both ways are refused until ingest.date_order is set"
	}
	return nil
}

// file ingests one input file. A file whose layout is not recognised is
// skipped (reported, not fatal); one that cannot be read fails the run.
func (in *ingester) file(ctx context.Context, num int, path string) (FileResult, error) {
	recorded := path
	if name, ok := in.opts.Names[path]; ok {
		recorded = name
	}
	fr := FileResult{RunInput: lake.RunInput{Path: recorded, Tables: map[string]int{}}}
	sum, _, err := lake.HashFile(path)
	if err != nil {
		return FileResult{}, fmt.Errorf("read input: %w", err)
	}
	fr.SHA256 = sum
	op, err := in.open(ctx, path)
	if err != nil {
		var un *Unrecognised
		if errors.As(err, &un) {
			fr.Unrecognised = un.Reason()
			fr.Header = un.Header
			fr.NotNeeded = un.NotNeeded
			in.opts.Logger.Warn("skipping unrecognised file", "file", path, "reason", fr.Unrecognised)
			return fr, nil
		}
		return FileResult{}, err
	}
	reader, m := op.rows, op.m
	defer reader.close()
	personal := newPersonalColumns(m, op.dialect.Delimiter)
	if in.personal == nil {
		in.personal = map[int]*personalColumns{}
	}
	in.personal[num] = personal
	fr.Source, fr.Kind = m.vendor, m.kind
	fr.Encoding, fr.EncodingNote = op.dialect.Encoding, op.dialect.EncodingNote
	fr.Delimiter, fr.DateOrder = op.dialect.Delimiter, op.dialect.DateOrder
	in.opts.Logger.Info("reading", "file", path, "source", m.vendor, "kind", m.kind, "encoding", fr.Encoding)
	var buf pending
	deleted := deletedColumns(reader.header())
	if m.history {
		deleted.no = nil
	}
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
			if ie.Kind == KindFooter {
				continue
			}
			fr.Rows++
			if personal != nil {
				ie.Raw = withheldRow
			}
			if err := in.refuse(num, &fr, ie); err != nil {
				return FileResult{}, err
			}
			continue
		}
		fr.Rows++
		if deleted.of(rec) {
			fr.Accepted++
			fr.Skipped++
			continue
		}
		if ie := m.apply(rec, &buf); ie != nil {
			if personal != nil {
				ie.Raw = personal.raw(rec)
			}
			if err := in.refuse(num, &fr, ie); err != nil {
				return FileResult{}, err
			}
			continue
		}
		for _, w := range buf.warnings {
			if err := in.warn(num, &fr, w); err != nil {
				return FileResult{}, err
			}
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

// deletedMarks are the columns by which CRM exports and warehouse loaders
// mark a row deleted: such a row is skipped.
type deletedMarks struct {
	yes  []int // true means deleted: IsDeleted, _fivetran_deleted, archived (Airbyte's HubSpot)
	no   []int // false means gone: _fivetran_active (history mode)
	when []int // any value means deleted: _ab_cdc_deleted_at
}

func deletedColumns(header []string) deletedMarks {
	var d deletedMarks
	for i, h := range header {
		switch normalHeader(h) {
		case "isdeleted", "fivetrandeleted", "archived":
			d.yes = append(d.yes, i)
		case "fivetranactive":
			d.no = append(d.no, i)
		case "abcdcdeletedat":
			d.when = append(d.when, i)
		}
	}
	return d
}

func (d deletedMarks) of(rec *record) bool {
	for _, i := range d.yes {
		if b, err := parseBool(rec.values[i]); err == nil && b {
			return true
		}
	}
	for _, i := range d.no {
		if b, err := parseBool(rec.values[i]); err == nil && !b {
			return true
		}
	}
	for _, i := range d.when {
		if v := strings.TrimSpace(rec.values[i]); v != "" && !strings.EqualFold(v, "null") {
			return true
		}
	}
	return false
}

// Unrecognised is a file whose header fits no known layout, or fits one
// handoff has no use for. The run skips it and says why.
type Unrecognised struct {
	File   string
	Header []string
	// Known is set when the header is a layout handoff knows and does not
	// need ("salesforce account").
	Known string
	// Closest is the layout the header came nearest to, with what it lacks.
	Closest string
	// NotNeeded: Known names a layout handoff has no use for.
	NotNeeded bool
}

// Reason is the sentence the summary shows.
func (u *Unrecognised) Reason() string {
	if u.Known != "" {
		return u.Known
	}
	shown := u.Header
	if len(shown) > 8 {
		shown = append(shown[:8:8], "…")
	}
	msg := fmt.Sprintf("not a known export (header: %s)", strings.Join(shown, ", "))
	if u.Closest != "" {
		msg += "; closest: " + u.Closest
	}
	return msg + "; map it in handoff.yaml (handoff ingest --explain shows how), or name a canonical file after its table"
}

func (u *Unrecognised) Error() string { return u.File + ": " + u.Reason() }

// detect picks the mapping for a file from its name and header: a
// canonical file by its name, a vendor export by the most specific layout
// whose detect columns the header holds all of.
func (in *ingester) detect(path string, header []string) (VendorSpec, FileSpec, error) {
	idx := headerIndex(header)
	has := func(c string) bool {
		_, ok := idx[normalHeader(c)]
		return ok
	}
	hasAll := func(cols []string) bool {
		for _, c := range cols {
			if !has(c) {
				return false
			}
		}
		return true
	}
	source := in.opts.Source
	if source == "canonical" || source == "auto" {
		if t, ok := in.canonicalTable(path); ok {
			spec, fs := canonicalSpec(t)
			if hasAll(fs.Detect) || source == "canonical" {
				return spec, fs, nil
			}
		} else if source == "canonical" {
			return VendorSpec{}, FileSpec{}, &Unrecognised{File: path, Header: header,
				Known: fmt.Sprintf("cannot tell the canonical table from the file name; name it after a table (%s) or pass --table", strings.Join(lake.TableNames(), ", "))}
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
	closest, closestHas, closestLacks := "", 0, []string(nil)
	for _, v := range vendors {
		spec, err := in.opts.Config.Spec(v)
		if err != nil {
			return VendorSpec{}, FileSpec{}, err
		}
		for _, fs := range spec.Files {
			if len(fs.Detect) == 0 {
				continue
			}
			if !hasAll(fs.Detect) {
				var lacks []string
				for _, c := range fs.Detect {
					if !has(c) {
						lacks = append(lacks, c)
					}
				}
				if n := len(fs.Detect) - len(lacks); n*2 >= len(fs.Detect) && n > closestHas {
					closest, closestHas, closestLacks = spec.Vendor+" "+fs.Kind, n, lacks
				}
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
		un := &Unrecognised{File: path, Header: header}
		if closest != "" {
			un.Closest = fmt.Sprintf("%s, which also needs %s", closest, quoteAll(closestLacks))
		}
		return VendorSpec{}, FileSpec{}, un
	case 1:
		if best[0].fs.NotNeeded != "" {
			return VendorSpec{}, FileSpec{}, &Unrecognised{File: path, Header: header, NotNeeded: true,
				Known: fmt.Sprintf("%s %s: not needed by handoff (%s)", best[0].spec.Vendor, best[0].fs.Kind, best[0].fs.NotNeeded)}
		}
		return best[0].spec, best[0].fs, nil
	}
	var names []string
	for _, c := range best {
		names = append(names, c.spec.Vendor+" "+c.fs.Kind)
	}
	return VendorSpec{}, FileSpec{}, &Unrecognised{File: path, Header: header,
		Known: fmt.Sprintf("header fits several exports (%s); pass --source", strings.Join(names, ", "))}
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
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
	e.Raw = clip(e.Raw, maxQuarantinedValue)
	if len(fr.Errors) < shownErrors {
		fr.Errors = append(fr.Errors, e)
	}
	q, err := in.sideFile(num, "", fr, []string{"line", "column", "field", "kind", "reason", "row"})
	if err != nil {
		return err
	}
	if err := in.writeSide(q, []string{itoaOrBlank(e.Line), itoaOrBlank(e.Column), e.Field, string(e.Kind), e.Reason, e.Raw}); err != nil {
		return fmt.Errorf("write quarantine: %w", err)
	}
	return nil
}

// warn records an optional value that could not be read; its row was kept
// with the field blank.
func (in *ingester) warn(num int, fr *FileResult, e *Error) error {
	fr.Warnings++
	if len(fr.WarningSamples) < shownErrors {
		fr.WarningSamples = append(fr.WarningSamples, e)
	}
	q, err := in.sideFile(num, ".warnings", fr, []string{"line", "column", "field", "kind", "reason", "value"})
	if err != nil {
		return err
	}
	if err := in.writeSide(q, []string{itoaOrBlank(e.Line), itoaOrBlank(e.Column), e.Field, string(e.Kind), e.Reason, e.Value}); err != nil {
		return fmt.Errorf("write warnings: %w", err)
	}
	return nil
}

// sideFile opens, on first use, the quarantine ("") or warnings file of an
// input, in the run's quarantine folder.
func (in *ingester) sideFile(num int, suffix string, fr *FileResult, header []string) (*quarantineFile, error) {
	if in.quarantine == nil {
		in.quarantine = map[string]*quarantineFile{}
		in.qnames = map[string]bool{}
	}
	key := strconv.Itoa(num) + suffix
	if q, ok := in.quarantine[key]; ok {
		return q, nil
	}
	// Refused rows are the customers' data: readable by the lake's owner
	// only.
	if err := os.MkdirAll(in.tx.QuarantineDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create quarantine: %w", err)
	}
	base := strings.TrimSuffix(filepath.Base(fr.Path), filepath.Ext(fr.Path))
	name := base + suffix + ".csv"
	for i := 2; in.qnames[name]; i++ {
		name = base + "-" + strconv.Itoa(i) + suffix + ".csv"
	}
	in.qnames[name] = true
	f, err := os.OpenFile(filepath.Join(in.tx.QuarantineDir(), name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create quarantine file: %w", err)
	}
	q := &quarantineFile{f: f, w: csv.NewWriter(f)}
	in.quarantine[key] = q
	if suffix == "" {
		fr.Quarantine = in.tx.QuarantinePath(name)
	} else {
		fr.WarningsFile = in.tx.QuarantinePath(name)
	}
	if err := q.w.Write(header); err != nil {
		return nil, fmt.Errorf("write quarantine: %w", err)
	}
	return q, nil
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
