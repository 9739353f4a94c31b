package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

// The review file opens in headless Chromium with nothing but itself: no
// request leaves the file, no script error; its charts are drawn; a
// screenshot is kept (HANDOFF_SCREENSHOTS) to look at.
func TestReviewFileOffline(t *testing.T) {
	dir := fixtureLake(t)
	l, err := lake.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r, err := reports.BuildReview(context.Background(), l, "2026-W05", "UTC", reports.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	html, err := reports.ReviewHTML(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "review.html")
	if err := os.WriteFile(file, html, 0o644); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), "<a href") {
		t.Error("the file links somewhere: a review sent around has no server to link to")
	}
	b := newBrowser(t)
	err = chromedp.Do(b.ctx,
		chromedp.Navigate("file://"+file),
		chromedp.WaitVisible(chromedp.CSS("h1")),
		chromedp.Sleep(300*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	bars, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg rect').length`))
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(screenshotDir(t), "review.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", png)
	for _, p := range b.takeProblems() {
		if p != "request left 127.0.0.1: file://"+file {
			t.Error(p)
		}
	}
	// One bar per crack and per response bucket.
	if bars != 16 {
		t.Errorf("%d bars drawn, want 16 (8 cracks, 8 response buckets)", bars)
	}
	for _, want := range []string{"Handoff review · 2026-W05", "Leads passed", "SLA compliance per team", "lost in the handoff"} {
		if !strings.Contains(text, want) {
			t.Errorf("the review does not say %q", want)
		}
	}
}

// Served, the review's numbers open their rows.
func TestReviewServedLinksItsNumbers(t *testing.T) {
	base := startServer(t, fixtureLake(t))
	resp, body := get(t, base+"/review?week=2026-W05")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	for _, want := range []string{`href="/leads?as_of=`, `what=handed_off`, `/download/reports/leaked?`, `href="/review?tz=UTC&amp;week=2026-W04"`, `2026-W06 →`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the served review has no link %q", want)
		}
	}
	if again, _ := get(t, base+"/review?week=2026-W05"); again.Header.Get("X-Cache") != "hit" {
		t.Errorf("the same review again: X-Cache %q, want a hit", again.Header.Get("X-Cache"))
	}
	if resp, _ := get(t, base+"/review?week=2026-47"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad week: %d, want 400", resp.StatusCode)
	}
}
