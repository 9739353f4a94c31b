package ingest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/sample"
)

// keptDiffers counts the rows in which each stored kept table and the same
// table computed from scratch over the canonical tables (its macro as of
// infinity) differ, both ways.
func keptDiffers(t *testing.T, dir string) map[string][2]int {
	t.Helper()
	ctx := context.Background()
	l, err := lake.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out := map[string][2]int{}
	for _, k := range lake.Kept {
		scratch := lake.KeptFromScratch(k)
		stored := "SELECT * FROM " + lake.KeptView(k.Name)
		var rows, differ int
		err := l.DB.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM ("+stored+")), (SELECT count(*) FROM (("+stored+" EXCEPT ALL "+scratch+") UNION ALL ("+scratch+" EXCEPT ALL "+stored+")))").Scan(&rows, &differ)
		if err != nil {
			t.Fatalf("%s: %v", k.Name, err)
		}
		out[k.Name] = [2]int{rows, differ}
	}
	return out
}

func checkKept(t *testing.T, dir, when string) {
	t.Helper()
	m, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !m.HasKept() {
		t.Fatalf("%s: the manifest names no kept tables", when)
	}
	if err := lake.Verify(dir); err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	for name, d := range keptDiffers(t, dir) {
		if d[0] == 0 || d[1] != 0 || int64(d[0]) != m.Kept[name].Rows {
			t.Errorf("%s: kept %s has %d rows (manifest: %d), %d differing from a build from scratch", when, name, d[0], m.Kept[name].Rows, d[1])
		}
	}
}

