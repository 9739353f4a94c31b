package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// record is one input row: its values aligned to the header, where each
// value starts, and the row exactly as it was in the file.
type record struct {
	line   int      // line on which the row starts
	values []string // aligned to the header; missing values are ""
	lines  []int    // line of each value (quoted newlines move it)
	cols   []int    // 1-based byte column of each value (cell index in a sheet)
	raw    func() string
	// textCols: cols are byte offsets in the text, told to people as
	// characters (a Latin-1 "ü" is two bytes once it is UTF-8).
	textCols bool
}

// pos is where a value starts, for error messages.
func (r *record) pos(i int) (line, col int) {
	if i < 0 || i >= len(r.cols) || r.cols[i] == 0 {
		return r.line, 0
	}
	if r.textCols && r.raw != nil {
		return r.lines[i], charColumn(r.raw(), r.lines[i]-r.line, r.cols[i])
	}
	return r.lines[i], r.cols[i]
}

// charColumn turns a 1-based byte column on the n-th line (from 0) of a
// record's text into a 1-based character column.
func charColumn(text string, n, byteCol int) int {
	for ; n > 0; n-- {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			return byteCol
		}
		text = text[i+1:]
	}
	if byteCol-1 > len(text) {
		return byteCol
	}
	return utf8.RuneCountInString(text[:byteCol-1]) + 1
}

// rowReader yields records; a malformed row comes back as a *Error (with
// the record's raw text) and reading goes on with the next row.
type rowReader interface {
	header() []string
	next() (*record, error)
	close() error
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// skipBOM drops a leading UTF-8 byte-order mark, which Excel and several
// CRMs write and which would otherwise stick to the first column's name.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(3); err == nil && bytes.Equal(head, bom) {
		br.Discard(3)
	}
	return br
}

// rawTee remembers the bytes the CSV reader consumed since the start of the
// current record, so a refused row can be quarantined exactly as written.
// It compacts lazily: the copy happens only when the dropped prefix is large,
// which keeps the cost per byte constant.
type rawTee struct {
	r    io.Reader
	buf  []byte
	base int64 // input offset of buf[0]
}

func (t *rawTee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

func (t *rawTee) slice(from, to int64) string {
	lo, hi := from-t.base, to-t.base
	if lo < 0 || hi > int64(len(t.buf)) || lo > hi {
		return ""
	}
	return string(t.buf[lo:hi])
}

func (t *rawTee) release(upTo int64) {
	drop := upTo - t.base
	if drop < 1<<20 || drop < int64(len(t.buf))/2 {
		return
	}
	t.buf = append(t.buf[:0], t.buf[drop:]...)
	t.base = upTo
}

// csvReader reads RFC 4180 CSV as CRMs export it: BOM or not, CRLF or LF,
// quoted commas and newlines, ragged rows reported per row.
type csvReader struct {
	file   string
	closer io.Closer
	cr     *csv.Reader
	tee    *rawTee
	hdr    []string
	last   int64
	values []string
	lines  []int
	cols   []int
	// again are runs of lines to read once more (rereadAfterFirstLine),
	// innermost last.
	again []*rereading
}

func newCSVReader(file string, r io.Reader, delim rune) (*csvReader, error) {
	tee := &rawTee{r: r}
	cr := csv.NewReader(tee)
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // ragged rows are checked per row, not fatal
	cr.ReuseRecord = true
	c := &csvReader{file: file, cr: cr, tee: tee}
	hdr, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Line: 1, Reason: "the file is empty: expected a header row"}
	}
	if err != nil {
		return nil, csvError(file, err, "")
	}
	c.hdr = make([]string, len(hdr))
	for i, h := range hdr {
		if !utf8.ValidString(h) {
			line, col := cr.FieldPos(i)
			return nil, &Error{File: file, Line: line, Column: col, Reason: "header is not valid UTF-8: re-export the file as UTF-8"}
		}
		c.hdr[i] = h
	}
	c.last = cr.InputOffset()
	c.values = make([]string, len(hdr))
	c.lines = make([]int, len(hdr))
	c.cols = make([]int, len(hdr))
	return c, nil
}

func (c *csvReader) header() []string { return c.hdr }

func (c *csvReader) close() error {
	if c.closer == nil {
		return nil
	}
	return c.closer.Close()
}

// rereading is the rest of a run of lines an unterminated quote swallowed,
// read again on its own: the quote's own line is refused, the lines after
// it are rows like any other.
type rereading struct {
	cr   *csv.Reader
	text string
	last int64
	// lines is how many lines of the file come before text.
	lines int
}

