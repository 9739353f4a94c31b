package lake

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// TableSummary is what one table holds.
type TableSummary struct {
	Table string
	Rows  int64
	Files int
	Bytes int64
	// First and Last bound the table's time column; zero for tables without one.
	First, Last time.Time
}

// Summary describes every canonical table of an open lake.
func (l *Lake) Summary(ctx context.Context) ([]TableSummary, error) {
	var out []TableSummary
	for _, t := range Tables {
		tf := l.Manifest.Tables[t.Name]
		s := TableSummary{Table: t.Name, Rows: tf.Rows, Files: len(tf.Files)}
		for _, f := range tf.Files {
			s.Bytes += f.Bytes
		}
		if t.PartitionBy != "" && tf.Rows > 0 {
			col := Ident(t.PartitionBy)
			var first, last sql.NullTime
			q := fmt.Sprintf("SELECT CAST(min(%s) AS TIMESTAMPTZ), CAST(max(%s) AS TIMESTAMPTZ) FROM %s", col, col, Ident(t.Name))
			if err := l.DB.QueryRowContext(ctx, q).Scan(&first, &last); err != nil {
				return nil, fmt.Errorf("summarise %s: %w", t.Name, err)
			}
			s.First, s.Last = first.Time.UTC(), last.Time.UTC()
		}
		out = append(out, s)
	}
	return out, nil
}

// LimitText says a configured size limit in the largest unit that writes
// it whole ("512 MiB", "4 KiB", "1000 bytes"): a limit is read as set, not
// rounded as HumanBytes rounds a measured size.
func LimitText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// HumanBytes says a size the way people read it: 773 B, 6.0 KiB, 1.2 GiB.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
