package server

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/handoff-dev/handoff/dashboards"
	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

const (
	// quarantineRunsShown is how many recent runs the data page samples
	// quarantined rows from, and quarantineRowsShown how many rows of each
	// file.
	quarantineRunsShown = 3
	quarantineRowsShown = 20
	// defaultMaxUpload bounds one upload when Options.MaxUpload is 0.
	defaultMaxUpload = 512 << 20
)

// dataPage shows what the lake holds and the form to add to it.
func (s *Server) dataPage(c *gin.Context) {
	info, status := s.dataInfo(c)
	s.writePage(c, status, dashboards.DataPage(info))
}

func (s *Server) dataInfo(c *gin.Context) (dashboards.DataInfo, int) {
	info := dashboards.DataInfo{Lake: s.opts.Lake, Upload: dashboards.Upload{Action: "/data/upload", Sources: ingest.Sources}}
	if !s.mayWriteLake(c) {
		info.Upload.Denied = "Uploading needs a token with the lake:write scope: handoff token create --lake DIR --scope lake:write, then sign in with it."
	}
	if addr, ok := s.flightAddr.Load().(string); ok {
		info.SQLAddr, info.SQLTLS = addr, s.opts.FlightTLS != nil
	}
	h, err := s.lakes.Acquire(c.Request.Context())
	if errors.Is(err, lake.ErrNoLake) {
		return info, http.StatusOK
	}
	if err != nil {
		status, message := s.errorStatus(c, err)
		info.Result, info.Failed = []string{"The lake could not be read: " + message}, true
		return info, status
	}
	defer s.lakes.Release(h)
	m := h.Lake.Manifest
	info.Manifest = &m
	info.Exports = s.exportStatuses()
	if info.Tables, err = h.Lake.Summary(c.Request.Context()); err != nil {
		status, message := s.errorStatus(c, err)
		info.Result, info.Failed = []string{"The tables could not be summarised: " + message}, true
		return info, status
	}
	for i := len(m.Runs) - 1; i >= 0 && i >= len(m.Runs)-quarantineRunsShown; i-- {
		for _, in := range m.Runs[i].Inputs {
			if in.Quarantine == "" {
				continue
			}
			rows, err := readQuarantine(filepath.Join(s.opts.Lake, in.Quarantine), quarantineRowsShown)
			if err != nil {
				s.log.Warn("read quarantine", "file", in.Quarantine, "error", err)
				continue
			}
			info.Quarantine = append(info.Quarantine, dashboards.QuarantineSample{
				Run: m.Runs[i].ID, Input: in.Path, Total: in.Quarantined, Rows: rows,
				Href: "/data/quarantine?file=" + url.QueryEscape(in.Quarantine),
			})
		}
	}
	return info, http.StatusOK
}

// readQuarantine reads the first n rows after the header.
func readQuarantine(path string, n int) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		return nil, err
	}
	var rows [][]string
	for len(rows) < n {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, rec)
	}
	return rows, nil
}

// quarantineFile sends one quarantine file. Only files the manifest names
// are served, so the parameter cannot reach anything else on disk.
func (s *Server) quarantineFile(c *gin.Context) error {
	want := c.Query("file")
	m, err := lake.ReadManifest(s.opts.Lake)
	if err != nil {
		return httpError(http.StatusNotFound, "no lake here")
	}
	for _, r := range m.Runs {
		for _, in := range r.Inputs {
			if in.Quarantine != "" && in.Quarantine == want {
				return s.sendQuarantine(c, filepath.Join(s.opts.Lake, filepath.FromSlash(in.Quarantine)), r.ID+"-"+filepath.Base(in.Quarantine))
			}
		}
	}
	return httpError(http.StatusNotFound, fmt.Sprintf("no quarantine file %q in this lake's runs", want))
}

// sendQuarantine sends a quarantine file for a person's spreadsheet: the
// refused rows are CRM text, so a cell a spreadsheet would run as a formula
// is sent as text (reports.SpreadsheetText).
func (s *Server) sendQuarantine(c *gin.Context, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// Written by ingest as CSV; a file damaged since ends here.
			s.log.Warn("quarantine download", "file", path, "error", err)
			break
		}
		for i, v := range rec {
			rec[i] = reports.SpreadsheetText(v)
		}
		if err := w.Write(rec); err != nil {
			return nil // the client went away
		}
	}
	w.Flush()
	return nil
}

