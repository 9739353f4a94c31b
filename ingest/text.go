package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings are the values ingest.encoding accepts.
var Encodings = []string{"auto", "utf-8", "utf-16le", "utf-16be", "windows-1252", "iso-8859-1"}

// Dialect is what was found out about a text file before its rows were
// read: the run summary and --explain show it, so a person can see why a
// file was read the way it was.
type Dialect struct {
	// Encoding is the file's encoding as read: utf-8, utf-8 (BOM),
	// utf-16le (BOM), utf-16be (BOM), windows-1252 or iso-8859-1.
	Encoding string `json:"encoding,omitempty"`
	// EncodingNote says why, when it was not plain UTF-8 ("byte 0xE9 at
	// line 3 is not UTF-8: read as Windows-1252").
	EncodingNote string `json:"encoding_note,omitempty"`
	// Delimiter is the field separator: ",", ";", "\t" or "|".
	Delimiter string `json:"delimiter,omitempty"`
	// LineEnding is CRLF, LF or CR.
	LineEnding string `json:"line_ending,omitempty"`
	// DateOrder says how slash dates were read and why: "day-first (13/02/2024
	// on line 7)", "month-first (HubSpot's convention)".
	DateOrder string `json:"date_order,omitempty"`
}

// DelimiterName names a delimiter for people.
func DelimiterName(d string) string {
	switch d {
	case ",":
		return "comma"
	case ";":
		return "semicolon"
	case "\t":
		return "tab"
	case "|":
		return "pipe"
	}
	return d
}

var (
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decodeText wraps a file's bytes so the CSV reader sees UTF-8 text.
//
// The encoding is settled before any row is read: a byte-order mark says
// UTF-8 or UTF-16; without one the whole file is checked for valid UTF-8,
// and the first invalid byte sends it to Windows-1252 (the encoding Excel on
// Windows and Salesforce's Data Export write; ISO-8859-1 is the same for
// every printable character). Checking the whole file costs one extra pass
// at memory speed; deciding on the first megabyte would read a file whose
// first accent is on line 50,000 as UTF-8 and quarantine that row.
//
// check and open return the file from its first byte: check for the pass
// that only looks, open for the one that reads.
func decodeText(check, open func() (io.ReadCloser, error), override string) (io.ReadCloser, Dialect, error) {
	note := ""
	if override == "" || override == "auto" {
		// The check pass reads uncounted, so progress counts the file once.
		rc, err := check()
		if err != nil {
			return nil, Dialect{}, err
		}
		head := make([]byte, 3)
		n, _ := io.ReadFull(rc, head)
		head = head[:n]
		if bytes.HasPrefix(head, bom) || bytes.HasPrefix(head, bomUTF16LE) || bytes.HasPrefix(head, bomUTF16BE) {
			rc.Close()
		} else {
			line, b, err := firstInvalidUTF8(io.MultiReader(bytes.NewReader(head), rc))
			rc.Close()
			if err != nil {
				return nil, Dialect{}, err
			}
			if line > 0 {
				override = "windows-1252"
				note = fmt.Sprintf("byte 0x%02X on line %d is not UTF-8: read as Windows-1252 (set ingest.encoding if it is another)", b, line)
			} else {
				override = "utf-8"
			}
		}
	}
	rc, err := open()
	if err != nil {
		return nil, Dialect{}, err
	}
	br := bufio.NewReaderSize(rc, 64<<10)
	head, _ := br.Peek(3)
	wrap := func(r io.Reader, d Dialect) (io.ReadCloser, Dialect, error) {
		return readCloser{r, rc}, d, nil
	}
	switch {
	case override == "utf-16le" || override == "utf-16be":
		order := unicode.LittleEndian
		if override == "utf-16be" {
			order = unicode.BigEndian
		}
		return wrap(transform.NewReader(br, unicode.UTF16(order, unicode.UseBOM).NewDecoder()), Dialect{Encoding: override})
	case override == "windows-1252":
		return wrap(transform.NewReader(skipBOM(br), charmap.Windows1252.NewDecoder()), Dialect{Encoding: override, EncodingNote: note})
	case override == "iso-8859-1":
		return wrap(transform.NewReader(skipBOM(br), charmap.ISO8859_1.NewDecoder()), Dialect{Encoding: override})
	case override == "utf-8" && !bytes.HasPrefix(head, bom):
		return wrap(br, Dialect{Encoding: "utf-8"})
	case bytes.HasPrefix(head, bom):
		br.Discard(3)
		return wrap(br, Dialect{Encoding: "utf-8 (BOM)"})
	case bytes.HasPrefix(head, bomUTF16LE):
		// ExpectBOM consumes the mark; the decoder turns the rest into UTF-8.
		return wrap(transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), Dialect{Encoding: "utf-16le (BOM)"})
	case bytes.HasPrefix(head, bomUTF16BE):
		return wrap(transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), Dialect{Encoding: "utf-16be (BOM)"})
	}
	return wrap(br, Dialect{Encoding: "utf-8"})
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (r readCloser) Close() error { return r.c.Close() }

