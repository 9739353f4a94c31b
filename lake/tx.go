package lake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

// ErrBusy is returned when another process is writing the lake.
var ErrBusy = errors.New("another handoff process is writing this lake; wait for it to finish")

const (
	stagingDir    = ".staging"
	versionsDir   = "versions"
	quarantineDir = "quarantine"
	currentLink   = "current"
	lockFile      = ".lock"
)

// Tx is one write to the lake. Rows are appended to the staging tables named
// by Incoming; Commit merges them into the lake by key and swaps the manifest.
// Until Commit returns, the lake on disk is exactly as it was.
type Tx struct {
	dir     string
	runID   string
	started time.Time
	staging string
	prev    Manifest
	lock    *os.File
	db      *sql.DB
	conn    *sql.Conn
	done    bool
	// keepIfUnchanged: see KeepIfUnchanged.
	keepIfUnchanged bool
	// rebuildKept: see RebuildKept.
	rebuildKept bool
	// created: Begin made the lake's folder; committed: a commit wrote
	// into it.
	created, committed bool
}

// NewRunID names an ingest run: sortable by time, unique by a random suffix.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Begin starts a write. It takes the lake's lock, clears what a crashed
// write left behind, and opens a DuckDB work database in the staging
// directory (so large merges spill to disk beside the lake).
func Begin(ctx context.Context, dir, runID string) (*Tx, error) {
	_, statErr := os.Stat(dir)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create lake %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock lake %s: %w", dir, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("lake %s: %w", dir, ErrBusy)
	}
	tx := &Tx{dir: dir, runID: runID, started: time.Now().UTC(), lock: lock, created: created}
	if err := tx.begin(ctx); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

func (tx *Tx) begin(ctx context.Context) error {
	prev, err := ReadManifest(tx.dir)
	switch {
	case errors.Is(err, ErrNoLake):
		prev = emptyManifest()
	case err != nil:
		return err
	}
	tx.prev = prev
	if err := collectGarbage(tx.dir, prev); err != nil {
		return err
	}
	tx.staging = filepath.Join(tx.dir, stagingDir, tx.runID)
	if err := os.MkdirAll(filepath.Join(tx.staging, "tmp"), 0o755); err != nil {
		return fmt.Errorf("create staging: %w", err)
	}
	// In memory, spilling to the staging directory past DuckDB's memory
	// limit: a file-backed database would write every staged row twice
	// (WAL and checkpoint) for nothing, since staging never outlives the run.
	tx.db, err = openDuckDB("")
	if err != nil {
		return err
	}
	tx.conn, err = tx.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open staging connection: %w", err)
	}
	if _, err := tx.conn.ExecContext(ctx, "SET temp_directory = "+Literal(filepath.Join(tx.staging, "tmp"))); err != nil {
		return fmt.Errorf("set temp directory: %w", err)
	}
	root := filepath.Join(tx.dir, prev.Root)
	for _, t := range Tables {
		sel, err := tableSelect(ctx, tx.conn, t, root, prev.Tables[t.Name])
		if err == nil {
			_, err = tx.conn.ExecContext(ctx, "CREATE VIEW "+Ident(currentName(t.Name))+" AS "+sel)
		}
		if err != nil {
			return fmt.Errorf("stage current %s: %w", t.Name, err)
		}
		if _, err := tx.conn.ExecContext(ctx, t.createTableSQL(Incoming(t.Name), Column{Name: "_seq", Type: Int})); err != nil {
			return fmt.Errorf("stage incoming %s: %w", t.Name, err)
		}
	}
	return nil
}

// SetMemoryLimit caps the staging database's memory (DuckDB's
// memory_limit, as "4GB" or "512MiB"); past it DuckDB spills to the
// staging directory.
func (tx *Tx) SetMemoryLimit(ctx context.Context, limit string) error {
	if _, err := tx.conn.ExecContext(ctx, "SET memory_limit = "+Literal(limit)); err != nil {
		return fmt.Errorf("memory limit %q: %w", limit, err)
	}
	return nil
}

