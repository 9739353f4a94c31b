package lake

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// stage inserts rows into a table's staging table with plain SQL, the way
// ingest's appender would, and commits.
func stageAndCommit(t *testing.T, dir string, inserts ...string) Manifest {
	t.Helper()
	ctx := context.Background()
	tx, err := Begin(ctx, dir, NewRunID(testNow))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range inserts {
		if _, err := tx.Conn().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	m, err := tx.Commit(ctx, Run{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const leadCols = "lead_id, created_at, source, updated_at, _seq"

func TestCommitMergesByKeyAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := stageAndCommit(t, dir,
		"INSERT INTO incoming_leads ("+leadCols+") VALUES "+
			"('a', '2026-05-03 10:00:00+00', 'web', '2026-05-03 10:00:00+00', 1),"+
			"('b', '2026-05-20 10:00:00+00', 'email', '2026-05-21 10:00:00+00', 2),"+
			"('c', '2026-06-01 00:00:00+00', 'referral', NULL, 3)",
		"INSERT INTO incoming_spend (month, source, amount, _seq) VALUES ('2026-05-01', 'web', 100, 1)",
	)
	if got := first.Tables["leads"].Rows; got != 3 {
		t.Fatalf("leads rows = %d, want 3", got)
	}
	// Two months of leads: May (a, b) and June (c).
	if got := len(first.Tables["leads"].Files); got != 2 {
		t.Fatalf("lead files = %d, want 2 (one per month)", got)
	}
	for _, f := range first.Tables["leads"].Files {
		want := map[string]int64{"month=2026-05": 2, "month=2026-06": 1}[f.Partition]
		if f.Rows != want {
			t.Errorf("%s rows = %d, want %d", f.Path, f.Rows, want)
		}
	}
	if err := Verify(dir); err != nil {
		t.Fatal(err)
	}

	// The same rows again: no table changes, same hashes, same root.
	again := stageAndCommit(t, dir,
		"INSERT INTO incoming_leads ("+leadCols+") VALUES "+
			"('a', '2026-05-03 10:00:00+00', 'web', '2026-05-03 10:00:00+00', 1),"+
			"('b', '2026-05-20 10:00:00+00', 'email', '2026-05-21 10:00:00+00', 2),"+
			"('c', '2026-06-01 00:00:00+00', 'referral', NULL, 3)",
	)
	if again.Root != first.Root {
		t.Errorf("root moved from %s to %s on identical data", first.Root, again.Root)
	}
	if changed := again.Runs[len(again.Runs)-1].Changed; len(changed) != 0 {
		t.Errorf("identical re-ingest changed %v", changed)
	}
	if !sameFiles(first.Tables["leads"].Files, again.Tables["leads"].Files) {
		t.Errorf("hashes changed on identical data")
	}

	// b with an older updated_at loses; b with a newer one wins; c (no
	// updated_at) is replaced by the later export.
	stageAndCommit(t, dir,
		"INSERT INTO incoming_leads ("+leadCols+") VALUES "+
			"('b', '2026-05-20 10:00:00+00', 'stale', '2026-05-20 00:00:00+00', 1),"+
			"('b', '2026-05-20 10:00:00+00', 'webinar', '2026-05-25 00:00:00+00', 2),"+
			"('c', '2026-06-01 00:00:00+00', 'events', NULL, 3)",
	)
	l, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := map[string]string{}
	rows, err := l.DB.QueryContext(ctx, "SELECT lead_id, source FROM leads")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, src string
		if err := rows.Scan(&id, &src); err != nil {
			t.Fatal(err)
		}
		got[id] = src
	}
	want := map[string]string{"a": "web", "b": "webinar", "c": "events"}
	for id, src := range want {
		if got[id] != src {
			t.Errorf("lead %s source = %q, want %q", id, got[id], src)
		}
	}
	var spend float64
	if err := l.DB.QueryRowContext(ctx, "SELECT sum(amount) FROM spend").Scan(&spend); err != nil {
		t.Fatal(err)
	}
	if spend != 100 {
		t.Errorf("spend = %v, want 100 (kept from the first run)", spend)
	}
	// Empty tables still have typed views.
	var n int
	if err := l.DB.QueryRowContext(ctx, "SELECT count(*) FROM opportunities WHERE won").Scan(&n); err != nil || n != 0 {
		t.Errorf("empty opportunities view: n=%d err=%v", n, err)
	}
}

func TestRollbackLeavesLakeAsItWas(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	before := stageAndCommit(t, dir, "INSERT INTO incoming_users (user_id, _seq) VALUES ('u1', 1)")
	tx, err := Begin(ctx, dir, NewRunID(testNow))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Conn().ExecContext(ctx, "INSERT INTO incoming_users (user_id, _seq) VALUES ('u2', 1)"); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	after, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if after.Generation != before.Generation || !sameFiles(after.Tables["users"].Files, before.Tables["users"].Files) {
		t.Errorf("rollback changed the manifest: before %+v after %+v", before, after)
	}
	if _, err := os.Stat(filepath.Join(dir, stagingDir)); err == nil {
		entries, _ := os.ReadDir(filepath.Join(dir, stagingDir))
		if len(entries) != 0 {
			t.Errorf("rollback left staging: %v", entries)
		}
	}
}

func TestSecondWriterIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tx, err := Begin(ctx, dir, NewRunID(testNow))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := Begin(ctx, dir, NewRunID(testNow)); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Begin error = %v, want ErrBusy", err)
	}
}

