package reports

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
)

// The hand-made fixture in testdata/reports: thirteen leads, three users,
// eleven assignments. testdata/reports/README.md works out every expected
// number below by hand.
var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  error
)

// fixtureAsOf is the as-of time every hand calculation uses.
var fixtureAsOf = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// openFixture ingests the fixture once per test binary and opens it.
func openFixture(t *testing.T) *lake.Lake {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "handoff-reports-")
		if fixtureErr != nil {
			return
		}
		inputs, _ := filepath.Glob("../testdata/reports/*.csv")
		_, fixtureErr = ingest.Run(context.Background(), ingest.Options{Lake: fixtureDir, Strict: true}, inputs)
	})
	if fixtureErr != nil {
		t.Fatalf("ingest fixture: %v", fixtureErr)
	}
	l, err := lake.Open(context.Background(), fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func fixtureParams() Params {
	return Params{AsOf: fixtureAsOf}
}
