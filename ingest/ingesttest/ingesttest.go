// Package ingesttest gives tests a real lake of one of the hand-made
// fixtures under testdata/: its CSV files ingested, strictly, through the
// real importers.
package ingesttest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff-dev/handoff/ingest"
)

// Fixture ingests ../testdata/NAME/*.csv (relative to the test's package)
// into a lake in the test's own temporary directory and returns the lake's
// directory.
func Fixture(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "lake")
	inputs, err := filepath.Glob(filepath.Join("..", "testdata", name, "*.csv"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("fixture %s: no CSV files (%v)", name, err)
	}
	if _, err := ingest.Run(context.Background(), ingest.Options{Lake: dir, Strict: true}, inputs); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return dir
}

// Files writes files (name → content) as exports in the test's own
// temporary directory, ingests them with inputs (paths) strictly into a
// lake of the test's own and returns the lake's directory: a hand-made lake
// for a test whose shapes no fixture has.
func Files(t testing.TB, inputs []string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, p)
	}
	lakeDir := filepath.Join(t.TempDir(), "lake")
	if _, err := ingest.Run(context.Background(), ingest.Options{Lake: lakeDir, Strict: true}, inputs); err != nil {
		t.Fatal(err)
	}
	return lakeDir
}