// KeepIfUnchanged makes Commit write nothing when no table would change:
// no manifest, no generation, no quarantine. For a run whose inputs were
// all ingested before, where a new record would only repeat an old one.
func (tx *Tx) KeepIfUnchanged() { tx.keepIfUnchanged = true }

// RebuildKept has Commit build the kept tables again from the canonical
// ones even when no table changed (`handoff ingest --rebuild`). A lake
// without kept tables of this handoff's definitions gets them at its next
// commit anyway.
func (tx *Tx) RebuildKept() { tx.rebuildKept = true }

// RunID is this write's run.
func (tx *Tx) RunID() string { return tx.runID }

// Previous is the manifest this write started from.
func (tx *Tx) Previous() Manifest { return tx.prev }

// Conn is the staging connection. Rows for table T go into Incoming(T) with
// a _seq column that orders them: among rows with the same key (and the same
// updated_at), the highest _seq wins, and any incoming row beats the lake's.
func (tx *Tx) Conn() *sql.Conn { return tx.conn }

// Incoming is the staging table for a canonical table.
func Incoming(table string) string { return "incoming_" + table }

func currentName(table string) string { return "current_" + table }

// QuarantineDir is where this run's quarantine files are written; Commit
// moves it to quarantine/<run> in the lake.
func (tx *Tx) QuarantineDir() string { return filepath.Join(tx.staging, quarantineDir) }

// QuarantinePath is where a quarantine file written under QuarantineDir ends
// up, relative to the lake.
func (tx *Tx) QuarantinePath(name string) string {
	return filepath.Join(quarantineDir, tx.runID, name)
}

// Rollback abandons the write; the lake stays as it was. Safe after Commit.
func (tx *Tx) Rollback() {
	if tx.done {
		return
	}
	tx.done = true
	if tx.conn != nil {
		tx.conn.Close()
	}
	if tx.db != nil {
		tx.db.Close()
	}
	if tx.staging != "" {
		os.RemoveAll(tx.staging)
	}
	tx.lock.Close() // releases the flock
	// A write that made the lake's folder and committed nothing leaves no
	// folder: a failed first ingest is as if it never ran.
	if tx.created && !tx.committed {
		os.RemoveAll(tx.dir)
		return
	}
	// In a folder that was there but holds no lake yet, the write's own
	// traces go too.
	if _, err := os.Stat(filepath.Join(tx.dir, ManifestFile)); !tx.committed && errors.Is(err, os.ErrNotExist) {
		os.Remove(filepath.Join(tx.dir, stagingDir))
		os.Remove(filepath.Join(tx.dir, lockFile))
	}
}

