package ingest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
)

// utf16 encodes s as UTF-16 with a byte-order mark, as Excel's "Unicode
// text" does.
func utf16(t testing.TB, s string, order unicode.Endianness) []byte {
	t.Helper()
	b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodingsAndDialects(t *testing.T) {
	tests := []struct {
		name     string
		data     []byte
		override string
		// want: the header and rows joined with | and ;, and the dialect.
		want, encoding, delim, ending string
		note                          bool
	}{
		{name: "utf-8", data: []byte("id,city\n1,Köln\n"), want: "id|city;1|Köln", encoding: "utf-8", delim: ",", ending: "LF"},
		{name: "utf-8 BOM CRLF", data: []byte("\xEF\xBB\xBFid,city\r\n1,Köln\r\n"), want: "id|city;1|Köln", encoding: "utf-8 (BOM)", delim: ",", ending: "CRLF"},
		{name: "latin-1 falls back to windows-1252", data: []byte("\"id\",\"city\"\r\n\"1\",\"K\xF6ln\"\r\n\"2\",\"Z\xFCrich \x80\"\r\n"),
			want: "id|city;1|Köln;2|Zürich €", encoding: "windows-1252", delim: ",", ending: "CRLF", note: true},
		{name: "semicolon windows-1252", data: []byte("id;name;amount\r\n1;Jos\xE9;1.234,50\r\n2;\"A;B\";3\r\n"),
			want: "id|name|amount;1|José|1.234,50;2|A;B|3", encoding: "windows-1252", delim: ";", ending: "CRLF", note: true},
		{name: "utf-16le tab (Excel unicode text)", data: utf16(t, "id\tcity\r\n1\tKöln\r\n", unicode.LittleEndian),
			want: "id|city;1|Köln", encoding: "utf-16le (BOM)", delim: "\t", ending: "CRLF"},
		{name: "utf-16be", data: utf16(t, "id\tcity\n1\t東京\n", unicode.BigEndian), want: "id|city;1|東京", encoding: "utf-16be (BOM)", delim: "\t", ending: "LF"},
		{name: "pipe", data: []byte("id|city\n1|Oslo, NO\n"), want: "id|city;1|Oslo, NO", encoding: "utf-8", delim: "|", ending: "LF"},
		{name: "bare CR (old Mac Excel)", data: []byte("id,city\r1,Paris\r2,Lyon\r"), want: "id|city;1|Paris;2|Lyon", encoding: "utf-8", delim: ",", ending: "CR"},
		{name: "comma wins when the semicolon only appears in text", data: []byte("id,note\n1,a;b\n"), want: "id|note;1|a;b", encoding: "utf-8", delim: ",", ending: "LF"},
		{name: "override iso-8859-1", data: []byte("id,city\n1,K\xF6ln\n"), override: "iso-8859-1", want: "id|city;1|Köln", encoding: "iso-8859-1", delim: ",", ending: "LF"},
		{name: "invalid byte far down the file", data: []byte("id,city\n" + strings.Repeat("1,Oslo\n", 100_000) + "2,S\xE3o Paulo\n"),
			want: "", encoding: "windows-1252", delim: ",", ending: "LF", note: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, d, err := openBytes("in.csv", tc.data, tc.override)
			if err != nil {
				t.Fatal(err)
			}
			defer r.close()
			good, _, _, bad := readAll(t, r)
			if len(bad) > 0 {
				t.Fatalf("refused %v", bad[0])
			}
			rows := []string{strings.Join(r.header(), "|")}
			for _, g := range good {
				rows = append(rows, strings.Join(g, "|"))
			}
			if tc.want != "" {
				if got := strings.Join(rows, ";"); got != tc.want {
					t.Errorf("read %q, want %q", got, tc.want)
				}
			} else if last := rows[len(rows)-1]; last != "2|São Paulo" {
				t.Errorf("last row %q, want 2|São Paulo", last)
			}
			if d.Encoding != tc.encoding || d.Delimiter != tc.delim || d.LineEnding != tc.ending {
				t.Errorf("dialect %+v, want %s %q %s", d, tc.encoding, tc.delim, tc.ending)
			}
			if (d.EncodingNote != "") != tc.note {
				t.Errorf("encoding note %q", d.EncodingNote)
			}
		})
	}
	// The note names the first byte that is not UTF-8 and its line.
	_, d, _ := openBytes("in.csv", []byte("id,city\n1,Oslo\n2,K\xF6ln\n"), "")
	if !strings.Contains(d.EncodingNote, "0xF6 on line 3") {
		t.Errorf("note %q should name 0xF6 on line 3", d.EncodingNote)
	}
}

