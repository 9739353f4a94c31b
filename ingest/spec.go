package ingest

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/handoff-dev/handoff/internal/yamldoc"
)

// The vendor mappings are data, not code: one YAML file per vendor, embedded
// in the binary, each overridable from handoff.yaml.
//
//go:embed vendors/*.yaml
var vendorFS embed.FS

// VendorSpec maps one vendor's exports onto the canonical tables.
type VendorSpec struct {
	Vendor      string `yaml:"vendor"`
	Description string `yaml:"description"`
	// TimestampFormats are Go layouts tried after ISO 8601 and epoch values.
	TimestampFormats []string `yaml:"timestamp_formats"`
	// Timezone is the zone of naive timestamps (default UTC).
	Timezone string `yaml:"timezone"`
	// DateOrder is the vendor's convention for slash dates whose values do
	// not settle it: month-first or day-first.
	DateOrder string `yaml:"date_order"`
	// BlankValues are values that mean "none" in this vendor's exports
	// (Salesforce writes an empty lookup as 000000000000000AAA).
	BlankValues []string            `yaml:"blank_values"`
	Maps        map[string]ValueMap `yaml:"maps"`
	Files       []FileSpec          `yaml:"files"`
}

// ValueMap translates a vendor's values (matched trimmed and case-blind)
// into canonical ones.
type ValueMap struct {
	Values map[string]string `yaml:"values"`
	// Unknown says what to do with a value the map lacks: "error" (the row is
	// quarantined; the default), "keep" (pass it through), "lower" (pass it
	// through in lower case), "snake" (pass it through as snake_case) or
	// "blank".
	Unknown string `yaml:"unknown"`
}

// FileSpec is one kind of export file (HubSpot contacts, Salesforce
// LeadHistory, ...).
type FileSpec struct {
	Kind        string `yaml:"kind"`
	Description string `yaml:"description"`
	// Detect lists header columns that together identify this kind of file.
	Detect []string `yaml:"detect"`
	// Provides fills lookup tables from this file's rows, for other files
	// of the same run: a Lead export says which lead each converted contact
	// came from (ConvertedContactId → Id), so a Task on that contact is
	// counted on the lead. Files that provide are read first.
	Provides []ProvideSpec `yaml:"provides"`
	// History marks a table whose every row is an event (Fivetran's
	// deal_stage): rows a history-mode loader marks inactive are kept.
	History bool `yaml:"history"`
	// NotNeeded marks a layout handoff recognises and has no use for
	// (Salesforce Account): such a file is skipped with this reason.
	NotNeeded string       `yaml:"not_needed"`
	Outputs   []OutputSpec `yaml:"outputs"`
}

// OutputSpec says how a row of the file becomes rows of one canonical table.
type OutputSpec struct {
	Table string     `yaml:"table"`
	When  *Condition `yaml:"when"`
	// Each repeats the output once per entry, with the entry's variables
	// available to fields (var, column_var): one stage change per
	// "Became a ... Date" column, say.
	Each []map[string]string `yaml:"each"`
	// SkipIfBlank names canonical fields whose blank value means "no row
	// here" rather than "bad row".
	SkipIfBlank []string `yaml:"skip_if_blank"`
	// Optional marks a derived output (a disposition from a lead's
	// disposition fields, a stage change from a lifecycle date): a value
	// there that cannot be read drops that row with a warning and keeps the
	// input row's other outputs.
	Optional bool                 `yaml:"optional"`
	Fields   map[string]FieldSpec `yaml:"fields"`
}

// ProvideSpec is one lookup a file fills: key column → value column.
type ProvideSpec struct {
	Lookup string `yaml:"lookup"`
	Key    string `yaml:"key"`
	Value  string `yaml:"value"`
}

// Condition selects the rows an output applies to.
type Condition struct {
	Column   string   `yaml:"column"`
	In       []string `yaml:"in"`
	NotIn    []string `yaml:"not_in"`
	NotBlank bool     `yaml:"not_blank"`
}

