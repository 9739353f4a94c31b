package ingest

import (
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/handoff-dev/handoff/lake"
)

// mapping is a FileSpec compiled against one file's header: every column
// reference resolved to an index once, so a row costs no lookups by name.
type mapping struct {
	vendor, kind string
	file         string
	header       []string
	outputs      []*compiledOutput
	times        *timeParser
	keepPersonal bool
	blanks       []string // values that mean none, besides null
	provides     []provide
	history      bool
}

// lookups are the run's lookup tables, by name: key → value.
type lookups map[string]map[string]string

type provide struct {
	name       string
	table      map[string]string
	key, value int
}

type compiledOutput struct {
	table   lake.Table
	whenCol int
	whenIn  map[string]bool
	whenOut map[string]bool
	whenSet bool // NotBlank
	entries []map[string]string
	// optional outputs are derived rows (a disposition from a lead's
	// disposition fields): a bad value there drops that row with a
	// warning, never the input row.
	optional bool
	skip     []int // table column indexes
	sizeText int   // index of company_size_text, -1 when the table has none
	fields   []*compiledField
	row      []driver.Value // reused per entry
}

type compiledField struct {
	col       lake.Column
	src       int   // source column index, -1 when none
	srcs      []int // concatenated columns
	firstOf   []int
	onlyIf    int
	jsonKey   string
	lookup    []map[string]string
	missBlank bool
	idField   bool // an id: checked for Excel's scientific notation
	fallback  *compiledField
	varName   string
	colVar    map[int]int // entry index -> source column index
	constant  string
	vmap      *ValueMap
	mapName   string
	transform func(string) string
	times     *timeParser
	def       string
}

// headerIndex finds columns by name (normalHeader); of a repeated name the
// first wins.
//
// HubSpot's exports group an associated record's columns after its own
// "Record ID - Company" column, so "Create Date" or "Phone Number" can
// appear twice: the first is the exported record's own. Columns of a group
// can also be named with the group: "Company: Industry". "Record ID - X"
// also answers to "Record ID", the first group's being the record's own.
func headerIndex(header []string) map[string]int {
	idx := make(map[string]int, len(header)*2)
	add := func(key string, i int) {
		key = normalHeader(key)
		if _, dup := idx[key]; !dup {
			idx[key] = i
		}
	}
	group := ""
	for i, h := range header {
		name := strings.TrimSpace(h)
		if m := recordIDGroup.FindStringSubmatch(name); m != nil {
			group = m[1]
			add("Record ID", i)
			add(group+": Record ID", i)
		}
		add(name, i)
		if group != "" {
			add(group+": "+name, i)
		}
	}
	return idx
}

var recordIDGroup = regexp.MustCompile(`^Record ID - (.+)$`)

// normalHeader is a column name as matched. Case, spaces, underscores,
// hyphens, quotes, brackets, dots and slashes do not count, nor the property_/properties_ prefix warehouse
// loaders put on HubSpot properties, so the one mapping reads a Salesforce
// Data Export (CreatedDate), a Fivetran table (created_date) and an Airbyte
// one; HubSpot's API names (createdate) read from Fivetran (property_createdate)
// and Airbyte (properties_createdate) alike.
func normalHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	for _, p := range []string{"properties_", "property_"} {
		if strings.HasPrefix(h, p) && len(h) > len(p) {
			h = h[len(p):]
			break
		}
	}
	return headerNoise.Replace(h)
}

var headerNoise = strings.NewReplacer(" ", "", "_", "", "-", "", `"`, "", "(", "", ")", "", ".", "", "/", "")

var transforms = map[string]func(string) string{
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"email_domain": func(s string) string {
		at := strings.LastIndexByte(s, '@')
		if at < 0 {
			return ""
		}
		return strings.ToLower(strings.TrimSpace(s[at+1:]))
	},
	// first keeps the first of a list ("123;456" → "123"), as HubSpot
	// writes several associated records in one cell, and as a warehouse
	// writes a list column ("[123, 456]", `["123","456"]`).
	"first": func(s string) string {
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "["))
		if i := strings.IndexAny(s, ";,]"); i >= 0 {
			s = s[:i]
		}
		return strings.Trim(strings.TrimSpace(s), `"'`)
	},
	// month keeps the year and month of an ISO date ("2026-05-17" → "2026-05").
	"month": func(s string) string {
		if len(s) >= 7 && s[4] == '-' {
			return s[:7]
		}
		return s
	},
	// queue marks an owner that is a pool, not a person ("Inbound SDRs" →
	// "queue:Inbound SDRs"): a HubSpot team holding a contact nobody owns
	// yet. The lake's is_queue (lake/sql/kept.sql) knows the prefix.
	"queue": func(s string) string {
		if s = strings.TrimSpace(s); s == "" {
			return ""
		}
		return "queue:" + s
	},
	// snake turns "Paid Search" into "paid_search".
	"snake": func(s string) string {
		return strings.Join(strings.Fields(strings.ToLower(strings.NewReplacer("-", " ", "_", " ").Replace(s))), "_")
	},
}

