package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a window, limit or half-life as people write them in
// flags and config files: Go's units (90m, 36h) plus days (90d) and weeks
// (2w). Zero and negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil || f <= 0 {
				return 0, fmt.Errorf("duration %q: want a positive number before %q, e.g. 90d", s, suffix)
			}
			return time.Duration(f * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("duration %q: want e.g. 90d, 2w, 36h or 45m", s)
	}
	return d, nil
}