// FieldSpec computes one canonical field. Written as a bare string it is a
// column name.
type FieldSpec struct {
	Column  string   `yaml:"column"`
	Columns []string `yaml:"columns"` // joined with a space (first and last names)
	// FirstOf takes the first of these columns that has a value
	// (CompletedDateTime, else CreatedDate).
	FirstOf []string `yaml:"first_of"`
	// OnlyIf names a boolean column: the field is blank unless it is true
	// (a close date counts only once the deal is closed).
	OnlyIf string `yaml:"only_if"`
	// JSONKey reads one key of a JSON object held in the column (Marketo's
	// activity "attributes").
	JSONKey string `yaml:"json_key"`
	// Lookup replaces the value by what the first of these lookup tables
	// holds for it (a converted contact's lead). A value none holds is kept,
	// or made blank with lookup_miss: blank.
	Lookup     []string `yaml:"lookup"`
	LookupMiss string   `yaml:"lookup_miss"`
	// Fallback computes the value another way when this one is blank (a
	// custom stage name no map knows → its ForecastCategory).
	Fallback  *FieldSpec `yaml:"fallback"`
	Var       string     `yaml:"var"`
	ColumnVar string     `yaml:"column_var"`
	Value     string     `yaml:"value"`
	Map       string     `yaml:"map"`
	Transform string     `yaml:"transform"`
	Format    string     `yaml:"format"`
	Default   string     `yaml:"default"`
}

// UnmarshalYAML lets a field be written as a bare column name.
func (f *FieldSpec) UnmarshalYAML(unmarshal func(any) error) error {
	var column string
	if err := unmarshal(&column); err == nil {
		*f = FieldSpec{Column: column}
		return nil
	}
	type plain FieldSpec
	var p plain
	if err := unmarshal(&p); err != nil {
		return err
	}
	*f = FieldSpec(p)
	return nil
}

// Config is the ingest part of handoff.yaml.
type Config struct {
	// Timezone for naive timestamps in every file (a vendor's own setting in
	// vendors.<name>.timezone wins).
	Timezone string `yaml:"timezone"`
	// DateFormats are extra Go layouts tried first, e.g. "02-01-2006" or
	// "02/01/2006 15:04" for day-first exports.
	DateFormats []string `yaml:"date_formats"`
	// Encoding of text files: auto (the default: a byte-order mark, else
	// UTF-8, else Windows-1252), utf-8, utf-16le, utf-16be, windows-1252 or
	// iso-8859-1.
	Encoding string `yaml:"encoding"`
	// DateOrder reads slash dates month-first or day-first when neither the
	// file's values nor the vendor's convention settle it.
	DateOrder string `yaml:"date_order"`
	// KeepPersonalData keeps full e-mail addresses, lead names and phone
	// numbers. Off by default: no metric needs them.
	KeepPersonalData bool `yaml:"keep_personal_data"`
	// QuarantineMaxBytes bounds what one run writes to its quarantine and
	// warnings files; rows past it are counted, not kept. 0 is 64 MiB.
	QuarantineMaxBytes int64 `yaml:"quarantine_max_bytes"`
	// Vendors overrides the embedded mappings, merged by map name, file kind
	// and output table.
	Vendors map[string]VendorSpec `yaml:"vendors"`
}

// LoadConfig reads handoff.yaml. Unknown keys are errors that name the line.
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, raw)
}

// ParseConfig parses handoff.yaml content; name is used in errors. Ingest
// settings live under the top-level key `ingest:`; other sections belong to
// other parts of handoff and are not read here.
func ParseConfig(name string, raw []byte) (Config, error) {
	doc, err := yamldoc.Parse(name, raw)
	if err != nil {
		return Config{}, err
	}
	var c Config
	found, err := doc.Decode("$.ingest", &c)
	if err != nil || !found {
		return Config{}, err // no ingest section: defaults
	}
	return c, c.validate(name)
}

func (c Config) validate(name string) error {
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			return fmt.Errorf("%s: timezone %q: %w (use an IANA name such as Europe/Berlin)", name, c.Timezone, err)
		}
	}
	if c.Encoding != "" && !slices.Contains(Encodings, c.Encoding) {
		return fmt.Errorf("%s: ingest.encoding %q: use one of %s", name, c.Encoding, strings.Join(Encodings, ", "))
	}
	if c.DateOrder != "" && !slices.Contains(DateOrders, c.DateOrder) {
		return fmt.Errorf("%s: ingest.date_order %q: use one of %s", name, c.DateOrder, strings.Join(DateOrders, ", "))
	}
	for v, o := range c.Vendors {
		if o.DateOrder != "" && !slices.Contains(DateOrders, o.DateOrder) {
			return fmt.Errorf("%s: vendors.%s.date_order %q: use one of %s", name, v, o.DateOrder, strings.Join(DateOrders, ", "))
		}
		if _, err := builtinSpec(v); err != nil {
			return fmt.Errorf("%s: vendors: %w", name, err)
		}
	}
	return nil
}

