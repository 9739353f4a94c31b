package ingest

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	// The Parquet reader asks DuckDB, registered under "duckdb".
	_ "github.com/duckdb/duckdb-go/v2"
)

// inputFormat is one kind of input file: how to recognise it by name and
// how to open its rows. Every format yields the same rowReader, so vendor
// layouts, validation and quarantine never know which format a row came
// from.
type inputFormat struct {
	name string
	exts []string
	// walk says whether a directory walk picks these files up.
	walk bool
	open func(ctx context.Context, f openFile) (rowReader, Dialect, error)
}

// openFile is what a format needs to open one input.
type openFile struct {
	path string
	// raw opens the file from its first byte, uncounted (for a first pass
	// that only looks); counted opens it for the pass that reads the rows.
	raw, counted func() (io.ReadCloser, error)
	encoding     string // ingest.encoding
	sheet        string // --sheet
	// head: only the header will be read, so a text file's encoding is
	// settled from its start.
	head bool
}

var inputFormats = []inputFormat{
	{name: "csv", exts: []string{".csv", ".tsv", ".txt"}, walk: true, open: openCSV},
	{name: "ndjson", exts: []string{".ndjson", ".jsonl"}, walk: true, open: nil}, // needs the canonical table: opened by the ingester
	{name: "xlsx", exts: []string{".xlsx", ".xlsm"}, walk: true, open: openXLSX},
	{name: "parquet", exts: []string{".parquet"}, walk: true, open: openParquet},
}

// formatOf picks the format of a path by its extension; anything unknown is
// read as delimited text, which is what most exports are whatever their name.
func formatOf(path string) inputFormat {
	ext := strings.ToLower(filepath.Ext(path))
	for _, f := range inputFormats {
		for _, e := range f.exts {
			if e == ext {
				return f
			}
		}
	}
	return inputFormats[0]
}

// walked says whether a directory walk reads a file of this name.
func walked(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	for _, f := range inputFormats {
		for _, e := range f.exts {
			if e == ext {
				return f.walk
			}
		}
	}
	return false
}

// openCSV opens delimited text: encoding decided first, then the delimiter
// and line ending sniffed from the decoded start.
func openCSV(_ context.Context, f openFile) (rowReader, Dialect, error) {
	check := f.raw
	if f.head {
		check = func() (io.ReadCloser, error) {
			rc, err := f.raw()
			if err != nil {
				return nil, err
			}
			return readCloser{io.LimitReader(rc, 64<<10), rc}, nil
		}
	}
	rc, d, err := decodeText(check, f.counted, f.encoding)
	if err != nil {
		return nil, Dialect{}, fmt.Errorf("open input: %w", err)
	}
	br := bufio.NewReaderSize(rc, 64<<10)
	head, _ := br.Peek(64 << 10)
	delim, ending := sniffDialect(head)
	d.Delimiter, d.LineEnding = string(delim), ending
	var text io.Reader = br
	if ending == "CR" {
		text = crToLF{br}
	}
	cr, err := newCSVReader(f.path, text, delim)
	if err != nil {
		rc.Close()
		return nil, d, err
	}
	cr.closer = rc
	return cr, d, nil
}

// xlsxReader reads the rows of one sheet. Values come raw, not as Excel
// displays them: a date is its serial number (converted exactly by the
// timestamp parser, which is told the workbook's date system) and an id
// keeps every digit Excel stored, however it was displayed.
type xlsxReader struct {
	file  string
	wb    *excelize.File
	rows  *excelize.Rows
	hdr   []string
	line  int
	width int
	// date1904: the workbook counts date serials from 1904 (old Mac Excel).
	date1904 bool
}

func openXLSX(_ context.Context, f openFile) (rowReader, Dialect, error) {
	rc, err := f.counted()
	if err != nil {
		return nil, Dialect{}, fmt.Errorf("open input: %w", err)
	}
	defer rc.Close()
	wb, err := excelize.OpenReader(rc, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, Dialect{}, &Error{File: f.path, Kind: KindFormat, Reason: "not a readable XLSX workbook: " + err.Error(), Err: err}
	}
	sheets := wb.GetSheetList()
	sheet := f.sheet
	if sheet == "" && len(sheets) > 0 {
		sheet = sheets[0]
	}
	found := false
	for _, s := range sheets {
		found = found || s == sheet
	}
	if !found {
		wb.Close()
		return nil, Dialect{}, &Error{File: f.path, Kind: KindFormat, Reason: fmt.Sprintf("no sheet %q (sheets: %s)", sheet, strings.Join(sheets, ", "))}
	}
	d := Dialect{Encoding: "xlsx sheet " + strconv.Quote(sheet)}
	props, err := wb.GetWorkbookProps()
	date1904 := err == nil && props.Date1904 != nil && *props.Date1904
	if date1904 {
		d.Encoding += ", 1904 dates"
	}
	rows, err := wb.Rows(sheet)
	if err != nil {
		wb.Close()
		return nil, Dialect{}, &Error{File: f.path, Kind: KindFormat, Reason: "read sheet " + sheet + ": " + err.Error(), Err: err}
	}
	x := &xlsxReader{file: f.path, wb: wb, rows: rows, date1904: date1904}
	for x.rows.Next() { // the header is the first row with a value
		x.line++
		cols, err := x.rows.Columns()
		if err != nil {
			x.close()
			return nil, d, &Error{File: f.path, Line: x.line, Kind: KindSyntax, Reason: err.Error(), Err: err}
		}
		if len(strings.TrimSpace(strings.Join(cols, ""))) == 0 {
			continue
		}
		for len(cols) > 0 && strings.TrimSpace(cols[len(cols)-1]) == "" {
			cols = cols[:len(cols)-1]
		}
		x.hdr = cols
		x.width = len(cols)
		return x, d, nil
	}
	x.close()
	return nil, d, &Error{File: f.path, Line: 1, Reason: "the sheet is empty: expected a header row"}
}