func TestOpenWithoutManifest(t *testing.T) {
	if _, err := Open(context.Background(), t.TempDir()); !errors.Is(err, ErrNoLake) {
		t.Fatalf("Open of empty dir: %v, want ErrNoLake", err)
	}
}

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestMemoComputesOnceAndForgetsErrors(t *testing.T) {
	var l Lake
	calls := 0
	failing := errors.New("boom")
	for i, want := range []struct {
		fail    bool
		wantErr bool
		wantV   any
		calls   int
	}{
		{fail: true, wantErr: true, calls: 1}, // an error is not remembered...
		{wantV: 1, calls: 2},                  // ...so the next call computes
		{wantV: 1, calls: 2},                  // and later calls reuse it
	} {
		v, err := l.Memo("k", func() (any, error) {
			calls++
			if want.fail {
				return nil, failing
			}
			return calls - 1, nil
		})
		if (err != nil) != want.wantErr || (!want.wantErr && v != want.wantV) || calls != want.calls {
			t.Fatalf("call %d: got %v, %v after %d computations; want %v, error %v, %d", i, v, err, calls, want.wantV, want.wantErr, want.calls)
		}
	}
}

// LockDown is the second guard behind the query endpoint's own checks:
// even statements that endpoint refuses cannot, once run here, read or
// write any file but the lake's, attach a database file or install
// anything, and cannot turn access back on. The views still read. (The
// lake's own files stay writable to DuckDB, which has no read-only
// allowance: the endpoint's statement check is what refuses a COPY onto
// them, tested in exports.)
func TestLockDownClosesTheFileSystem(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	stageAndCommit(t, dir,
		"INSERT INTO incoming_leads ("+leadCols+") VALUES ('a', '2026-05-03 10:00:00+00', 'web', NULL, 1)")
	outside := filepath.Join(t.TempDir(), "outside.csv")
	if err := os.WriteFile(outside, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.LockDown(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := l.DB.QueryRowContext(ctx, "SELECT count(*) FROM leads").Scan(&n); err != nil || n != 1 {
		t.Fatalf("leads after LockDown: %d, %v; want 1", n, err)
	}
	if err := l.DB.QueryRowContext(ctx, "SELECT count(*) FROM kept_lead_firsts").Scan(&n); err != nil {
		t.Fatalf("the kept tables after LockDown: %v", err)
	}
	written := filepath.Join(t.TempDir(), "written.csv")
	for _, q := range []string{
		"SELECT * FROM read_csv(" + Literal(outside) + ")",
		"SELECT * FROM " + Literal(outside),
		"SELECT * FROM read_text('/etc/hostname')",
		"COPY leads TO " + Literal(written),
		"ATTACH " + Literal(filepath.Join(t.TempDir(), "x.db")) + " AS x",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"SET allowed_directories = ['/']",
	} {
		if _, err := l.DB.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: ran after LockDown", q)
		}
	}
	if _, err := os.Stat(written); err == nil {
		t.Errorf("%s was written", written)
	}
	if err := Verify(dir); err != nil {
		t.Errorf("the lake changed: %v", err)
	}
}

// A failed first write leaves nothing behind: a folder it made is gone, a
// folder that was there is as it was.
func TestFailedFirstWriteLeavesNoTraces(t *testing.T) {
	ctx := context.Background()
	for _, existed := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "lake")
		if existed {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := Begin(ctx, dir, "run1")
		if err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		entries, err := os.ReadDir(dir)
		switch {
		case !existed && !errors.Is(err, os.ErrNotExist):
			t.Errorf("a folder the write made is still there: %v %v", entries, err)
		case existed && (err != nil || len(entries) != 0):
			t.Errorf("a folder that was there holds %v (%v)", entries, err)
		}
	}
}

