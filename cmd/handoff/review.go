package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

// reviewFormats are what handoff review writes.
var reviewFormats = []string{"html", "md", "pdf"}

func reviewCommand(e *env) *cobra.Command {
	var lakeDir, week, tz, configPath, out, format string
	var pdf bool
	cmd := &cobra.Command{
		Use:   "review --lake DIR [--week YYYY-Www] [--out FILE] [--format html|md|pdf] [--tz ZONE] [--config FILE]",
		Short: "The weekly handoff review: one page for the marketing and sales meeting",
		Long: `Writes the weekly handoff review for an ISO week (default: the last full
week before the lake's latest event): leads passed to sales, accepted and
rejected with the top reasons, MQL → SQL conversion, first-response
percentiles and their distribution, SLA compliance per team, the leaks by
crack with the revenue at risk, and the biggest changes against the four
weeks before. Each number is the week's row of the report that defines it
(docs/reports.md).

--format html (the default) is one self-contained file: its style and its
charts are inside, and it asks the network for nothing. md is Markdown for a
wiki or chat. pdf (or --pdf) prints the HTML through headless Chromium,
which must be installed (Debian: apt-get install chromium). Served by
handoff serve at /review?week=…, its numbers link to their rows.`,
		Example: `  handoff review --lake ./lake --week 2026-W43 --out review.html
  handoff review --lake ./lake --format md
  handoff review --lake ./lake --week 2026-W43 --pdf --out review.pdf`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if pdf {
				format = "pdf"
			}
			if !slices.Contains(reviewFormats, format) {
				return usagef("--format %q: want html, md or pdf", format)
			}
			if format == "pdf" && out == "" {
				return usagef("a PDF is a file: give --out FILE")
			}
			if lakeDir == "" {
				return usagef("--lake is required")
			}
			cfg, err := loadReportsConfig(configPath)
			if err != nil {
				return err
			}
			l, err := lake.Open(ctx, lakeDir)
			if err != nil {
				return err
			}
			defer l.Close()
			if week == "" {
				latest, err := reports.LatestEvent(ctx, l)
				if err != nil {
					return err
				}
				week = reports.WeekOf(latest.AddDate(0, 0, -7))
			}
			r, err := reports.BuildReview(ctx, l, week, tz, cfg)
			if errors.Is(err, reports.ErrBadParam) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			var body []byte
			switch format {
			case "md":
				body = []byte(reports.ReviewMarkdown(r))
			default:
				if body, err = reports.ReviewHTML(r, nil); err != nil {
					return err
				}
			}
			if format == "pdf" {
				if err := printPDF(ctx, body, out); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "Wrote the review of %s to %s.\n", week, out)
				return nil
			}
			if out == "" {
				_, err := e.stdout.Write(body)
				return err
			}
			if err := os.WriteFile(out, body, 0o644); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			fmt.Fprintf(e.stderr, "Wrote the review of %s to %s.\n", week, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&lakeDir, "lake", "", "lake directory")
	f.StringVar(&week, "week", "", "ISO week, e.g. 2026-W47 (default: the last full week before the latest event)")
	f.StringVar(&tz, "tz", "UTC", "time zone the week is cut in")
	f.StringVar(&configPath, "config", "", "handoff.yaml: SLAs, stuck and leak limits")
	f.StringVar(&out, "out", "", "file to write (default: standard output)")
	f.StringVar(&format, "format", "html", "html, md or pdf")
	f.BoolVar(&pdf, "pdf", false, "print to PDF through headless Chromium (--format pdf)")
	return cmd
}

// chromiumNames are the names headless Chromium goes by.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// printPDF prints an HTML page to a PDF file through headless Chromium.
func printPDF(ctx context.Context, html []byte, out string) error {
	var bin string
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		return fmt.Errorf("--pdf needs headless Chromium, and none of %s is on the PATH (Debian: apt-get install chromium); --format html writes the same review, which a browser prints", strings.Join(chromiumNames, ", "))
	}
	dir, err := os.MkdirTemp("", "handoff-review-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, "review.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--no-pdf-header-footer",
		"--print-to-pdf="+abs, "file://"+page)
	if msg, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("chromium printing the review: %w\n%s", err, msg)
	}
	if st, err := os.Stat(abs); err != nil || st.Size() == 0 {
		return fmt.Errorf("chromium wrote no PDF to %s", out)
	}
	return nil
}
