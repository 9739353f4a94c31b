package reports

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/handoff-dev/handoff/lake"
)

// Formats are the output formats of a report.
var Formats = []string{"table", "csv", "json", "parquet"}

// WriteCSV writes a header and one line per row; NULL is an empty field,
// numbers keep full precision, times are RFC 3339 in UTC.
func WriteCSV(w io.Writer, tb Table) error {
	return writeCSV(w, tb, plain)
}

// WriteSpreadsheetCSV is WriteCSV for a person who opens the file in a
// spreadsheet: text that a spreadsheet would run as a formula (it starts
// with =, +, -, @, a tab or a carriage return: a lead source typed into a
// web form as =HYPERLINK(…)) gets a leading apostrophe, which spreadsheets
// show as text. Numbers and times are as WriteCSV writes them.
func WriteSpreadsheetCSV(w io.Writer, tb Table) error {
	return writeCSV(w, tb, spreadsheetText)
}

func spreadsheetText(v any) string {
	if s, ok := v.(string); ok {
		return SpreadsheetText(s)
	}
	return plain(v)
}

// SpreadsheetText is s as a spreadsheet shows it as text: with a leading
// apostrophe when it starts with what a spreadsheet would run as a formula.
func SpreadsheetText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeCSV(w io.Writer, tb Table, text func(any) string) error {
	return writeAll(newCSVWriter(w, tb, text), tb)
}

// RowWriter takes a report's rows one at a time, so a list of millions
// is written as it is read (Spec.Stream); Close finishes the output.
type RowWriter interface {
	Write(row []any) error
	Close() error
}

// writeAll writes a whole table through a row writer.
func writeAll(rw RowWriter, tb Table) error {
	for _, row := range tb.Rows {
		if err := rw.Write(row); err != nil {
			Abort(rw)
			return err
		}
	}
	return rw.Close()
}

// Abort gives up a writer that will not be closed: a Parquet writer
// drops its scratch table and writes no file.
func Abort(rw RowWriter) {
	if a, ok := rw.(interface{ abort() }); ok {
		a.abort()
	}
}

// NewCSVWriter writes head's header, then each row as WriteCSV does.
func NewCSVWriter(w io.Writer, head Table) RowWriter { return newCSVWriter(w, head, plain) }

// NewSpreadsheetCSVWriter writes each row as WriteSpreadsheetCSV does.
func NewSpreadsheetCSVWriter(w io.Writer, head Table) RowWriter {
	return newCSVWriter(w, head, spreadsheetText)
}

type csvWriter struct {
	cw     *csv.Writer
	text   func(any) string
	rec    []string
	header bool
}

func newCSVWriter(w io.Writer, head Table, text func(any) string) *csvWriter {
	c := &csvWriter{cw: csv.NewWriter(w), text: text, rec: make([]string, len(head.Columns))}
	for i, col := range head.Columns {
		c.rec[i] = col.Name
	}
	return c
}

func (c *csvWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.cw.Write(c.rec)
}

func (c *csvWriter) Write(row []any) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	for i, v := range row {
		c.rec[i] = c.text(v)
	}
	return c.cw.Write(c.rec)
}

func (c *csvWriter) Close() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}

func plain(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	default:
		return fmt.Sprint(x)
	}
}

// WriteJSON writes one object: {"report", "params", "as_of", "columns",
// "rows"}, each row an object whose keys keep the column order.
func WriteJSON(w io.Writer, tb Table) error {
	return writeAll(NewJSONWriter(w, tb), tb)
}

// NewJSONWriter writes head's report, parameters and columns, then each
// row as WriteJSON does, and closes the object on Close.
func NewJSONWriter(w io.Writer, head Table) RowWriter {
	j := &jsonWriter{w: bufio.NewWriterSize(w, 64<<10)}
	for _, c := range head.Columns {
		k, _ := json.Marshal(c.Name)
		j.keys = append(j.keys, k)
	}
	j.head = head
	return j
}

