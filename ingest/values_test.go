package ingest

import (
	"testing"
	"time"
)

func TestTimestampFormats(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		in      string
		layouts []string
		loc     *time.Location
		want    time.Time
		wantErr bool
	}{
		{name: "RFC 3339 Z", in: "2026-05-01T13:45:00Z", want: utc("2026-05-01T13:45:00Z")},
		{name: "millis Z", in: "2026-05-01T13:45:00.250Z", want: utc("2026-05-01T13:45:00.25Z")},
		{name: "offset", in: "2026-05-01T13:45:00+02:00", want: utc("2026-05-01T11:45:00Z")},
		{name: "warehouse unload, space before offset", in: "2024-02-05 09:15:00.000 +0000", want: utc("2024-02-05T09:15:00Z")},
		{name: "warehouse unload, negative offset", in: "2024-02-05 04:15:00 -0500", want: utc("2024-02-05T09:15:00Z")},
		{name: "offset without colon", in: "2026-05-01T13:45:00.000-0700", want: utc("2026-05-01T20:45:00Z")},
		{name: "naive in UTC", in: "2026-05-01 13:45:00", want: utc("2026-05-01T13:45:00Z")},
		{name: "minutes only", in: "2026-05-01 13:45", want: utc("2026-05-01T13:45:00Z")},
		// Berlin is UTC+2 in summer: 13:45 local is 11:45 UTC.
		{name: "naive in Berlin, summer", in: "2026-05-01 13:45", loc: berlin, want: utc("2026-05-01T11:45:00Z")},
		// and UTC+1 in winter.
		{name: "naive in Berlin, winter", in: "2026-01-15 13:45", loc: berlin, want: utc("2026-01-15T12:45:00Z")},
		{name: "date alone is midnight", in: "2026-05-01", want: utc("2026-05-01T00:00:00Z")},
		{name: "epoch milliseconds", in: "1777643100000", want: utc("2026-05-01T13:45:00Z")},
		{name: "epoch seconds", in: "1777643100", want: utc("2026-05-01T13:45:00Z")},
		{name: "day-first when configured", in: "01/05/2026 13:45", layouts: []string{"02/01/2006 15:04"}, want: utc("2026-05-01T13:45:00Z")},
		{name: "dotted day-first when configured", in: "01.05.2026", layouts: []string{"02.01.2006"}, want: utc("2026-05-01T00:00:00Z")},
		{name: "surrounding spaces", in: "  2026-05-01T13:45:00Z ", want: utc("2026-05-01T13:45:00Z")},
		{name: "slashes without a layout are ambiguous", in: "01/05/2026", wantErr: true},
		{name: "31 April", in: "2026-04-31", wantErr: true},
		{name: "29 February 2026", in: "2026-02-29", wantErr: true},
		{name: "hour 25", in: "2026-05-01 25:00", wantErr: true},
		{name: "words", in: "yesterday", wantErr: true},
		{name: "12 digits is no epoch", in: "177764310000", wantErr: true},
		{name: "trailing junk", in: "2026-05-01T13:45:00Zjunk", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := tc.loc
			if loc == nil {
				loc = time.UTC
			}
			p := &timeParser{layouts: tc.layouts, loc: loc}
			got, err := p.parse(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("parse(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tc.in, err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("parse(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestScalarValues(t *testing.T) {
	bools := map[string]bool{"True": true, "TRUE": true, "true": true, "1": true, "yes": true, "False": false, "FALSE": false, "0": false, "no": false}
	for in, want := range bools {
		got, err := parseBool(in)
		if err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseBool("maybe"); err == nil {
		t.Error(`parseBool("maybe") succeeded`)
	}
	ints := map[string]int64{"12": 12, "1,200": 1200, " 7 ": 7}
	for in, want := range ints {
		if got, err := parseInt(in); err != nil || got != want {
			t.Errorf("parseInt(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"fifty", "1.5", "n/a"} {
		if _, err := parseInt(bad); err == nil {
			t.Errorf("parseInt(%q) succeeded", bad)
		}
	}
	floats := map[string]float64{"1234.5": 1234.5, "$1,234.50": 1234.5, "€99": 99}
	for in, want := range floats {
		if got, err := parseFloat(in); err != nil || got != want {
			t.Errorf("parseFloat(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"NaN", "Inf", "", "12abc"} {
		if _, err := parseFloat(bad); err == nil {
			t.Errorf("parseFloat(%q) succeeded", bad)
		}
	}
	p := &timeParser{loc: time.UTC}
	for in, want := range map[string]string{"2026-05": "2026-05-01", "2026-05-17": "2026-05-17", "2026-05-17T23:30:00-02:00": "2026-05-18"} {
		got, err := p.parseDate(in)
		if err != nil || got.Format("2006-01-02") != want {
			t.Errorf("parseDate(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

// FuzzTimestamp checks the hand-written ISO fast path against the standard
// library: whenever both read a string, they must agree on the instant.
func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{"2026-05-01T13:45:00Z", "2026-05-01T13:45:00.123456789+05:30", "2026-05-01 13:45", "2026-02-29", "1777643100000", "2026-05-01T13:45:00,5Z", "9999-12-31T23:59:59-23:59"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := &timeParser{loc: time.UTC}
		got, err := p.parse(s)
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("parse(%q) returned a non-UTC time %v", s, got)
		}
		if std, err := time.Parse(time.RFC3339Nano, s); err == nil && !std.Equal(got) {
			t.Fatalf("parse(%q) = %v, time.Parse = %v", s, got, std)
		}
		// What we read, written back as RFC 3339, must read the same again.
		again, err := p.parse(got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("round trip of %q: %v then %v (%v)", s, got, again, err)
		}
	})
}
