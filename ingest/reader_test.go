package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// openBytes opens data as an input file would be opened, encoding and
// dialect detection included.
func openBytes(name string, data []byte, encoding string) (rowReader, Dialect, error) {
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return openCSV(context.Background(), openFile{path: name, raw: open, counted: open, encoding: encoding})
}

// readAll collects good records (values copied) and errors.
func readAll(t testing.TB, r rowReader) (good [][]string, lines []int, raws []string, bad []*Error) {
	for i := 0; i < 1_000_000; i++ {
		rec, err := r.next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("non-positional error %v", err)
			}
			bad = append(bad, e)
			continue
		}
		good = append(good, append([]string{}, rec.values...))
		lines = append(lines, rec.line)
		raws = append(raws, rec.raw())
	}
	t.Fatal("reader did not stop")
	return
}

func TestCSVReaderMessyExport(t *testing.T) {
	// BOM, CRLF, a quoted comma, a quoted newline, a doubled quote, a blank
	// value, a ragged row and a stray quote; rows after the bad ones still read.
	in := "\ufeffid,name,note\r\n" +
		"1,\"Acme, Inc.\",plain\r\n" +
		"2,Beta,\"two\r\nlines\"\r\n" +
		"3,\"say \"\"hi\"\"\",\r\n" +
		"4,short\r\n" +
		"5,bad\"quote,x\r\n" +
		"6,Zeta,last\r\n"
	r, _, err := openBytes("in.csv", []byte(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.header(), "|"); got != "id|name|note" {
		t.Fatalf("header %q: the BOM must not stick to the first name", got)
	}
	good, lines, raws, bad := readAll(t, r)
	wantGood := [][]string{{"1", "Acme, Inc.", "plain"}, {"2", "Beta", "two\nlines"}, {"3", `say "hi"`, ""}, {"6", "Zeta", "last"}}
	if len(good) != len(wantGood) {
		t.Fatalf("good rows %q, want %q", good, wantGood)
	}
	for i := range wantGood {
		if strings.Join(good[i], "|") != strings.Join(wantGood[i], "|") {
			t.Errorf("row %d = %q, want %q", i, good[i], wantGood[i])
		}
	}
	if want := []int{2, 3, 5, 8}; fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
	if raws[1] != "2,Beta,\"two\r\nlines\"" {
		t.Errorf("raw of the two-line row = %q", raws[1])
	}
	if len(bad) != 2 {
		t.Fatalf("bad rows %v, want 2", bad)
	}
	if bad[0].Line != 6 || bad[0].Kind != KindRagged || bad[0].Raw != "4,short" {
		t.Errorf("ragged row: %+v", bad[0])
	}
	// The stray quote is at byte 6 of line 7: 5,bad"quote
	if bad[1].Line != 7 || bad[1].Column != 6 || bad[1].Kind != KindSyntax || bad[1].Raw != `5,bad"quote,x` {
		t.Errorf("stray quote: %+v", bad[1])
	}
}

func TestCSVReaderTruncatedAndLatin1(t *testing.T) {
	// A file cut off inside a quoted value: the rows before it are good, the
	// cut row is refused with its starting line.
	r, err := newCSVReader("cut.csv", strings.NewReader("id,note\n1,ok\n2,\"never closed\n"), ',')
	if err != nil {
		t.Fatal(err)
	}
	good, _, _, bad := readAll(t, r)
	if len(good) != 1 || len(bad) != 1 || bad[0].Line != 3 || bad[0].Kind != KindSyntax {
		t.Fatalf("truncated file: good %q bad %+v", good, bad)
	}
	// Latin-1 "é" (0xE9) in row 3, column 7.
	r, err = newCSVReader("latin1.csv", bytes.NewReader([]byte("id,name\n1,Jose\n2,Andr\xe9\n3,Ana\n")), ',')
	if err != nil {
		t.Fatal(err)
	}
	good, _, _, bad = readAll(t, r)
	if len(good) != 2 || len(bad) != 1 || bad[0].Line != 3 || bad[0].Column != 7 || bad[0].Kind != KindEncoding {
		t.Fatalf("latin-1 file: good %q bad %+v", good, bad)
	}
}

func TestNDJSONReaderPositions(t *testing.T) {
	in := `{"lead_id":"L1","company_size":12,"won":true}` + "\n\n" +
		`{"lead_id":"L2", "company_size": null}` + "\n" +
		`{"lead_id":` + "\n" +
		`["not an object"]` + "\n"
	r := newNDJSONReader("x.ndjson", strings.NewReader(in), []string{"lead_id", "company_size", "won"})
	good, lines, _, bad := readAll(t, r)
	if len(good) != 2 || good[0][1] != "12" || good[0][2] != "true" || good[1][1] != "" || lines[1] != 3 {
		t.Fatalf("good %q lines %v", good, lines)
	}
	if len(bad) != 2 || bad[0].Line != 4 || bad[1].Line != 5 {
		t.Fatalf("bad %+v", bad)
	}
}

// FuzzCSVReader feeds arbitrary bytes: the reader must stop, every good row
// must have the header's width, and the raw text kept for quarantine must
// be the row as written: encoding/csv reading it alone gives the same values.
func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\ufeffa,b\r\n\"x,y\",\"p\nq\"\r\n", "a\n\"unterminated\n", "a,b\n1\n1,2,3\n", "a,b\n\"\"\"\",x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newCSVReader("fuzz.csv", bytes.NewReader(data), ',')
		if err != nil {
			return
		}
		width := len(r.header())
		good, lines, raws, bad := readAll(t, r)
		for i, row := range good {
			if len(row) != width {
				t.Fatalf("row %d has %d values, header %d", i, len(row), width)
			}
			if lines[i] < 2 {
				t.Fatalf("row %d on line %d, before the header ended", i, lines[i])
			}
			// The raw text lacks its line terminator; with either one back it
			// must read as the same values.
			if !rereads(raws[i]+"\n", row) && !rereads(raws[i]+"\r\n", row) {
				t.Fatalf("raw %q does not read back as the row %q", raws[i], row)
			}
		}
		for _, e := range bad {
			if e.Line < 1 {
				t.Fatalf("error without a line: %+v", e)
			}
		}
	})
}

