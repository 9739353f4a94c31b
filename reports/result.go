package reports

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"time"

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
	out, err := scanAll[T](rows)
	if err != nil {
		return Result[T]{}, fmt.Errorf("report %s: %w", report, err)
	}
	return Result[T]{Report: report, Params: p, Rows: out}, nil
}

func scanAll[T any](rows *sql.Rows) ([]T, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	typ := reflect.TypeFor[T]()
	index := map[string]int{}
	for i := 0; i < typ.NumField(); i++ {
		if name := typ.Field(i).Tag.Get("col"); name != "" {
			index[name] = i
		}
	}
	if len(index) != len(cols) {
		return nil, fmt.Errorf("model returns %d columns %v, row type %s has %d", len(cols), cols, typ.Name(), len(index))
	}
	fieldOf := make([]int, len(cols))
	for j, c := range cols {
		i, ok := index[c]
		if !ok {
			return nil, fmt.Errorf("model column %q has no field in %s", c, typ.Name())
		}
		fieldOf[j] = i
	}
	setters := make([]func(reflect.Value, any) error, len(cols))
	for j, i := range fieldOf {
		setters[j] = setterFor(typ.Field(i).Type)
	}
	// Scanning into *any and setting fields here skips database/sql's
	// reflective conversion into pointer fields, which cost more than the
	// query itself on reports of a few hundred thousand rows.
	vals := make([]any, len(cols))
	dest := make([]any, len(cols))
	for j := range vals {
		dest[j] = &vals[j]
	}
	var out []T
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, *new(T))
		v := reflect.ValueOf(&out[len(out)-1]).Elem()
		for j, i := range fieldOf {
			if err := setters[j](v.Field(i), vals[j]); err != nil {
				return nil, fmt.Errorf("column %s: %w", cols[j], err)
			}
		}
	}
	return out, rows.Err()
}

// setterFor returns how a value from DuckDB is stored in a field of type
// t: a plain type takes its value, a pointer type is nil for NULL. Times
// are put in UTC, the zone the lake stores.
func setterFor(t reflect.Type) func(reflect.Value, any) error {
	if t.Kind() == reflect.Pointer {
		set := setterFor(t.Elem())
		return func(f reflect.Value, val any) error {
			if val == nil {
				f.SetZero()
				return nil
			}
			p := reflect.New(t.Elem())
			if err := set(p.Elem(), val); err != nil {
				return err
			}
			f.Set(p)
			return nil
		}
	}
	return func(f reflect.Value, val any) error {
		switch x := val.(type) {
		case nil:
			return fmt.Errorf("NULL for a %s field", t)
		case time.Time:
			if t != reflect.TypeFor[time.Time]() {
				break
			}
			f.Set(reflect.ValueOf(x.UTC()))
			return nil
		case string:
			if t.Kind() == reflect.String {
				f.SetString(x)
				return nil
			}
		case bool:
			if t.Kind() == reflect.Bool {
				f.SetBool(x)
				return nil
			}
		case int64:
			switch t.Kind() {
			case reflect.Int, reflect.Int64:
				f.SetInt(x)
				return nil
			case reflect.Float64:
				f.SetFloat(float64(x))
				return nil
			}
		case float64:
			if t.Kind() == reflect.Float64 {
				f.SetFloat(x)
				return nil
			}
		}
		// Narrower integers and floats widen; nothing is truncated.
		rv := reflect.ValueOf(val)
		switch {
		case rv.CanInt() && f.CanInt():
			f.SetInt(rv.Int())
			return nil
		case rv.CanInt() && f.CanFloat():
			f.SetFloat(float64(rv.Int()))
			return nil
		case rv.CanUint() && f.CanInt() && rv.Uint() <= math.MaxInt64:
			f.SetInt(int64(rv.Uint()))
			return nil
		case rv.CanFloat() && f.CanFloat():
			f.SetFloat(rv.Float())
			return nil
		}
		return fmt.Errorf("cannot store %T in a %s field", val, t)
	}
}
