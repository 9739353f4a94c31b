package server

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/lake"
)

// postFiles uploads files (name → content) to the data page's form.
func postFiles(t *testing.T, url, source string, files map[string]string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for name, content := range files {
		part, err := w.CreateFormFile("files", name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(part, content)
	}
	w.WriteField("source", source)
	w.Close()
	client := &http.Client{}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	// As a browser on the data page sends it.
	req.Header.Set("Origin", "http://"+req.URL.Host)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

func mustContain(t *testing.T, what, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// An empty lake fills from the data page's upload: good rows land, the bad
// one is quarantined with its line and column, the dashboards' API sees the
// new data, and a file that is no export changes nothing.
func TestDataPageUpload(t *testing.T) {
	lakeDir := filepath.Join(t.TempDir(), "lake")
	base := startServer(t, lakeDir)

	resp, body := get(t, base+"/data")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("data page with no lake: %d", resp.StatusCode)
	}
	mustContain(t, "empty data page", string(body), "No lake yet", `action="/data/upload"`, `<option>hubspot</option>`)

	files := map[string]string{}
	inputs, _ := filepath.Glob("../testdata/reports/*.csv")
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(in)] = string(b)
	}
	// Line 15 of leads.csv: a creation time nobody can read, at column 5.
	files["leads.csv"] += "L99,yesterday,z.com,Z,,,,,,web,,,\n"
	status, page := postFiles(t, base+"/data/upload", "canonical", files)
	if status != http.StatusOK {
		t.Fatalf("upload: %d\n%s", status, page)
	}
	mustContain(t, "upload answer", page,
		"upload/leads.csv, read as canonical leads: 14 rows, 13 accepted, 1 quarantined.",
		"leads.csv:15:5: created_at: unparseable timestamp &#34;yesterday&#34;",
		"The lake is now at generation 1.",
		"Quarantine: upload/leads.csv", "1 row of upload/leads.csv was refused in run")

	// The reports read the uploaded rows: the fixture's 13 leads.
	resp, body = get(t, base+"/api/v1/reports/sources?as_of="+fixtureAsOf+"&format=csv")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sources after upload: %d %s", resp.StatusCode, body)
	}
	var leads int
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n")[1:] {
		var n int
		fields := strings.Split(line, ",")
		if _, err := fmt.Sscan(fields[1], &n); err == nil {
			leads += n
		}
	}
	if leads != 13 {
		t.Errorf("sources count %d leads after the upload, want 13", leads)
	}

	// The data page lists the tables and the whole quarantine file.
	_, body = get(t, base+"/data")
	mustContain(t, "data page", string(body), `<td>leads</td><td class="num">13</td>`, "generation 1")
	m, err := lake.ReadManifest(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	var quarantine string
	for _, in := range m.Runs[0].Inputs {
		if in.Quarantine != "" {
			quarantine = in.Quarantine
		}
	}
	resp, body = get(t, base+"/data/quarantine?file="+quarantine)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "L99,yesterday") {
		t.Errorf("quarantine download: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = get(t, base+"/data/quarantine?file=../../../etc/passwd")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a path outside the manifest's quarantine answered %d", resp.StatusCode)
	}

	// Not an export: refused whole, the lake stays at generation 1.
	status, page = postFiles(t, base+"/data/upload", "auto", map[string]string{"notes.csv": "colour,shape\nred,round\n"})
	if status != http.StatusUnprocessableEntity {
		t.Errorf("a file that is no export: %d", status)
	}
	mustContain(t, "refused upload", page, "Nothing was ingested and the lake is as it was", "notes.csv")
	if m, _ := lake.ReadManifest(lakeDir); m.Generation != 1 {
		t.Errorf("after a refused upload the lake is at generation %d, want 1", m.Generation)
	}
	// Another site's page posting to the form is turned away.
	var form bytes.Buffer
	w := multipart.NewWriter(&form)
	part, _ := w.CreateFormFile("files", "leads.csv")
	io.WriteString(part, files["leads.csv"])
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/data/upload", &form)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", "https://evil.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site upload answered %d", resp.StatusCode)
	}
	if m, _ := lake.ReadManifest(lakeDir); m.Generation != 1 {
		t.Errorf("after a cross-site upload the lake is at generation %d, want 1", m.Generation)
	}

	status, page = postFiles(t, base+"/data/upload", "auto", nil)
	if status != http.StatusBadRequest || !strings.Contains(page, "Choose at least one export file") {
		t.Errorf("an upload with no file: %d", status)
	}
}

// The quarantine download goes to a person's spreadsheet: a refused row
// that starts like a formula is sent as text.
func TestQuarantineDownloadIsSpreadsheetSafe(t *testing.T) {
	lakeDir := filepath.Join(t.TempDir(), "lake")
	base := startServer(t, lakeDir)
	status, page := postFiles(t, base+"/data/upload", "auto", map[string]string{
		"leads.csv": "lead_id,created_at\n=HYPERLINK(\"http://evil.example\"),yesterday\nL1,2026-01-05T10:00:00Z\n",
	})
	if status != http.StatusOK {
		t.Fatalf("upload: %d\n%s", status, page)
	}
	m, err := lake.ReadManifest(lakeDir)
	if err != nil {
		t.Fatal(err)
	}
	var quarantine string
	for _, in := range m.Runs[0].Inputs {
		quarantine = in.Quarantine
	}
	resp, body := get(t, base+"/data/quarantine?file="+quarantine)
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || resp.StatusCode != http.StatusOK || len(recs) != 2 {
		t.Fatalf("download: %d %v\n%s", resp.StatusCode, err, body)
	}
	// line, column, field, kind, reason, row: the id and the row are text.
	if row := recs[1][5]; !strings.HasPrefix(row, `'=HYPERLINK("http://evil.example")`) {
		t.Errorf("the refused row is sent as %q", row)
	}
	if !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
	}
}