// compile resolves a file spec against a header. lk holds the run's lookup
// tables, filled by the files that provide them.
func compile(spec VendorSpec, fs FileSpec, file string, header []string, cfg Config, lk lookups) (*mapping, error) {
	if lk == nil {
		lk = lookups{}
	}
	lookupTable := func(name string) map[string]string {
		if lk[name] == nil {
			lk[name] = map[string]string{}
		}
		return lk[name]
	}
	loc := time.UTC
	tz := cfg.Timezone
	if spec.Timezone != "" {
		tz = spec.Timezone
	}
	if tz != "" {
		var err error
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, fmt.Errorf("%s mapping: timezone %q: %w", spec.Vendor, tz, err)
		}
	}
	times := &timeParser{layouts: append(append([]string{}, cfg.DateFormats...), spec.TimestampFormats...), loc: loc}
	idx := headerIndex(header)
	lookup := func(name string) int {
		if i, ok := idx[normalHeader(name)]; ok {
			return i
		}
		return -1
	}
	for _, d := range fs.Detect {
		if lookup(d) < 0 {
			return nil, &Error{File: file, Line: 1, Kind: KindFormat,
				Reason: fmt.Sprintf("not a %s %s export: the header lacks %q", spec.Vendor, fs.Kind, d)}
		}
	}
	m := &mapping{vendor: spec.Vendor, kind: fs.Kind, file: file, header: header, times: times, keepPersonal: cfg.KeepPersonalData, history: fs.History}
	for _, b := range spec.BlankValues {
		m.blanks = append(m.blanks, strings.TrimSpace(b))
	}
	for _, p := range fs.Provides {
		k, v := lookup(p.Key), lookup(p.Value)
		if k >= 0 && v >= 0 {
			m.provides = append(m.provides, provide{name: p.Lookup, table: lookupTable(p.Lookup), key: k, value: v})
		}
	}
	// The output and column being compiled: fields see the output's each
	// entries, and errors name them.
	var table string
	var col lake.Column
	var entries []map[string]string
	var compileField func(f FieldSpec) (*compiledField, error)
	compileField = func(f FieldSpec) (*compiledField, error) {
		cf := &compiledField{col: col, src: -1, onlyIf: -1, varName: f.Var, constant: f.Value, times: times, def: f.Default, jsonKey: f.JSONKey,
			idField: strings.HasSuffix(col.Name, "_id")}
		for _, name := range f.Lookup {
			cf.lookup = append(cf.lookup, lookupTable(name))
		}
		switch f.LookupMiss {
		case "", "keep":
		case "blank":
			cf.missBlank = true
		default:
			return nil, fmt.Errorf("%s mapping, %s → %s.%s: lookup_miss %q (use keep or blank)", spec.Vendor, fs.Kind, table, col.Name, f.LookupMiss)
		}
		for _, c := range f.FirstOf {
			if i := lookup(c); i >= 0 {
				cf.firstOf = append(cf.firstOf, i)
			}
		}
		if f.OnlyIf != "" {
			if cf.onlyIf = lookup(f.OnlyIf); cf.onlyIf < 0 {
				cf.onlyIf = len(header) // absent column: never true
			}
		}
		if f.Format != "" {
			cf.times = &timeParser{layouts: []string{f.Format}, loc: loc}
		}
		if f.Column != "" {
			cf.src = lookup(f.Column)
		}
		for _, c := range f.Columns {
			if i := lookup(c); i >= 0 {
				cf.srcs = append(cf.srcs, i)
			}
		}
		if f.ColumnVar != "" {
			cf.colVar = map[int]int{}
			for ei, e := range entries {
				cf.colVar[ei] = lookup(e[f.ColumnVar])
			}
		}
		if f.Map != "" {
			vm, ok := spec.Maps[f.Map]
			if !ok {
				return nil, fmt.Errorf("%s mapping, %s → %s.%s: unknown map %q", spec.Vendor, fs.Kind, table, col.Name, f.Map)
			}
			switch vm.Unknown {
			case "", "error", "keep", "lower", "snake", "blank":
			default:
				return nil, fmt.Errorf("%s mapping, map %s: unknown: %q (use error, keep, lower, snake or blank)", spec.Vendor, f.Map, vm.Unknown)
			}
			norm := ValueMap{Unknown: vm.Unknown, Values: make(map[string]string, len(vm.Values))}
			for k, v := range vm.Values {
				norm.Values[strings.ToLower(strings.TrimSpace(k))] = v
			}
			cf.vmap, cf.mapName = &norm, f.Map
		}
		if f.Transform != "" {
			tf, ok := transforms[f.Transform]
			if !ok {
				return nil, fmt.Errorf("%s mapping, %s → %s.%s: unknown transform %q (known: lower, upper, email_domain, first, month, snake)", spec.Vendor, fs.Kind, table, col.Name, f.Transform)
			}
			cf.transform = tf
		}
		if f.Fallback != nil {
			fb, err := compileField(*f.Fallback)
			if err != nil {
				return nil, err
			}
			cf.fallback = fb
		}
		return cf, nil
	}
	for _, os := range fs.Outputs {
		t, ok := lake.TableNamed(os.Table)
		if !ok {
			return nil, fmt.Errorf("%s mapping, %s: unknown table %q (known: %s)", spec.Vendor, fs.Kind, os.Table, strings.Join(lake.TableNames(), ", "))
		}
		co := &compiledOutput{table: t, whenCol: -1, entries: os.Each, optional: os.Optional, sizeText: slices.Index(t.ColumnNames(), "company_size_text"),
			fields: make([]*compiledField, len(t.Columns)), row: make([]driver.Value, len(t.Columns))}
		if len(co.entries) == 0 {
			co.entries = []map[string]string{nil}
		}
		if os.When != nil {
			co.whenCol = lookup(os.When.Column)
			co.whenSet = os.When.NotBlank
			if len(os.When.NotIn) > 0 {
				co.whenOut = map[string]bool{}
				for _, v := range os.When.NotIn {
					co.whenOut[strings.ToLower(v)] = true
				}
			}
			if len(os.When.In) > 0 {
				co.whenIn = map[string]bool{}
				for _, v := range os.When.In {
					co.whenIn[strings.ToLower(v)] = true
				}
			}
		}
		for name, f := range os.Fields {
			ci := slices.Index(t.ColumnNames(), name)
			if ci < 0 {
				return nil, fmt.Errorf("%s mapping, %s → %s: unknown field %q (known: %s)", spec.Vendor, fs.Kind, t.Name, name, strings.Join(t.ColumnNames(), ", "))
			}
			table, col, entries = t.Name, t.Columns[ci], co.entries
			cf, err := compileField(f)
			if err != nil {
				return nil, err
			}
			co.fields[ci] = cf
		}
		for _, name := range os.SkipIfBlank {
			ci := slices.Index(t.ColumnNames(), name)
			if ci < 0 {
				return nil, fmt.Errorf("%s mapping, %s → %s: skip_if_blank names unknown field %q", spec.Vendor, fs.Kind, t.Name, name)
			}
			co.skip = append(co.skip, ci)
		}
		m.outputs = append(m.outputs, co)
	}
	return m, nil
}

