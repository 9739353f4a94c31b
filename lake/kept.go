package lake

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// keptSQL defines the macros behind the kept tables; see its header.
//
//go:embed sql/kept.sql
var keptSQL string

// KeptVersion is bumped whenever a kept table's definition changes: a lake
// whose manifest records another version has stale kept tables, which its
// readers then compute afresh (as a lake written before kept tables
// existed) until `handoff ingest --rebuild` writes them again.
const KeptVersion = 2

// KeptTable is a per-lead table the lake builds at commit from the
// canonical tables: what every report used to work out on every run.
type KeptTable struct {
	Name string
	// Order makes the same content give the same bytes.
	Order []string
}

// Kept lists the kept tables. Each is its macro in sql/kept.sql as of
// infinity, stored under kept/<name>/ in the version root; readers see it as
// the view kept_<name>.
var Kept = []KeptTable{
	{Name: "lead_firsts", Order: []string{"lead_id"}},
	{Name: "assignment_windows", Order: []string{"lead_id", "assigned_at"}},
	{Name: "mql_stops", Order: []string{"lead_id"}},
}

// KeptView is the name readers query a kept table by.
func KeptView(name string) string { return "kept_" + name }

// KeptFromScratch is the query that computes a kept table from the
// canonical tables: what the stored one must equal.
func KeptFromScratch(k KeptTable) string {
	args := "'infinity'::TIMESTAMPTZ"
	if k.Name == "lead_firsts" {
		args += ", false"
	}
	return "SELECT * FROM " + Ident(k.Name) + "(" + args + ")"
}

// createKeptMacros makes the macros of sql/kept.sql on q's database.
func createKeptMacros(ctx context.Context, q execer) error {
	if _, err := q.ExecContext(ctx, keptSQL); err != nil {
		return fmt.Errorf("create the kept tables' macros: %w", err)
	}
	return nil
}

