package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// handoff export --now writes each export of the config, named for today,
// with its manifest.
func TestExportNow(t *testing.T) {
	lakeDir := fixtureLake(t)
	out := t.TempDir()
	config := filepath.Join(t.TempDir(), "handoff.yaml")
	os.WriteFile(config, []byte("exports:\n  - name: funnel\n    report: funnel\n    params: {as_of: \"2026-04-01T00:00:00Z\"}\n    format: csv\n    dir: "+out+"\n"), 0o644)
	code, stdout, stderr := runCLI(t, "export", "--now", "--lake", lakeDir, "--config", config)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	day := time.Now().Format(time.DateOnly)
	body, err := os.ReadFile(filepath.Join(out, "funnel", day+".csv"))
	if err != nil {
		t.Fatalf("no file for today: %v\n%s", err, stdout)
	}
	// testdata/reports/README.md, "Funnel": January's lead → MQL, 7 → 6.
	if !strings.Contains(string(body), "2026-01-01,lead,mql,7,6,") {
		t.Errorf("the export holds:\n%s", body)
	}
	if _, err := os.Stat(filepath.Join(out, "funnel", day+".csv.json")); err != nil {
		t.Errorf("no manifest: %v", err)
	}
	if code, _, stderr := runCLI(t, "export", "--lake", lakeDir, "--config", config); code != exitUsage || !strings.Contains(stderr, "--now") {
		t.Errorf("without --now: exit %d %s", code, stderr)
	}
}