// canonicalSpec is the identity mapping of a canonical table: every column of
// the header that is a canonical column, with the required ones detected.
func canonicalSpec(t lake.Table) (VendorSpec, FileSpec) {
	fields := map[string]FieldSpec{}
	var detect []string
	for _, c := range t.Columns {
		fields[c.Name] = FieldSpec{Column: c.Name}
		if c.Required && !(t.Name == "activities" && c.Name == "activity_id") {
			detect = append(detect, c.Name)
		}
	}
	fs := FileSpec{Kind: t.Name, Description: "canonical " + t.Name + " file", Detect: detect, Outputs: []OutputSpec{{Table: t.Name, Fields: fields}}}
	return VendorSpec{Vendor: "canonical"}, fs
}

// pending holds a row's outputs until every one of them is valid, so a row
// is either wholly in the lake or wholly in quarantine.
type pending struct {
	tables   []lake.Table
	rows     [][]driver.Value
	warnings []*Error
}

func (p *pending) reset() {
	p.tables = p.tables[:0]
	p.rows = p.rows[:0]
	p.warnings = p.warnings[:0]
}

// apply maps one record. On a bad key or required value it returns the
// positioned error and emits nothing; a bad optional value is left blank
// and noted in buf.warnings.
func (m *mapping) apply(rec *record, buf *pending) *Error {
	buf.reset()
	for _, o := range m.outputs {
		if o.whenCol >= 0 || o.whenIn != nil || o.whenOut != nil || o.whenSet {
			v := ""
			if o.whenCol >= 0 {
				v = strings.TrimSpace(rec.values[o.whenCol])
			}
			if o.whenSet && v == "" {
				continue
			}
			if o.whenIn != nil && !o.whenIn[strings.ToLower(v)] {
				continue
			}
			if o.whenOut != nil && o.whenOut[strings.ToLower(v)] {
				continue
			}
		}
	entries:
		for ei, entry := range o.entries {
			row := make([]driver.Value, len(o.fields), len(o.fields)+1) // room for _seq
			var warned []*Error
			for ci, f := range o.fields {
				if f == nil {
					continue
				}
				v, err := m.field(rec, o, f, ei, entry, row)
				if err != nil {
					switch {
					case !f.col.Required:
						warned = append(warned, err)
						v = nil
					case o.optional:
						err.Reason += fmt.Sprintf("; no %s row was made from it", o.table.Name)
						buf.warnings = append(buf.warnings, err)
						continue entries
					default:
						return err
					}
				}
				if v != nil || row[ci] == nil { // company_size may have filled company_size_text
					row[ci] = v
				}
			}
			for _, ci := range o.skip {
				if row[ci] == nil {
					continue entries
				}
			}
			if o.table.Name == "activities" && row[0] == nil {
				row[0] = activityID(row)
			}
			for ci, c := range o.table.Columns {
				if c.Required && row[ci] == nil {
					err := m.missing(rec, o, ci, ei)
					if o.optional {
						err.Reason += fmt.Sprintf("; no %s row was made from it", o.table.Name)
						buf.warnings = append(buf.warnings, err)
						continue entries
					}
					return err
				}
			}
			buf.warnings = append(buf.warnings, warned...)
			buf.tables = append(buf.tables, o.table)
			buf.rows = append(buf.rows, row)
		}
	}
	for _, p := range m.provides {
		k, v := strings.TrimSpace(rec.values[p.key]), strings.TrimSpace(rec.values[p.value])
		if !m.blank(k) && !m.blank(v) {
			p.table[k] = v
		}
	}
	return nil
}