// createKeptViews makes the kept_* views: over the manifest's files when
// it holds kept tables of this definition, else computed from the canonical
// views on every query (a lake written before kept tables existed, or by
// a handoff whose definitions differ, still reads right, only slower).
func createKeptViews(ctx context.Context, q interface {
	execer
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, root string, m Manifest) error {
	for _, k := range Kept {
		sel := KeptFromScratch(k)
		if tf, ok := m.Kept[k.Name]; ok && m.KeptVersion == KeptVersion && len(tf.Files) > 0 {
			paths := make([]string, len(tf.Files))
			for i, f := range tf.Files {
				paths[i] = Literal(filepath.Join(root, f.Path))
			}
			sel = "SELECT * FROM read_parquet([" + strings.Join(paths, ", ") + "])"
		}
		if _, err := q.ExecContext(ctx, "CREATE OR REPLACE VIEW "+Ident(KeptView(k.Name))+" AS "+sel); err != nil {
			return fmt.Errorf("view %s: %w", KeptView(k.Name), err)
		}
	}
	// kept_whole_from(): the instant from which the kept lead_firsts holds
	// for every lead (its latest stage change), as a constant, so that a
	// query as of then or later plans away the parts that work out the
	// leads it does not hold for, rather than reading events to find none.
	var settled sql.NullString
	if err := q.QueryRowContext(ctx, "SELECT CAST(max(current_since) AS VARCHAR) FROM "+Ident(KeptView("lead_firsts"))).Scan(&settled); err != nil {
		return fmt.Errorf("latest stage change: %w", err)
	}
	from := "'-infinity'::TIMESTAMPTZ"
	if settled.Valid {
		from = Literal(settled.String) + "::TIMESTAMPTZ"
	}
	if _, err := q.ExecContext(ctx, "CREATE OR REPLACE MACRO kept_whole_from() AS "+from); err != nil {
		return fmt.Errorf("kept_whole_from: %w", err)
	}
	return nil
}

// HasKept says whether m's kept tables are current: stored, and of this
// handoff's definitions.
func (m Manifest) HasKept() bool {
	return m.KeptVersion == KeptVersion && len(m.Kept) == len(Kept)
}

// buildKept computes every kept table over the version being built (build,
// whose canonical files next lists) and writes it beside them, under
// kept/<name>/. It runs before the version is published, so a crash leaves
// no partial file where a reader looks.
//
// Every kept row is one lead's, worked out from that lead's events and the
// users table alone. So when the lake has kept tables of these
// definitions and the users did not change, only the leads the commit
// touched are worked out again; the other rows are carried over.
func (tx *Tx) buildKept(ctx context.Context, next *Manifest, build string) error {
	incremental := tx.prev.HasKept() && !tx.rebuildKept && sameFiles(tx.prev.Tables["users"].Files, next.Tables["users"].Files)
	if incremental {
		if err := tx.stageTouchedLeads(ctx); err != nil {
			return err
		}
	}
	for _, t := range Tables {
		sel, err := tableSelect(ctx, tx.conn, t, build, next.Tables[t.Name])
		if _, perLead := t.Column("lead_id"); err == nil && incremental && perLead {
			sel = "SELECT * FROM (" + sel + ") WHERE lead_id IN (SELECT lead_id FROM _touched_leads)"
		}
		if err == nil {
			_, err = tx.conn.ExecContext(ctx, "CREATE OR REPLACE TEMP VIEW "+Ident(t.Name)+" AS "+sel)
		}
		if err != nil {
			return fmt.Errorf("kept tables: view %s: %w", t.Name, err)
		}
	}
	if err := createKeptMacros(ctx, tx.conn); err != nil {
		return err
	}
	next.Kept = map[string]TableFiles{}
	next.KeptVersion = KeptVersion
	for _, k := range Kept {
		rel := filepath.Join("kept", k.Name, "data.parquet")
		tmp := filepath.Join(tx.staging, "kept-"+k.Name+".parquet")
		order := make([]string, len(k.Order))
		for i, c := range k.Order {
			order[i] = Ident(c)
		}
		rows := KeptFromScratch(k)
		if incremental {
			var old []string
			for _, f := range tx.prev.Kept[k.Name].Files {
				old = append(old, Literal(filepath.Join(tx.dir, tx.prev.Root, f.Path)))
			}
			rows += " UNION ALL SELECT * FROM read_parquet([" + strings.Join(old, ", ") + "]) WHERE lead_id NOT IN (SELECT lead_id FROM _touched_leads)"
		}
		// As the canonical tables: computed in parallel, written on one
		// thread, so the same content gives the same bytes.
		temp := "_kept_" + k.Name
		if _, err := tx.conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+Ident(temp)+" AS SELECT * FROM ("+rows+") ORDER BY "+strings.Join(order, ", ")); err != nil {
			return fmt.Errorf("build kept table %s: %w", k.Name, err)
		}
		if err := tx.writeSerial(ctx, "COPY "+Ident(temp)+" TO "+Literal(tmp)+" (FORMAT parquet, COMPRESSION zstd)"); err != nil {
			return fmt.Errorf("write kept table %s: %w", k.Name, err)
		}
		if _, err := tx.conn.ExecContext(ctx, "DROP TABLE "+Ident(temp)); err != nil {
			return fmt.Errorf("build kept table %s: %w", k.Name, err)
		}
		sum, size, err := HashFile(tmp)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.conn.QueryRowContext(ctx, "SELECT num_rows FROM parquet_file_metadata(?)", tmp).Scan(&n); err != nil {
			return fmt.Errorf("read row count of %s: %w", tmp, err)
		}
		dst := filepath.Join(build, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("build kept table %s: %w", k.Name, err)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("build kept table %s: %w", k.Name, err)
		}
		run := tx.runID
		if prev := tx.prev.Kept[k.Name].Files; len(prev) == 1 && prev[0].SHA256 == sum {
			run = prev[0].Run
		}
		next.Kept[k.Name] = TableFiles{Rows: n, Files: []File{{Path: rel, Rows: n, SHA256: sum, Bytes: size, Run: run}}}
	}
	return nil
}

// stageTouchedLeads collects in _touched_leads every lead a row of this
// commit belongs to, or belonged to before the commit replaced it (an
// activity re-exported under another lead changes both leads).
func (tx *Tx) stageTouchedLeads(ctx context.Context) error {
	var parts []string
	for _, t := range Tables {
		if _, ok := t.Column("lead_id"); !ok {
			continue
		}
		parts = append(parts, "SELECT lead_id FROM "+Ident(Incoming(t.Name)))
		if !slices.Contains(t.Key, "lead_id") {
			keys := make([]string, len(t.Key))
			for i, k := range t.Key {
				keys[i] = Ident(k)
			}
			parts = append(parts, "SELECT lead_id FROM "+Ident(currentName(t.Name))+" WHERE ("+strings.Join(keys, ", ")+
				") IN (SELECT ("+strings.Join(keys, ", ")+") FROM "+Ident(Incoming(t.Name))+")")
		}
	}
	q := "CREATE OR REPLACE TEMP TABLE _touched_leads AS SELECT DISTINCT lead_id FROM (" + strings.Join(parts, " UNION ALL ") + ") WHERE lead_id IS NOT NULL"
	if _, err := tx.conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("kept tables: the leads this commit touches: %w", err)
	}
	return nil
}

// writeSerial runs a COPY on one thread: with two, DuckDB's writer may
// append chunks in whichever order its threads finish.
func (tx *Tx) writeSerial(ctx context.Context, copySQL string) error {
	if _, err := tx.conn.ExecContext(ctx, "SET threads = 1"); err != nil {
		return err
	}
	_, err := tx.conn.ExecContext(ctx, copySQL)
	if _, resetErr := tx.conn.ExecContext(ctx, "RESET threads"); err == nil && resetErr != nil {
		err = resetErr
	}
	return err
}
