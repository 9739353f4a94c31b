package exports

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ErrReadOnly is the kind of every refusal of the query endpoint: a
// statement that would write, attach, copy, install, set, or read a file.
var ErrReadOnly = errors.New("the query endpoint is read-only")

// refusal says why a statement was refused, as ErrReadOnly.
type refusal struct{ why string }

func (r refusal) Error() string {
	return "handoff's SQL endpoint is read-only: " + r.why
}

func (r refusal) Is(target error) bool { return target == ErrReadOnly }

// allowedTableFunctions are the table functions a query may call: none of
// them reads a file or runs another statement. Every other one (read_csv,
// read_parquet, read_text, glob, query, sniff_csv, parquet_metadata, …) is
// refused by name before DuckDB sees the query.
var allowedTableFunctions = []string{
	"duckdb_columns", "duckdb_constraints", "duckdb_functions", "duckdb_keywords",
	"duckdb_schemas", "duckdb_tables", "duckdb_types",
	"generate_series", "pragma_table_info", "range", "unnest",
}

// deniedRelations are DuckDB's catalog views that show the lake's absolute
// file paths (the text of its views) or the server's configuration; a
// query naming one is refused, in any schema. The table functions behind
// them (duckdb_views(), duckdb_settings(), …) are not in
// allowedTableFunctions.
var deniedRelations = []string{
	"duckdb_views", "duckdb_settings", "duckdb_databases", "duckdb_extensions", "duckdb_memory",
	"duckdb_temporary_files", "duckdb_secrets", "duckdb_variables", "duckdb_dependencies",
	"pg_settings", "pg_views", "pg_database",
	"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema",
	"views",
}

// deniedFunctions are scalar functions that tell about the machine rather
// than the lake (settings hold the lake's file paths).
var deniedFunctions = []string{"current_setting", "getenv", "which_secret", "duckdb_extensions", "current_database"}

// tableRef is a table a query names.
type tableRef struct{ Schema, Name string }

// checkedQuery is a statement that passed checkQuery, with the tables it
// names (views and CTEs included, by name).
type checkedQuery struct {
	Text   string
	Tables []tableRef
}

// checkQuery accepts one read-only statement: a SELECT (FROM, WITH, VALUES,
// DESCRIBE, SHOW and SUMMARIZE are SELECTs to DuckDB's parser) that calls
// no file-reading table function and names no file as a table. Anything
// else is refused as ErrReadOnly with the reason.
//
// DuckDB's own parser does the work: json_serialize_sql only serialises
// SELECT statements, and its tree shows every table and function the query
// names, however deeply nested. Binding and running come later, on a lake
// that LockDown has already closed to the file system, so a statement that
// got past this check still could not reach outside the lake.
func checkQuery(ctx context.Context, db *sql.DB, query string) (checkedQuery, error) {
	if strings.TrimSpace(query) == "" {
		return checkedQuery{}, errors.New("the query is empty")
	}
	var raw string
	if err := db.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", query).Scan(&raw); err != nil {
		return checkedQuery{}, fmt.Errorf("parse query: %w", err)
	}
	var tree struct {
		Error        bool   `json:"error"`
		ErrorType    string `json:"error_type"`
		ErrorMessage string `json:"error_message"`
		Statements   []any  `json:"statements"`
	}
	if err := json.Unmarshal([]byte(raw), &tree); err != nil {
		return checkedQuery{}, fmt.Errorf("parse query: %w", err)
	}
	if tree.Error {
		if tree.ErrorType == "not implemented" {
			return checkedQuery{}, refusal{"only SELECT queries run here (FROM, WITH, DESCRIBE, SHOW and SUMMARIZE too); INSERT, UPDATE, DELETE, CREATE, COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA and EXPLAIN are refused"}
		}
		return checkedQuery{}, fmt.Errorf("%s", tree.ErrorMessage)
	}
	if len(tree.Statements) != 1 {
		return checkedQuery{}, fmt.Errorf("send one statement at a time (got %d)", len(tree.Statements))
	}
	q := checkedQuery{Text: query}
	seen := map[tableRef]bool{}
	var walk func(node any) error
	walk = func(node any) error {
		switch n := node.(type) {
		case []any:
			for _, c := range n {
				if err := walk(c); err != nil {
					return err
				}
			}
		case map[string]any:
			switch n["type"] {
			case "TABLE_FUNCTION":
				fn, _ := n["function"].(map[string]any)
				name, _ := fn["function_name"].(string)
				if !slices.Contains(allowedTableFunctions, strings.ToLower(name)) {
					return refusal{fmt.Sprintf("the table function %s is not allowed: queries read the lake's tables and the reports schema, not files (allowed table functions: %s)", name, strings.Join(allowedTableFunctions, ", "))}
				}
			case "BASE_TABLE":
				name, _ := n["table_name"].(string)
				schema, _ := n["schema_name"].(string)
				if looksLikeFile(name) {
					return refusal{fmt.Sprintf("%q reads a file; queries read the lake's tables and the reports schema", name)}
				}
				if slices.Contains(deniedRelations, strings.ToLower(name)) {
					return refusal{fmt.Sprintf("%s is not readable here: it shows the server's files or settings, not the lake's data", name)}
				}
				ref := tableRef{Schema: strings.ToLower(schema), Name: strings.ToLower(name)}
				if !seen[ref] {
					seen[ref] = true
					q.Tables = append(q.Tables, ref)
				}
			}
			if n["class"] == "FUNCTION" {
				name, _ := n["function_name"].(string)
				if slices.Contains(deniedFunctions, strings.ToLower(name)) {
					return refusal{fmt.Sprintf("the function %s is not allowed", name)}
				}
			}
			keys := make([]string, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if err := walk(n[k]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(tree.Statements); err != nil {
		return checkedQuery{}, err
	}
	return q, nil
}

// looksLikeFile: DuckDB reads a table name with a path or an extension as
// a file (a replacement scan), as in FROM 'leads.csv'.
func looksLikeFile(name string) bool {
	return strings.ContainsAny(name, "./\\:~")
}
