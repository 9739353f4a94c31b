// Package lake owns handoff's Parquet lake: the schemas of the eight
// canonical tables, the on-disk layout (Hive-partitioned by month, one
// directory per committed version), the manifest, atomic writes, and opening
// DuckDB over it. Every other package reads the lake only through Open and
// writes it only through Begin/Commit. It imports no package of ours.
package lake

import (
	"fmt"
	"strings"
)

// SchemaVersion is bumped whenever a canonical table changes shape; the
// manifest records it so an older binary refuses a newer lake.
const SchemaVersion = 1

// Type is a column's logical type, mapped onto DuckDB and Parquet types.
type Type string

// The column types a canonical table may use.
const (
	String    Type = "VARCHAR"
	Timestamp Type = "TIMESTAMPTZ" // always UTC instants; Parquet isAdjustedToUTC=true
	Date      Type = "DATE"
	Int       Type = "BIGINT"
	Float     Type = "DOUBLE"
	Bool      Type = "BOOLEAN"
)

// Column is one column of a canonical table.
type Column struct {
	Name     string
	Type     Type
	Required bool // a row without it is refused at ingest
	Personal bool // dropped at ingest unless keep_personal_data is set
	// Enum, when set, is the fixed list of values the column may hold.
	Enum []string
}

// The fixed vocabularies of METRICS.md.
var (
	Stages          = []string{"lead", "mql", "sql", "opportunity", "customer", "disqualified", "recycled", "nurture"}
	Outcomes        = []string{"accepted", "rejected", "unreachable", "recycled"}
	ActorRoles      = []string{"marketing", "sales", "system"}
	UserRoles       = []string{"sdr", "ae", "marketing", "manager"}
	SalesTouchKinds = []string{"call", "email_sent", "meeting", "sms", "chat"}
)

// Table describes one canonical table.
type Table struct {
	Name    string
	Columns []Column
	// Key is the set of columns that identifies a row. Re-ingesting a row with
	// the same key replaces it.
	Key []string
	// PartitionBy is the time column whose month partitions the table; empty
	// for small tables kept in one file.
	PartitionBy string
	// UpdatedAt, when set, decides which of two rows with the same key wins:
	// the later value, and on a tie or a missing value the later export.
	UpdatedAt string
}

