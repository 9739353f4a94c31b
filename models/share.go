package models

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/handoff-dev/handoff/lake"
)

// A shared macro is a table macro of base.sql whose results a lake keeps
// once computed: NAME_compute does the work, NAME_memo holds kept results
// under a key, and NAME_memo_key(args) names the key of given arguments
// (NULL: not kept). The macro the models call reads the memo's rows when
// the key is not NULL and computes them otherwise; since the key macro is
// a CASE over literals, it folds to a constant for a query's arguments,
// and the query plans the other branch away.
type sharedMacro struct {
	memo, keyMacro, compute string
	// params are the macro's parameters, each with the type the models
	// cast its argument to.
	params []param
}

type param struct{ name, typ string }

var (
	slaShared = sharedMacro{"sla_memo", "sla_memo_key", "sla_compute", []param{
		{"as_of", "TIMESTAMPTZ"}, {"start_event", "VARCHAR"}, {"stop_event", "VARCHAR"}, {"clock", "VARCHAR"},
		{"limit_minutes", "DOUBLE"}, {"limit_workdays", "DOUBLE"}}}
	leakShared = sharedMacro{"leak_memo", "leak_memo_key", "leak_compute", []param{
		{"as_of", "TIMESTAMPTZ"}, {"handoff_s", "DOUBLE"}, {"touch_s", "DOUBLE"}, {"dispo_days", "DOUBLE"},
		{"recycle_s", "DOUBLE"}, {"dup_s", "DOUBLE"}, {"stuck_limits", "MAP(VARCHAR, DOUBLE)"}}}
)

// MaxShared bounds the results a lake keeps per shared macro, and
// MaxSharedRows the rows they hold together: a clock of a million leads'
// 300,000 assignments takes about 48 MB, so at ten million leads only one
// or two fit, and the rest are computed per query rather than held.
const (
	MaxShared     = 8
	MaxSharedRows = 4_000_000
)

type noSharingKey struct{}

// WithoutSharing returns a context under which nothing is shared: every
// query computes its clocks and leak cases. The benchmarks time the
// computation, which a report run a second time in one process would
// otherwise read from the memo.
func WithoutSharing(ctx context.Context) context.Context {
	return context.WithValue(ctx, noSharingKey{}, true)
}

// memoKeys is what a lake keeps of one shared macro: each key's arguments
// as SQL literals, in key order (key i+1).
type memoKeys struct {
	mu   sync.Mutex
	keys [][]string
	rows int64
}

// share computes m for the arguments lits (SQL literals, in m.params'
// order) once for the lake, unless it already has, or holds MaxShared
// results, or would hold more than MaxSharedRows with the about rows this
// one has.
func share(ctx context.Context, l *lake.Lake, m sharedMacro, lits []string, about int64) error {
	if ctx.Value(noSharingKey{}) != nil {
		return nil
	}
	// Before Memo, whose lock a nested Memo call would wait on forever.
	if err := PrepareLake(ctx, l); err != nil {
		return err
	}
	v, err := l.Memo("models.shared."+m.memo, func() (any, error) { return &memoKeys{}, nil })
	if err != nil {
		return err
	}
	keys := v.(*memoKeys)
	keys.mu.Lock()
	defer keys.mu.Unlock()
	for _, have := range keys.keys {
		if slices.Equal(have, lits) {
			return nil
		}
	}
	if len(keys.keys) >= MaxShared || keys.rows+about > MaxSharedRows {
		return nil
	}
	key := len(keys.keys) + 1
	typed := make([]string, len(m.params))
	for i, p := range m.params {
		typed[i] = "CAST(" + lits[i] + " AS " + p.typ + ")"
	}
	insert := fmt.Sprintf("INSERT INTO %s SELECT %d, * FROM %s(%s)", m.memo, key, m.compute, strings.Join(typed, ", "))
	if _, err := l.DB.ExecContext(ctx, insert); err != nil {
		return fmt.Errorf("share %s: %w", m.compute, err)
	}
	keys.keys = append(keys.keys, lits)
	keys.rows += about
	if _, err := l.DB.ExecContext(ctx, m.keyMacroSQL(keys.keys)); err != nil {
		keys.keys = keys.keys[:len(keys.keys)-1]
		keys.rows -= about
		// The rows stay behind under a key nothing names; harmless.
		return fmt.Errorf("share %s: %w", m.compute, err)
	}
	return nil
}