// Every commit keeps the per-lead tables, equal to a build from scratch
// over what the lake then holds, and the manifest names them; a lake
// written without them reads the same through computed views, and
// --rebuild writes them, byte for byte as the commit did.
func TestKeptTablesAreBuiltAtCommitAndRebuilt(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests generated samples")
	}
	ctx := context.Background()
	work := t.TempDir()
	base, delta := filepath.Join(work, "base"), filepath.Join(work, "delta")
	if _, err := sample.Generate(ctx, base, sample.Options{Leads: 1200, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := sample.Generate(ctx, delta, sample.Options{Leads: 300, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "lake")
	if _, err := Run(ctx, Options{Lake: dir}, []string{base}); err != nil {
		t.Fatal(err)
	}
	checkKept(t, dir, "after the first ingest")
	// The second sample's leads share ids with the first's: new stage
	// changes, activities and assignments land on leads the lake holds.
	if _, err := Run(ctx, Options{Lake: dir}, []string{delta}); err != nil {
		t.Fatal(err)
	}
	checkKept(t, dir, "after a second ingest")

	// A CRM merge moves a lead's first sales touch after its MQL to
	// another lead: both leads' kept rows change.
	l, err := lake.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var actID, from, to, at, kind, actor, role, toMQL, rep string
	err = l.DB.QueryRowContext(ctx, `
		SELECT a.activity_id, a.lead_id, (SELECT max(lead_id) FROM kept_mql_stops WHERE lead_id <> a.lead_id),
		       strftime(a.occurred_at, '%Y-%m-%dT%H:%M:%SZ'), a.kind, coalesce(a.actor_id, ''), coalesce(a.actor_role, ''),
		       (SELECT strftime(mql_at, '%Y-%m-%dT%H:%M:%SZ') FROM kept_mql_stops WHERE lead_id <> a.lead_id ORDER BY lead_id DESC LIMIT 1),
		       (SELECT min(user_id) FROM users WHERE role = 'sdr')
		FROM activities a JOIN kept_mql_stops k ON k.lead_id = a.lead_id AND k.touched_at = a.occurred_at
		ORDER BY a.activity_id LIMIT 1`).Scan(&actID, &from, &to, &at, &kind, &actor, &role, &toMQL, &rep)
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	merge := filepath.Join(work, "merge")
	if err := os.MkdirAll(merge, 0o755); err != nil {
		t.Fatal(err)
	}
	csvText := "activity_id,lead_id,occurred_at,kind,actor_id,actor_role,channel,detail\n" +
		strings.Join([]string{actID, to, at, kind, actor, role, "", "moved by a merge"}, ",") + "\n" +
		// and a call at its MQL by a rep, with no actor_role: a sales
		// touch because users says the rep is in sales
		strings.Join([]string{"CALL-BY-ROLE", to, toMQL, "call", rep, "", "", ""}, ",") + "\n"
	if err := os.WriteFile(filepath.Join(merge, "activities.csv"), []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, Options{Lake: dir}, []string{merge}); err != nil {
		t.Fatal(err)
	}
	checkKept(t, dir, "after an activity moved from "+from+" to "+to)

	// The rep moves to marketing: the call is no longer a sales touch,
	// for every lead, though no lead's rows were in the commit.
	raw, err := os.ReadFile(filepath.Join(base, "users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for i, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if i == 0 || strings.HasPrefix(line, rep+",") {
			kept = append(kept, strings.Replace(line, ",sdr,", ",marketing,", 1))
		}
	}
	if err := os.WriteFile(filepath.Join(merge, "users.csv"), []byte(strings.Join(kept, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(merge, "activities.csv")); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, Options{Lake: dir}, []string{merge}); err != nil {
		t.Fatal(err)
	}
	checkKept(t, dir, "after "+rep+" moved to marketing")
	committed, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}

	// The lake as a handoff before kept tables wrote it: no kept entries.
	raw, err = os.ReadFile(filepath.Join(dir, lake.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "kept")
	delete(doc, "kept_version")
	raw, _ = json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(dir, lake.ManifestFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = lake.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var def string
	if err := l.DB.QueryRowContext(ctx, "SELECT sql FROM duckdb_views() WHERE view_name = 'kept_lead_firsts'").Scan(&def); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if strings.Contains(def, "read_parquet") {
		t.Fatalf("a lake without kept tables reads files for them: %s", def)
	}
	for name, d := range keptDiffers(t, dir) {
		if d[0] == 0 || d[1] != 0 {
			t.Errorf("without kept files, %s has %d rows, %d differing from scratch", name, d[0], d[1])
		}
	}

	rebuilt, err := Rebuild(ctx, Options{Lake: dir})
	if err != nil {
		t.Fatal(err)
	}
	checkKept(t, dir, "after --rebuild")
	if rebuilt.Generation != committed.Generation+1 {
		t.Errorf("rebuild committed generation %d, want %d", rebuilt.Generation, committed.Generation+1)
	}
	for _, k := range lake.Kept {
		if got, want := rebuilt.Kept[k.Name].Files[0].SHA256, committed.Kept[k.Name].Files[0].SHA256; got != want {
			t.Errorf("rebuilt %s has hash %s, the commit wrote %s: the same content must give the same bytes", k.Name, got, want)
		}
	}
	for name, tf := range rebuilt.Tables {
		if len(tf.Files) != len(committed.Tables[name].Files) || (len(tf.Files) > 0 && tf.Files[0].SHA256 != committed.Tables[name].Files[0].SHA256) {
			t.Errorf("rebuild changed the canonical table %s", name)
		}
	}
}

// A second ingest merges only the partitions its rows touch, and the lake
// it leaves is the one a single ingest of both exports makes: the same
// files, byte for byte, in every table (kept ones too).
func TestIngestInTwoRunsEqualsOne(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests generated samples")
	}
	ctx := context.Background()
	work := t.TempDir()
	base, delta := filepath.Join(work, "1-base"), filepath.Join(work, "2-delta")
	if _, err := sample.Generate(ctx, base, sample.Options{Leads: 1500, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	// A later company's worth of leads whose ids overlap the first's, so
	// the second run both adds rows and replaces rows the lake holds.
	if _, err := sample.Generate(ctx, delta, sample.Options{Leads: 200, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	two, one := filepath.Join(work, "two"), filepath.Join(work, "one")
	if _, err := Run(ctx, Options{Lake: two}, []string{base}); err != nil {
		t.Fatal(err)
	}
	first, err := lake.ReadManifest(two)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, Options{Lake: two}, []string{delta})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, Options{Lake: one}, []string{base, delta}); err != nil {
		t.Fatal(err)
	}
	whole, err := lake.ReadManifest(one)
	if err != nil {
		t.Fatal(err)
	}
	hashes := func(tfs map[string]lake.TableFiles) map[string]string {
		out := map[string]string{}
		for name, tf := range tfs {
			for _, f := range tf.Files {
				out[name+"/"+f.Path] = f.SHA256
			}
		}
		return out
	}
	got, want := hashes(res.Manifest.Tables), hashes(whole.Tables)
	for k, v := range hashes(res.Manifest.Kept) {
		got["kept:"+k] = v
	}
	for k, v := range hashes(whole.Kept) {
		want["kept:"+k] = v
	}
	if len(got) != len(want) {
		t.Errorf("two runs left %d files, one run %d", len(got), len(want))
	}
	for path, sum := range want {
		if got[path] != sum {
			t.Errorf("%s differs between two runs and one", path)
		}
	}
	// And the second run kept some partitions as they were.
	untouched := 0
	before := hashes(first.Tables)
	for path, sum := range got {
		if before[path] == sum {
			untouched++
		}
	}
	if untouched == 0 {
		t.Error("the second run rewrote every partition")
	}
	t.Logf("%d of %d files kept as they were", untouched, len(got))
}
