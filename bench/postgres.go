package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/handoff-dev/handoff/lake"
)

// DefaultPostgresBin is where Debian's postgresql-15 package puts the
// server programs.
const DefaultPostgresBin = "/usr/lib/postgresql/15/bin"

// pgTables are the lake tables the PostgreSQL side loads: the ones the
// compared metrics read (bench/sql/pg_schema.sql).
var pgTables = []string{"users", "leads", "stage_changes", "assignments", "activities"}

// pgSettings are the server settings of the baseline: memory sized for a
// 24 GiB, 2-core machine the way a team tuning its warehouse would, and
// durability off because it only slows the load, not the queries.
var pgSettings = []string{
	"listen_addresses = '127.0.0.1'",
	"unix_socket_directories = ''",
	"shared_buffers = '4GB'",
	"work_mem = '1GB'",
	"maintenance_work_mem = '2GB'",
	"effective_cache_size = '16GB'",
	"max_parallel_workers_per_gather = 2",
	"timezone = 'UTC'",
	"fsync = off",
	"synchronous_commit = off",
	"full_page_writes = off",
	"wal_level = minimal",
	"max_wal_senders = 0",
	"max_wal_size = '8GB'",
}

// Postgres is a throwaway PostgreSQL server on 127.0.0.1, its data
// directory under the benchmark's working directory.
type Postgres struct {
	bin, dir, data string
	port           int
	runAs          string // "" to run the server programs as ourselves
	conn           *pgx.Conn
	Version        string
}

// StartPostgres initialises a new cluster in a directory of its own under
// the system's temporary directory and starts it on a free port of
// 127.0.0.1. PostgreSQL refuses to run as root, so as root the server runs
// as the postgres user that Debian's package creates, which must be able to
// reach its directory (hence not under a caller's private directory).
func StartPostgres(ctx context.Context, bin string) (*Postgres, error) {
	if _, err := os.Stat(filepath.Join(bin, "postgres")); err != nil {
		return nil, fmt.Errorf("postgres: no server programs in %s (Debian: apt-get install postgresql): %w", bin, err)
	}
	dir, err := os.MkdirTemp("", "handoff-bench-pg-")
	if err != nil {
		return nil, err
	}
	pg := &Postgres{bin: bin, dir: dir, data: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		pg.runAs = "postgres"
		u, err := user.Lookup(pg.runAs)
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("postgres: running as root needs a %q user to run the server as: %w", pg.runAs, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if out, err := pg.command(ctx, "initdb", "-D", pg.data, "-U", "bench", "--auth=trust", "-E", "UTF8", "--locale=C").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("postgres initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	pg.port = port
	conf := strings.Join(append([]string{"port = " + strconv.Itoa(port)}, pgSettings...), "\n") + "\n"
	if err := appendFile(filepath.Join(pg.data, "postgresql.conf"), conf); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := pg.ctl(ctx, "start", "-w", "-t", "120", "-l", filepath.Join(pg.dir, "server.log")); err != nil {
		pg.Stop()
		return nil, err
	}
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://bench@127.0.0.1:%d/postgres?sslmode=disable", port))
	if err != nil {
		pg.Stop()
		return nil, fmt.Errorf("postgres connect: %w", err)
	}
	pg.conn = conn
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&pg.Version); err != nil {
		pg.Stop()
		return nil, fmt.Errorf("postgres version: %w", err)
	}
	return pg, nil
}

// Stop shuts the server down and removes its data directory.
func (pg *Postgres) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if pg.conn != nil {
		pg.conn.Close(ctx)
	}
	err := pg.ctl(ctx, "stop", "-m", "fast", "-w")
	if rmErr := os.RemoveAll(pg.dir); err == nil {
		err = rmErr
	}
	return err
}

func (pg *Postgres) ctl(ctx context.Context, action string, flags ...string) error {
	argv := append([]string{action, "-D", pg.data}, flags...)
	if out, err := pg.command(ctx, "pg_ctl", argv...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "server.log"))
		return fmt.Errorf("pg_ctl %s: %w\n%s%s", action, err, out, log)
	}
	return nil
}