// field computes one field of one entry. Company size also fills
// company_size_text when the value is not a plain number.
func (m *mapping) field(rec *record, o *compiledOutput, f *compiledField, ei int, entry map[string]string, row []driver.Value) (driver.Value, *Error) {
	s, src, err := m.text(rec, f, ei, entry)
	if err != nil || s == "" {
		return nil, err
	}
	if f.col.Name == "company_size" && o.sizeText >= 0 {
		n, exact := parseCompanySize(s)
		if !exact && row[o.sizeText] == nil {
			row[o.sizeText] = s
		}
		if n < 0 {
			return nil, nil
		}
		return n, nil
	}
	return m.convert(rec, f, src, s)
}

func (m *mapping) missing(rec *record, o *compiledOutput, ci, ei int) *Error {
	f := o.fields[ci]
	src := -1
	if f != nil {
		src = f.source(ei)
		if src < 0 && len(f.firstOf) > 0 {
			src = f.firstOf[0]
		}
		if src < 0 && len(f.srcs) > 0 {
			src = f.srcs[0]
		}
	}
	col := o.table.Columns[ci].Name
	if src < 0 {
		return m.errorAt(rec, -1, KindMissing, col, fmt.Sprintf("required field %s.%s has no value (no column maps to it)", o.table.Name, col))
	}
	return m.errorAt(rec, src, KindMissing, m.header[src], fmt.Sprintf("required value is blank (it becomes %s.%s)", o.table.Name, col))
}

func (f *compiledField) source(entry int) int {
	if f.colVar != nil {
		return f.colVar[entry]
	}
	return f.src
}

func (m *mapping) errorAt(rec *record, src int, kind Kind, field, reason string) *Error {
	line, col := rec.line, 0
	value := ""
	if src >= 0 {
		line, col = rec.pos(src)
		if src < len(rec.values) {
			value = rec.values[src]
		}
	}
	return &Error{File: m.file, Line: line, Column: col, Field: field, Kind: kind, Reason: reason, Raw: rec.raw(), Value: value}
}

