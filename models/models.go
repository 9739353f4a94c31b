// Package models owns the DuckDB SQL behind every report: one model per
// file under sql/, embedded in the binary, and the code that runs a model
// with bound parameters. base.sql holds the macros the models share.
//
// Go never assembles a model's SQL. Values reach it only as named
// parameters ($as_of, $by, ...); a breakdown dimension is a value too, bound
// and matched by a CASE in SQL, after reports checked it against a fixed
// list.
package models

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:embed sql/*.sql
var files embed.FS

// baseName is the file of shared macros, run before any model.
const baseName = "base"

// ErrUnknownModel is returned for a model name with no .sql file.
var ErrUnknownModel = errors.New("unknown model")

// Model is one embedded SQL model.
type Model struct {
	Name string
	// SQL is the file's text, header comment included.
	SQL string
	// Params are the named parameters the SQL uses, without the $.
	Params []string
}

var (
	loadOnce sync.Once
	byName   map[string]Model
	loadErr  error
)

// paramPattern finds $name parameters. Model SQL has no string literal
// holding a $, so a plain scan is exact.
var paramPattern = regexp.MustCompile(`\$([a-z_][a-z0-9_]*)`)

func load() {
	byName = map[string]Model{}
	entries, err := fs.ReadDir(files, "sql")
	if err != nil {
		loadErr = err
		return
	}
	for _, e := range entries {
		text, err := fs.ReadFile(files, path.Join("sql", e.Name()))
		if err != nil {
			loadErr = err
			return
		}
		name := strings.TrimSuffix(e.Name(), ".sql")
		seen := map[string]bool{}
		var params []string
		for _, m := range paramPattern.FindAllStringSubmatch(stripComments(string(text)), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				params = append(params, m[1])
			}
		}
		sort.Strings(params)
		byName[name] = Model{Name: name, SQL: string(text), Params: params}
	}
}

// stripComments drops -- comments, so a $name in a header is not a
// parameter.
func stripComments(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if j := strings.Index(l, "--"); j >= 0 {
			lines[i] = l[:j]
		}
	}
	return strings.Join(lines, "\n")
}

// Get returns the model called name.
func Get(name string) (Model, error) {
	loadOnce.Do(load)
	if loadErr != nil {
		return Model{}, fmt.Errorf("load models: %w", loadErr)
	}
	m, ok := byName[name]
	if !ok || name == baseName {
		return Model{}, fmt.Errorf("%w %q", ErrUnknownModel, name)
	}
	return m, nil
}

// Names lists the models, base excluded, sorted.
func Names() []string {
	loadOnce.Do(load)
	var names []string
	for n := range byName {
		if n != baseName {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Prepare creates the shared macros of base.sql on db. It is idempotent, so
// every caller may run it on a fresh lake connection.
func Prepare(ctx context.Context, db *sql.DB) error {
	loadOnce.Do(load)
	if loadErr != nil {
		return fmt.Errorf("load models: %w", loadErr)
	}
	base, ok := byName[baseName]
	if !ok {
		return fmt.Errorf("load models: %w %q", ErrUnknownModel, baseName)
	}
	if _, err := db.ExecContext(ctx, base.SQL); err != nil {
		return fmt.Errorf("create base macros: %w", err)
	}
	return nil
}

// Statement is a model with the values for its parameters: the query text
// and its arguments travel together.
type Statement struct {
	Model Model
	Args  map[string]any
}

// Bind pairs the model called name with args. Every parameter the model
// uses must have a value (nil for SQL NULL); arguments the model does not
// use are dropped, since DuckDB refuses unused named parameters.
func Bind(name string, args map[string]any) (Statement, error) {
	m, err := Get(name)
	if err != nil {
		return Statement{}, err
	}
	used := map[string]any{}
	var missing []string
	for _, p := range m.Params {
		v, ok := args[p]
		if !ok {
			missing = append(missing, "$"+p)
			continue
		}
		used[p] = v
	}
	if len(missing) > 0 {
		return Statement{}, fmt.Errorf("model %s: no value for %s", name, strings.Join(missing, ", "))
	}
	return Statement{Model: m, Args: used}, nil
}

// NamedArgs are the statement's arguments as database/sql named values, in
// the order the model's parameters first appear.
func (s Statement) NamedArgs() []any {
	named := make([]any, 0, len(s.Args))
	for _, p := range s.Model.Params {
		named = append(named, sql.Named(p, s.Args[p]))
	}
	return named
}

// Within is the statement as a subquery of an outer one: prefix, its SQL
// (without a closing semicolon), suffix; the arguments stay.
func (s Statement) Within(prefix, suffix string) Statement {
	inner := strings.TrimRight(strings.TrimSpace(s.Model.SQL), ";")
	s.Model.SQL = prefix + "(\n" + inner + "\n)" + suffix
	return s
}

// Query runs the statement on db, which must have been prepared.
func (s Statement) Query(ctx context.Context, db *sql.DB) (*sql.Rows, error) {
	if observe, ok := ctx.Value(observerKey{}).(func(Statement)); ok {
		observe(s)
	}
	rows, err := db.QueryContext(ctx, s.Model.SQL, s.NamedArgs()...)
	if err != nil {
		return nil, fmt.Errorf("run model %s: %w", s.Model.Name, err)
	}
	return rows, nil
}

type observerKey struct{}

// WithObserver returns a context under which every Statement.Query first
// calls observe with the statement it runs. The benchmark uses it to replay
// exactly the SQL and arguments a report ran, straight on DuckDB.
func WithObserver(ctx context.Context, observe func(Statement)) context.Context {
	return context.WithValue(ctx, observerKey{}, observe)
}
