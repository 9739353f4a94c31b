package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/handoff-dev/handoff/lake"
)

// Explanation is how one input would be read, for `handoff ingest
// --explain`: nothing is written.
type Explanation struct {
	Path string
	// Layout is "salesforce lead", empty when the file was not recognised.
	Layout      string
	Description string
	// Unrecognised says why no layout fits (or that the layout is not
	// needed); Header is the file's header then.
	Unrecognised string
	Header       []string
	Dialect      Dialect
	Columns      []ColumnUse
	// Suggestion is a handoff.yaml fragment that places the columns the
	// layout left out, or maps an unrecognised file; empty when there is
	// nothing to suggest.
	Suggestion string
	// Err is set when the file could not be opened at all.
	Err error
}

// ColumnUse is where one column of a file goes.
type ColumnUse struct {
	Column string
	// Targets are the canonical fields it fills ("leads.created_at"), and
	// what else it does ("decides which rows become stage_changes").
	Targets []string
	// Ignored says why it goes nowhere, when it does not.
	Ignored string
}

// Explain opens each input as Run would, recognises its layout and says
// where every column goes, without touching any lake.
func Explain(ctx context.Context, opts Options, paths []string) ([]Explanation, error) {
	if opts.Source == "" {
		opts.Source = "auto"
	}
	if !slices.Contains(Sources, opts.Source) {
		return nil, fmt.Errorf("unknown source %q (known: %s)", opts.Source, strings.Join(Sources, ", "))
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	files, err := expand(paths)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no input files in %s (looked for %s)", strings.Join(paths, ", "), walkedExts())
	}
	in := &ingester{opts: opts, lookups: lookups{}}
	var out []Explanation
	for _, path := range files {
		out = append(out, in.explain(ctx, path))
	}
	return out, nil
}

func (in *ingester) explain(ctx context.Context, path string) Explanation {
	ex := Explanation{Path: path}
	op, err := in.open(ctx, path)
	var un *Unrecognised
	switch {
	case errors.As(err, &un):
		ex.Dialect = op.dialect
		ex.Unrecognised, ex.Header = un.Reason(), un.Header
		if un.Known == "" {
			ex.Suggestion = suggestNewLayout(path, un.Header)
		}
		for _, h := range un.Header {
			ex.Columns = append(ex.Columns, ColumnUse{Column: h, Ignored: "file not recognised"})
		}
		return ex
	case err != nil:
		ex.Err = err
		return ex
	}
	op.rows.close()
	ex.Layout = op.m.vendor + " " + op.m.kind
	ex.Description = op.fs.Description
	ex.Dialect = op.dialect
	ex.Columns = op.m.columnUses(in.opts.Config.KeepPersonalData)
	ex.Suggestion = op.m.suggestMissing(op.fs, ex.Columns)
	return ex
}

// columnUses lists, for each column of the header, where the mapping puts it.
func (m *mapping) columnUses(keepPersonal bool) []ColumnUse {
	uses := make([]ColumnUse, len(m.header))
	personalOnly := make([]bool, len(m.header))
	for i, h := range m.header {
		uses[i].Column = h
		personalOnly[i] = true
	}
	add := func(i int, what string, personal bool) {
		if i < 0 || i >= len(m.header) || slices.Contains(uses[i].Targets, what) {
			return
		}
		uses[i].Targets = append(uses[i].Targets, what)
		personalOnly[i] = personalOnly[i] && personal
	}
	var walk func(o *compiledOutput, f *compiledField)
	walk = func(o *compiledOutput, f *compiledField) {
		target := o.table.Name + "." + f.col.Name
		for _, i := range append(append([]int{f.src}, f.srcs...), f.firstOf...) {
			add(i, target, f.col.Personal)
		}
		for _, i := range f.colVar {
			add(i, target, false)
		}
		if f.onlyIf >= 0 {
			add(f.onlyIf, "decides whether "+target+" is set", false)
		}
		if f.fallback != nil {
			walk(o, f.fallback)
		}
	}
	for _, o := range m.outputs {
		if o.whenCol >= 0 {
			add(o.whenCol, "decides which rows become "+o.table.Name, false)
		}
		for _, f := range o.fields {
			if f != nil {
				walk(o, f)
			}
		}
	}
	for _, p := range m.provides {
		add(p.key, "tells other files of the run which record it is ("+p.name+")", false)
		add(p.value, "tells other files of the run which record it is ("+p.name+")", false)
	}
	for i := range uses {
		switch {
		case len(uses[i].Targets) == 0:
			uses[i].Ignored = "no canonical field takes it"
		case personalOnly[i] && !keepPersonal:
			uses[i].Ignored = "personal data: dropped unless ingest.keep_personal_data is true"
			uses[i].Targets = nil
		}
	}
	return uses
}

// guessField names the canonical field a column probably holds, from the
// names exports give it; "" when nothing fits.
func guessField(column string) (table, field string) {
	n := normalHeader(column)
	for _, g := range fieldGuesses {
		if slices.Contains(g.names, n) {
			return g.table, g.field
		}
	}
	for _, t := range lake.Tables {
		for _, c := range t.Columns {
			if normalHeader(c.Name) == n {
				return t.Name, c.Name
			}
		}
	}
	return "", ""
}