// text computes one field's value as text: its source, then the vendor's
// blanks, JSON key, default, transform and value map. src is the column it
// came from (-1 for constants).
func (m *mapping) text(rec *record, f *compiledField, ei int, entry map[string]string) (string, int, *Error) {
	if f.col.Personal && !m.keepPersonal {
		return "", -1, nil
	}
	src := f.source(ei)
	var s string
	switch {
	case f.constant != "":
		s = f.constant
	case f.varName != "":
		s = entry[f.varName]
	case len(f.srcs) > 0:
		parts := make([]string, 0, len(f.srcs))
		for _, i := range f.srcs {
			if p := strings.TrimSpace(rec.values[i]); !m.blank(p) {
				parts = append(parts, p)
			}
		}
		s = strings.Join(parts, " ")
		src = f.srcs[0]
	case len(f.firstOf) > 0:
		src = f.firstOf[0]
		for _, i := range f.firstOf {
			if v := strings.TrimSpace(rec.values[i]); !m.blank(v) {
				s, src = rec.values[i], i
				break
			}
		}
	case src >= 0:
		s = rec.values[src]
	}
	if f.onlyIf >= 0 {
		on := false
		if f.onlyIf < len(rec.values) {
			on, _ = parseBool(rec.values[f.onlyIf])
		}
		if !on {
			return "", src, nil
		}
	}
	s = strings.TrimSpace(s)
	if m.blank(s) {
		s = ""
	}
	if s != "" && f.jsonKey != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(s), &obj); err != nil {
			return "", src, m.errorAt(rec, src, KindType, m.header[src], fmt.Sprintf("expected a JSON object holding %q", f.jsonKey))
		}
		v, _ := obj[f.jsonKey].(string)
		s = strings.TrimSpace(v)
	}
	if s == "" {
		s = f.def
	}
	field := f.col.Name
	if src >= 0 {
		field = m.header[src]
	}
	if f.idField && looksScientific(s) && excelDamagedID.MatchString(s) {
		return "", src, m.errorAt(rec, src, KindExcel, field, fmt.Sprintf("id %q was turned into a number in scientific notation by Excel, and its digits are lost: "+
			"export again from the CRM and ingest the file as downloaded (or open it in Excel through Data → From Text/CSV with the id columns as Text)", s))
	}
	if s != "" && len(f.lookup) > 0 {
		found := false
		for _, t := range f.lookup {
			if v, ok := t[s]; ok {
				s, found = v, true
				break
			}
		}
		if !found && f.missBlank {
			s = ""
		}
	}
	if s != "" && f.transform != nil {
		s = f.transform(s)
	}
	if s != "" && f.vmap != nil {
		mapped, ok := f.vmap.Values[strings.ToLower(s)]
		switch {
		case ok:
			s = mapped
		case f.vmap.Unknown == "keep":
		case f.vmap.Unknown == "lower":
			s = strings.ToLower(s)
		case f.vmap.Unknown == "snake":
			s = transforms["snake"](s)
		case f.vmap.Unknown == "blank":
			s = ""
		default:
			return "", src, m.errorAt(rec, src, KindUnknown, field, fmt.Sprintf("unknown value %q for %s (known: %s); add it under vendors.%s.maps.%s.values in handoff.yaml",
				s, f.col.Name, strings.Join(mapKeys(f.vmap.Values), ", "), m.vendor, f.mapName))
		}
	}
	if s == "" && f.fallback != nil {
		return m.text(rec, f.fallback, ei, entry)
	}
	return s, src, nil
}

// blank says whether a value means none: empty, null/NULL, or one of the
// vendor's blank values. It runs on every value, so it allocates nothing.
func (m *mapping) blank(s string) bool {
	if s == "" || len(s) == 4 && strings.EqualFold(s, "null") {
		return true
	}
	for _, b := range m.blanks {
		if len(b) == len(s) && strings.EqualFold(b, s) {
			return true
		}
	}
	return false
}

// looksScientific is the cheap test before excelDamagedID's regular
// expression: every id of every row passes here.
func looksScientific(s string) bool {
	return len(s) >= 4 && s[0] >= '0' && s[0] <= '9' && (strings.Contains(s, "E+") || strings.Contains(s, "e+"))
}

// excelDamagedID is an id Excel displayed, and then saved, in scientific
// notation: 1.10416E+11, or 1,10416E+11 where the decimal mark is a comma.
var excelDamagedID = regexp.MustCompile(`^[0-9]([.,][0-9]+)?[eE]\+[0-9]{1,3}$`)