// Commit merges the staged rows into the lake and swaps the manifest. Tables
// whose content did not change keep their files (same hashes); if no table
// changed, the data root stays and only the run is recorded.
func (tx *Tx) Commit(ctx context.Context, run Run) (Manifest, error) {
	defer tx.Rollback()
	next := Manifest{
		SchemaVersion: SchemaVersion,
		Generation:    tx.prev.Generation + 1,
		Root:          tx.prev.Root,
		Tables:        map[string]TableFiles{},
		Runs:          slices.Clone(tx.prev.Runs),
	}
	staged := map[string]string{} // version-relative path -> staged file
	for _, t := range Tables {
		prevFiles := tx.prev.Tables[t.Name]
		var incoming int64
		if err := tx.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+Ident(Incoming(t.Name))).Scan(&incoming); err != nil {
			return Manifest{}, fmt.Errorf("count staged %s: %w", t.Name, err)
		}
		if incoming == 0 {
			next.Tables[t.Name] = prevFiles
			continue
		}
		files, err := tx.mergeTable(ctx, t, staged)
		if err != nil {
			return Manifest{}, err
		}
		known := map[string]string{}
		for _, f := range prevFiles.Files {
			known[f.SHA256] = f.Run
		}
		tf := TableFiles{}
		for i := range files {
			if r, ok := known[files[i].SHA256]; ok {
				files[i].Run = r
			} else {
				files[i].Run = tx.runID
			}
			tf.Rows += files[i].Rows
		}
		tf.Files = files
		next.Tables[t.Name] = tf
		if !sameFiles(prevFiles.Files, files) {
			run.Changed = append(run.Changed, t.Name)
		}
	}
	rebuild := tx.rebuildKept || !tx.prev.HasKept()
	if len(run.Changed) == 0 && tx.keepIfUnchanged && !rebuild {
		return tx.prev, nil
	}
	next.Kept, next.KeptVersion = tx.prev.Kept, tx.prev.KeptVersion
	if len(run.Changed) > 0 || rebuild {
		next.Root = filepath.Join(versionsDir, fmt.Sprintf("%09d", next.Generation))
		if err := tx.buildVersion(ctx, &next, staged); err != nil {
			return Manifest{}, err
		}
	}
	if _, err := os.Stat(tx.QuarantineDir()); err == nil {
		if err := os.MkdirAll(filepath.Join(tx.dir, quarantineDir), 0o700); err != nil {
			return Manifest{}, fmt.Errorf("create quarantine: %w", err)
		}
		// A lake written before the quarantine was kept private.
		if err := os.Chmod(filepath.Join(tx.dir, quarantineDir), 0o700); err != nil {
			return Manifest{}, fmt.Errorf("create quarantine: %w", err)
		}
		if err := os.Rename(tx.QuarantineDir(), filepath.Join(tx.dir, quarantineDir, tx.runID)); err != nil {
			return Manifest{}, fmt.Errorf("move quarantine into lake: %w", err)
		}
	}
	run.ID = tx.runID
	run.StartedAt = tx.started
	run.FinishedAt = time.Now().UTC()
	next.UpdatedAt = run.FinishedAt
	next.Runs = append(next.Runs, run)
	if err := writeManifest(tx.dir, next); err != nil {
		return Manifest{}, err
	}
	tx.committed = true
	// The manifest is the commit point; the link is a convenience for engines
	// that read the Hive tree directly, so a failure here is not a failed run.
	_ = pointCurrent(tx.dir, next.Root)
	return next, nil
}

