package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/exports"
	"github.com/handoff-dev/handoff/reports"
)

// A server whose daily export was missed while it was down writes it once
// on start, and the data page says so.
func TestServerRunsMissedExportOnStart(t *testing.T) {
	lakeDir := fixtureLake(t)
	out := t.TempDir()
	cfg, err := exports.ParseConfig("handoff.yaml", []byte("exports:\n  - name: sla\n    report: sla\n    params: {as_of: \"2026-04-01T00:00:00Z\"}\n    format: csv\n    dir: "+out+"\n    schedule: \"0 6 * * *\"\n    keep: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	// The last run was three days ago.
	if err := os.MkdirAll(filepath.Join(lakeDir, "access"), 0o700); err != nil {
		t.Fatal(err)
	}
	last := time.Now().UTC().AddDate(0, 0, -3)
	os.WriteFile(exportStateFile(lakeDir), []byte(`{"sla": {"last_scheduled": "`+last.Format(time.RFC3339)+`"}}`), 0o600)
	base := startServerWith(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), Exports: cfg.Exports})
	var files []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ = filepath.Glob(filepath.Join(out, "sla", "*.csv"))
		if len(files) > 0 {
			break
		}
	}
	if len(files) != 1 {
		t.Fatalf("after start: %v, want one file for the missed run", files)
	}
	body, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// README "SLA compliance": first_touch 4 met, 6 breached, 1 pending.
	if !strings.Contains(string(body), "first_touch,4,6,1,0,0.4") {
		t.Errorf("the export holds:\n%s", body)
	}
	time.Sleep(200 * time.Millisecond) // the state is saved after the run
	_, page := get(t, base+"/data")
	if !strings.Contains(string(page), "Scheduled exports") || !strings.Contains(string(page), filepath.Base(files[0])) {
		t.Errorf("the data page does not show the export")
	}
}
