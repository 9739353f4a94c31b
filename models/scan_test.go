package models

import (
	"reflect"
	"testing"
	"time"
)

func TestSetterForStoresDuckDBValues(t *testing.T) {
	ptr := func(v any) any {
		p := reflect.New(reflect.TypeOf(v))
		p.Elem().Set(reflect.ValueOf(v))
		return p.Interface()
	}
	berlin := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, berlin)
	for _, tc := range []struct {
		name    string
		field   any // a zero value of the field's type
		val     any // what DuckDB's driver hands back
		want    any
		wantErr bool
	}{
		{"string", "", "sdr", "sdr", false},
		{"int64", int64(0), int64(7), int64(7), false},
		{"int32 widens", int64(0), int32(7), int64(7), false},
		{"uint into int", int64(0), uint64(7), int64(7), false},
		{"float64", 0.0, 0.25, 0.25, false},
		{"int into float", 0.0, int64(3), 3.0, false},
		{"float32 widens", 0.0, float32(0.5), 0.5, false},
		{"bool", false, true, true, false},
		{"time in UTC", time.Time{}, at, at.UTC(), false},
		{"pointer gets value", (*float64)(nil), 0.5, ptr(0.5), false},
		{"pointer gets NULL", ptr(1.5), nil, (*float64)(nil), false},
		{"pointer to time in UTC", (*time.Time)(nil), at, ptr(at.UTC()), false},
		{"NULL into plain field", int64(0), nil, nil, true},
		{"float never truncates into int", int64(0), 1.5, nil, true},
		{"string is not a number", int64(0), "7", nil, true},
		{"number is not a string", "", int64(7), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := reflect.New(reflect.TypeOf(tc.field)).Elem()
			f.Set(reflect.ValueOf(tc.field))
			err := setterFor(f.Type())(f, tc.val)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("stored %v, want an error", f.Interface())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Interface(), tc.want) {
				t.Fatalf("stored %#v, want %#v", f.Interface(), tc.want)
			}
		})
	}
}