func (c *csvReader) next() (*record, error) {
	for len(c.again) > 0 {
		a := c.again[len(c.again)-1]
		fields, err := a.cr.Read()
		start, end := a.last, a.cr.InputOffset()
		a.last = end
		if errors.Is(err, io.EOF) {
			c.again = c.again[:len(c.again)-1]
			continue
		}
		text := a.text[start:end]
		return c.record(fields, err, a.cr, a.lines, func() string { return trimNewline(text) })
	}
	c.tee.release(c.last) // the previous record is done with
	fields, err := c.cr.Read()
	start, end := c.last, c.cr.InputOffset()
	c.last = end
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	return c.record(fields, err, c.cr, 0, func() string { return trimNewline(c.tee.slice(start, end)) })
}

// record checks one record read by cr, whose line numbers are offset by
// lines (a re-read run of lines).
func (c *csvReader) record(fields []string, err error, cr *csv.Reader, lines int, raw func() string) (*record, error) {
	if err != nil {
		e := csvError(c.file, err, raw())
		if ie, ok := e.(*Error); ok {
			ie.Line += lines
			if errors.Is(ie.Err, csv.ErrQuote) {
				c.rereadAfterFirstLine(ie, lines)
			}
		}
		return nil, e
	}
	line, _ := cr.FieldPos(0)
	line += lines
	if len(fields) == 1 && len(c.hdr) > 1 && (strings.TrimSpace(fields[0]) == "" || reportFooter.MatchString(fields[0])) {
		return nil, &Error{File: c.file, Line: line, Raw: raw(), Kind: KindFooter, Reason: "a report's footer line, not a row"}
	}
	if len(fields) != len(c.hdr) {
		col := 0
		if len(fields) > len(c.hdr) {
			var l int
			l, col = cr.FieldPos(len(c.hdr))
			col = charColumn(raw(), l+lines-line, col)
		}
		e := &Error{File: c.file, Line: line, Column: col, Raw: raw(), Kind: KindRagged,
			Reason: fmt.Sprintf("row has %d fields, the header has %d: a missing or extra delimiter, or an unquoted comma", len(fields), len(c.hdr))}
		// A quote that opened on this line and closed lines later made one
		// long wrong row of several: refuse this line, read the rest again.
		if strings.Contains(e.Raw, "\n") && strings.Contains(e.Raw, `"`) {
			c.rereadAfterFirstLine(e, lines)
		}
		return nil, e
	}
	for i, f := range fields {
		c.values[i] = f
		c.lines[i], c.cols[i] = cr.FieldPos(i)
		c.lines[i] += lines
		if !utf8.ValidString(f) {
			return nil, &Error{File: c.file, Line: c.lines[i], Column: c.cols[i] + invalidUTF8At(f), Field: c.hdr[i], Raw: raw(), Kind: KindEncoding,
				Reason: "not valid UTF-8 (is the file Latin-1 or Windows-1252?): re-export it as UTF-8"}
		}
	}
	return &record{line: line, values: c.values, lines: c.lines, cols: c.cols, raw: raw, textCols: true}, nil
}

// rereadAfterFirstLine keeps only the first line of e's text as the
// refused row and queues the lines after it to be read again as rows, so a
// stray quote costs its own line and no other. The error says which lines
// the quote ran over.
func (c *csvReader) rereadAfterFirstLine(e *Error, lines int) {
	i := strings.IndexByte(e.Raw, '\n')
	if i < 0 || i == len(e.Raw)-1 {
		return
	}
	rest := e.Raw[i+1:]
	if !strings.HasSuffix(rest, "\n") {
		rest += "\n"
	}
	last := e.Line + strings.Count(e.Raw[i:], "\n")
	e.Reason = fmt.Sprintf("a quote opened here is still open at line %d: this line is refused and lines %d to %d are read again as rows of their own (a stray '\"'?)", last, e.Line+1, last)
	if e.Line+1 == last {
		e.Reason = fmt.Sprintf("a quote opened here is still open at line %d: this line is refused and line %d is read again as a row of its own (a stray '\"'?)", last, last)
	}
	e.Raw = strings.TrimSuffix(e.Raw[:i], "\r")
	// Point at the quote that opened the run: the last on its line.
	if q := strings.LastIndexByte(e.Raw, '"'); q >= 0 {
		e.Column = utf8.RuneCountInString(e.Raw[:q]) + 1
	}
	cr := csv.NewReader(strings.NewReader(rest))
	cr.Comma = c.cr.Comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	c.again = append(c.again, &rereading{cr: cr, text: rest, lines: e.Line})
}