func TestFirstInvalidUTF8AcrossChunks(t *testing.T) {
	// A valid three-byte rune split across the 256 KiB read boundary is
	// not an invalid byte; a lone continuation byte is.
	pad := strings.Repeat("a", 256<<10-1)
	line, _, err := firstInvalidUTF8(strings.NewReader(pad + "€\n"))
	if err != nil || line != 0 {
		t.Errorf("split rune: line %d, err %v; want valid", line, err)
	}
	line, b, _ := firstInvalidUTF8(strings.NewReader("a\nb\n" + pad + "\x80"))
	if line != 3 || b != 0x80 {
		t.Errorf("lone continuation byte: line %d byte %x, want line 3 0x80", line, b)
	}
}

func TestSlashDates(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		in, order, want string
	}{
		{"2/5/24 1:51", "month-first", "2024-02-05T01:51:00Z"},
		{"2/5/24 1:51", "day-first", "2024-05-02T01:51:00Z"},
		{"2/5/24 1:51", "", "ambiguous"},
		{"13/02/2024 09:30", "", "2024-02-13T09:30:00Z"},   // only one way to read it
		{"02/13/2024 9:30 PM", "", "2024-02-13T21:30:00Z"}, // likewise
		{"12/12/2024", "", "2024-12-12T00:00:00Z"},         // both ways the same
		{"1/2/2006 3:04 PM", "month-first", "2006-01-02T15:04:00Z"},
		{"1/2/2006 12:04 AM", "month-first", "2006-01-02T00:04:00Z"},
		{"31/04/2024", "", "unparseable"}, // 31 April
		{"13/13/2024", "", "unparseable"},
		{"5/6/70", "day-first", "1970-06-05T00:00:00Z"}, // 69–99 are 19xx
		{"5/6/68", "day-first", "2068-06-05T00:00:00Z"},
	}
	for _, tc := range tests {
		p := &timeParser{loc: utc, order: tc.order}
		got, err := p.parse(tc.in)
		switch {
		case err != nil && tc.want == "ambiguous":
			if err != errAmbiguousDate {
				t.Errorf("%q: %v, want ambiguous", tc.in, err)
			}
		case err != nil:
			if tc.want != "unparseable" {
				t.Errorf("%q (%s): %v, want %s", tc.in, tc.order, err, tc.want)
			}
		case got.Format(time.RFC3339) != tc.want:
			t.Errorf("%q (%s) = %s, want %s", tc.in, tc.order, got.Format(time.RFC3339), tc.want)
		}
	}
}

func TestExcelSerials(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		serial   string
		date1904 bool
		loc      *time.Location
		want     string
	}{
		// 45327 days after 1899-12-30 is 2024-02-05; 0.0770833… of a day
		// is 1 h 51 min (6,660 s / 86,400).
		{"45327.077083333333", false, time.UTC, "2024-02-05T01:51:00Z"},
		{"45327", false, time.UTC, "2024-02-05T00:00:00Z"},
		{"45327.5", false, time.UTC, "2024-02-05T12:00:00Z"},
		// The same day in the 1904 system is 1,462 days fewer.
		{"43865.5", true, time.UTC, "2024-02-05T12:00:00Z"},
		// A wall-clock reading in Berlin: 2024-03-31 03:30 local is after the
		// DST change, UTC+2.
		{"45382.145833333333", false, berlin, "2024-03-31T01:30:00Z"},
		// 0.999999999 of a day rounds to the next midnight, not to 24:00.
		{"45327.999999999", false, time.UTC, "2024-02-06T00:00:00Z"},
	}
	for _, tc := range tests {
		p := &timeParser{loc: tc.loc, excel: true, date1904: tc.date1904}
		got, err := p.parse(tc.serial)
		if err != nil || got.Format(time.RFC3339) != tc.want {
			t.Errorf("serial %s (1904 %v, %s) = %s, %v; want %s", tc.serial, tc.date1904, tc.loc, got.Format(time.RFC3339), err, tc.want)
		}
	}
	// Outside an XLSX, a bare number is not a date.
	if _, err := (&timeParser{loc: time.UTC}).parse("45327.5"); err == nil {
		t.Error("a plain number read as a date outside XLSX")
	}
}

