package exports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

// TestExportChild is not a test on its own: TestKillDuringExport runs the
// test binary again with HANDOFF_EXPORT_CHILD set, and this writes exports
// in a loop until it is killed.
func TestExportChild(t *testing.T) {
	lakeDir, out := os.Getenv("HANDOFF_EXPORT_CHILD"), os.Getenv("HANDOFF_EXPORT_OUT")
	if lakeDir == "" {
		t.Skip("run by TestKillDuringExport")
	}
	l, err := lake.Open(context.Background(), lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	formats := []string{"parquet", "csv", "arrow"}
	for i := 0; ; i++ {
		e := Export{Name: "funnel", Report: "funnel", Dir: out, Format: formats[i%3], Keep: 6, File: "{name}/{date}-{time}.{ext}",
			Params: map[string]string{"as_of": "2026-04-01T00:00:00Z"}}
		if err := e.Check(); err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), l, e, reports.DefaultConfig(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		// The parent times its kills by these lines.
		fmt.Println("exported")
	}
}

// An export killed at any point (SIGKILL, twenty times, at random moments)
// leaves only whole files where a reader looks: every file not hidden is
// complete, and every manifest matches the file beside it.
//
// The moments scale with the machine: each child is killed at a random
// point of its second export, after its first has finished, never after a
// fixed sleep (on a busy machine a child could still be starting when a
// fixed sleep ran out, and no export finished in twenty runs).
func TestKillDuringExport(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process twenty times")
	}
	l := fixtureLake(t)
	lakeDir := l.Dir
	l.Close()
	out := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < 20; k++ {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestExportChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "HANDOFF_EXPORT_CHILD="+lakeDir, "HANDOFF_EXPORT_OUT="+out)
		exported := &signalOnWrite{seen: make(chan struct{})}
		cmd.Stdout = exported
		started := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ended := make(chan error, 1)
		go func() { ended <- cmd.Wait() }()
		select {
		case <-exported.seen:
		case err := <-ended:
			t.Fatalf("run %d: the child ended before it finished an export: %v", k, err)
		}
		// Its second export takes no longer than starting and the first.
		time.Sleep(time.Duration(rng.Int64N(int64(time.Since(started)))))
		cmd.Process.Signal(syscall.SIGKILL)
		<-ended
	}
	files, _ := filepath.Glob(filepath.Join(out, "funnel", "*"))
	whole := 0
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, ".") || strings.HasSuffix(base, ".json") {
			continue // temporary files are hidden; a reader skips them
		}
		var rows float64
		switch filepath.Ext(f) {
		case ".parquet":
			rows, _, _ = duck(t, "SELECT count(*), 0, 0 FROM read_parquet('"+f+"')")
		case ".csv":
			rows, _, _ = duck(t, "SELECT count(*), 0, 0 FROM read_csv('"+f+"', header = true)")
		case ".arrow":
			rows, _, _ = arrowSums(t, f)
		}
		if rows != 15 {
			t.Errorf("%s holds %v rows, want the funnel's 15", base, rows)
		}
		whole++
		if raw, err := os.ReadFile(f + ".json"); err == nil {
			var m Manifest
			data, _ := os.ReadFile(f)
			sum := sha256.Sum256(data)
			if json.Unmarshal(raw, &m) != nil || m.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: its manifest does not match it", base)
			}
		}
	}
	if whole == 0 {
		t.Fatal("no export finished in twenty runs: the test tests nothing")
	}
	t.Logf("%d whole files after twenty kills", whole)
}

// signalOnWrite closes seen the first time the child writes to its
// standard output, which it does only after a finished export.
type signalOnWrite struct {
	once sync.Once
	seen chan struct{}
}

func (w *signalOnWrite) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.seen) })
	return len(p), nil
}
