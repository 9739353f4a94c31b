package server

import (
	"context"
	"path/filepath"
	"time"

	"github.com/handoff-dev/handoff/dashboards"
	"github.com/handoff-dev/handoff/exports"
)

func exportStateFile(lakeDir string) string { return filepath.Join(lakeDir, "access", "exports.json") }

// runExport is one scheduled export on the lake state of the moment.
func (s *Server) runExport(ctx context.Context, e exports.Export, at time.Time) (exports.Manifest, error) {
	h, err := s.lakes.Acquire(ctx)
	if err != nil {
		return exports.Manifest{}, err
	}
	defer s.lakes.Release(h)
	return exports.Run(ctx, h.Lake, e, s.opts.Config, at)
}

// exportStatuses are the scheduled exports for the data page: what the
// scheduler knows, or the state file before its first round.
func (s *Server) exportStatuses() []dashboards.ExportStatus {
	if len(s.opts.Exports) == 0 {
		return nil
	}
	st := s.exporter.Statuses()
	if len(st) == 0 {
		st, _ = exports.ReadStatuses(exportStateFile(s.opts.Lake))
	}
	var out []dashboards.ExportStatus
	for _, e := range s.opts.Exports {
		x := st[e.Name]
		what := "report " + e.Report
		switch {
		case e.Table != "":
			what = "table " + e.Table
		case e.Review:
			what = "weekly review"
		}
		from := x.LastScheduled
		if from.IsZero() {
			from = time.Now()
		}
		out = append(out, dashboards.ExportStatus{Name: e.Name, What: what, Format: e.Format, Schedule: e.Schedule + " " + e.Timezone,
			Next: e.Next(from), LastSuccess: x.LastSuccess, LastFile: x.LastFile, LastRows: x.LastRows, LastError: x.LastError})
	}
	return out
}
