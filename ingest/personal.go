package ingest

import (
	"encoding/csv"
	"strings"
	"unicode/utf8"
)

// personalColumns keeps personal data out of a file's quarantine and
// warnings: the lake drops e-mail addresses, names and phone numbers unless
// ingest.keep_personal_data is set, and the rows it refuses are held to the
// same rule. The columns are those that feed a personal field of the
// mapping, and those whose header says they hold one (a second phone
// number, a street address) though nothing reads them.
type personalColumns struct {
	cols      map[int]bool
	delimiter rune
}

// personalHeaderParts are pieces of a normalised header that name personal
// data; personalHeaders whole headers that do.
var (
	personalHeaderParts = []string{"email", "phone", "mobile", "fax", "street", "address", "linkedin", "birth"}
	personalHeaders     = map[string]bool{"name": true, "firstname": true, "lastname": true, "fullname": true, "middlename": true,
		"contactname": true, "leadname": true, "salutation": true, "ip": true, "ipaddress": true}
)

// newPersonalColumns finds m's personal columns; nil when personal data
// is kept, or the file has none.
func newPersonalColumns(m *mapping, delimiter string) *personalColumns {
	if m.keepPersonal {
		return nil
	}
	p := &personalColumns{cols: map[int]bool{}, delimiter: ','}
	if r, size := utf8.DecodeRuneInString(delimiter); size == len(delimiter) && size > 0 {
		p.delimiter = r
	}
	for _, o := range m.outputs {
		for _, f := range o.fields {
			if f == nil || !f.col.Personal {
				continue
			}
			for _, i := range append(append([]int{f.src}, f.srcs...), f.firstOf...) {
				if i >= 0 {
					p.cols[i] = true
				}
			}
			for _, i := range f.colVar {
				p.cols[i] = true
			}
		}
	}
	for i, h := range m.header {
		n := normalHeader(h)
		if strings.Contains(n, "domain") {
			continue
		}
		if personalHeaders[n] {
			p.cols[i] = true
			continue
		}
		for _, part := range personalHeaderParts {
			if strings.Contains(n, part) {
				p.cols[i] = true
			}
		}
	}
	if len(p.cols) == 0 {
		return nil
	}
	return p
}

// maskPersonal hides a personal value: an e-mail address keeps its domain
// (the lake keeps that too), anything else is stars.
func maskPersonal(v string) string {
	if strings.TrimSpace(v) == "" {
		return v
	}
	if at := strings.LastIndexByte(v, '@'); at >= 0 {
		return "***" + v[at:]
	}
	return "***"
}

// raw is a row as the quarantine shows it: its values written again with
// the personal ones masked.
func (p *personalColumns) raw(rec *record) string {
	if p == nil {
		return rec.raw()
	}
	values := make([]string, len(rec.values))
	for i, v := range rec.values {
		if p.cols[i] {
			v = maskPersonal(v)
		}
		values[i] = v
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Comma = p.delimiter
	_ = w.Write(values)
	w.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// withheldRow stands for a row that could not be split into columns: which
// of its parts are personal cannot be told, so none of it is kept.
const withheldRow = "(row withheld: it could not be split into columns and the file holds personal data; the line number finds it in the file, or set ingest.keep_personal_data: true to keep such rows here)"