// convert turns a field's text into its column's type.
func (m *mapping) convert(rec *record, f *compiledField, src int, s string) (driver.Value, *Error) {
	field := f.col.Name
	if src >= 0 {
		field = m.header[src]
	}
	switch f.col.Type {
	case lake.String:
		if f.col.Enum != nil {
			low := strings.ToLower(s)
			if !slices.Contains(f.col.Enum, low) {
				return nil, m.errorAt(rec, src, KindUnknown, field, fmt.Sprintf("unknown %s %q (known: %s)", f.col.Name, s, strings.Join(f.col.Enum, ", ")))
			}
			return low, nil
		}
		return s, nil
	case lake.Timestamp:
		t, err := f.times.parse(s)
		if err != nil {
			reason := fmt.Sprintf("unparseable timestamp %q (expected ISO 8601, `2006-01-02 15:04`, a slash date, epoch seconds or milliseconds, or a layout in ingest.date_formats)", s)
			if errors.Is(err, errAmbiguousDate) {
				reason = fmt.Sprintf("ambiguous date %q: day-first or month-first? No date in the file settles it; set ingest.date_order (month-first or day-first) in handoff.yaml", s)
			} else if sd, ok := parseSlashDate(s); ok {
				_, dayFirst := sd.time("day-first", time.UTC)
				_, monthFirst := sd.time("month-first", time.UTC)
				if dayFirst != nil && monthFirst != nil {
					reason = fmt.Sprintf("%q is no date: read day-first or month-first, it names a day or a time that does not exist", s)
				}
			}
			return nil, m.errorAt(rec, src, KindType, field, reason)
		}
		return t, nil
	case lake.Date:
		t, err := f.times.parseDate(s)
		if err != nil {
			return nil, m.errorAt(rec, src, KindType, field, fmt.Sprintf("unparseable date %q (expected 2006-01 or 2006-01-02)", s))
		}
		return t, nil
	case lake.Int:
		n, err := parseInt(s)
		if err != nil {
			return nil, m.errorAt(rec, src, KindType, field, err.Error())
		}
		return n, nil
	case lake.Float:
		x, err := parseFloat(s)
		if err != nil {
			return nil, m.errorAt(rec, src, KindType, field, err.Error())
		}
		return x, nil
	case lake.Bool:
		b, err := parseBool(s)
		if err != nil {
			return nil, m.errorAt(rec, src, KindType, field, err.Error())
		}
		return b, nil
	}
	return nil, m.errorAt(rec, src, KindType, field, "unsupported column type "+string(f.col.Type))
}

// excelDates tells every timestamp field that plain numbers are Excel date
// serials (an XLSX input).
func (m *mapping) excelDates(from1904 bool) {
	m.eachTimes(func(p *timeParser) { p.excel, p.date1904 = true, from1904 })
}

func (m *mapping) setDateOrder(order string) {
	m.eachTimes(func(p *timeParser) { p.order = order })
}

func (m *mapping) eachTimes(fn func(*timeParser)) {
	fn(m.times)
	for _, o := range m.outputs {
		for _, f := range o.fields {
			if f != nil && f.times != m.times {
				fn(f.times)
			}
		}
	}
}

// timeColumns lists the source columns that feed timestamp or date fields.
func (m *mapping) timeColumns() []int {
	seen := map[int]bool{}
	var cols []int
	add := func(i int) {
		if i >= 0 && i < len(m.header) && !seen[i] {
			seen[i] = true
			cols = append(cols, i)
		}
	}
	for _, o := range m.outputs {
		for _, f := range o.fields {
			if f == nil || (f.col.Type != lake.Timestamp && f.col.Type != lake.Date) {
				continue
			}
			add(f.src)
			for _, i := range f.firstOf {
				add(i)
			}
			for _, i := range f.colVar {
				add(i)
			}
		}
	}
	return cols
}

func mapKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 12 {
		keys = append(keys[:12], "…")
	}
	return keys
}

// activityID is the key of an activity export that has no id of its own: a
// hash of lead, time, kind and actor (DESIGN.md), so re-ingesting the same
// activity finds the same row.
func activityID(row []driver.Value) string {
	h := sha256.New()
	for _, i := range []int{1, 2, 3, 4} { // lead_id, occurred_at, kind, actor_id
		switch v := row[i].(type) {
		case time.Time:
			h.Write([]byte(v.UTC().Format(time.RFC3339Nano)))
		case string:
			h.Write([]byte(v))
		}
		h.Write([]byte{0})
	}
	return "h-" + hex.EncodeToString(h.Sum(nil)[:12])
}
