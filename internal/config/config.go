// Package config reads handoff.yaml whole: each section decoded by the
// package that owns it (ingest, reports, exports), and a top-level key
// that is none of them refused with its line, so a mistyped section
// ("ingset:") is an error rather than settings silently ignored.
package config

import (
	"fmt"
	"os"

	"github.com/handoff-dev/handoff/exports"
	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/internal/yamldoc"
	"github.com/handoff-dev/handoff/reports"
)

// Sections are the top-level keys of handoff.yaml.
var Sections = []string{"ingest", "reports", "exports"}

// Config is handoff.yaml, every section.
type Config struct {
	Ingest  ingest.Config
	Reports reports.Config
	Exports exports.Config
}

// Load reads and checks handoff.yaml.
func Load(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, raw)
}

// Parse is Load on content; name is used in errors.
func Parse(name string, raw []byte) (Config, error) {
	doc, err := yamldoc.Parse(name, raw)
	if err != nil {
		return Config{}, err
	}
	if err := doc.CheckKeys("$", "section", Sections); err != nil {
		return Config{}, err
	}
	var c Config
	if c.Ingest, err = ingest.ParseConfig(name, raw); err != nil {
		return Config{}, err
	}
	if c.Reports, err = reports.ParseConfig(name, raw); err != nil {
		return Config{}, err
	}
	if c.Exports, err = exports.ParseConfig(name, raw); err != nil {
		return Config{}, err
	}
	return c, nil
}
