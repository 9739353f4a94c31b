package exports

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

// batchRows is how many rows an Arrow record batch holds.
const batchRows = 65536

func arrowType(k reflect.Kind) arrow.DataType {
	switch k {
	case reflect.Int64:
		return arrow.PrimitiveTypes.Int64
	case reflect.Float64:
		return arrow.PrimitiveTypes.Float64
	case reflect.Bool:
		return arrow.FixedWidthTypes.Boolean
	case reflect.Struct:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

// rowWriter writes rows into an Arrow IPC file, a record batch at a time.
type rowWriter struct {
	w       *ipc.FileWriter
	b       *array.RecordBuilder
	kinds   []reflect.Kind
	pending int
}

func newRowWriter(out io.Writer, cols []reports.Column) (*rowWriter, error) {
	fields := make([]arrow.Field, len(cols))
	kinds := make([]reflect.Kind, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: arrowType(c.Kind), Nullable: true}
		kinds[i] = c.Kind
	}
	schema := arrow.NewSchema(fields, nil)
	w, err := ipc.NewFileWriter(out, ipc.WithSchema(schema))
	if err != nil {
		return nil, err
	}
	return &rowWriter{w: w, b: array.NewRecordBuilder(memory.DefaultAllocator, schema), kinds: kinds}, nil
}

func (rw *rowWriter) add(row []any) error {
	for i, v := range row {
		f := rw.b.Field(i)
		if v == nil {
			f.AppendNull()
			continue
		}
		switch x := v.(type) {
		case int64:
			f.(*array.Int64Builder).Append(x)
		case int32:
			f.(*array.Int64Builder).Append(int64(x))
		case float64:
			f.(*array.Float64Builder).Append(x)
		case bool:
			f.(*array.BooleanBuilder).Append(x)
		case time.Time:
			f.(*array.TimestampBuilder).Append(arrow.Timestamp(x.UnixMicro()))
		case string:
			f.(*array.StringBuilder).Append(x)
		default:
			f.(*array.StringBuilder).Append(fmt.Sprint(x))
		}
	}
	rw.pending++
	if rw.pending == batchRows {
		return rw.flush()
	}
	return nil
}

func (rw *rowWriter) flush() error {
	if rw.pending == 0 {
		return nil
	}
	rec := rw.b.NewRecordBatch()
	defer rec.Release()
	rw.pending = 0
	return rw.w.Write(rec)
}

func (rw *rowWriter) close() error {
	defer rw.b.Release()
	if err := rw.flush(); err != nil {
		rw.w.Close()
		return err
	}
	return rw.w.Close()
}

// writeArrow writes a report's table as an Arrow IPC file.
func writeArrow(w io.Writer, tb reports.Table) error {
	rw, err := newRowWriter(w, tb.Columns)
	if err != nil {
		return err
	}
	for _, row := range tb.Rows {
		if err := rw.add(row); err != nil {
			rw.close()
			return err
		}
	}
	return rw.close()
}

// tableColumns are a canonical table's columns as report columns.
func tableColumns(t lake.Table) []reports.Column {
	var out []reports.Column
	for _, c := range t.Columns {
		k := reflect.String
		switch c.Type {
		case lake.Int:
			k = reflect.Int64
		case lake.Float:
			k = reflect.Float64
		case lake.Bool:
			k = reflect.Bool
		case lake.Timestamp:
			k = reflect.Struct
		}
		out = append(out, reports.Column{Name: c.Name, Kind: k, Nullable: !c.Required})
	}
	return out
}

// writeTable writes a whole canonical table: Parquet and CSV by DuckDB's
// own COPY, Arrow a batch at a time from a query, so the table never sits
// whole in memory. It returns the rows written.
func writeTable(ctx context.Context, l *lake.Lake, name, format, path string) (int, error) {
	t, _ := lake.TableNamed(name)
	sel := "SELECT " + selectList(t) + " FROM " + lake.Ident(name)
	var n int
	if err := l.DB.QueryRowContext(ctx, "SELECT count(*) FROM "+lake.Ident(name)).Scan(&n); err != nil {
		return 0, err
	}
	switch format {
	case "parquet", "csv":
		opts := "FORMAT parquet, COMPRESSION zstd"
		if format == "csv" {
			opts = "FORMAT csv, HEADER true"
		}
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
		if _, err := l.DB.ExecContext(ctx, "COPY ("+sel+") TO "+lake.Literal(tmp)+" ("+opts+")"); err != nil {
			os.Remove(tmp)
			return 0, err
		}
		return n, os.Rename(tmp, path)
	}
	return n, lake.WriteAtomic(path, func(w io.Writer) error { return copyArrow(ctx, l, sel, w) })
}

// copyArrow writes a query's rows to w as an Arrow IPC file, a record batch
// at a time, straight from DuckDB's rows (the Flight SQL endpoint's path).
func copyArrow(ctx context.Context, l *lake.Lake, query string, w io.Writer) error {
	conn, err := l.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		schema, rows, done, err := openSelect(ctx, dc, query, nil)
		if err != nil {
			return err
		}
		defer done()
		iw, err := ipc.NewFileWriter(w, ipc.WithSchema(schema))
		if err != nil {
			return err
		}
		// Rows become batches on this goroutine while another writes the
		// previous batch: the two halves take about as long as each other.
		batches := make(chan arrow.RecordBatch, 2)
		written := make(chan error, 1)
		go func() {
			var werr error
			for rec := range batches {
				if werr == nil {
					werr = iw.Write(rec)
				}
				rec.Release()
			}
			written <- werr
		}()
		err = streamRows(rows, schema, memory.DefaultAllocator, func(rec arrow.RecordBatch) error {
			batches <- rec
			return nil
		})
		close(batches)
		if werr := <-written; err == nil {
			err = werr
		}
		if err != nil {
			iw.Close()
			return err
		}
		return iw.Close()
	})
}

func selectList(t lake.Table) string {
	s := ""
	for i, c := range t.Columns {
		if i > 0 {
			s += ", "
		}
		s += lake.Ident(c.Name)
	}
	return s
}
