package reports

import (
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
	return writeCSV(w, tb, func(v any) string {
		if s, ok := v.(string); ok {
			return SpreadsheetText(s)
		}
		return plain(v)
	})
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
	cw := csv.NewWriter(w)
	header := make([]string, len(tb.Columns))
	for i, c := range tb.Columns {
		header[i] = c.Name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(tb.Columns))
	for _, row := range tb.Rows {
		for i, v := range row {
			rec[i] = text(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
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
	head := struct {
		Report  string         `json:"report"`
		Params  map[string]any `json:"params"`
		AsOf    string         `json:"as_of"`
		Summary map[string]any `json:"summary,omitempty"`
		Columns []string       `json:"columns"`
	}{tb.Report, tb.Params.Describe(), tb.Params.AsOf.UTC().Format(time.RFC3339), tb.Summary, nil}
	if tb.Described != nil {
		head.Params = tb.Described
	}
	for _, c := range tb.Columns {
		head.Columns = append(head.Columns, c.Name)
	}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	var sb strings.Builder
	sb.Write(b[:len(b)-1]) // reopen the object to append rows in order
	sb.WriteString(`,"rows":[`)
	for i, row := range tb.Rows {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("\n{")
		for j, v := range row {
			if j > 0 {
				sb.WriteString(",")
			}
			k, _ := json.Marshal(tb.Columns[j].Name)
			sb.Write(k)
			sb.WriteString(":")
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
			sb.Write(vb)
		}
		sb.WriteString("}")
	}
	sb.WriteString("]}\n")
	_, err = io.WriteString(w, sb.String())
	return err
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
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A plain table in the lake's in-memory catalog (the appender does not
	// reach temp tables), named per call so concurrent writers do not meet.
	table := fmt.Sprintf("_report_out_%d", time.Now().UnixNano())
	if _, err := conn.ExecContext(ctx, CreateTableSQL("", table, tb.Columns)); err != nil {
		return fmt.Errorf("parquet output: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+table) //nolint:errcheck // in memory; gone with the lake anyway
	err = AppendRows(conn, "", table, tb)
	if err != nil {
		return fmt.Errorf("parquet output: %w", err)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if _, err := conn.ExecContext(ctx, "COPY "+table+" TO "+lake.Literal(tmp)+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("parquet output %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
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
