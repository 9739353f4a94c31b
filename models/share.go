package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/handoff-dev/handoff/lake"
)

// SLAClock names one SLA clock as sla_instances takes it.
type SLAClock struct {
	Start, Stop, Clock string
	LimitMinutes       float64
	LimitWorkdays      *float64
}

// slaMemo is the clocks a lake has in sla_memo, in key order (key i+1).
type slaMemo struct {
	mu     sync.Mutex
	clocks []sharedClock
}

type sharedClock struct {
	asOf time.Time
	SLAClock
}

// MaxSharedClocks bounds the clocks a lake keeps computed: each holds a row
// per assignment (or MQL), about 30 MB at a million leads.
const MaxSharedClocks = 8

// ShareSLA computes clock c as of asOf once for the lake, into sla_memo,
// where every later sla_instances call with the same arguments reads it:
// a page that shows one SLA per week, per owner and as a breach list
// computes its clocks once, not once a view. It is for the as-of a lake is
// read at by default (one per lake, so the memo stays small); past
// MaxSharedClocks it does nothing, and the clocks are computed per query,
// as without it.
func ShareSLA(ctx context.Context, l *lake.Lake, asOf time.Time, c SLAClock) error {
	// Before Memo, whose lock a nested Memo call would wait on forever.
	if err := PrepareLake(ctx, l); err != nil {
		return err
	}
	v, err := l.Memo("models.sla_memo", func() (any, error) { return &slaMemo{}, nil })
	if err != nil {
		return err
	}
	memo := v.(*slaMemo)
	memo.mu.Lock()
	defer memo.mu.Unlock()
	want := sharedClock{asOf.UTC(), c}
	for _, have := range memo.clocks {
		if have.same(want) {
			return nil
		}
	}
	if len(memo.clocks) >= MaxSharedClocks {
		return nil
	}
	key := len(memo.clocks) + 1
	var workdays any
	if c.LimitWorkdays != nil {
		workdays = *c.LimitWorkdays
	}
	if _, err := l.DB.ExecContext(ctx, `INSERT INTO sla_memo
		SELECT ?, * FROM sla_compute(?::TIMESTAMPTZ, ?, ?, ?, ?::DOUBLE, ?::DOUBLE)`,
		key, want.asOf, c.Start, c.Stop, c.Clock, c.LimitMinutes, workdays); err != nil {
		return fmt.Errorf("share SLA clock %s→%s: %w", c.Start, c.Stop, err)
	}
	memo.clocks = append(memo.clocks, want)
	if _, err := l.DB.ExecContext(ctx, memo.keyMacro()); err != nil {
		memo.clocks = memo.clocks[:len(memo.clocks)-1]
		// The rows stay behind under a key nothing names; harmless.
		return fmt.Errorf("share SLA clock %s→%s: %w", c.Start, c.Stop, err)
	}
	return nil
}

func (a sharedClock) same(b sharedClock) bool {
	return a.asOf.Equal(b.asOf) && a.Start == b.Start && a.Stop == b.Stop && a.Clock == b.Clock &&
		a.LimitMinutes == b.LimitMinutes && (a.LimitWorkdays == nil) == (b.LimitWorkdays == nil) &&
		(a.LimitWorkdays == nil || *a.LimitWorkdays == *b.LimitWorkdays)
}

// keyMacro redefines sla_memo_key as a CASE over the shared clocks, with
// literal values only, so it folds to a constant for a query's arguments.
func (m *slaMemo) keyMacro() string {
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE MACRO sla_memo_key(as_of, start_event, stop_event, clock, limit_minutes, limit_workdays) AS CASE")
	for i, c := range m.clocks {
		workdays := "limit_workdays IS NULL"
		if c.LimitWorkdays != nil {
			workdays = "limit_workdays = " + doubleLiteral(*c.LimitWorkdays)
		}
		fmt.Fprintf(&b, " WHEN as_of = %s::TIMESTAMPTZ AND start_event = %s AND stop_event = %s AND clock = %s AND limit_minutes = %s AND %s THEN %d",
			lake.Literal(c.asOf.Format("2006-01-02 15:04:05.999999-07:00")), lake.Literal(c.Start), lake.Literal(c.Stop), lake.Literal(c.Clock),
			doubleLiteral(c.LimitMinutes), workdays, i+1)
	}
	b.WriteString(" ELSE CAST(NULL AS INTEGER) END")
	return b.String()
}

// doubleLiteral is a DOUBLE literal that reads back as exactly f.
func doubleLiteral(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64) + "::DOUBLE"
}
