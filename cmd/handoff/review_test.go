package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// handoff review writes the week as Markdown and HTML, and as PDF through
// Chromium when it is there.
func TestReviewCommand(t *testing.T) {
	lakeDir := fixtureLake(t)
	code, out, errOut := runCLI(t, "review", "--lake", lakeDir, "--week", "2026-W02", "--format", "md")
	if code != exitOK || !strings.Contains(out, "# Handoff review · 2026-W02") || !strings.Contains(out, "## Leaks") {
		t.Fatalf("md: exit %d\n%s\n%s", code, out, errOut)
	}
	html := filepath.Join(t.TempDir(), "review.html")
	if code, _, errOut := runCLI(t, "review", "--lake", lakeDir, "--week", "2026-W02", "--out", html); code != exitOK {
		t.Fatalf("html: exit %d\n%s", code, errOut)
	}
	if raw, _ := os.ReadFile(html); !bytes.HasPrefix(raw, []byte("<!doctype html>")) {
		t.Errorf("%s is not the review page", html)
	}
	if code, _, errOut := runCLI(t, "review", "--lake", lakeDir, "--week", "2026-47"); code != exitUsage || !strings.Contains(errOut, "ISO week") {
		t.Errorf("a bad week: exit %d\n%s", code, errOut)
	}
	if _, err := exec.LookPath("chromium"); err != nil || testing.Short() {
		t.Skip("no chromium for --pdf (scripts/test installs it)")
	}
	pdf := filepath.Join(t.TempDir(), "review.pdf")
	if code, _, errOut := runCLI(t, "review", "--lake", lakeDir, "--week", "2026-W02", "--pdf", "--out", pdf); code != exitOK {
		t.Fatalf("pdf: exit %d\n%s", code, errOut)
	}
	if raw, _ := os.ReadFile(pdf); !bytes.HasPrefix(raw, []byte("%PDF-")) || len(raw) < 5000 {
		t.Errorf("%s is no PDF (%d bytes)", pdf, len(raw))
	}
}