// upload ingests the files of a form post into the lake, one run at a
// time, and answers with the data page saying what became of them.
func (s *Server) upload(c *gin.Context) {
	// A page on another site can post a form here (browsers allow that
	// without asking): checkOrigin has turned it away.
	limit := s.opts.MaxUpload
	if limit <= 0 {
		limit = defaultMaxUpload
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	fail := func(status int, lines ...string) {
		info, _ := s.dataInfo(c)
		info.Result, info.Failed = lines, true
		s.writePage(c, status, dashboards.DataPage(info))
	}
	form, err := c.MultipartForm()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is larger than the %s this server accepts. Ingest large exports from the command line: handoff ingest --lake %s PATH...", lake.LimitText(limit), s.opts.Lake))
			return
		}
		fail(http.StatusBadRequest, "The upload could not be read: "+err.Error())
		return
	}
	files := form.File["files"]
	if len(files) == 0 {
		fail(http.StatusBadRequest, "Choose at least one export file to ingest.")
		return
	}
	source := c.PostForm("source")
	if source == "" {
		source = "auto"
	}
	if !slices.Contains(ingest.Sources, source) {
		fail(http.StatusBadRequest, fmt.Sprintf("Format %q is not one handoff reads: choose one of %s.", source, strings.Join(ingest.Sources, ", ")))
		return
	}
	dir, err := os.MkdirTemp("", "handoff-upload-")
	if err != nil {
		_, message := s.errorStatus(c, err)
		fail(http.StatusInternalServerError, "Could not store the upload: "+message)
		return
	}
	defer os.RemoveAll(dir)
	var paths []string
	names := map[string]string{}
	for _, fh := range files {
		// The file's own name tells a canonical export's table
		// (leads.csv); the directory part a browser may send is dropped.
		name := filepath.Base(filepath.Clean("/" + strings.ReplaceAll(fh.Filename, `\`, "/")))
		if name == "/" || name == "." {
			name = "upload-" + strconv.Itoa(len(paths)) + ".csv"
		}
		path := filepath.Join(dir, name)
		if slices.Contains(paths, path) {
			fail(http.StatusBadRequest, fmt.Sprintf("Two files are named %s: upload them one at a time.", name))
			return
		}
		if err := saveUpload(fh, path); err != nil {
			_, message := s.errorStatus(c, err)
			fail(http.StatusInternalServerError, "Could not store the upload: "+message)
			return
		}
		paths = append(paths, path)
		names[path] = "upload/" + name
	}

	s.ingestMu.Lock()
	res, err := ingest.Run(c.Request.Context(), ingest.Options{Lake: s.opts.Lake, Source: source, Config: s.opts.Ingest, Logger: s.log, Names: names}, paths)
	s.ingestMu.Unlock()
	lines := describeIngest(res, dir)
	if err != nil {
		s.log.Warn("upload refused", "files", len(paths), "error", err)
		fail(http.StatusUnprocessableEntity, append([]string{"Nothing was ingested and the lake is as it was: " + strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")}, lines...)...)
		return
	}
	s.log.Info("upload ingested", "files", len(paths), "accepted", res.Accepted, "quarantined", res.Quarantined, "generation", res.Manifest.Generation)
	info, status := s.dataInfo(c)
	info.Result = lines
	s.writePage(c, status, dashboards.DataPage(info))
}

func saveUpload(fh *multipart.FileHeader, path string) error {
	src, err := fh.Open()
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// describeIngest says per file what an ingest did, in sentences, with the
// first refused rows and where they were refused.
func describeIngest(res ingest.Result, dir string) []string {
	var lines []string
	for _, f := range res.Files {
		if f.Unrecognised != "" {
			lines = append(lines, fmt.Sprintf("%s was skipped: %s.", f.Path, f.Unrecognised))
			continue
		}
		line := fmt.Sprintf("%s, read as %s %s: %d rows, %d accepted, %d quarantined", f.Path, f.Source, f.Kind, f.Rows, f.Accepted, f.Quarantined)
		if f.Warnings > 0 {
			line += fmt.Sprintf(", %d values left blank with a warning", f.Warnings)
		}
		if f.Skipped > 0 {
			line += fmt.Sprintf(", %d skipped (nothing handoff keeps)", f.Skipped)
		}
		lines = append(lines, line+".")
		for _, e := range f.Errors {
			lines = append(lines, "  "+strings.TrimPrefix(e.Error(), dir+string(filepath.Separator)))
		}
	}
	if res.Manifest.Generation > 0 && len(lines) > 0 {
		lines = append(lines, fmt.Sprintf("The lake is now at generation %d.", res.Manifest.Generation))
	}
	return lines
}