type jsonWriter struct {
	w       *bufio.Writer
	head    Table
	keys    [][]byte
	started bool
	rows    int
	err     error
}

func (j *jsonWriter) start() error {
	if j.started {
		return j.err
	}
	j.started = true
	head := struct {
		Report  string         `json:"report"`
		Params  map[string]any `json:"params"`
		AsOf    string         `json:"as_of"`
		Summary map[string]any `json:"summary,omitempty"`
		Columns []string       `json:"columns"`
	}{j.head.Report, j.head.Params.Describe(), j.head.Params.AsOf.UTC().Format(time.RFC3339), j.head.Summary, nil}
	if j.head.Described != nil {
		head.Params = j.head.Described
	}
	for _, c := range j.head.Columns {
		head.Columns = append(head.Columns, c.Name)
	}
	b, err := json.Marshal(head)
	if err != nil {
		j.err = err
		return err
	}
	j.w.Write(b[:len(b)-1]) // reopen the object to append rows in order
	_, j.err = j.w.WriteString(`,"rows":[`)
	return j.err
}

func (j *jsonWriter) Write(row []any) error {
	if err := j.start(); err != nil {
		return err
	}
	if j.rows > 0 {
		j.w.WriteByte(',')
	}
	j.rows++
	j.w.WriteString("\n{")
	for i, v := range row {
		if i > 0 {
			j.w.WriteByte(',')
		}
		j.w.Write(j.keys[i])
		j.w.WriteByte(':')
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			v = nil
		}
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339)
		}
		vb, err := json.Marshal(v)
		if err != nil {
			return err
		}
		j.w.Write(vb)
	}
	_, err := j.w.WriteString("}")
	return err
}

func (j *jsonWriter) Close() error {
	if err := j.start(); err != nil {
		return err
	}
	j.w.WriteString("]}\n")
	return j.w.Flush()
}

// IsRate says whether a column holds a share (0 to 1), shown to people as a
// percentage.
func IsRate(name string) bool {
	return name == "rate" || name == "compliance" || name == "share" || name == "roi" ||
		name == "lead_to_customer" || name == "mql_to_sql" ||
		name == "precision" || name == "recall" || name == "utilization" ||
		strings.HasSuffix(name, "_rate") || strings.HasSuffix(name, "_compliance")
}