func TestCompanySize(t *testing.T) {
	tests := []struct {
		in    string
		n     int64
		exact bool
	}{
		{"250", 250, true},
		{"1,200", 1200, true},
		{"51-200", 51, false},
		{"51 - 200", 51, false},
		{"1,001–5,000", 1001, false},
		{"1,000+", 1000, false},
		{"10001+", 10001, false},
		{"11 to 50 employees", 11, false},
		{"online_medium", -1, false},
		{"200-51", -1, false},
		{"", -1, false},
	}
	for _, tc := range tests {
		n, exact := parseCompanySize(tc.in)
		if n != tc.n || exact != tc.exact {
			t.Errorf("parseCompanySize(%q) = %d, %v; want %d, %v", tc.in, n, exact, tc.n, tc.exact)
		}
	}
}

func TestExcelDamagedIDs(t *testing.T) {
	for _, s := range []string{"1.10416E+11", "1E+11", "9.9e+14", "1,10416E+11"} {
		if !excelDamagedID.MatchString(s) {
			t.Errorf("%q not seen as Excel damage", s)
		}
	}
	for _, s := range []string{"110416453789", "00Q5e000001abcD", "1E5", "E+11", "003Dn00000AbCdE"} {
		if excelDamagedID.MatchString(s) {
			t.Errorf("%q taken for Excel damage", s)
		}
	}
	// Raw XLSX numbers keep their digits.
	if got := excelNumber("1.10416453789E+11"); got != "110416453789" {
		t.Errorf("excelNumber = %q", got)
	}
}

// FuzzTextDecoding feeds arbitrary bytes through encoding detection,
// dialect sniffing and the CSV reader: it must stop, and every value it
// yields must be valid UTF-8 in a row of the header's width.
func FuzzTextDecoding(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\xFF\xFEa\x00\t\x00b\x00\n\x001\x00\t\x002\x00", "a;b\r1;K\xF6ln\r", "\xEF\xBB\xBFa|b\n\"x|y\"|z\n", "\xFE\xFF\x00a"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _, err := openBytes("fuzz.csv", data, "")
		if err != nil {
			return
		}
		defer r.close()
		for _, row := range rowsOfHeaderWidth(t, r) {
			for _, v := range row {
				if !utf8.ValidString(v) {
					t.Fatalf("value %q is not UTF-8", v)
				}
			}
		}
	})
}

// rowsOfHeaderWidth reads every good row and fails on one whose width is
// not the header's.
func rowsOfHeaderWidth(t *testing.T, r rowReader) [][]string {
	width := len(r.header())
	good, _, _, _ := readAll(t, r)
	for _, row := range good {
		if len(row) != width {
			t.Fatalf("row of %d values, header %d", len(row), width)
		}
	}
	return good
}

// TestDateOrderEvidenceMustBeADate: a spoiled 31/02/2026 25:00 is no date
// either way round, so it cannot settle a file's date order.
func TestDateOrderEvidenceMustBeADate(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/leads.csv"
	content := "lead_id,created_at\nL1,31/02/2026 25:00\nL2,2/13/2026 10:00\n"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Lake: t.TempDir(), Now: testNow}, []string{p})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Files[0]; !strings.HasPrefix(f.DateOrder, "month-first (2/13/2026 10:00 on line 3)") || f.Quarantined != 1 {
		t.Errorf("date order %q, quarantined %d; want month-first from line 3, 1", f.DateOrder, f.Quarantined)
	}
}