// firstInvalidUTF8 reads r to the end, or to the first byte that is not
// part of valid UTF-8, and returns that byte's line (0 when all is valid).
func firstInvalidUTF8(r io.Reader) (int, byte, error) {
	buf := make([]byte, 256<<10)
	carry := 0 // bytes of a split sequence moved to the front
	line := 1
	for {
		n, err := io.ReadFull(r, buf[carry:])
		n += carry
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return 0, 0, fmt.Errorf("read: %w", err)
		}
		chunk := buf[:n]
		// Keep an incomplete sequence at the end for the next read.
		keep := 0
		if !eof {
			for i := len(chunk) - 1; i >= 0 && i >= len(chunk)-utf8.UTFMax; i-- {
				if utf8.RuneStart(chunk[i]) {
					if !utf8.FullRune(chunk[i:]) {
						keep = len(chunk) - i
					}
					break
				}
			}
		}
		body := chunk[:len(chunk)-keep]
		if !utf8.Valid(body) {
			for i := 0; i < len(body); {
				r, size := utf8.DecodeRune(body[i:])
				if r == utf8.RuneError && size <= 1 {
					return line + bytes.Count(body[:i], []byte{'\n'}), body[i], nil
				}
				i += size
			}
		}
		line += bytes.Count(body, []byte{'\n'})
		if eof {
			return 0, 0, nil
		}
		carry = copy(buf, chunk[len(chunk)-keep:])
	}
}

// sniffDialect looks at the start of the decoded text for the delimiter and
// the line ending. The delimiter is the one of comma, semicolon, tab and
// pipe that splits the header into the most fields (quoted text aside) and,
// where there is a second line, splits it into as many; comma wins ties, as
// most exports use it.
func sniffDialect(head []byte) (delim rune, lineEnding string) {
	text := string(head)
	lineEnding = "LF"
	switch i := strings.IndexAny(text, "\r\n"); {
	case i < 0:
	case text[i] == '\n':
	case i+1 < len(text) && text[i+1] == '\n':
		lineEnding = "CRLF"
	case !strings.Contains(text, "\n"):
		lineEnding = "CR"
	default:
		lineEnding = "CRLF"
	}
	lines := splitRecords(text, 2)
	delim, best := ',', 0
	for _, d := range []rune{',', ';', '\t', '|'} {
		n := countOutsideQuotes(lines[0], d)
		if n == 0 {
			continue
		}
		if len(lines) > 1 && countOutsideQuotes(lines[1], d) != n {
			n /= 2 // a delimiter that does not repeat row to row is a weaker guess
		}
		if n > best {
			delim, best = d, n
		}
	}
	return delim, lineEnding
}

// splitRecords returns up to n records of CSV text, newlines inside quotes
// kept in their record.
func splitRecords(text string, n int) []string {
	var out []string
	quoted := false
	start := 0
	for i := 0; i < len(text) && len(out) < n; i++ {
		switch text[i] {
		case '"':
			quoted = !quoted
		case '\n', '\r':
			if !quoted {
				if i > start {
					out = append(out, text[start:i])
				}
				start = i + 1
			}
		}
	}
	if len(out) < n && start < len(text) {
		out = append(out, text[start:])
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

func countOutsideQuotes(line string, d rune) int {
	n := 0
	quoted := false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case r == d && !quoted:
			n++
		}
	}
	return n
}

// crToLF turns bare carriage returns into newlines, for files saved by old
// Mac spreadsheets whose rows end in CR alone.
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}
