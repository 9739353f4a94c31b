package exports

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// Record batches stay under both limits. gRPC clients refuse a message
// over 4 MiB unless told otherwise, so a batch is cut at about 2 MiB.
const (
	maxBatchRows  = 65536
	maxBatchBytes = 2 << 20
)

// arrowFieldType maps a DuckDB column type onto the Arrow type it is sent
// as. Nested and rarer types (LIST, STRUCT, MAP, UNION, BIT, …) go as
// their JSON text; HUGEINT as a 38-digit decimal; DuckDB's second,
// millisecond and nanosecond timestamps as microseconds.
func arrowFieldType(info duckdb.TypeInfo) arrow.DataType {
	switch info.InternalType() {
	case duckdb.TYPE_BOOLEAN:
		return arrow.FixedWidthTypes.Boolean
	case duckdb.TYPE_TINYINT:
		return arrow.PrimitiveTypes.Int8
	case duckdb.TYPE_SMALLINT:
		return arrow.PrimitiveTypes.Int16
	case duckdb.TYPE_INTEGER:
		return arrow.PrimitiveTypes.Int32
	case duckdb.TYPE_BIGINT:
		return arrow.PrimitiveTypes.Int64
	case duckdb.TYPE_UTINYINT:
		return arrow.PrimitiveTypes.Uint8
	case duckdb.TYPE_USMALLINT:
		return arrow.PrimitiveTypes.Uint16
	case duckdb.TYPE_UINTEGER:
		return arrow.PrimitiveTypes.Uint32
	case duckdb.TYPE_UBIGINT:
		return arrow.PrimitiveTypes.Uint64
	case duckdb.TYPE_FLOAT:
		return arrow.PrimitiveTypes.Float32
	case duckdb.TYPE_DOUBLE:
		return arrow.PrimitiveTypes.Float64
	case duckdb.TYPE_HUGEINT, duckdb.TYPE_UHUGEINT:
		return &arrow.Decimal128Type{Precision: 38, Scale: 0}
	case duckdb.TYPE_DECIMAL:
		if d, ok := info.Details().(*duckdb.DecimalDetails); ok {
			return &arrow.Decimal128Type{Precision: int32(d.Width), Scale: int32(d.Scale)}
		}
		return arrow.PrimitiveTypes.Float64
	case duckdb.TYPE_TIMESTAMP, duckdb.TYPE_TIMESTAMP_S, duckdb.TYPE_TIMESTAMP_MS, duckdb.TYPE_TIMESTAMP_NS:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case duckdb.TYPE_TIMESTAMP_TZ:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case duckdb.TYPE_DATE:
		return arrow.FixedWidthTypes.Date32
	case duckdb.TYPE_TIME:
		return arrow.FixedWidthTypes.Time64us
	case duckdb.TYPE_INTERVAL:
		return arrow.FixedWidthTypes.MonthDayNanoInterval
	case duckdb.TYPE_BLOB:
		return arrow.BinaryTypes.Binary
	}
	return arrow.BinaryTypes.String
}

// recordBuilder turns DuckDB rows into Arrow record batches of bounded
// size.
type recordBuilder struct {
	b       *array.RecordBuilder
	rows    int
	bytes   int
	rowSize int
}

func newRecordBuilder(mem memory.Allocator, schema *arrow.Schema) *recordBuilder {
	size := 0
	for _, f := range schema.Fields() {
		size += 8
		if fw, ok := f.Type.(arrow.FixedWidthDataType); ok {
			size += fw.BitWidth() / 8
		}
	}
	return &recordBuilder{b: array.NewRecordBuilder(mem, schema), rowSize: size}
}

// add appends one row and says whether the batch is full.
func (rb *recordBuilder) add(row []driver.Value) (bool, error) {
	rb.bytes += rb.rowSize
	for i, v := range row {
		n, err := appendValue(rb.b.Field(i), v)
		if err != nil {
			return false, fmt.Errorf("column %s: %w", rb.b.Schema().Field(i).Name, err)
		}
		rb.bytes += n
	}
	rb.rows++
	return rb.rows >= maxBatchRows || rb.bytes >= maxBatchBytes, nil
}

