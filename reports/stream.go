package reports

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
)

// query is one model run of a report, with the arguments it adds to the
// report's parameters.
type query struct {
	model string
	extra map[string]any
}

// plan is how a list report turns its parameters into model runs, whose
// rows, in order, are the report's: the parameters checked, then the runs.
type plan func(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string) (Params, []query, error)

// collect runs a plan and keeps every row: the report as a Result.
func collect[T any](ctx context.Context, l *lake.Lake, report string, p Params, qs []query) (Result[T], error) {
	out := Result[T]{Report: report, Params: p}
	for _, q := range qs {
		r, err := run[T](ctx, l, report, q.model, p, q.extra)
		if err != nil {
			return out, err
		}
		out.Rows = append(out.Rows, r.Rows...)
	}
	return out, nil
}

// Opener makes the writer a streamed report goes to, once the report's
// parameters are checked and its columns known (head has no rows).
type Opener func(head Table) (RowWriter, error)

// streamer streams a plan's rows to the writer open makes, one at a time,
// as DuckDB returns them: a list of millions never sits in Go's memory.
// Rows go from the driver's values to the table's straight, each value
// made the kind its column says (what scanning into T would make of it),
// without building a T: that is most of what a row costs.
func streamer[T any](report string, pl plan) func(context.Context, *lake.Lake, Params, Config, string, Opener) (int, error) {
	return func(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string, open Opener) (int, error) {
		p, qs, err := pl(ctx, l, p, cfg, only)
		if err != nil {
			return 0, err
		}
		cols, _ := flattener[T](p.By)
		sources := columnSources[T](p.By)
		w, err := open(Table{Report: report, Params: p, Columns: cols})
		if err != nil {
			return 0, err
		}
		n := 0
		for _, q := range qs {
			k, err := streamQuery(ctx, l, report, q, p, cols, sources, w)
			n += k
			if err != nil {
				Abort(w)
				return n, err
			}
		}
		return n, w.Close()
	}
}

// columnSources names, for each column of T's table, the model column it
// comes from: its col tag ("dim" for the breakdown's).
func columnSources[T any](by string) []string {
	typ := reflect.TypeFor[T]()
	var out []string
	for i := 0; i < typ.NumField(); i++ {
		name := typ.Field(i).Tag.Get("col")
		if name == "" || (name == "dim" && by == "") {
			continue
		}
		out = append(out, name)
	}
	return out
}

