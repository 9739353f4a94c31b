package reports

import (
	"context"
	"fmt"
	"reflect"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// Result is one report's rows with the parameters that produced them.
type Result[T any] struct {
	Report string
	Params Params
	Rows   []T
}

// Column is one output column: its name (a contract, see docs/reports.md)
// and its kind for writers that need a type.
type Column struct {
	Name string
	Kind reflect.Kind // String, Int64, Float64, Bool, or Struct for time
	// Nullable columns may hold NULL (nil in a row).
	Nullable bool
}

// Table is a report flattened for writers: columns in order and one slice
// of values per row (nil for NULL).
type Table struct {
	Report  string
	Params  Params
	Columns []Column
	Rows    [][]any
	// Described, when set, are the parameters the JSON states instead of
	// Params' (a table that is not a report's, as the backtest's); Summary
	// is what the rows add up to, written beside them.
	Described map[string]any
	Summary   map[string]any
}

// Table flattens r. The breakdown value (field tagged col:"dim") becomes a
// column named after the dimension, or is left out without a breakdown.
func (r Result[T]) Table() Table {
	t := Table{Report: r.Report, Params: r.Params}
	typ := reflect.TypeFor[T]()
	var fields []int
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name := f.Tag.Get("col")
		if name == "" {
			continue
		}
		if name == "dim" {
			if r.Params.By == "" {
				continue
			}
			name = r.Params.By
		}
		kind := f.Type.Kind()
		nullable := kind == reflect.Pointer
		if nullable {
			kind = f.Type.Elem().Kind()
		}
		if kind == reflect.Int {
			kind = reflect.Int64
		}
		t.Columns = append(t.Columns, Column{Name: name, Kind: kind, Nullable: nullable})
		fields = append(fields, i)
	}
	for _, row := range r.Rows {
		v := reflect.ValueOf(row)
		out := make([]any, len(fields))
		for j, i := range fields {
			fv := v.Field(i)
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			out[j] = fv.Interface()
		}
		t.Rows = append(t.Rows, out)
	}
	return t
}

// run executes a model and scans every row into T, matching result columns
// to fields by their col tag. A column without a field, or a field without
// a column, is a programming error and fails loudly.
func run[T any](ctx context.Context, l *lake.Lake, report, model string, p Params, extra map[string]any) (Result[T], error) {
	args := p.args()
	for k, v := range extra {
		args[k] = v
	}
	st, err := models.Bind(model, args)
	if err != nil {
		return Result[T]{}, err
	}
	rows, err := st.Query(ctx, l.DB)
	if err != nil {
		return Result[T]{}, err
	}
	defer rows.Close()
	out, err := models.ScanAll[T](rows)
	if err != nil {
		return Result[T]{}, fmt.Errorf("report %s: %w", report, err)
	}
	return Result[T]{Report: report, Params: p, Rows: out}, nil
}