// WriteText writes an aligned table for a terminal: numbers to the right,
// text to the left, rates as percentages, other decimals rounded to two
// places, NULL as "-".
func WriteText(w io.Writer, tb Table) error {
	cells := make([][]string, 0, len(tb.Rows)+1)
	head := make([]string, len(tb.Columns))
	for i, c := range tb.Columns {
		head[i] = c.Name
	}
	cells = append(cells, head)
	for _, row := range tb.Rows {
		line := make([]string, len(row))
		for i, v := range row {
			line[i] = human(tb.Columns[i].Name, v)
		}
		cells = append(cells, line)
	}
	width := make([]int, len(tb.Columns))
	for _, line := range cells {
		for i, c := range line {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, line := range cells {
		for i, c := range line {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case tb.Columns[i].Kind == reflect.Int64 || tb.Columns[i].Kind == reflect.Float64:
				b.WriteString(pad + c)
			case i == len(line)-1:
				b.WriteString(c) // no trailing blanks
			default:
				b.WriteString(c + pad)
			}
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(tb.Rows) == 0 {
		_, err := fmt.Fprintln(w, "(no rows)")
		return err
	}
	return nil
}

func human(col string, v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case float64:
		if IsRate(col) {
			return strconv.FormatFloat(100*x, 'f', 1, 64) + "%"
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04")
	default:
		return fmt.Sprint(x)
	}
}

// WriteParquet writes tb to path as Parquet (zstd), letting DuckDB write
// the file from a scratch table on db: one engine writes every Parquet
// file handoff makes. The file appears whole or not at all.
func WriteParquet(ctx context.Context, db *sql.DB, tb Table, path string) error {
	pw, err := NewParquetWriter(ctx, db, tb, path)
	if err != nil {
		return err
	}
	return writeAll(pw, tb)
}

// NewParquetWriter appends each row to a table in the lake's in-memory
// DuckDB as it comes (DuckDB keeps it in columns, spilling past its memory
// limit), and on Close writes it to path as zstd Parquet, through a
// temporary file renamed into place. A writer that is never closed
// leaves no file.
func NewParquetWriter(ctx context.Context, db *sql.DB, head Table, path string) (RowWriter, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	// A plain table in the lake's in-memory catalog (the appender does not
	// reach temp tables), named per call so concurrent writers do not meet.
	table := fmt.Sprintf("_report_out_%d", time.Now().UnixNano())
	if _, err := conn.ExecContext(ctx, CreateTableSQL("", table, head.Columns)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("parquet output: %w", err)
	}
	pw := &parquetWriter{ctx: ctx, conn: conn, table: table, path: path, vals: make([]driver.Value, len(head.Columns))}
	err = conn.Raw(func(dc any) error {
		pw.app, err = duckdb.NewAppender(dc.(driver.Conn), "", "", table)
		return err
	})
	if err != nil {
		pw.drop()
		return nil, fmt.Errorf("parquet output: %w", err)
	}
	return pw, nil
}

type parquetWriter struct {
	ctx         context.Context
	conn        *sql.Conn
	app         *duckdb.Appender
	table, path string
	vals        []driver.Value
}

func (p *parquetWriter) Write(row []any) error {
	for i, v := range row {
		p.vals[i] = v
	}
	if err := p.app.AppendRow(p.vals...); err != nil {
		return fmt.Errorf("parquet output: %w", err)
	}
	return nil
}

func (p *parquetWriter) abort() {
	p.app.Close() //nolint:errcheck // the rows are being thrown away
	p.drop()
}

func (p *parquetWriter) drop() {
	p.conn.ExecContext(context.WithoutCancel(p.ctx), "DROP TABLE IF EXISTS "+p.table) //nolint:errcheck // in memory; gone with the lake anyway
	p.conn.Close()
}

func (p *parquetWriter) Close() error {
	defer p.drop()
	if err := p.app.Close(); err != nil {
		return fmt.Errorf("parquet output: %w", err)
	}
	tmp := filepath.Join(filepath.Dir(p.path), "."+filepath.Base(p.path)+".tmp")
	if _, err := p.conn.ExecContext(p.ctx, "COPY "+p.table+" TO "+lake.Literal(tmp)+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("parquet output %s: %w", p.path, err)
	}
	if err := os.Rename(tmp, p.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("parquet output: %w", err)
	}
	return nil
}

// CreateTableSQL is the DDL of a DuckDB table for a report's columns, in
// schema ("" for the default one).
func CreateTableSQL(schema, name string, cols []Column) string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = quoteIdent(c.Name) + " " + duckType(c.Kind)
	}
	if schema != "" {
		name = quoteIdent(schema) + "." + quoteIdent(name)
	} else {
		name = quoteIdent(name)
	}
	return "CREATE TABLE " + name + " (" + strings.Join(defs, ", ") + ")"
}

// AppendRows loads tb's rows into a table made by CreateTableSQL, through
// DuckDB's appender on conn.
func AppendRows(conn *sql.Conn, schema, table string, tb Table) error {
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "", schema, table)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(tb.Columns))
		for _, row := range tb.Rows {
			for i, v := range row {
				vals[i] = v
			}
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
}

func duckType(k reflect.Kind) string {
	switch k {
	case reflect.Int64:
		return "BIGINT"
	case reflect.Float64:
		return "DOUBLE"
	case reflect.Bool:
		return "BOOLEAN"
	case reflect.Struct:
		return "TIMESTAMPTZ"
	default:
		return "VARCHAR"
	}
}

// quoteIdent quotes a column name for DDL; names come from the row types.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