// A commit rewrites only the partitions its rows fall in: the others keep
// their very files (hard links into the new version, the same inode). A
// row the lake holds in another partition (a lead whose created_at moved)
// is replaced there, and that partition is rewritten too.
func TestCommitRewritesOnlyTheTouchedPartitions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := stageAndCommit(t, dir,
		"INSERT INTO incoming_leads ("+leadCols+") VALUES "+
			"('a', '2026-05-03 10:00:00+00', 'web', '2026-05-03 10:00:00+00', 1),"+
			"('b', '2026-05-20 10:00:00+00', 'email', '2026-05-21 10:00:00+00', 2),"+
			"('c', '2026-06-01 00:00:00+00', 'referral', NULL, 3),"+
			"('d', '2026-07-09 00:00:00+00', 'events', NULL, 4)")
	inode := func(m Manifest, partition string) (uint64, string) {
		t.Helper()
		for _, f := range m.Tables["leads"].Files {
			if f.Partition == partition {
				st, err := os.Stat(filepath.Join(dir, m.Root, f.Path))
				if err != nil {
					t.Fatal(err)
				}
				return st.Sys().(*syscall.Stat_t).Ino, f.SHA256
			}
		}
		return 0, ""
	}
	// A new lead in August and b moved from May to June.
	second := stageAndCommit(t, dir,
		"INSERT INTO incoming_leads ("+leadCols+") VALUES "+
			"('e', '2026-08-02 00:00:00+00', 'web', NULL, 1),"+
			"('b', '2026-06-20 10:00:00+00', 'email', '2026-06-22 00:00:00+00', 2)")
	if second.Root == first.Root {
		t.Fatal("the commit wrote no new version")
	}
	for _, c := range []struct {
		partition string
		rewritten bool
	}{{"month=2026-05", true}, {"month=2026-06", true}, {"month=2026-07", false}, {"month=2026-08", true}} {
		before, beforeSum := inode(first, c.partition)
		after, afterSum := inode(second, c.partition)
		switch {
		case after == 0:
			t.Errorf("%s has no file after the commit", c.partition)
		case c.rewritten && beforeSum == afterSum:
			t.Errorf("%s: same content after a commit that changed it", c.partition)
		case !c.rewritten && (before != after || beforeSum != afterSum):
			t.Errorf("%s was rewritten (inode %d -> %d), though no row of the commit falls in it", c.partition, before, after)
		}
	}
	l, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var n, bs int
	var bMonth string
	if err := l.DB.QueryRowContext(ctx, "SELECT count(*), count(*) FILTER (WHERE lead_id = 'b'), max(strftime(created_at, '%Y-%m')) FILTER (WHERE lead_id = 'b') FROM leads").Scan(&n, &bs, &bMonth); err != nil {
		t.Fatal(err)
	}
	if n != 5 || bs != 1 || bMonth != "2026-06" {
		t.Errorf("%d leads, b %d times in %s; want 5, once, in 2026-06", n, bs, bMonth)
	}
	if err := Verify(dir); err != nil {
		t.Fatal(err)
	}
}