func (x *xlsxReader) header() []string { return x.hdr }

func (x *xlsxReader) close() error {
	x.rows.Close()
	return x.wb.Close()
}

func (x *xlsxReader) next() (*record, error) {
	for x.rows.Next() {
		x.line++
		cols, err := x.rows.Columns()
		if err != nil {
			return nil, &Error{File: x.file, Line: x.line, Kind: KindSyntax, Reason: err.Error(), Err: err}
		}
		if len(strings.TrimSpace(strings.Join(cols, ""))) == 0 {
			continue // Excel keeps formatted empty rows; they are not records
		}
		rec := &record{line: x.line, values: make([]string, x.width), lines: make([]int, x.width), cols: make([]int, x.width)}
		for i := range rec.values {
			rec.lines[i], rec.cols[i] = x.line, i+1
			if i < len(cols) {
				rec.values[i] = excelNumber(cols[i])
			}
		}
		raw := cols
		rec.raw = func() string { return csvLine(raw) }
		if len(cols) > x.width && strings.TrimSpace(strings.Join(cols[x.width:], "")) != "" {
			return nil, &Error{File: x.file, Line: x.line, Column: x.width + 1, Raw: rec.raw(), Kind: KindRagged,
				Reason: fmt.Sprintf("row has values past the header's %d columns", x.width)}
		}
		return rec, nil
	}
	if err := x.rows.Error(); err != nil {
		return nil, &Error{File: x.file, Line: x.line + 1, Kind: KindIO, Reason: "read: " + err.Error(), Err: err}
	}
	return nil, io.EOF
}

// excelNumber writes a raw numeric cell the way a person would: Excel's XML
// may hold 1.10416453789E+11 for an id it displays in scientific notation,
// and every digit is still there.
func excelNumber(s string) string {
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return s
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return s
}

// csvLine writes values as one CSV line, for the quarantine's "row".
func csvLine(values []string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(values)
	w.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// parquetReader reads a Parquet file through DuckDB, every value as text,
// so warehouse dumps go through the same mapping as CSV exports.
type parquetReader struct {
	file string
	db   *sql.DB
	rows *sql.Rows
	hdr  []string
	line int
	vals []sql.NullString
}

func openParquet(ctx context.Context, f openFile) (rowReader, Dialect, error) {
	if _, err := os.Stat(f.path); err != nil {
		return nil, Dialect{}, fmt.Errorf("open input: %w", err)
	}
	// A DuckDB of its own: the run's connection is busy staging rows.
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, Dialect{}, fmt.Errorf("open duckdb: %w", err)
	}
	if _, err := db.ExecContext(ctx, "SET TimeZone = 'UTC'"); err != nil {
		db.Close()
		return nil, Dialect{}, fmt.Errorf("open duckdb: %w", err)
	}
	// DuckDB writes every value as text the way the CSV parsers read it:
	// timestamps as 2024-05-01 13:45:00[+00], decimals exactly, booleans
	// as true/false.
	rows, err := db.QueryContext(ctx, "SELECT COLUMNS(*)::VARCHAR FROM read_parquet(?)", f.path)
	if err != nil {
		db.Close()
		return nil, Dialect{}, &Error{File: f.path, Kind: KindFormat, Reason: "not a readable Parquet file: " + err.Error(), Err: err}
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		db.Close()
		return nil, Dialect{}, fmt.Errorf("read %s: %w", f.path, err)
	}
	p := &parquetReader{file: f.path, db: db, rows: rows, hdr: cols, vals: make([]sql.NullString, len(cols))}
	return p, Dialect{Encoding: "parquet"}, nil
}

func (p *parquetReader) header() []string { return p.hdr }

func (p *parquetReader) close() error {
	p.rows.Close()
	return p.db.Close()
}

func (p *parquetReader) next() (*record, error) {
	if !p.rows.Next() {
		if err := p.rows.Err(); err != nil {
			return nil, &Error{File: p.file, Line: p.line + 1, Kind: KindIO, Reason: "read: " + err.Error(), Err: err}
		}
		return nil, io.EOF
	}
	p.line++
	ptrs := make([]any, len(p.vals))
	for i := range p.vals {
		ptrs[i] = &p.vals[i]
	}
	if err := p.rows.Scan(ptrs...); err != nil {
		return nil, &Error{File: p.file, Line: p.line, Kind: KindSyntax, Reason: "read row: " + err.Error(), Err: err}
	}
	n := len(p.hdr)
	rec := &record{line: p.line, values: make([]string, n), lines: make([]int, n), cols: make([]int, n)}
	for i, v := range p.vals {
		rec.lines[i], rec.cols[i] = p.line, i+1
		rec.values[i] = v.String
	}
	vals := rec.values
	rec.raw = func() string { return csvLine(vals) }
	return rec, nil
}
