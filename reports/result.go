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
	// Total, when not 0, is how many rows the whole report has where Rows
	// holds only its head (Head).
	Total int
}

// Count is how many rows the whole report has.
func (t Table) Count() int {
	if t.Total > 0 {
		return t.Total
	}
	return len(t.Rows)
}

// Table flattens r. The breakdown value (field tagged col:"dim") becomes a
// column named after the dimension, or is left out without a breakdown.
func (r Result[T]) Table() Table {
	cols, flat := flattener[T](r.Params.By)
	t := Table{Report: r.Report, Params: r.Params, Columns: cols}
	for _, row := range r.Rows {
		t.Rows = append(t.Rows, flat(&row))
	}
	return t
}

// flattener is the columns of a row type T and how one row becomes the
// values of a table row (nil for NULL), with the breakdown by.
func flattener[T any](by string) ([]Column, func(*T) []any) {
	typ := reflect.TypeFor[T]()
	var cols []Column
	var fields []int
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name := f.Tag.Get("col")
		if name == "" {
			continue
		}
		if name == "dim" {
			if by == "" {
				continue
			}
			name = by
		}
		kind := f.Type.Kind()
		nullable := kind == reflect.Pointer
		if nullable {
			kind = f.Type.Elem().Kind()
		}
		if kind == reflect.Int {
			kind = reflect.Int64
		}
		cols = append(cols, Column{Name: name, Kind: kind, Nullable: nullable})
		fields = append(fields, i)
	}
	return cols, func(row *T) []any {
		v := reflect.ValueOf(row).Elem()
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
		return out
	}
}

// run executes a model and scans every row into T, matching result columns
// to fields by their col tag. A column without a field, or a field without
// a column, is a programming error and fails loudly.
func run[T any](ctx context.Context, l *lake.Lake, report, model string, p Params, extra map[string]any) (Result[T], error) {
	args := p.args()
	for k, v := range extra {
		args[k] = v
	}
	if err := shareClocks(ctx, l, model, p, args); err != nil {
		return Result[T]{}, err
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
