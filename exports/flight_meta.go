package exports

import (
	"context"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

// What a SQL client's browser shows: the canonical tables in main, the
// reports in reports. DuckDB's catalog is left unnamed, so a client that
// qualifies names uses schema.table.
const mainSchema = "main"

// catalogTable is one table a client can list.
type catalogTable struct {
	schema, name, kind string
	key                []string
}

func catalogTables() []catalogTable {
	var out []catalogTable
	for _, t := range lake.Tables {
		out = append(out, catalogTable{schema: mainSchema, name: t.Name, kind: "TABLE", key: t.Key})
	}
	for _, spec := range reports.Catalog() {
		out = append(out, catalogTable{schema: ReportsSchema, name: reportTable(spec.Name), kind: "VIEW"})
	}
	return out
}

// maxPatternLength bounds a Flight SQL filter pattern: no table or schema
// name comes near it, and a longer one is refused rather than matched.
const maxPatternLength = 256

// likePattern matches a Flight SQL filter pattern: SQL LIKE, % for any run
// of characters and _ for one. An absent or empty pattern matches all. The
// pattern is matched as it is, never compiled into a regular expression: a
// caller's text must not decide how much work or memory a match takes.
func likePattern(p *string) (func(string) bool, error) {
	if p == nil || *p == "" {
		return func(string) bool { return true }, nil
	}
	if n := len([]rune(*p)); n > maxPatternLength {
		return nil, status.Errorf(codes.InvalidArgument, "a filter pattern of %d characters: at most %d", n, maxPatternLength)
	}
	pattern := []rune(*p)
	return func(s string) bool { return likeMatch(pattern, []rune(s)) }, nil
}

// likeMatch is LIKE's matching with one step back to the last %: linear
// in the pattern times the name, however many % the pattern holds.
func likeMatch(pattern, s []rune) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '_' || pattern[pi] == s[si]) && pattern[pi] != '%':
			pi++
			si++
		case pi < len(pattern) && pattern[pi] == '%':
			star, mark = pi, si
			pi++
		case star >= 0:
			// The last % takes one more character.
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '%' {
		pi++
	}
	return pi == len(pattern)
}

// catalogWanted: there is no named catalog, so a filter naming one
// matches nothing.
func catalogWanted(c *string) bool { return c == nil || *c == "" }

// oneBatch streams a single record built by fill.
func (f *Flight) oneBatch(schema *arrow.Schema, fill func(b *array.RecordBuilder) error) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(f.mem, schema)
	defer b.Release()
	if err := fill(b); err != nil {
		return nil, nil, grpcError(err)
	}
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: b.NewRecordBatch()}
	close(ch)
	return schema, ch, nil
}

func appendOptional(b array.Builder, s string) {
	if s == "" {
		b.AppendNull()
		return
	}
	b.(*array.StringBuilder).Append(s)
}

// GetFlightInfoCatalogs lists catalogs: none are named.
func (f *Flight) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.infoFor(desc, desc.Cmd, schema_ref.Catalogs), nil
}

// DoGetCatalogs sends the empty list of catalogs.
func (f *Flight) DoGetCatalogs(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.oneBatch(schema_ref.Catalogs, func(*array.RecordBuilder) error { return nil })
}

// GetFlightInfoSchemas lists the schemas.
func (f *Flight) GetFlightInfoSchemas(_ context.Context, _ flightsql.GetDBSchemas, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.infoFor(desc, desc.Cmd, schema_ref.DBSchemas), nil
}

// DoGetDBSchemas sends main and reports, as the filter allows.
func (f *Flight) DoGetDBSchemas(_ context.Context, cmd flightsql.GetDBSchemas) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	match, err := likePattern(cmd.GetDBSchemaFilterPattern())
	if err != nil {
		return nil, nil, err
	}
	return f.oneBatch(schema_ref.DBSchemas, func(b *array.RecordBuilder) error {
		if !catalogWanted(cmd.GetCatalog()) {
			return nil
		}
		for _, s := range []string{mainSchema, ReportsSchema} {
			if match(s) {
				b.Field(0).AppendNull()
				b.Field(1).(*array.StringBuilder).Append(s)
			}
		}
		return nil
	})
}

