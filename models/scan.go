package models

import (
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"time"
)

// ScanAll reads every row into a T, matching result columns to fields by
// their col tag. A column without a field, or a field without a column, is
// a programming error and fails loudly.
func ScanAll[T any](rows *sql.Rows) ([]T, error) {
	var out []T
	err := ScanEach(rows, func(row *T) error {
		out = append(out, *row)
		return nil
	})
	return out, err
}

// ScanEach reads the rows one at a time into a T, as ScanAll does, and
// hands each to fn before reading the next: a list of millions of rows
// never sits in memory whole. fn must not keep the pointer.
func ScanEach[T any](rows *sql.Rows, fn func(*T) error) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	typ := reflect.TypeFor[T]()
	index := map[string]int{}
	for i := 0; i < typ.NumField(); i++ {
		if name := typ.Field(i).Tag.Get("col"); name != "" {
			index[name] = i
		}
	}
	if len(index) != len(cols) {
		return fmt.Errorf("model returns %d columns %v, row type %s has %d", len(cols), cols, typ.Name(), len(index))
	}
	fieldOf := make([]int, len(cols))
	for j, c := range cols {
		i, ok := index[c]
		if !ok {
			return fmt.Errorf("model column %q has no field in %s", c, typ.Name())
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
	row := new(T)
	v := reflect.ValueOf(row).Elem()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		v.SetZero()
		for j, i := range fieldOf {
			if err := setters[j](v.Field(i), vals[j]); err != nil {
				return fmt.Errorf("column %s: %w", cols[j], err)
			}
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rows.Err()
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