// fieldGuesses are the labels CRM exports most often give the canonical
// lead fields (normalised: no case, spaces, underscores or hyphens).
var fieldGuesses = []struct {
	table, field string
	names        []string
}{
	{"leads", "lead_id", []string{"id", "leadid", "recordid", "contactid", "recordidcontact", "vid"}},
	{"leads", "created_at", []string{"createdate", "createddate", "createdat", "datecreated", "created"}},
	{"leads", "source", []string{"leadsource", "source", "originalsource", "channel"}},
	{"leads", "campaign", []string{"campaign", "campaignname", "acquisitionprogram", "utmcampaign"}},
	{"leads", "owner_id", []string{"owner", "ownerid", "leadowner", "contactowner", "hubspotownerid"}},
	{"leads", "company", []string{"company", "companyname", "account", "companyaccount", "accountname"}},
	{"leads", "country", []string{"country", "countryregion", "billingcountry"}},
	{"leads", "industry", []string{"industry"}},
	{"leads", "company_size", []string{"employees", "numberofemployees", "noofemployees", "companysize", "numemployees"}},
	{"leads", "title", []string{"title", "jobtitle"}},
	{"leads", "updated_at", []string{"lastmodifieddate", "lastmodified", "updatedat", "lastmodifieddate", "systemmodstamp"}},
	{"leads", "email_domain", []string{"email", "emailaddress"}},
}

// suggestMissing writes a handoff.yaml fragment for columns the layout left
// unplaced that look like a canonical field the layout could not fill from
// this file.
func (m *mapping) suggestMissing(fs FileSpec, uses []ColumnUse) string {
	if len(m.outputs) == 0 || m.vendor == "canonical" {
		return ""
	}
	primary := m.outputs[0]
	var lines []string
	var rest []string
	for i, u := range uses {
		if u.Ignored != "no canonical field takes it" || strings.HasPrefix(u.Column, "_") {
			continue
		}
		table, field := guessField(u.Column)
		ci := slices.Index(primary.table.ColumnNames(), field)
		if table == primary.table.Name && ci >= 0 {
			f := primary.fields[ci]
			if f == nil || (f.src < 0 && len(f.srcs) == 0 && len(f.firstOf) == 0 && f.constant == "" && f.colVar == nil) {
				value := strconv.Quote(m.header[i])
				if field == "email_domain" {
					value = fmt.Sprintf("{column: %s, transform: email_domain}", strconv.Quote(m.header[i]))
				}
				lines = append(lines, fmt.Sprintf("                %s: %s", field, value))
				continue
			}
		}
		rest = append(rest, fmt.Sprintf("                # %s: %s", "FIELD", strconv.Quote(m.header[i])))
	}
	if len(lines) == 0 {
		return "" // the column list already names what is ignored
	}
	sort.Strings(lines)
	var b strings.Builder
	fmt.Fprintf(&b, "ingest:\n  vendors:\n    %s:\n      files:\n        - kind: %s\n          outputs:\n            - table: %s\n              fields:\n", m.vendor, fs.Kind, primary.table.Name)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if len(rest) > 0 {
		b.WriteString("                # Not placed; name the field each holds, or leave them out:\n")
		for _, l := range rest {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// suggestNewLayout writes a handoff.yaml fragment that maps an unrecognised
// file onto leads, guessing each field from the column names.
func suggestNewLayout(path string, header []string) string {
	fields := map[string]string{}
	var order []string
	var rest []string
	for _, h := range header {
		table, field := guessField(h)
		if table != "leads" {
			rest = append(rest, h)
			continue
		}
		if _, taken := fields[field]; taken {
			rest = append(rest, h)
			continue
		}
		value := strconv.Quote(h)
		if field == "email_domain" {
			value = fmt.Sprintf("{column: %s, transform: email_domain}", strconv.Quote(h))
		}
		fields[field] = value
		order = append(order, field)
	}
	var b strings.Builder
	kind := strings.ToLower(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	kind = strings.Trim(headerNoise.Replace(strings.ReplaceAll(kind, " ", "_")), "_")
	if kind == "" {
		kind = "my_export"
	}
	// The columns that tell this file apart: the guessed key and creation
	// time, else the header's first columns.
	detect := []string{}
	for _, f := range []string{"lead_id", "created_at"} {
		if v, ok := fields[f]; ok && !strings.HasPrefix(v, "{") {
			detect = append(detect, v)
		}
	}
	for i := 0; len(detect) < 2 && i < len(header) && i < 2; i++ {
		if q := strconv.Quote(header[i]); !slices.Contains(detect, q) {
			detect = append(detect, q)
		}
	}
	fmt.Fprintf(&b, "ingest:\n  vendors:\n    # under the vendor that wrote it: hubspot, salesforce or marketo\n    salesforce:\n      files:\n        - kind: %s\n", kind)
	fmt.Fprintf(&b, "          detect: [%s]\n          outputs:\n            - table: leads\n              fields:\n", strings.Join(detect, ", "))
	for _, f := range []string{"lead_id", "created_at"} {
		if _, ok := fields[f]; !ok {
			fmt.Fprintf(&b, "                %s: \"COLUMN\"   # required: name the column that holds it\n", f)
		}
	}
	for _, f := range order {
		fmt.Fprintf(&b, "                %s: %s\n", f, fields[f])
	}
	if len(rest) > 0 {
		b.WriteString("                # Not placed; name the field each holds, or leave them out:\n")
		for _, h := range rest {
			fmt.Fprintf(&b, "                # FIELD: %s\n", strconv.Quote(h))
		}
	}
	return b.String()
}

func walkedExts() string {
	var exts []string
	for _, f := range inputFormats {
		if f.walk {
			for _, e := range f.exts {
				exts = append(exts, "*"+e)
			}
		}
	}
	return strings.Join(exts, ", ")
}
