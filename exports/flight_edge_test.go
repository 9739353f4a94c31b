package exports

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	_ "github.com/duckdb/duckdb-go/v2"
)

// likeMatch is checked against DuckDB's own LIKE, an independent route:
// hand-picked cases, then generated patterns over a small alphabet (where
// % and _ and repeats collide most).
func TestLikeMatchAgreesWithDuckDB(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := [][2]string{
		{"leads", "leads"}, {"%", ""}, {"%", "leads"}, {"l%", "leads"}, {"%s", "leads"}, {"l_ads", "leads"},
		{"l_ds", "leads"}, {"%e%", "leads"}, {"%%%", "x"}, {"_", ""}, {"_%", "x"}, {"a%a", "a"}, {"a%a", "aa"},
		{"%ab%ab", "abab"}, {"%ab%ab", "abxab"}, {"%ab%ab", "aabb"}, {"r%_%s", "reports"}, {"%_", ""},
		{"%x%", "100%x"}, {"é_", "éa"}, {"__", "é"},
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("ab%_")
	for range 400 {
		p := make([]rune, r.IntN(7))
		for i := range p {
			p[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := make([]rune, r.IntN(7))
		for i := range s {
			s[i] = alphabet[r.IntN(2)]
		}
		cases = append(cases, [2]string{string(p), string(s)})
	}
	for _, c := range cases {
		var want bool
		if err := db.QueryRow("SELECT ?::VARCHAR LIKE ?::VARCHAR", c[1], c[0]).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got := likeMatch([]rune(c[0]), []rune(c[1])); got != want {
			t.Errorf("%q LIKE %q: %v, DuckDB says %v", c[1], c[0], got, want)
		}
	}
}

// A filter pattern long enough to have broken regexp compilation (and the
// process with it) is refused as an argument, and the server goes on.
func TestFlightLongFilterPattern(t *testing.T) {
	addr, _ := startFlight(t)
	ctx := t.Context()
	cl, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+testToken)
	for _, pattern := range []string{strings.Repeat("%_", 40000), strings.Repeat("a", maxPatternLength+1)} {
		info, err := cl.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: &pattern})
		if err == nil {
			var rdr interface{ Release() }
			rdr, err = cl.DoGet(ctx, info.Endpoint[0].Ticket)
			if err == nil {
				rdr.Release()
			}
		}
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("a pattern of %d characters: %v, want InvalidArgument", len(pattern), err)
		}
	}
	ok := strings.Repeat("%", maxPatternLength-1) + "s"
	info, err := cl.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: &ok})
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for rdr.Next() {
		n += rdr.RecordBatch().NumRows()
	}
	rdr.Release()
	// Tables ending in s: leads, events, users, opportunities, campaigns,
	// and the report tables of that shape; at least the five.
	if n < 5 {
		t.Errorf("a %d-character pattern matched %d tables", len(ok), n)
	}
	db := openSQL(t, addr, testToken)
	var leads int
	if err := db.QueryRow("SELECT count(*) FROM leads").Scan(&leads); err != nil || leads != 13 {
		t.Errorf("after the patterns: %d leads, %v", leads, err)
	}
}

// A panic in a call is that call's INTERNAL error; the interceptors keep
// the process.
func TestFlightRecoversFromPanics(t *testing.T) {
	f := NewFlight(FlightOptions{Lake: t.TempDir()})
	_, err := f.recoverUnary(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/test/Unary"}, func(context.Context, any) (any, error) {
		panic("boom")
	})
	if status.Code(err) != codes.Internal || strings.Contains(err.Error(), "boom") {
		t.Errorf("a panicking unary call: %v, want INTERNAL without the panic's text", err)
	}
	err = f.recoverStream(nil, nil, &grpc.StreamServerInfo{FullMethod: "/test/Stream"}, func(any, grpc.ServerStream) error {
		var names []string
		_ = names[len(names)] // out of range: a runtime panic
		return nil
	})
	if status.Code(err) != codes.Internal {
		t.Errorf("a panicking stream: %v, want INTERNAL", err)
	}
	if err := f.recoverStream(nil, nil, &grpc.StreamServerInfo{}, func(any, grpc.ServerStream) error { return errors.New("plain") }); err == nil || err.Error() != "plain" {
		t.Errorf("an ordinary error through the interceptor: %v", err)
	}
}

// A query that needs more memory than the endpoint's limit fails with
// DuckDB's out-of-memory error; the next query runs.
func TestFlightMemoryLimit(t *testing.T) {
	addr, _ := startFlight(t, func(o *FlightOptions) { o.MemoryLimit = 64 << 20 })
	db := openSQL(t, addr, testToken)
	var n int64
	// One string of about 290 MB: an aggregate that cannot spill.
	err := db.QueryRow("SELECT length(string_agg(i::VARCHAR, ',')) FROM range(40000000) t(i)").Scan(&n)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "memory") {
		t.Errorf("a query over the memory limit: %d, %v; want an out-of-memory error", n, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM leads").Scan(&n); err != nil || n != 13 {
		t.Errorf("after the refused query: %d leads, %v", n, err)
	}
}

// No catalog view a client can read shows the lake's files or the
// server's settings. The list of DuckDB's own views comes from a separate
// DuckDB, so a view added by a new DuckDB is covered without a change
// here.
func TestFlightCatalogHidesPathsAndSettings(t *testing.T) {
	addr, dir := startFlight(t)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	local, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	rows, err := local.Query("SELECT schema_name, view_name FROM duckdb_views() WHERE internal ORDER BY ALL")
	if err != nil {
		t.Fatal(err)
	}
	var relations []string
	for rows.Next() {
		var schema, view string
		if err := rows.Scan(&schema, &view); err != nil {
			t.Fatal(err)
		}
		relations = append(relations, fmt.Sprintf("%q.%q", schema, view))
	}
	rows.Close()
	if len(relations) < 10 {
		t.Fatalf("DuckDB lists %d internal views: %v", len(relations), relations)
	}
	for _, fn := range allowedTableFunctions {
		switch fn {
		case "generate_series", "range", "unnest", "pragma_table_info":
			continue
		}
		relations = append(relations, fn+"()")
	}
	relations = append(relations, "duckdb_views()", "duckdb_settings()", "pg_settings", "information_schema.views", "sqlite_master")
	db := openSQL(t, addr, testToken)
	settingNames := []string{"allowed_paths", "memory_limit", "enable_external_access"}
	var readable int
	for _, rel := range relations {
		query := "SELECT * FROM " + rel
		rows, err := db.Query(query)
		if err != nil {
			if !strings.Contains(err.Error(), "read-only") {
				t.Errorf("%s: %v; want a read-only refusal or rows", query, err)
			}
			continue
		}
		readable++
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			for i, v := range vals {
				if strings.Contains(v.String, abs) {
					t.Errorf("%s shows a path in %s: %s", query, cols[i], v.String)
				}
				for _, name := range settingNames {
					if v.String == name {
						t.Errorf("%s shows the setting %s", query, name)
					}
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", query, err)
		}
		rows.Close()
	}
	if readable == 0 {
		t.Error("no catalog view is readable: clients need information_schema.tables and columns")
	}
	t.Logf("%d of %d catalog relations readable", readable, len(relations))
}
