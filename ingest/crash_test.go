package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/sample"
)

// TestMain lets the crash test run an ingest in a child process: the test
// binary re-executes itself with HANDOFF_CRASH_CHILD set.
func TestMain(m *testing.M) {
	if lakeDir := os.Getenv("HANDOFF_CRASH_CHILD"); lakeDir != "" {
		_, err := Run(context.Background(), Options{Lake: lakeDir}, strings.Split(os.Getenv("HANDOFF_CRASH_INPUT"), string(os.PathListSeparator)))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// contentState is what a lake holds: each table's file hashes.
func contentState(t *testing.T, dir string) string {
	t.Helper()
	m, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatalf("read manifest after kill: %v", err)
	}
	var parts []string
	for _, tbl := range lake.TableNames() {
		for _, f := range m.Tables[tbl].Files {
			parts = append(parts, tbl+"/"+f.SHA256)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKillDuringIngest kills an ingest child process with SIGKILL at many
// points from start to finish. After every kill the lake must be exactly the
// state before the run or the state after it, every file the manifest lists
// must be whole, and no Parquet file outside staging may be partial. Some
// kills are followed by a fresh ingest, which must reach the after-state.
func TestKillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 60 child processes")
	}
	ctx := context.Background()
	work := t.TempDir()
	older := filepath.Join(work, "older")
	newer := filepath.Join(work, "newer")
	if _, err := sample.Generate(ctx, older, sample.Options{Leads: 2000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := sample.Generate(ctx, newer, sample.Options{Leads: 8000, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	before := filepath.Join(work, "before")
	if _, err := Run(ctx, Options{Lake: before}, []string{older}); err != nil {
		t.Fatal(err)
	}
	afterDir := filepath.Join(work, "after")
	copyTree(t, before, afterDir)
	if _, err := Run(ctx, Options{Lake: afterDir}, []string{newer}); err != nil {
		t.Fatal(err)
	}
	stateBefore, stateAfter := contentState(t, before), contentState(t, afterDir)
	if stateBefore == stateAfter {
		t.Fatal("the run under test changes nothing")
	}

	child := func(dir string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "HANDOFF_CRASH_CHILD="+dir, "HANDOFF_CRASH_INPUT="+newer)
		return cmd
	}
	// How long a whole child run takes here, to spread the kills over it.
	// The figure is taken again every few kills: on a shared CI machine other
	// test packages come and go, and a stale figure would put every kill
	// before the commit (or after it), which tests nothing.
	measure := func(n int) time.Duration {
		dir := filepath.Join(work, fmt.Sprintf("timing-%d", n))
		copyTree(t, before, dir)
		start := time.Now()
		if out, err := child(dir).CombinedOutput(); err != nil {
			t.Fatalf("child ingest: %v\n%s", err, out)
		}
		defer os.RemoveAll(dir)
		return time.Since(start)
	}
	full := measure(0)
	t.Logf("a whole child run takes %v", full)

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const kills, remeasureEvery = 60, 10
	// The bound scales with the measured run (a loaded machine gets more
	// time, not a failure): two whole runs per kill, three minutes at least.
	deadline := time.Now().Add(max(3*time.Minute, time.Duration(kills)*2*full))
	seen := map[string]int{}
	for k := 0; k < kills && time.Now().Before(deadline); k++ {
		if k > 0 && k%remeasureEvery == 0 {
			full = measure(k)
			t.Logf("kill %d: a whole child run now takes %v", k, full)
		}
		dir := filepath.Join(work, fmt.Sprintf("kill-%02d", k))
		copyTree(t, before, dir)
		cmd := child(dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Each block of kills sweeps 20%..130% of a run, so the late part of
		// every block lands in the commit or after it finished.
		frac := 0.2 + 1.1*float64(k%remeasureEvery)/float64(remeasureEvery-1)
		time.Sleep(time.Duration(float64(full) * frac))
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		state := contentState(t, dir)
		switch state {
		case stateBefore:
			seen["before"]++
		case stateAfter:
			seen["after"]++
		default:
			t.Fatalf("kill %d: the lake is neither the before- nor the after-state", k)
		}
		if err := lake.Verify(dir); err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		// Every Parquet file outside staging is whole: DuckDB reads its footer.
		err := filepath.WalkDir(filepath.Join(dir, "versions"), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
				return err
			}
			var rows int64
			if err := db.QueryRow("SELECT num_rows FROM parquet_file_metadata(?)", path).Scan(&rows); err != nil {
				return fmt.Errorf("partial file visible: %s: %w", path, err)
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatalf("kill %d: %v", k, err)
		}
		if k%15 == 7 {
			if _, err := Run(ctx, Options{Lake: dir}, []string{newer}); err != nil {
				t.Fatalf("kill %d: ingest after the kill: %v", k, err)
			}
			if contentState(t, dir) != stateAfter {
				t.Fatalf("kill %d: ingest after the kill did not reach the after-state", k)
			}
		}
		os.RemoveAll(dir)
	}
	t.Logf("after the kills: %v", seen)
	if seen["before"] == 0 || seen["after"] == 0 {
		t.Errorf("kills did not span the run (%v): both outcomes should occur", seen)
	}
	if total := seen["before"] + seen["after"]; total < 50 {
		t.Errorf("only %d kills within the time bound; want at least 50", total)
	}
}