// reportFooter matches the lines a Salesforce report export adds after its
// rows ("Confidential Information - Do Not Distribute", the copyright,
// "Generated By", "Filtered By", totals).
var reportFooter = regexp.MustCompile(`^\s*(Confidential Information|Copyright \(c\)|Generated By|Filtered By|Total|Grand Total|Record Count)`)

// invalidUTF8At is the byte offset of the first invalid sequence in s.
func invalidUTF8At(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return 0
}

// trimNewline drops the record's one line terminator; a carriage return
// inside the data stays (fuzzing found "\r\r" rows losing it).
func trimNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		s = s[:len(s)-1]
		s = strings.TrimSuffix(s, "\r")
	}
	return s
}

// csvError turns encoding/csv's ParseError into our positioned Error.
func csvError(file string, err error, raw string) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		reason := pe.Err.Error()
		switch {
		case errors.Is(pe.Err, csv.ErrQuote):
			reason = `unterminated or misplaced quote: the row may be cut off (a truncated file?) or a value has a stray '"'`
		case errors.Is(pe.Err, csv.ErrBareQuote):
			reason = `a '"' inside an unquoted value: quote the value and double the '"'`
		}
		line := pe.StartLine
		if line == 0 {
			line = pe.Line
		}
		return &Error{File: file, Line: line, Column: pe.Column, Raw: raw, Reason: reason, Kind: KindSyntax, Err: pe.Err}
	}
	return &Error{File: file, Reason: "read: " + err.Error(), Err: err, Kind: KindIO}
}

// ndjsonReader reads one JSON object per line. Keys are matched to the
// canonical header given by the caller; other keys are ignored.
type ndjsonReader struct {
	file   string
	closer io.Closer
	sc     *bufio.Scanner
	hdr    []string
	index  map[string]int
	line   int
}

func newNDJSONReader(file string, r io.Reader, header []string) *ndjsonReader {
	sc := bufio.NewScanner(skipBOM(r))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	index := make(map[string]int, len(header))
	for i, h := range header {
		index[h] = i
	}
	return &ndjsonReader{file: file, sc: sc, hdr: header, index: index}
}

func (n *ndjsonReader) header() []string { return n.hdr }

func (n *ndjsonReader) close() error {
	if n.closer == nil {
		return nil
	}
	return n.closer.Close()
}

func (n *ndjsonReader) next() (*record, error) {
	for n.sc.Scan() {
		n.line++
		text := n.sc.Bytes()
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		raw := trimNewline(string(text))
		rec := &record{line: n.line, values: make([]string, len(n.hdr)), lines: make([]int, len(n.hdr)), cols: make([]int, len(n.hdr)),
			raw: func() string { return raw }}
		if err := n.decode(text, rec); err != nil {
			err.Raw = raw
			return nil, err
		}
		return rec, nil
	}
	if err := n.sc.Err(); err != nil {
		return nil, &Error{File: n.file, Line: n.line + 1, Reason: "read: " + err.Error(), Err: err, Kind: KindIO}
	}
	return nil, io.EOF
}

// decode walks one object token by token so each value's column is known.
func (n *ndjsonReader) decode(text []byte, rec *record) *Error {
	if !utf8.Valid(text) {
		return &Error{File: n.file, Line: n.line, Column: invalidUTF8At(string(text)) + 1, Kind: KindEncoding, Reason: "not valid UTF-8: re-export the file as UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	fail := func(off int64, reason string) *Error {
		return &Error{File: n.file, Line: n.line, Column: int(off) + 1, Kind: KindSyntax, Reason: reason}
	}
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return fail(0, "expected a JSON object on each line")
	}
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return fail(dec.InputOffset(), "malformed JSON: "+err.Error())
		}
		key, _ := keyTok.(string)
		// The value starts after the colon and any spaces.
		off := dec.InputOffset()
		for off < int64(len(text)) && (text[off] == ':' || text[off] == ' ' || text[off] == '\t') {
			off++
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return fail(off, "malformed JSON: "+err.Error())
		}
		i, ok := n.index[key]
		if !ok {
			continue
		}
		rec.lines[i], rec.cols[i] = n.line, int(off)+1
		switch x := v.(type) {
		case nil:
			rec.values[i] = ""
		case string:
			rec.values[i] = x
		case json.Number:
			rec.values[i] = x.String()
		case bool:
			rec.values[i] = strconv.FormatBool(x)
		default:
			return fail(off, fmt.Sprintf("field %q must be a string, number, boolean or null", key))
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail(dec.InputOffset(), "malformed JSON: "+err.Error())
	}
	return nil
}
