package ingest

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

func init() {
	generatedInputs["hubspot-xlsx"] = writeHubSpotXLSX
}

// writeHubSpotXLSX writes a HubSpot contacts download as an XLSX, the way
// HubSpot and Excel store it: dates as serial numbers with a date format,
// ids and sizes as numbers, an empty row, and a second sheet. The expected
// rows are in testdata/ingest/cases/hubspot-xlsx, worked from these values.
func writeHubSpotXLSX(t *testing.T, dir string) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Contacts"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("Notes"); err != nil {
		t.Fatal(err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 22}) // m/d/yy h:mm
	if err != nil {
		t.Fatal(err)
	}
	rows := map[int][]any{
		1: {"Record ID", "First Name", "Email", "Create Date", "Lifecycle Stage", "Original Source", "Number of Employees", "Country/Region", "Became a Lead Date", "Became a Marketing Qualified Lead Date"},
		2: {110416453789, "Ana", "ana@acme.com", 45327.077083333333, "Lead", "Organic Search", "51-200", "United States", 45327.077083333333, 45335.395833333333},
		// row 3 is empty
		4: {110416453790, "Ben", "ben@beta.io", 45328.586805555556, "Lead", "Paid Social", 1200, "Canada", 45328.586805555556, nil},
		5: {110416453791, "Cy", "cy@gamma.sg", "yesterday", "Lead", "Organic Search", 12, "Singapore", nil, nil},
	}
	for r, values := range rows {
		for c, v := range values {
			if v == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, r)
			if err := f.SetCellValue("Contacts", cell, v); err != nil {
				t.Fatal(err)
			}
			if _, isDate := v.(float64); isDate {
				if err := f.SetCellStyle("Contacts", cell, cell, dateStyle); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := f.SetCellValue("Notes", "A1", "not the data"); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(filepath.Join(dir, "contacts.xlsx")); err != nil {
		t.Fatal(err)
	}
}

// FuzzXLSXReader feeds arbitrary bytes, seeded with a real workbook, to the
// XLSX reader: it must return an error or rows of the header's width, and
// stop.
func FuzzXLSXReader(f *testing.F) {
	dir := f.TempDir()
	writeHubSpotXLSX(&testing.T{}, dir)
	seed, err := os.ReadFile(filepath.Join(dir, "contacts.xlsx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		r, _, err := openXLSX(context.Background(), openFile{path: "fuzz.xlsx", raw: open, counted: open})
		if err != nil {
			return
		}
		defer r.close()
		rowsOfHeaderWidth(t, r)
	})
}