// batch takes the rows added so far as a record; nil when there are none.
func (rb *recordBuilder) batch() arrow.RecordBatch {
	if rb.rows == 0 {
		return nil
	}
	rb.rows, rb.bytes = 0, 0
	return rb.b.NewRecordBatch()
}

func (rb *recordBuilder) release() { rb.b.Release() }

// appendValue appends v to b and returns the bytes of variable-width data
// it added. DuckDB's Go driver gives each type one Go type; anything else
// is a mismatch between the schema and the rows, reported, never guessed.
func appendValue(b array.Builder, v driver.Value) (int, error) {
	if v == nil {
		b.AppendNull()
		return 0, nil
	}
	mismatch := func() (int, error) { return 0, fmt.Errorf("value %v (%T) does not fit %s", v, v, b.Type()) }
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Int8Builder:
		x, ok := v.(int8)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Int16Builder:
		x, ok := v.(int16)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Int32Builder:
		x, ok := v.(int32)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Int64Builder:
		x, ok := v.(int64)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Uint8Builder:
		x, ok := v.(uint8)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Uint16Builder:
		x, ok := v.(uint16)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Uint32Builder:
		x, ok := v.(uint32)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Uint64Builder:
		x, ok := v.(uint64)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Float32Builder:
		x, ok := v.(float32)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Float64Builder:
		switch x := v.(type) {
		case float64:
			bb.Append(x)
		case duckdb.Decimal:
			bb.Append(x.Float64())
		default:
			return mismatch()
		}
	case *array.Decimal128Builder:
		switch x := v.(type) {
		case *big.Int:
			bb.Append(decimal128.FromBigInt(x))
		case duckdb.Decimal:
			bb.Append(decimal128.FromBigInt(x.Value))
		default:
			return mismatch()
		}
	case *array.TimestampBuilder:
		x, ok := v.(time.Time)
		if !ok {
			return mismatch()
		}
		bb.Append(arrow.Timestamp(x.UnixMicro()))
	case *array.Date32Builder:
		x, ok := v.(time.Time)
		if !ok {
			return mismatch()
		}
		bb.Append(arrow.Date32FromTime(x))
	case *array.Time64Builder:
		x, ok := v.(time.Time)
		if !ok {
			return mismatch()
		}
		micros := int64(x.Hour())*3600e6 + int64(x.Minute())*60e6 + int64(x.Second())*1e6 + int64(x.Nanosecond()/1000)
		bb.Append(arrow.Time64(micros))
	case *array.MonthDayNanoIntervalBuilder:
		x, ok := v.(duckdb.Interval)
		if !ok {
			return mismatch()
		}
		bb.Append(arrow.MonthDayNanoInterval{Months: x.Months, Days: x.Days, Nanoseconds: x.Micros * 1000})
	case *array.BinaryBuilder:
		x, ok := v.([]byte)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
		return len(x), nil
	case *array.StringBuilder:
		s, err := textOf(v)
		if err != nil {
			return 0, err
		}
		bb.Append(s)
		return len(s), nil
	default:
		return mismatch()
	}
	return 0, nil
}

// textOf is how a value sent as a string reads: strings as they are, UUIDs
// in their usual form, nested values as JSON.
func textOf(v driver.Value) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case duckdb.UUID:
		return (&x).String(), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v), nil
	}
	return string(data), nil
}

// streamRows reads every row of rows into record batches, handing each to
// send; it stops at the first error, send's included.
func streamRows(rows driver.Rows, schema *arrow.Schema, mem memory.Allocator, send func(arrow.RecordBatch) error) error {
	rb := newRecordBuilder(mem, schema)
	defer rb.release()
	row := make([]driver.Value, len(schema.Fields()))
	for {
		err := rows.Next(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		full, err := rb.add(row)
		if err != nil {
			return err
		}
		if full {
			if err := send(rb.batch()); err != nil {
				return err
			}
		}
	}
	if rec := rb.batch(); rec != nil {
		return send(rec)
	}
	return nil
}