// mergeTable writes the table's new content (lake ∪ incoming, one row per
// key, newest wins) as Parquet under staging, ordered so that the same
// content always produces the same bytes.
func (tx *Tx) mergeTable(ctx context.Context, t Table, staged map[string]string) ([]File, error) {
	// Only the partitions the incoming rows touch are merged and written;
	// the others keep their files. A row whose key the lake holds in
	// another partition (a lead whose created_at changed) touches that
	// partition too, where it is replaced.
	source, kept, err := tx.touchedPartitions(ctx, t)
	if err != nil {
		return nil, err
	}
	cols := t.selectList()
	keys := make([]string, len(t.Key))
	for i, k := range t.Key {
		keys[i] = Ident(k)
	}
	order := []string{}
	if t.UpdatedAt != "" {
		order = append(order, Ident(t.UpdatedAt)+" DESC NULLS LAST")
	}
	order = append(order, "_src DESC", "_seq DESC")
	partSelect, partOrder, partBy := "", "", ""
	if t.PartitionBy != "" {
		partSelect = ", " + partitionOf(t.PartitionBy) + " AS _part"
		partOrder = "_part, "
		partBy = ", PARTITION_BY (_part)"
	}
	out := filepath.Join(tx.staging, "out", t.Name)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("stage %s: %w", t.Name, err)
	}
	target := out
	if t.PartitionBy == "" {
		target = filepath.Join(out, "data.parquet")
	}
	// The merge and its sort run in parallel into a temporary table; the
	// write then runs on one thread. With two, the partitioned writer appends
	// a month's chunks in whatever order the threads finish, so the same
	// content gave different bytes (and hashes) on a second ingest of 20,000
	// leads. Materialising first keeps the sort parallel.
	merged := fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE _merged AS
	SELECT %[1]s%[2]s FROM (
		SELECT %[1]s, 0 AS _src, CAST(0 AS BIGINT) AS _seq FROM %[3]s
		UNION ALL
		SELECT %[1]s, 1 AS _src, _seq FROM %[4]s
	)
	QUALIFY row_number() OVER (PARTITION BY %[5]s ORDER BY %[6]s) = 1
	ORDER BY %[7]s%[5]s`,
		cols, partSelect, Ident(source), Ident(Incoming(t.Name)),
		strings.Join(keys, ", "), strings.Join(order, ", "), partOrder)
	if _, err := tx.conn.ExecContext(ctx, merged); err != nil {
		return nil, fmt.Errorf("merge %s: %w", t.Name, err)
	}
	err = tx.writeSerial(ctx, fmt.Sprintf("COPY _merged TO %s (FORMAT parquet, COMPRESSION zstd%s)", Literal(target), partBy))
	if err == nil {
		_, err = tx.conn.ExecContext(ctx, "DROP TABLE _merged")
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", t.Name, err)
	}
	var files []File
	err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		sum, size, err := HashFile(path)
		if err != nil {
			return err
		}
		var rows int64
		if err := tx.conn.QueryRowContext(ctx, "SELECT num_rows FROM parquet_file_metadata(?)", path).Scan(&rows); err != nil {
			return fmt.Errorf("read row count of %s: %w", path, err)
		}
		partition := ""
		dir := filepath.Join(t.Name)
		if rel, _ := filepath.Rel(out, filepath.Dir(path)); strings.HasPrefix(rel, "_part=") && len(rel) >= len("_part=2006-01") {
			partition = "month=" + rel[len("_part="):len("_part=2006-01")]
			dir = filepath.Join(t.Name, partition)
		}
		rel := filepath.Join(dir, "part-"+sum[:16]+".parquet")
		staged[rel] = path
		files = append(files, File{Path: rel, Partition: partition, Rows: rows, SHA256: sum, Bytes: size})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collect %s files: %w", t.Name, err)
	}
	files = append(files, kept...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// partitionOf is the month partition of a table's time column, as the
// writer names it (_part=2026-05-01).
func partitionOf(col string) string {
	// date_trunc on the UTC wall time is a third cheaper than strftime on
	// a TIMESTAMPTZ (measured on 3M activities: 1.22 s vs 1.64 s).
	return "CAST(date_trunc('month', CAST(" + Ident(col) + " AS TIMESTAMP)) AS DATE)"
}

// touchedPartitions finds the partitions of t the staged rows touch. It
// returns the view to merge them from (the lake's rows of those
// partitions only) and the lake's files of every other partition, which
// the new version keeps as they are. A table kept in one file is merged
// whole.
func (tx *Tx) touchedPartitions(ctx context.Context, t Table) (string, []File, error) {
	whole := currentName(t.Name)
	prevFiles := tx.prev.Tables[t.Name].Files
	if t.PartitionBy == "" || len(prevFiles) == 0 {
		return whole, nil, nil
	}
	q := "SELECT DISTINCT strftime(" + partitionOf(t.PartitionBy) + ", 'month=%Y-%m') FROM " + Ident(Incoming(t.Name))
	if !slices.Contains(t.Key, t.PartitionBy) {
		// The key does not fix the partition: look for the incoming keys
		// anywhere in the lake.
		keys := make([]string, len(t.Key))
		for i, k := range t.Key {
			keys[i] = Ident(k)
		}
		q += " UNION SELECT DISTINCT strftime(" + partitionOf(t.PartitionBy) + ", 'month=%Y-%m') FROM " + Ident(whole) +
			" WHERE (" + strings.Join(keys, ", ") + ") IN (SELECT (" + strings.Join(keys, ", ") + ") FROM " + Ident(Incoming(t.Name)) + ")"
	}
	rows, err := tx.conn.QueryContext(ctx, q)
	if err != nil {
		return "", nil, fmt.Errorf("find the partitions of %s to merge: %w", t.Name, err)
	}
	touched := map[string]bool{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return "", nil, fmt.Errorf("find the partitions of %s to merge: %w", t.Name, err)
		}
		touched[p] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("find the partitions of %s to merge: %w", t.Name, err)
	}
	var merge TableFiles
	var kept []File
	for _, f := range prevFiles {
		// A file outside any month (none is written so) is merged, to be safe.
		if f.Partition == "" || touched[f.Partition] {
			merge.Files = append(merge.Files, f)
		} else {
			kept = append(kept, f)
		}
	}
	view := "touched_" + t.Name
	sel, err := tableSelect(ctx, tx.conn, t, filepath.Join(tx.dir, tx.prev.Root), merge)
	if err == nil {
		_, err = tx.conn.ExecContext(ctx, "CREATE OR REPLACE TEMP VIEW "+Ident(view)+" AS "+sel)
	}
	if err != nil {
		return "", nil, fmt.Errorf("stage the touched partitions of %s: %w", t.Name, err)
	}
	return view, kept, nil
}

// buildVersion assembles the new version directory in staging, hard-linking
// unchanged files from the current version, then renames it into place. A
// crash before the rename leaves only staging; after it, an unreferenced
// but complete directory that the next Begin removes.
func (tx *Tx) buildVersion(ctx context.Context, next *Manifest, staged map[string]string) error {
	build := filepath.Join(tx.staging, "version")
	for _, tf := range next.Tables {
		for _, f := range tf.Files {
			dst := filepath.Join(build, f.Path)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return fmt.Errorf("build version: %w", err)
			}
			if src, ok := staged[f.Path]; ok {
				if err := os.Rename(src, dst); err != nil {
					return fmt.Errorf("build version: %w", err)
				}
				continue
			}
			if err := linkOrCopy(filepath.Join(tx.dir, tx.prev.Root, f.Path), dst); err != nil {
				return fmt.Errorf("build version: %w", err)
			}
		}
	}
	if err := os.MkdirAll(build, 0o755); err != nil {
		return fmt.Errorf("build version: %w", err)
	}
	if err := tx.buildKept(ctx, next, build); err != nil {
		return err
	}
	if err := syncTree(build); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tx.dir, versionsDir), 0o755); err != nil {
		return fmt.Errorf("create versions: %w", err)
	}
	final := filepath.Join(tx.dir, next.Root)
	if err := os.Rename(build, final); err != nil {
		return fmt.Errorf("publish version %s: %w", next.Root, err)
	}
	return syncDir(filepath.Dir(final))
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// syncTree fsyncs every file and directory below root, so the rename that
// publishes it never exposes data still in the page cache only.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", path, err)
		}
		return nil
	})
}

func sameFiles(a, b []File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Path != b[i].Path || a[i].SHA256 != b[i].SHA256 {
			return false
		}
	}
	return true
}

// pointCurrent swaps the `current` symlink to the new root by rename.
func pointCurrent(dir, root string) error {
	tmp := filepath.Join(dir, ".current.tmp")
	os.Remove(tmp)
	if err := os.Symlink(root, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, currentLink))
}

// collectGarbage removes what no committed state refers to: staging left by
// crashed writes, version directories other than the current and the one
// before it (a reader opened just before the last commit may still read it),
// and quarantine folders of runs that never committed.
func collectGarbage(dir string, m Manifest) error {
	if err := os.RemoveAll(filepath.Join(dir, stagingDir)); err != nil {
		return fmt.Errorf("clear staging: %w", err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, versionsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("list versions: %w", err)
	}
	current := filepath.Base(m.Root)
	var older []string
	for _, e := range entries {
		if e.Name() != current && e.Name() < current {
			older = append(older, e.Name())
		} else if e.Name() > current {
			// Published by a write that crashed before its manifest swap.
			if err := os.RemoveAll(filepath.Join(dir, versionsDir, e.Name())); err != nil {
				return fmt.Errorf("remove unreferenced version: %w", err)
			}
		}
	}
	sort.Strings(older)
	for i := 0; i < len(older)-1; i++ {
		if err := os.RemoveAll(filepath.Join(dir, versionsDir, older[i])); err != nil {
			return fmt.Errorf("remove old version: %w", err)
		}
	}
	runs := map[string]bool{}
	for _, r := range m.Runs {
		runs[r.ID] = true
	}
	qs, err := os.ReadDir(filepath.Join(dir, quarantineDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("list quarantine: %w", err)
	}
	for _, q := range qs {
		if !runs[q.Name()] {
			if err := os.RemoveAll(filepath.Join(dir, quarantineDir, q.Name())); err != nil {
				return fmt.Errorf("remove quarantine of uncommitted run: %w", err)
			}
		}
	}
	return nil
}