// Vendors lists the vendors with an embedded mapping.
func Vendors() []string {
	entries, _ := fs.ReadDir(vendorFS, "vendors")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// builtinSpec reads the embedded mapping of a vendor.
func builtinSpec(vendor string) (VendorSpec, error) {
	raw, err := vendorFS.ReadFile("vendors/" + vendor + ".yaml")
	if errors.Is(err, fs.ErrNotExist) {
		return VendorSpec{}, fmt.Errorf("unknown vendor %q (known: %s)", vendor, strings.Join(Vendors(), ", "))
	}
	if err != nil {
		return VendorSpec{}, err
	}
	var spec VendorSpec
	if err := yaml.NewDecoder(bytes.NewReader(raw), yaml.Strict()).Decode(&spec); err != nil {
		return VendorSpec{}, fmt.Errorf("embedded mapping %s: %s", vendor, yaml.FormatError(err, false, true))
	}
	return spec, nil
}

// Spec returns a vendor's mapping with the config's overrides applied.
func (c Config) Spec(vendor string) (VendorSpec, error) {
	spec, err := builtinSpec(vendor)
	if err != nil {
		return VendorSpec{}, err
	}
	if o, ok := c.Vendors[vendor]; ok {
		spec = spec.merge(o)
	}
	return spec, nil
}

// merge lays an override over the spec: scalars replace, maps merge by key,
// files merge by kind and outputs by table; anything new is added.
func (s VendorSpec) merge(o VendorSpec) VendorSpec {
	if o.Timezone != "" {
		s.Timezone = o.Timezone
	}
	if o.DateOrder != "" {
		s.DateOrder = o.DateOrder
	}
	s.BlankValues = append(slices.Clone(s.BlankValues), o.BlankValues...)
	s.TimestampFormats = append(append([]string{}, o.TimestampFormats...), s.TimestampFormats...)
	maps := map[string]ValueMap{}
	for k, v := range s.Maps {
		maps[k] = v
	}
	for k, ov := range o.Maps {
		base := maps[k]
		values := map[string]string{}
		for a, b := range base.Values {
			values[a] = b
		}
		for a, b := range ov.Values {
			values[a] = b
		}
		base.Values = values
		if ov.Unknown != "" {
			base.Unknown = ov.Unknown
		}
		maps[k] = base
	}
	s.Maps = maps
	files := append([]FileSpec{}, s.Files...)
	for _, of := range o.Files {
		i := indexOf(len(files), func(i int) bool { return files[i].Kind == of.Kind })
		if i < 0 {
			files = append(files, of)
			continue
		}
		f := files[i]
		if len(of.Detect) > 0 {
			f.Detect = of.Detect
		}
		if len(of.Provides) > 0 {
			f.Provides = of.Provides
		}
		if of.NotNeeded != "" {
			f.NotNeeded = of.NotNeeded
		}
		outs := append([]OutputSpec{}, f.Outputs...)
		for _, oo := range of.Outputs {
			j := indexOf(len(outs), func(j int) bool { return outs[j].Table == oo.Table })
			if j < 0 {
				outs = append(outs, oo)
				continue
			}
			out := outs[j]
			fields := map[string]FieldSpec{}
			for k, v := range out.Fields {
				fields[k] = v
			}
			for k, v := range oo.Fields {
				fields[k] = v
			}
			out.Fields = fields
			if oo.When != nil {
				out.When = oo.When
			}
			if oo.Each != nil {
				out.Each = oo.Each
			}
			if oo.SkipIfBlank != nil {
				out.SkipIfBlank = oo.SkipIfBlank
			}
			out.Optional = out.Optional || oo.Optional
			outs[j] = out
		}
		f.Outputs = outs
		files[i] = f
	}
	s.Files = files
	return s
}

func indexOf(n int, match func(int) bool) int {
	for i := 0; i < n; i++ {
		if match(i) {
			return i
		}
	}
	return -1
}