func streamQuery(ctx context.Context, l *lake.Lake, report string, q query, p Params, cols []Column, sources []string, w RowWriter) (int, error) {
	args := p.args()
	for k, v := range q.extra {
		args[k] = v
	}
	if err := shareClocks(ctx, l, q.model, p, args); err != nil {
		return 0, err
	}
	st, err := models.Bind(q.model, args)
	if err != nil {
		return 0, err
	}
	skipped := 0
	if h, ok := w.(*Head); ok {
		// A head keeps n rows: DuckDB counts the rest, rather than every
		// row coming through Go to be counted (600,000 breaches, 0.5 s).
		limited, rest, err := h.limit(ctx, l, st, cols, sources)
		if err != nil {
			return 0, err
		}
		st, skipped = limited, rest
	}
	rows, err := st.Query(ctx, l.DB)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	from := make([]int, len(sources))
	for i, src := range sources {
		from[i] = slices.Index(names, src)
		if from[i] < 0 {
			return 0, fmt.Errorf("report %s: model %s returns no column %q", report, q.model, src)
		}
	}
	vals := make([]any, len(names))
	dest := make([]any, len(names))
	for i := range vals {
		dest[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, err
		}
		row := make([]any, len(cols))
		for i, c := range cols {
			v, err := asKind(vals[from[i]], c)
			if err != nil {
				return n, fmt.Errorf("report %s: column %s: %w", report, c.Name, err)
			}
			row[i] = v
		}
		n++
		if err := w.Write(row); err != nil {
			return n, err
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if skipped > 0 {
		w.(*Head).table.Total += skipped
		n += skipped
	}
	return n, nil
}

// asKind is a driver value as the kind of its column holds it: what
// scanning into the row type makes of it (models.ScanEach), so a streamed
// row and a flattened one are the same values.
func asKind(v any, c Column) (any, error) {
	if v == nil {
		if !c.Nullable {
			return nil, fmt.Errorf("NULL for a %s column", c.Kind)
		}
		return nil, nil
	}
	switch c.Kind {
	case reflect.String:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case reflect.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case reflect.Int64:
		switch rv := reflect.ValueOf(v); {
		case rv.CanInt():
			return rv.Int(), nil
		case rv.CanUint() && rv.Uint() <= math.MaxInt64:
			return int64(rv.Uint()), nil
		}
	case reflect.Float64:
		switch rv := reflect.ValueOf(v); {
		case rv.CanFloat():
			return rv.Float(), nil
		case rv.CanInt():
			return float64(rv.Int()), nil
		}
	case reflect.Struct:
		if t, ok := v.(time.Time); ok {
			return t.UTC(), nil
		}
	}
	return nil, fmt.Errorf("a %T for a %s column", v, c.Kind)
}

// listEntry is the Spec of a list report: Run keeps every row, Stream
// writes them as they come.
func listEntry[T any](name, short string, pl plan) Spec {
	s := entry(name, short, nil, func(ctx context.Context, l *lake.Lake, p Params, cfg Config, only string) (Result[T], error) {
		p, qs, err := pl(ctx, l, p, cfg, only)
		if err != nil {
			return Result[T]{Report: name, Params: p}, err
		}
		return collect[T](ctx, l, name, p, qs)
	})
	s.Stream = streamer[T](name, pl)
	return s
}

// Head keeps the first n rows of a streamed report (the first n of each
// value of the column per, when per is not ""), counts them all, and
// drops the rest as they come: what a page shows of a list of millions.
type Head struct {
	n, per  int
	perName string
	seen    map[any]int
	table   Table
}

// NewHead keeps n rows, or n of each value of the column per.
func NewHead(n int, per string) *Head { return &Head{n: n, perName: per, per: -1} }

// Open is the Opener that streams into h.
func (h *Head) Open(head Table) (RowWriter, error) {
	h.table = head
	h.table.Rows = nil
	if h.perName != "" {
		for i, c := range head.Columns {
			if c.Name == h.perName {
				h.per = i
			}
		}
		if h.per < 0 {
			return nil, fmt.Errorf("report %s has no column %q to keep rows per", head.Report, h.perName)
		}
		h.seen = map[any]int{}
	}
	return h, nil
}

func (h *Head) Write(row []any) error {
	h.table.Total++
	if h.per >= 0 {
		if h.seen[row[h.per]] < h.n {
			h.seen[row[h.per]]++
			h.table.Rows = append(h.table.Rows, row)
		}
		return nil
	}
	if len(h.table.Rows) < h.n {
		h.table.Rows = append(h.table.Rows, row)
	}
	return nil
}

func (h *Head) Close() error { return nil }

// limit makes st return only the rows h can still keep, when it can tell
// which: when h keeps n rows in all, or n of each value of a column that
// holds one value throughout st's rows (the breach list: one SLA a query).
// It says how many rows it leaves out, which h counts. Otherwise st stays
// whole and every row comes through Write.
func (h *Head) limit(ctx context.Context, l *lake.Lake, st models.Statement, cols []Column, sources []string) (models.Statement, int, error) {
	per, perCol := -1, "NULL"
	if h.perName != "" {
		per = slices.IndexFunc(cols, func(c Column) bool { return c.Name == h.perName })
		if per < 0 {
			return st, 0, nil
		}
		perCol = lake.Ident(sources[per])
	}
	var total, values int
	var value any
	counted := st.Within("SELECT count(*), count(DISTINCT "+perCol+"), any_value("+perCol+") FROM ", "")
	rows, err := counted.Query(ctx, l.DB)
	if err != nil {
		return st, 0, err
	}
	defer rows.Close()
	if !rows.Next() {
		return st, 0, rows.Err()
	}
	if err := rows.Scan(&total, &values, &value); err != nil {
		return st, 0, err
	}
	room := h.n - len(h.table.Rows)
	if per >= 0 {
		if values != 1 {
			return st, 0, nil
		}
		v, err := asKind(value, cols[per])
		if err != nil {
			return st, 0, nil
		}
		room = h.n - h.seen[v]
	}
	room = max(room, 0)
	if total <= room {
		return st, 0, nil
	}
	return st.Within("SELECT * FROM ", fmt.Sprintf(" LIMIT %d", room)), total - room, nil
}

// Table is the head kept, with the whole report's row count in Total.
func (h *Head) Table() Table { return h.table }