func rereads(text string, want []string) bool {
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	got, err := cr.Read()
	return err == nil && strings.Join(got, "\x00") == strings.Join(want, "\x00")
}

// A stray quote costs its own line, not the rows after it: whether it
// runs to the end of the file or closes a few lines on, the lines it
// swallowed are read again as rows of their own.
func TestStrayQuoteCostsOneLine(t *testing.T) {
	const header = "lead_id,created_at,company\n"
	for _, c := range []struct {
		name, body string
		good       []string
		badLine    int
		reason     string
	}{
		{"open to the end", `L1,2026-01-01,"Acme` + "\nL2,2026-01-02,Beta\nL3,2026-01-03,Gamma\n",
			[]string{"L2", "L3"}, 2, "still open at line 4: this line is refused and lines 3 to 4 are read again"},
		{"closed on the next line", `L1,2026-01-01,"Acme` + "\n" + `L2,2026-01-02,"Beta"` + "\nL3,2026-01-03,Gamma\n",
			[]string{"L2", "L3"}, 2, "line 3 is read again as a row of its own"},
		{"quoted newline is fine", `L1,2026-01-01,"Acme` + "\nInc\"\nL2,2026-01-02,Beta\n",
			[]string{"L1", "L2"}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := newCSVReader("leads.csv", strings.NewReader(header+c.body), ',')
			if err != nil {
				t.Fatal(err)
			}
			good, _, _, bad := readAll(t, r)
			var ids []string
			for _, g := range good {
				ids = append(ids, g[0])
			}
			if strings.Join(ids, " ") != strings.Join(c.good, " ") {
				t.Errorf("rows read %v, want %v (refused %v)", ids, c.good, bad)
			}
			if c.badLine == 0 {
				if len(bad) != 0 {
					t.Errorf("refused %v", bad)
				}
				return
			}
			if len(bad) != 1 || bad[0].Line != c.badLine || bad[0].Column != 15 || !strings.Contains(bad[0].Reason, c.reason) || strings.Contains(bad[0].Raw, "\n") {
				t.Errorf("refused %+v", bad)
			}
		})
	}
}