// GetFlightInfoTables lists the tables.
func (f *Flight) GetFlightInfoTables(_ context.Context, cmd flightsql.GetTables, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	schema := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		schema = schema_ref.TablesWithIncludedSchema
	}
	return f.infoFor(desc, desc.Cmd, schema), nil
}

// DoGetTables sends the canonical tables (TABLE) and the report tables
// (VIEW) that pass the filters, with their Arrow schemas when asked.
func (f *Flight) DoGetTables(ctx context.Context, cmd flightsql.GetTables) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	schema := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		schema = schema_ref.TablesWithIncludedSchema
	}
	matchSchema, err := likePattern(cmd.GetDBSchemaFilterPattern())
	if err != nil {
		return nil, nil, err
	}
	matchName, err := likePattern(cmd.GetTableNameFilterPattern())
	if err != nil {
		return nil, nil, err
	}
	kinds := cmd.GetTableTypes()
	return f.oneBatch(schema, func(b *array.RecordBuilder) error {
		if !catalogWanted(cmd.GetCatalog()) {
			return nil
		}
		for _, t := range catalogTables() {
			if !matchSchema(t.schema) || !matchName(t.name) || (len(kinds) > 0 && !slices.Contains(kinds, t.kind)) {
				continue
			}
			b.Field(0).AppendNull()
			b.Field(1).(*array.StringBuilder).Append(t.schema)
			b.Field(2).(*array.StringBuilder).Append(t.name)
			b.Field(3).(*array.StringBuilder).Append(t.kind)
			if cmd.GetIncludeSchema() {
				cols, _, err := f.describe(ctx, "SELECT * FROM "+lake.Ident(t.schema)+"."+lake.Ident(t.name))
				if err != nil {
					return err
				}
				b.Field(4).(*array.BinaryBuilder).Append(flight.SerializeSchema(cols, f.mem))
			}
		}
		return nil
	})
}

// GetFlightInfoTableTypes lists the table types.
func (f *Flight) GetFlightInfoTableTypes(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.infoFor(desc, desc.Cmd, schema_ref.TableTypes), nil
}

// DoGetTableTypes sends TABLE and VIEW.
func (f *Flight) DoGetTableTypes(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.oneBatch(schema_ref.TableTypes, func(b *array.RecordBuilder) error {
		b.Field(0).(*array.StringBuilder).AppendValues([]string{"TABLE", "VIEW"}, nil)
		return nil
	})
}

// GetFlightInfoPrimaryKeys lists a table's key.
func (f *Flight) GetFlightInfoPrimaryKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.infoFor(desc, desc.Cmd, schema_ref.PrimaryKeys), nil
}

// DoGetPrimaryKeys sends a canonical table's key columns: the columns that
// identify a row, which a re-ingest replaces.
func (f *Flight) DoGetPrimaryKeys(_ context.Context, ref flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.oneBatch(schema_ref.PrimaryKeys, func(b *array.RecordBuilder) error {
		if !catalogWanted(ref.Catalog) {
			return nil
		}
		for _, t := range catalogTables() {
			if t.name != ref.Table || (ref.DBSchema != nil && *ref.DBSchema != t.schema) {
				continue
			}
			for i, col := range t.key {
				b.Field(0).AppendNull()
				b.Field(1).(*array.StringBuilder).Append(t.schema)
				b.Field(2).(*array.StringBuilder).Append(t.name)
				b.Field(3).(*array.StringBuilder).Append(col)
				b.Field(4).(*array.Int32Builder).Append(int32(i + 1))
				appendOptional(b.Field(5), t.name+"_pkey")
			}
		}
		return nil
	})
}
