package ingest

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/lake"
)

// TestIngestCases runs every folder under testdata/ingest/cases: the
// exports in in/ (written byte for byte as the vendor writes them), an
// optional handoff.yaml, and beside them what a person worked out by hand
// from the bytes and the mapping (each case's README.md has the working):
//
//   - <table>.want: the canonical rows, columns named in the header;
//   - summary.want: per file, the layout, encoding, delimiter, the counts
//     of rows, accepted, quarantined, warnings and skipped rows (layout
//     "skipped" for a file skipped whole), and how slash dates were read;
//   - quarantine.want: file, line, column (characters) and kind of each
//     refused row;
//   - warnings.want: file, line, column and field of each value left blank.
//
// A new layout is a new folder, not new test code. A case whose input is
// made by a library (an XLSX) has no in/: generatedInputs writes it.
func TestIngestCases(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "ingest", "cases", "*"))
	if len(dirs) == 0 {
		t.Fatal("no cases")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ctx := context.Background()
			in := filepath.Join(dir, "in")
			if gen, ok := generatedInputs[filepath.Base(dir)]; ok {
				in = t.TempDir()
				gen(t, in)
			}
			opts := Options{Lake: t.TempDir(), Now: testNow}
			if raw, err := os.ReadFile(filepath.Join(dir, "handoff.yaml")); err == nil {
				cfg, err := ParseConfig("handoff.yaml", raw)
				if err != nil {
					t.Fatal(err)
				}
				opts.Config = cfg
			}
			res, err := Run(ctx, opts, []string{in})
			if err != nil {
				t.Fatal(err)
			}
			checkSummary(t, dir, res)
			checkSideFile(t, filepath.Join(dir, "quarantine.want"), opts.Lake, res, func(f FileResult) string { return f.Quarantine }, 3)
			checkSideFile(t, filepath.Join(dir, "warnings.want"), opts.Lake, res, func(f FileResult) string { return f.WarningsFile }, 2)
			l, err := lake.Open(ctx, opts.Lake)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			checkWant(t, l, dir)
			// Nothing lost: every row read is accepted or quarantined.
			for _, f := range res.Files {
				if f.Accepted+f.Quarantined != f.Rows {
					t.Errorf("%s: %d rows read, %d accepted + %d quarantined", f.Path, f.Rows, f.Accepted, f.Quarantined)
				}
			}
			// The same files again change nothing.
			again, err := Run(ctx, opts, []string{in})
			if err != nil {
				t.Fatal(err)
			}
			if !again.Unchanged || again.Manifest.Generation != res.Manifest.Generation {
				t.Errorf("re-ingest: unchanged %v, generation %d → %d", again.Unchanged, res.Manifest.Generation, again.Manifest.Generation)
			}
		})
	}
}

// generatedInputs write a case's inputs where the bytes are made by a
// library rather than typed (XLSX), keyed by case folder.
var generatedInputs = map[string]func(t *testing.T, dir string){}

func checkSummary(t *testing.T, dir string, res Result) {
	t.Helper()
	rows := readCSV(t, filepath.Join(dir, "summary.want"))
	var want, got []string
	for _, r := range rows[1:] {
		want = append(want, strings.Join(r, "|"))
	}
	for _, f := range res.Files {
		layout := f.Source + " " + f.Kind
		if f.Unrecognised != "" {
			layout = "skipped"
		}
		got = append(got, strings.Join([]string{filepath.Base(f.Path), layout, f.Encoding, f.Delimiter,
			strconv.FormatInt(f.Rows, 10), strconv.FormatInt(f.Accepted, 10), strconv.FormatInt(f.Quarantined, 10),
			strconv.FormatInt(f.Warnings, 10), strconv.FormatInt(f.Skipped, 10), strings.SplitN(f.DateOrder, " ", 2)[0]}, "|"))
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, f := range res.Files {
		if f.Unrecognised != "" {
			t.Logf("%s skipped: %s", filepath.Base(f.Path), f.Unrecognised)
		}
	}
}

// checkSideFile compares a quarantine or warnings file's first columns
// (line, column, and kind or field) with the want file.
func checkSideFile(t *testing.T, wantPath, lakeDir string, res Result, side func(FileResult) string, third int) {
	t.Helper()
	rows := readCSV(t, wantPath)
	var want, got []string
	for _, r := range rows[1:] {
		want = append(want, strings.Join(r, "|"))
	}
	for _, f := range res.Files {
		if side(f) == "" {
			continue
		}
		for _, r := range readCSV(t, filepath.Join(lakeDir, side(f)))[1:] {
			got = append(got, strings.Join([]string{filepath.Base(f.Path), r[0], r[1], r[third]}, "|"))
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s\n got:\n  %s\nwant:\n  %s", filepath.Base(wantPath), strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestLayoutsAreToldApart: a header holding exactly a layout's detect
// columns is recognised as that layout and no other. Names match loosely
// (case, spaces, underscores), so a new layout can collide with another
// vendor's: Fivetran's HubSpot owner table once tied with a Salesforce Lead.
func TestLayoutsAreToldApart(t *testing.T) {
	in := &ingester{opts: Options{Source: "auto"}}
	for _, v := range Vendors() {
		spec, err := Config{}.Spec(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, fs := range spec.Files {
			gotSpec, gotFS, err := in.detect("export.csv", fs.Detect)
			if fs.NotNeeded != "" {
				if un, ok := err.(*Unrecognised); !ok || !strings.Contains(un.Known, v+" "+fs.Kind) {
					t.Errorf("%s %s: %v, want skipped as not needed", v, fs.Kind, err)
				}
				continue
			}
			if err != nil || gotSpec.Vendor != v || gotFS.Kind != fs.Kind {
				t.Errorf("%s %s: detected as %s %s, %v", v, fs.Kind, gotSpec.Vendor, gotFS.Kind, err)
			}
		}
	}
}
