package scoring

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// bandState is what lead_bands holds on one lake: the rules it was
// filled from, as their bound arguments.
type bandState struct {
	mu   sync.Mutex
	args string
}

// PrepareBands fills the lake's lead_bands table with each lead's score
// band under r: the quadrant of its score at handoff (or a week after
// creation for a lead never handed off), as of the lake's latest event, so
// reports can break down by score_band. It does the work once per lake
// and rules; other rules replace the table whole, in one statement.
func PrepareBands(ctx context.Context, l *lake.Lake, r Rules) error {
	args, _, err := bind(ctx, l, r, Params{At: At{Mode: "handoff", Days: 7}})
	if err != nil {
		return err
	}
	for _, unused := range []string{"filter_dims", "filter_values", "mql_threshold"} {
		delete(args, unused)
	}
	// fmt prints a map in key order, NaN included (JSON cannot)
	key := fmt.Sprint(args)
	v, err := l.Memo("scoring.bands", func() (any, error) { return &bandState{}, nil })
	if err != nil {
		return err
	}
	st := v.(*bandState)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.args == key {
		return nil
	}
	stmt, err := models.Bind("score_bands", args)
	if err != nil {
		return err
	}
	sel := strings.TrimSuffix(strings.TrimSpace(stmt.Model.SQL), ";")
	if _, err := l.DB.ExecContext(ctx, "CREATE OR REPLACE TABLE lead_bands AS "+sel, stmt.NamedArgs()...); err != nil {
		return fmt.Errorf("score bands: %w", err)
	}
	st.args = key
	return nil
}