// keyMacroSQL redefines the key macro as a CASE over the kept arguments
// (NULL matches NULL; a map matches the same entries in any order), made
// of literals only, so it folds to a constant for a query's arguments.
func (m sharedMacro) keyMacroSQL(keys [][]string) string {
	names := make([]string, len(m.params))
	for i, p := range m.params {
		names[i] = p.name
	}
	norm := func(p param, x string) string {
		if strings.HasPrefix(p.typ, "MAP") {
			return "list_sort(map_entries(CAST(" + x + " AS " + p.typ + ")))"
		}
		return "CAST(" + x + " AS " + p.typ + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE OR REPLACE MACRO %s(%s) AS CASE", m.keyMacro, strings.Join(names, ", "))
	for i, lits := range keys {
		conds := make([]string, len(lits))
		for j, lit := range lits {
			conds[j] = norm(m.params[j], m.params[j].name) + " IS NOT DISTINCT FROM " + norm(m.params[j], lit)
		}
		fmt.Fprintf(&b, " WHEN %s THEN %d", strings.Join(conds, " AND "), i+1)
	}
	b.WriteString(" ELSE CAST(NULL AS INTEGER) END")
	return b.String()
}

// Literals of the arguments a shared macro is keyed by.
func timeLiteral(t time.Time) string {
	return lake.Literal(t.UTC().Format("2006-01-02 15:04:05.999999")+"+00") + "::TIMESTAMPTZ"
}

// doubleLiteral reads back as exactly f.
func doubleLiteral(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) + "::DOUBLE" }

func optDouble(f *float64) string {
	if f == nil {
		return "NULL"
	}
	return doubleLiteral(*f)
}

// mapLiteral is a MAP(VARCHAR, DOUBLE) with its keys in order.
func mapLiteral(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	entries := make([]string, len(keys))
	for i, k := range keys {
		entries[i] = lake.Literal(k) + ": " + doubleLiteral(m[k])
	}
	return "MAP {" + strings.Join(entries, ", ") + "}::MAP(VARCHAR, DOUBLE)"
}

// SLAClock names one SLA clock as sla_instances takes it.
type SLAClock struct {
	Start, Stop, Clock string
	LimitMinutes       float64
	LimitWorkdays      *float64
}

// ShareSLA computes clock c as of asOf once for the lake, into sla_memo,
// where every later sla_instances call with the same arguments reads it:
// a page that shows one SLA per week, per owner and as a breach list
// computes its clocks once, not once a view. It is meant for the as-of a
// lake is read at by default (one per lake, so the memo stays small); past
// MaxShared clocks it does nothing, and they are computed per query, as
// without it.
func ShareSLA(ctx context.Context, l *lake.Lake, asOf time.Time, c SLAClock) error {
	about := keptRows(l, "assignment_windows")
	if c.Start == "mql" {
		about = keptRows(l, "mql_stops")
	}
	return share(ctx, l, slaShared, []string{timeLiteral(asOf), lake.Literal(c.Start), lake.Literal(c.Stop), lake.Literal(c.Clock),
		doubleLiteral(c.LimitMinutes), optDouble(c.LimitWorkdays)}, about)
}

// LeakLimits are leak_cases' arguments after as_of, as the models pass them.
type LeakLimits struct {
	HandoffSeconds, TouchSeconds, DispositionWorkdays, RecycleSeconds, DuplicateSeconds float64
	StuckHours                                                                          map[string]float64
}

// ShareLeaks computes leak_cases as of asOf with limits once for the lake,
// into leak_memo, as ShareSLA does for a clock: the leaks report and the
// list of leaked leads on one page then work them out once.
func ShareLeaks(ctx context.Context, l *lake.Lake, asOf time.Time, lim LeakLimits) error {
	return share(ctx, l, leakShared, []string{timeLiteral(asOf), doubleLiteral(lim.HandoffSeconds), doubleLiteral(lim.TouchSeconds),
		doubleLiteral(lim.DispositionWorkdays), doubleLiteral(lim.RecycleSeconds), doubleLiteral(lim.DuplicateSeconds), mapLiteral(lim.StuckHours)},
		keptRows(l, "mql_stops"))
}

// keptRows is the row count of a kept table, from the manifest: about the
// rows a shared clock or leak computation holds (one per assignment, or
// per MQL). A lake without kept tables counts its leads instead, which is
// more than either.
func keptRows(l *lake.Lake, name string) int64 {
	if l.Manifest.HasKept() {
		return l.Manifest.Kept[name].Rows
	}
	return l.Manifest.Tables["leads"].Rows
}