// command runs one of the server programs, as the postgres user when we
// are root.
func (pg *Postgres) command(ctx context.Context, program string, argv ...string) *exec.Cmd {
	path := filepath.Join(pg.bin, program)
	if pg.runAs == "" {
		return exec.CommandContext(ctx, path, argv...)
	}
	return exec.CommandContext(ctx, "runuser", append([]string{"-u", pg.runAs, "--", path}, argv...)...)
}

// LoadStats describe a load of the lake into PostgreSQL.
type LoadStats struct {
	Rows              int64
	Export, Copy, Idx time.Duration
}

// Load copies the tables the compared metrics read from the lake into
// PostgreSQL: DuckDB writes each as CSV into scratch, COPY FROM STDIN reads
// it, then pg_indexes.sql adds the keys and statistics.
func (pg *Postgres) Load(ctx context.Context, l *lake.Lake, scratch string) (LoadStats, error) {
	var st LoadStats
	if err := pg.execScript(ctx, "pg_schema.sql"); err != nil {
		return st, err
	}
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return st, err
	}
	defer os.RemoveAll(scratch)
	for _, name := range pgTables {
		t, ok := lake.TableNamed(name)
		if !ok {
			return st, fmt.Errorf("postgres load: no lake table %s", name)
		}
		cols := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = lake.Ident(c.Name)
		}
		file := filepath.Join(scratch, name+".csv")
		start := time.Now()
		copyOut := fmt.Sprintf("COPY (SELECT %s FROM %s) TO %s (FORMAT csv, HEADER)",
			strings.Join(cols, ", "), lake.Ident(name), lake.Literal(file))
		if _, err := l.DB.ExecContext(ctx, copyOut); err != nil {
			return st, fmt.Errorf("postgres load: export %s: %w", name, err)
		}
		st.Export += time.Since(start)
		start = time.Now()
		f, err := os.Open(file)
		if err != nil {
			return st, err
		}
		tag, err := pg.conn.PgConn().CopyFrom(ctx, f,
			fmt.Sprintf("COPY %s (%s) FROM STDIN WITH (FORMAT csv, HEADER true)", name, strings.Join(cols, ", ")))
		f.Close()
		os.Remove(file)
		if err != nil {
			return st, fmt.Errorf("postgres load: copy %s: %w", name, err)
		}
		st.Rows += tag.RowsAffected()
		st.Copy += time.Since(start)
	}
	start := time.Now()
	if err := pg.execScript(ctx, "pg_indexes.sql"); err != nil {
		return st, err
	}
	st.Idx = time.Since(start)
	return st, nil
}

// execScript runs the statements of an embedded script one at a time
// (VACUUM cannot run inside the implicit transaction of a multi-statement
// query).
func (pg *Postgres) execScript(ctx context.Context, name string) error {
	text, err := sqlFiles.ReadFile("sql/" + name)
	if err != nil {
		return err
	}
	for _, stmt := range statements(string(text)) {
		if _, err := pg.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("postgres %s: %w\n%s", name, err, stmt)
		}
	}
	return nil
}

// Query runs an embedded query with positional arguments and returns its
// rows, every value as pgx decodes it.
func (pg *Postgres) Query(ctx context.Context, name string, args ...any) ([][]any, error) {
	text, err := sqlFiles.ReadFile("sql/" + name)
	if err != nil {
		return nil, err
	}
	rows, err := pg.conn.Query(ctx, string(text), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres %s: %w", name, err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("postgres %s: %w", name, err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres %s: %w", name, err)
	}
	return out, nil
}

// statements splits a script at the semicolons that end a line, dropping
// comment lines.
func statements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("postgres: find a free port: %w", err)
	}
	defer ln.Close()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("postgres: find a free port: not a TCP address")
	}
	return addr.Port, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
