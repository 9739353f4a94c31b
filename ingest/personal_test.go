package ingest

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Marketo bulk extract: row 2 lacks its created date (refused), row 3 is
// ragged (refused before it is split), row 4 is good.
const marketoWithPersonalData = "id,firstName,lastName,email,phone,company,country,industry,numberOfEmployees,title,leadSource,acquisitionProgramName,leadOwnerId,createdAt,updatedAt,leadStatus\n" +
	"1001,Ana,Lopez,ana.lopez@acme.com,+1 555 0100,Acme,United States,Software,51-200,CMO,Website,Q1 Webinar,null,,2024-02-06T10:00:00Z,New\n" +
	"1002,Ben,Okoro,ben@beta.io,+44 20 7946 0000,Beta\n" +
	"1003,Cy,Tran,cy@gamma.dev,555-0199,Gamma,Canada,Retail,20,VP Sales,Paid Search,null,null,2024-02-07T11:00:00Z,,New\n"

func quarantineOf(t *testing.T, res Result, lakeDir string) (string, [][]string) {
	t.Helper()
	for _, f := range res.Files {
		if f.Quarantine != "" {
			path := filepath.Join(lakeDir, f.Quarantine)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			return path, recs
		}
	}
	t.Fatal("no quarantine file")
	return "", nil
}

// The quarantine holds the lake's personal-data rule: without
// keep_personal_data, no e-mail address, name or phone number of a refused
// row is kept (an e-mail's domain is, as in the lake), and the files are
// the lake owner's alone.
func TestQuarantineKeepsNoPersonalData(t *testing.T) {
	in := filepath.Join(t.TempDir(), "leads.csv")
	if err := os.WriteFile(in, []byte(marketoWithPersonalData), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep_personal_data %v", keep), func(t *testing.T) {
			lakeDir := t.TempDir()
			res, err := Run(context.Background(), Options{Lake: lakeDir, Now: testNow, Config: Config{KeepPersonalData: keep}}, []string{in})
			if err != nil {
				t.Fatal(err)
			}
			path, recs := quarantineOf(t, res, lakeDir)
			if len(recs) != 3 {
				t.Fatalf("quarantine rows: %v", recs)
			}
			missing, ragged := recs[1][5], recs[2][5]
			all := missing + ragged
			if keep {
				for _, s := range []string{"ana.lopez@acme.com", "Lopez", "+1 555 0100", "ben@beta.io", "Okoro"} {
					if !strings.Contains(all, s) {
						t.Errorf("with keep_personal_data the quarantine lacks %q:\n%s", s, all)
					}
				}
				return
			}
			for _, s := range []string{"ana.lopez", "Lopez", "Ana,", "555", "ben@", "Okoro", "Ben", "7946"} {
				if strings.Contains(all, s) {
					t.Errorf("the quarantine keeps %q:\n%s", s, all)
				}
			}
			// Worked by hand: the row again with its first name, last
			// name, e-mail and phone masked, the domain kept.
			want := "1001,***,***,***@acme.com,***,Acme,United States,Software,51-200,CMO,Website,Q1 Webinar,null,,2024-02-06T10:00:00Z,New"
			if missing != want {
				t.Errorf("the refused row is kept as\n%s\nwant\n%s", missing, want)
			}
			if ragged != withheldRow {
				t.Errorf("the ragged row is kept as %q", ragged)
			}
			// The summary's samples hold the same text.
			for _, f := range res.Files {
				for _, e := range f.Errors {
					if strings.Contains(e.Raw, "Lopez") || strings.Contains(e.Raw, "Okoro") {
						t.Errorf("a sample keeps a name: %s", e.Raw)
					}
				}
			}
			for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700, filepath.Dir(filepath.Dir(path)): 0o700} {
				st, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != want {
					t.Errorf("%s: mode %v, want %v", p, st.Mode().Perm(), want)
				}
			}
		})
	}
}

// A run's quarantine stops at its cap: the rows past it are counted in the
// summary, not copied, and the file says so once.
func TestQuarantineCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("lead_id,created_at,email_domain,company,country,region,industry,company_size,title,source,campaign,owner_id,updated_at\n")
	const bad = 500
	for i := range bad {
		// No created_at: every row is refused; each is about 120 bytes
		// as the quarantine writes it.
		fmt.Fprintf(&b, "L%d,,x.com,%s,United States,NA,Software,50,CTO,web,c1,U1,\n", i, strings.Repeat("C", 40))
	}
	b.WriteString("L9999,2026-01-05T10:00:00Z,a.com,A,United States,NA,Software,50,CTO,web,c1,U1,\n")
	in := filepath.Join(t.TempDir(), "leads.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lakeDir := t.TempDir()
	const limit = 4 << 10
	res, err := Run(context.Background(), Options{Lake: lakeDir, Now: testNow, Config: Config{QuarantineMaxBytes: limit}}, []string{in})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files[0].Quarantined != bad || res.Files[0].Accepted != 1 {
		t.Errorf("quarantined %d, accepted %d; want %d and 1", res.Files[0].Quarantined, res.Files[0].Accepted, bad)
	}
	path, recs := quarantineOf(t, res, lakeDir)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// The cap, the header and the closing note.
	if st.Size() > limit+1024 {
		t.Errorf("the quarantine is %d bytes, over its %d-byte cap", st.Size(), limit)
	}
	last := recs[len(recs)-1]
	if len(recs) >= bad || !strings.Contains(strings.Join(last, ""), "reached its limit of 4 KiB") {
		t.Errorf("%d rows kept; the last is %v", len(recs)-1, last)
	}
}

// A slash date that is no date either way is called so, not ambiguous, and
// is not the sample of an unsettled date order; a real two-way date is.
func TestImpossibleSlashDatesAreNotAmbiguous(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "leads.csv")
	if err := os.WriteFile(in, []byte("lead_id,created_at\nL1,31/02/2026 25:00\nL2,05/06/2026 10:00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Lake: filepath.Join(dir, "lake"), Now: testNow}, []string{in})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Files[0]
	if !strings.Contains(f.DateOrder, "first: 05/06/2026 10:00 on line 3") {
		t.Errorf("date order: %s", f.DateOrder)
	}
	if len(f.Errors) != 2 || !strings.Contains(f.Errors[0].Reason, `"31/02/2026 25:00" is no date`) || !strings.Contains(f.Errors[1].Reason, "ambiguous date") {
		t.Errorf("reasons: %v", f.Errors)
	}
}
