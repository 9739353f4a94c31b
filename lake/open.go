package lake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/duckdb/duckdb-go/v2"
)

// Lake is a read-only view of one committed state of the lake: an in-memory
// DuckDB with one view per canonical table over the manifest's files.
type Lake struct {
	Dir      string
	Manifest Manifest
	DB       *sql.DB

	memoMu sync.Mutex
	memo   map[string]any
}

// Open reads the manifest and opens DuckDB with one view per canonical table.
// The views list the manifest's files explicitly, so files written by a later
// or a crashed ingest are never seen.
func Open(ctx context.Context, dir string) (*Lake, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	db, err := openDuckDB("")
	if err != nil {
		return nil, err
	}
	// Absolute, so that LockDown can name the same files DuckDB reads.
	abs, err := filepath.Abs(dir)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open lake %s: %w", dir, err)
	}
	root := filepath.Join(abs, m.Root)
	for _, t := range Tables {
		sel, err := tableSelect(ctx, db, t, root, m.Tables[t.Name])
		if err == nil {
			_, err = db.ExecContext(ctx, "CREATE VIEW "+Ident(t.Name)+" AS "+sel)
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open lake %s: view %s: %w", dir, t.Name, err)
		}
	}
	err = createKeptMacros(ctx, db)
	if err == nil {
		err = createKeptViews(ctx, db, root, m)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open lake %s: %w", dir, err)
	}
	return &Lake{Dir: dir, Manifest: m, DB: db}, nil
}

// Memo returns what fn computed for key on this lake, calling fn only the
// first time. A Lake is one committed state that never changes, so setup
// done on its DuckDB and values derived from its data alone hold for its
// whole life. An error is returned and not remembered.
func (l *Lake) Memo(key string, fn func() (any, error)) (any, error) {
	l.memoMu.Lock()
	defer l.memoMu.Unlock()
	if v, ok := l.memo[key]; ok {
		return v, nil
	}
	v, err := fn()
	if err != nil {
		return nil, err
	}
	if l.memo == nil {
		l.memo = map[string]any{}
	}
	l.memo[key] = v
	return v, nil
}

// LockDown leaves the lake's DuckDB able to reach the manifest's files and
// nothing else on disk: no other file, directory, extension or database can
// be read, written, installed or attached, and DuckDB will not allow that
// to be undone while the database runs. Whatever runs on it later, even a
// statement that slipped past a caller's own checks, cannot reach outside
// this state of the lake. DuckDB's allowance does not tell reading from
// writing, so keeping statements from writing the manifest's own files
// stays the caller's part. Views, macros and in-memory tables can still be
// created by whoever holds the lake, which is how callers add their own.
func (l *Lake) LockDown(ctx context.Context) error {
	root, err := filepath.Abs(filepath.Join(l.Dir, l.Manifest.Root))
	if err != nil {
		return err
	}
	var paths []string
	for _, t := range Tables {
		for _, f := range l.Manifest.Tables[t.Name].Files {
			paths = append(paths, Literal(filepath.Join(root, f.Path)))
		}
	}
	if l.Manifest.HasKept() {
		for _, k := range Kept {
			for _, f := range l.Manifest.Kept[k.Name].Files {
				paths = append(paths, Literal(filepath.Join(root, f.Path)))
			}
		}
	}
	for _, stmt := range []string{
		"SET allowed_paths = [" + strings.Join(paths, ", ") + "]",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		// DuckDB refuses to turn external access back on, or to widen
		// allowed_paths, while the database runs. (lock_configuration
		// would also stop each new pooled connection from setting its
		// time zone.)
		"SET enable_external_access = false",
	} {
		if _, err := l.DB.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("lock down lake %s: %w", l.Dir, err)
		}
	}
	return nil
}

// Close releases DuckDB.
func (l *Lake) Close() error { return l.DB.Close() }

// openDuckDB opens DuckDB at path ("" for in-memory) with every connection set
// to UTC, so timestamps print and truncate the same on every machine.
func openDuckDB(path string) (*sql.DB, error) {
	connector, err := duckdb.NewConnector(path, func(execer driver.ExecerContext) error {
		_, err := execer.ExecContext(context.Background(), "SET TimeZone = 'UTC'", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	return sql.OpenDB(connector), nil
}

// tableSelect reads a table's files, or is a typed empty relation.
//
// A lake written before a column was added has files without it: the
// column reads as NULL from those files (union_by_name), or as a typed NULL
// when no file has it yet. Finding out reads each file's footer once per
// open, which costs milliseconds; a lake whose files all have every column
// gets the plain scan.
func tableSelect(ctx context.Context, q queryer, t Table, root string, tf TableFiles) (string, error) {
	if len(tf.Files) == 0 {
		return t.emptySelect(), nil
	}
	paths := make([]string, len(tf.Files))
	for i, f := range tf.Files {
		paths[i] = Literal(filepath.Join(root, f.Path))
	}
	list := "[" + strings.Join(paths, ", ") + "]"
	rows, err := q.QueryContext(ctx, "SELECT name, count(DISTINCT file_name) FROM parquet_schema("+list+") GROUP BY name")
	if err != nil {
		return "", fmt.Errorf("read %s file schemas: %w", t.Name, err)
	}
	inFiles := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return "", fmt.Errorf("read %s file schemas: %w", t.Name, err)
		}
		inFiles[name] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("read %s file schemas: %w", t.Name, err)
	}
	cols := make([]string, len(t.Columns))
	mixed := false
	for i, c := range t.Columns {
		switch n := inFiles[c.Name]; {
		case n == 0:
			cols[i] = fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type, Ident(c.Name))
		case n < len(tf.Files):
			mixed = true
			fallthrough
		default:
			cols[i] = Ident(c.Name)
		}
	}
	// hive_partitioning is off: the month= directories are for other engines;
	// the files hold every column, typed.
	opts := "hive_partitioning = false"
	if mixed {
		opts += ", union_by_name = true"
	}
	return fmt.Sprintf("SELECT %s FROM read_parquet(%s, %s)", strings.Join(cols, ", "), list, opts), nil
}

// execer is a *sql.DB or a *sql.Conn.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// queryer is a *sql.DB or a *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Literal quotes a string (a file path) as a SQL literal for the statements
// where DuckDB takes no bound parameter: DDL, COPY and SET.
func Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

var timeZones struct {
	once  sync.Once
	names map[string]bool
	err   error
}

// KnownTimeZone says whether DuckDB knows the time zone name. Go's list
// is not DuckDB's: Go takes "Local" and "posixrules", which DuckDB refuses
// in the middle of a query, so reports check names against DuckDB's own
// list (read once, from an empty in-memory database).
func KnownTimeZone(name string) (bool, error) {
	timeZones.once.Do(func() {
		db, err := openDuckDB("")
		if err != nil {
			timeZones.err = err
			return
		}
		defer db.Close()
		rows, err := db.Query("SELECT name FROM pg_timezone_names()")
		if err != nil {
			timeZones.err = fmt.Errorf("time zones: %w", err)
			return
		}
		defer rows.Close()
		names := map[string]bool{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				timeZones.err = fmt.Errorf("time zones: %w", err)
				return
			}
			names[n] = true
		}
		timeZones.names, timeZones.err = names, rows.Err()
	})
	return timeZones.names[name], timeZones.err
}
