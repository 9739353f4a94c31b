package ingest

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an input error, so callers and tests branch on kinds, not
// on message text.
type Kind string

// The kinds of bad input.
const (
	KindSyntax    Kind = "syntax"    // CSV or JSON that does not parse (stray quote, truncated row)
	KindRagged    Kind = "ragged"    // a row with more or fewer fields than the header
	KindEncoding  Kind = "encoding"  // bytes that are not UTF-8
	KindMissing   Kind = "missing"   // a required value is blank
	KindType      Kind = "type"      // a value of the wrong type (number, boolean, timestamp)
	KindUnknown   Kind = "unknown"   // a value outside a fixed list (stage, outcome, role)
	KindDuplicate Kind = "duplicate" // a key seen earlier in the same file
	KindIO        Kind = "io"        // the file could not be read
	KindFormat    Kind = "format"    // the file as a whole is not a known export
	KindExcel     Kind = "excel"     // an id Excel wrote in scientific notation, its digits lost
	KindFooter    Kind = "footer"    // a report's footer line: not a row, not counted
)

// Error is one refused input row, or a file refused as a whole. It names the
// file, the line, the column (byte, 1-based) and the field, and carries the
// row as it was written so the quarantine can keep it.
type Error struct {
	File   string
	Line   int // 0 when unknown
	Column int // 0 when unknown
	Field  string
	Kind   Kind
	Reason string
	Raw    string
	// Value is the field's value as written, when the error is about one.
	Value string
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "%s: ", e.Field)
	}
	b.WriteString(e.Reason)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrQuarantined is returned (wrapped) by a strict ingest that refused rows.
var ErrQuarantined = errors.New("the lake is unchanged")

// ErrSkippedFiles is returned (wrapped) by a strict ingest that skipped
// files it did not recognise.
var ErrSkippedFiles = errors.New("files were not recognised")

// ErrNothingRecognised is returned (wrapped) when no input was recognised.
var ErrNothingRecognised = errors.New("no input was recognised")
