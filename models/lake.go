package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/handoff-dev/handoff/lake"
)

// ErrEmptyLake: the lake holds no event to compute anything on.
var ErrEmptyLake = errors.New("the lake has no leads or events yet: ingest some exports first (handoff ingest --lake DIR PATH...)")

// PrepareLake creates the models' macros on l's DuckDB, once per lake.
func PrepareLake(ctx context.Context, l *lake.Lake) error {
	_, err := l.Memo("models.prepared", func() (any, error) {
		return nil, Prepare(ctx, l.DB)
	})
	return err
}

// LatestEvent is the time of the newest event in the lake: the default
// as-of time of every report and score, so an old export reads as of its
// own end. It is looked up once per lake.
func LatestEvent(ctx context.Context, l *lake.Lake) (time.Time, error) {
	// Before Memo, whose lock a nested Memo call would wait on forever.
	if err := PrepareLake(ctx, l); err != nil {
		return time.Time{}, err
	}
	v, err := l.Memo("models.latest_event", func() (any, error) {
		return latestEvent(ctx, l)
	})
	if err != nil {
		return time.Time{}, err
	}
	return v.(time.Time), nil
}

func latestEvent(ctx context.Context, l *lake.Lake) (time.Time, error) {
	st, err := Bind("latest_event", nil)
	if err != nil {
		return time.Time{}, err
	}
	rows, err := st.Query(ctx, l.DB)
	if err != nil {
		return time.Time{}, err
	}
	defer rows.Close()
	var latest sql.NullTime
	if rows.Next() {
		if err := rows.Scan(&latest); err != nil {
			return time.Time{}, fmt.Errorf("latest event: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, fmt.Errorf("latest event: %w", err)
	}
	if !latest.Valid {
		return time.Time{}, ErrEmptyLake
	}
	return latest.Time.UTC(), nil
}

// QueryAll binds a model with args, runs it on the lake and scans every row
// into a T (ScanAll).
func QueryAll[T any](ctx context.Context, l *lake.Lake, model string, args map[string]any) ([]T, error) {
	st, err := Bind(model, args)
	if err != nil {
		return nil, err
	}
	rows, err := st.Query(ctx, l.DB)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := ScanAll[T](rows)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", model, err)
	}
	return out, nil
}
