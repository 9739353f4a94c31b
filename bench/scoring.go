package bench

import (
	"context"
	"database/sql"
	"time"

	"github.com/handoff-dev/handoff/lake"
)

// EngagementBaseline runs the scoring benchmark's baseline
// (sql/duckdb_engagement_baseline.sql) and returns how many rows it made.
func EngagementBaseline(ctx context.Context, l *lake.Lake, asOf time.Time, kinds []string) (int, error) {
	text, err := sqlFiles.ReadFile("sql/duckdb_engagement_baseline.sql")
	if err != nil {
		return 0, err
	}
	rows, err := l.DB.QueryContext(ctx, string(text), sql.Named("as_of", asOf), sql.Named("kinds", kinds))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	var lead, kind string
	var events int64
	var decayed float64
	for rows.Next() {
		if err := rows.Scan(&lead, &kind, &events, &decayed); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