// Tables are the canonical tables of DESIGN.md, in dependency order.
var Tables = []Table{
	{
		Name: "leads", Key: []string{"lead_id"}, PartitionBy: "created_at", UpdatedAt: "updated_at",
		Columns: []Column{
			{Name: "lead_id", Type: String, Required: true},
			{Name: "created_at", Type: Timestamp, Required: true},
			{Name: "email_domain", Type: String},
			{Name: "company", Type: String},
			{Name: "country", Type: String},
			{Name: "region", Type: String},
			{Name: "industry", Type: String},
			// company_size is the head count, or the lower bound of a band
			// ("51-200" → 51); company_size_text keeps the value as the
			// export wrote it when it was not a plain number.
			{Name: "company_size", Type: Int},
			{Name: "company_size_text", Type: String},
			{Name: "title", Type: String},
			{Name: "source", Type: String},
			{Name: "campaign", Type: String},
			{Name: "owner_id", Type: String},
			{Name: "updated_at", Type: Timestamp},
			{Name: "email", Type: String, Personal: true},
			{Name: "name", Type: String, Personal: true},
			{Name: "phone", Type: String, Personal: true},
		},
	},
	{
		Name: "stage_changes", Key: []string{"lead_id", "stage", "changed_at"}, PartitionBy: "changed_at",
		Columns: []Column{
			{Name: "lead_id", Type: String, Required: true},
			{Name: "stage", Type: String, Required: true, Enum: Stages},
			{Name: "changed_at", Type: Timestamp, Required: true},
			{Name: "actor_id", Type: String},
		},
	},
	{
		Name: "activities", Key: []string{"activity_id"}, PartitionBy: "occurred_at",
		Columns: []Column{
			{Name: "activity_id", Type: String, Required: true},
			{Name: "lead_id", Type: String, Required: true},
			{Name: "occurred_at", Type: Timestamp, Required: true},
			{Name: "kind", Type: String, Required: true},
			{Name: "actor_id", Type: String},
			{Name: "actor_role", Type: String, Enum: ActorRoles},
			{Name: "channel", Type: String},
			{Name: "detail", Type: String},
		},
	},
	{
		Name: "assignments", Key: []string{"lead_id", "assigned_at"}, PartitionBy: "assigned_at",
		Columns: []Column{
			{Name: "lead_id", Type: String, Required: true},
			{Name: "owner_id", Type: String, Required: true},
			{Name: "assigned_at", Type: Timestamp, Required: true},
			{Name: "rule", Type: String},
			{Name: "reason", Type: String},
		},
	},
	{
		Name: "dispositions", Key: []string{"lead_id", "decided_at"}, PartitionBy: "decided_at",
		Columns: []Column{
			{Name: "lead_id", Type: String, Required: true},
			{Name: "owner_id", Type: String},
			{Name: "decided_at", Type: Timestamp, Required: true},
			{Name: "outcome", Type: String, Required: true, Enum: Outcomes},
			{Name: "reason", Type: String},
		},
	},
	{
		Name: "opportunities", Key: []string{"opportunity_id"}, PartitionBy: "created_at",
		Columns: []Column{
			{Name: "opportunity_id", Type: String, Required: true},
			{Name: "lead_id", Type: String},
			{Name: "created_at", Type: Timestamp, Required: true},
			{Name: "closed_at", Type: Timestamp},
			{Name: "stage", Type: String},
			{Name: "amount", Type: Float},
			{Name: "currency", Type: String},
			{Name: "won", Type: Bool},
		},
	},
	{
		Name: "users", Key: []string{"user_id"},
		Columns: []Column{
			{Name: "user_id", Type: String, Required: true},
			{Name: "name", Type: String},
			{Name: "team", Type: String},
			{Name: "role", Type: String, Enum: UserRoles},
			{Name: "region", Type: String},
			{Name: "timezone", Type: String},
			{Name: "working_hours", Type: String},
			{Name: "capacity", Type: Int},
			{Name: "active", Type: Bool},
		},
	},
	{
		// Small, and its own month column would clash with a Hive month=
		// directory for engines that read the tree: one file.
		Name: "spend", Key: []string{"month", "source", "campaign"},
		Columns: []Column{
			{Name: "month", Type: Date, Required: true},
			{Name: "source", Type: String, Required: true},
			{Name: "campaign", Type: String},
			{Name: "amount", Type: Float, Required: true},
			{Name: "currency", Type: String},
		},
	},
}

// TableNamed returns the canonical table with that name.
func TableNamed(name string) (Table, bool) {
	for _, t := range Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// TableNames lists the canonical table names in order.
func TableNames() []string {
	names := make([]string, len(Tables))
	for i, t := range Tables {
		names[i] = t.Name
	}
	return names
}

// Column returns the column with that name.
func (t Table) Column(name string) (Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// ColumnNames lists the table's column names in order.
func (t Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Ident quotes a name for SQL. Only names from the fixed schema (or checked
// against a fixed list by the caller) reach it; it still escapes quotes so a
// mistake cannot become an injection.
func Ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// createTableSQL is the DDL for a table of this shape under another name, with
// extra columns appended (used for staging tables).
func (t Table) createTableSQL(name string, extra ...Column) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", Ident(name))
	for i, c := range append(append([]Column{}, t.Columns...), extra...) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", Ident(c.Name), c.Type)
	}
	b.WriteString(")")
	return b.String()
}

// selectList is the quoted, comma-separated column list.
func (t Table) selectList() string {
	quoted := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		quoted[i] = Ident(c.Name)
	}
	return strings.Join(quoted, ", ")
}

// emptySelect is a typed zero-row SELECT with the table's columns, for a view
// over a table that has no files yet.
func (t Table) emptySelect() string {
	parts := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type, Ident(c.Name))
	}
	return "SELECT " + strings.Join(parts, ", ") + " WHERE false"
}
