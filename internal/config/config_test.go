package config

import (
	"os"
	"strings"
	"testing"
)

// A mistyped section is refused with its line and the section it meant;
// the example file, every section of it, loads.
func TestUnknownSectionsAreRefused(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"ingset", "reports:\n  stuck_after: {mql: 7d}\ningset:\n  timezone: UTC\n", `line 3: unknown section "ingset" (did you mean "ingest"?)`},
		{"reprots alone", "reprots:\n  stuck_after: {mql: 7d}\n", `line 1: unknown section "reprots" (did you mean "reports"?)`},
		{"nothing like it", "routing:\n  pools: {}\n", `line 1: unknown section "routing" (known: ingest, reports, exports)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("handoff.yaml", []byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "handoff.yaml: ") {
				t.Errorf("%v, want %q", err, c.want)
			}
		})
	}
	raw, err := os.ReadFile("../../examples/handoff.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("examples/handoff.yaml", raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Exports.Exports) == 0 {
		t.Error("the example's exports did not load")
	}
}
