package exports

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/csv"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/driver"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/handoff-dev/handoff/ingest"
	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/reports"
)

const testToken = "hnd_flight_test"

// startFlight serves the fixture lake's Flight SQL on 127.0.0.1 and
// returns its address and the lake directory. The server stops with the
// test.
func startFlight(t *testing.T, tune ...func(*FlightOptions)) (addr, dir string) {
	t.Helper()
	l := fixtureLake(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := FlightOptions{Lake: l.Dir, Config: reports.DefaultConfig(), Authorize: func(tok string) error {
		if tok != testToken {
			return errors.New("the token is not one of this server's")
		}
		return nil
	}}
	for _, f := range tune {
		f(&opts)
	}
	f := NewFlight(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("flight serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("flight server did not stop")
		}
	})
	return ln.Addr().String(), l.Dir
}

// openSQL connects arrow-go's database/sql driver, as a Go program would.
func openSQL(t *testing.T, addr, token string) *sql.DB {
	t.Helper()
	// No client time limit: a busy machine answers late, not wrongly; the
	// server's own QueryTimeout and the test binary's -timeout bound it.
	dsn := "flightsql://" + addr
	if token != "" {
		dsn += "?token=" + token
	}
	db, err := sql.Open("flightsql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// csvColumn reads one column of a fixture CSV: the lake's rows by a route
// that does not pass through handoff.
func csvColumn(t *testing.T, file, column string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "reports", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, name := range recs[0] {
		if name == column {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s has no column %s", file, column)
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[col])
	}
	return out
}

func TestFlightReadsTheLake(t *testing.T) {
	addr, dir := startFlight(t)
	db := openSQL(t, addr, testToken)
	m, err := lake.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}

	// Every canonical table: the count the manifest recorded at ingest.
	for _, tb := range lake.Tables {
		var n int64
		if err := db.QueryRow("SELECT count(*) FROM " + tb.Name).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tb.Name, err)
		}
		if n != m.Tables[tb.Name].Rows {
			t.Errorf("%s: %d rows over Flight SQL, the lake holds %d", tb.Name, n, m.Tables[tb.Name].Rows)
		}
	}

	// The leads themselves, against the fixture CSV read here.
	rows, err := db.Query("SELECT lead_id, created_at, company_size FROM leads ORDER BY lead_id")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	var sizes int64
	for rows.Next() {
		var id string
		var created time.Time
		var size sql.NullInt64
		if err := rows.Scan(&id, &created, &size); err != nil {
			t.Fatal(err)
		}
		got[id] = created
		sizes += size.Int64
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	ids, created, sizeText := csvColumn(t, "leads.csv", "lead_id"), csvColumn(t, "leads.csv", "created_at"), csvColumn(t, "leads.csv", "company_size")
	if len(got) != len(ids) {
		t.Errorf("%d leads over Flight SQL, %d in leads.csv", len(got), len(ids))
	}
	var wantSizes int64
	for i, id := range ids {
		want, _ := time.Parse(time.RFC3339, created[i])
		if !got[id].Equal(want) {
			t.Errorf("lead %s created_at %v over Flight SQL, %v in leads.csv", id, got[id], want)
		}
		var n int64
		for _, c := range sizeText[i] {
			n = n*10 + int64(c-'0')
		}
		wantSizes += n
	}
	if sizes != wantSizes {
		t.Errorf("company_size sums to %d over Flight SQL, %d in leads.csv", sizes, wantSizes)
	}

	// A parameter, bound through a prepared statement: leads.csv's web
	// leads, counted here.
	web := 0
	for _, s := range csvColumn(t, "leads.csv", "source") {
		if s == "web" {
			web++
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM leads WHERE source = ?", "web").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != web || web == 0 {
		t.Errorf("leads from web: %d over Flight SQL, %d in leads.csv", n, web)
	}
}

// The reports schema holds each report at its default parameters: the
// same rows as the report computed directly on the same lake.
func TestFlightReportTables(t *testing.T) {
	addr, dir := startFlight(t)
	db := openSQL(t, addr, testToken)
	l, err := lake.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, name := range []string{"funnel", "sources", "sla-breaches"} {
		spec, _ := reports.Lookup(name)
		tb, err := spec.Run(context.Background(), l, reports.Params{}, reports.DefaultConfig(), "")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow("SELECT count(*) FROM reports." + strings.ReplaceAll(name, "-", "_")).Scan(&n); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n != len(tb.Rows) || n == 0 {
			t.Errorf("reports.%s: %d rows over Flight SQL, the report has %d", name, n, len(tb.Rows))
		}
	}
	// The funnel's counts, summed both ways.
	spec, _ := reports.Lookup("funnel")
	tb, _ := spec.Run(context.Background(), l, reports.Params{}, reports.DefaultConfig(), "")
	var wantFrom, wantTo int64
	for _, r := range tb.Rows {
		for i, c := range tb.Columns {
			switch c.Name {
			case "reached_from":
				wantFrom += r[i].(int64)
			case "reached_to":
				wantTo += r[i].(int64)
			}
		}
	}
	var from, to int64
	if err := db.QueryRow("SELECT sum(reached_from)::BIGINT, sum(reached_to)::BIGINT FROM reports.funnel").Scan(&from, &to); err != nil {
		t.Fatal(err)
	}
	if from != wantFrom || to != wantTo {
		t.Errorf("reports.funnel sums %d, %d over Flight SQL; the report's are %d, %d", from, to, wantFrom, wantTo)
	}
}

// Nothing that writes, attaches, copies, installs, sets or reads a file
// gets through, by any of the ways a client can send it; afterwards the
// lake and the disk are as they were.
func TestFlightRefusesWhatIsNotARead(t *testing.T) {
	addr, dir := startFlight(t)
	db := openSQL(t, addr, testToken)
	outside := filepath.Join(t.TempDir(), "outside")
	lakeFile := ""
	m, _ := lake.ReadManifest(dir)
	for _, f := range m.Tables["leads"].Files {
		lakeFile = filepath.Join(dir, m.Root, f.Path)
	}
	secret := filepath.Join(dir, "access", "secret.json")
	if err := os.MkdirAll(filepath.Dir(secret), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte(`{"secret":"s3cr3t"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	statements := []struct{ name, sql string }{
		{"insert", "INSERT INTO leads (lead_id) VALUES ('X')"},
		{"update", "UPDATE leads SET source = 'x'"},
		{"delete", "DELETE FROM leads"},
		{"create table", "CREATE TABLE t AS SELECT 1"},
		{"create view", "CREATE VIEW v AS SELECT 1"},
		{"drop", "DROP VIEW leads"},
		{"copy to", "COPY leads TO '" + outside + ".csv'"},
		{"copy query to", "COPY (SELECT 1) TO '" + outside + ".parquet' (FORMAT parquet)"},
		{"copy over the lake", "COPY (SELECT 1 AS a) TO '" + lakeFile + "' (FORMAT parquet, USE_TMP_FILE false)"},
		{"copy from", "COPY leads FROM '" + secret + "'"},
		{"export database", "EXPORT DATABASE '" + outside + "'"},
		{"attach memory", "ATTACH ':memory:' AS scratch"},
		{"attach file", "ATTACH '" + outside + ".db' AS other"},
		{"install", "INSTALL httpfs"},
		{"load", "LOAD httpfs"},
		{"set", "SET enable_external_access = true"},
		{"pragma", "PRAGMA enable_profiling"},
		{"call", "CALL pragma_version()"},
		{"checkpoint", "CHECKPOINT"},
		{"second statement", "SELECT 1; DROP VIEW leads"},
		{"read_csv", "SELECT * FROM read_csv('" + secret + "')"},
		{"read_text", "SELECT * FROM read_text('" + secret + "')"},
		{"read_blob", "SELECT * FROM read_blob('/etc/hostname')"},
		{"read_json in a subquery", "SELECT * FROM leads WHERE lead_id IN (SELECT secret FROM read_json('" + secret + "'))"},
		{"read_parquet of a lake file", "SELECT * FROM read_parquet('" + lakeFile + "')"},
		{"file as a table", "SELECT * FROM '" + secret + "'"},
		{"file in a CTE", "WITH s AS (SELECT * FROM '" + secret + "') SELECT * FROM s"},
		{"glob", "SELECT * FROM glob('" + dir + "/*')"},
		{"query()", "SELECT * FROM query('SELECT 1')"},
		{"parquet_metadata", "SELECT * FROM parquet_metadata('" + lakeFile + "')"},
		{"current_setting", "SELECT current_setting('allowed_paths')"},
		{"pg_settings", "SELECT * FROM pg_settings"},
		{"duckdb_settings()", "SELECT * FROM duckdb_settings()"},
		{"duckdb_views()", "SELECT sql FROM duckdb_views()"},
		{"duckdb_views", "SELECT sql FROM duckdb_views"},
		{"information_schema.views", "SELECT view_definition FROM information_schema.views"},
		{"sqlite_master", "SELECT sql FROM sqlite_master"},
		{"pg_views in a subquery", "SELECT * FROM leads WHERE lead_id IN (SELECT definition FROM pg_catalog.pg_views)"},
	}
	for _, s := range statements {
		t.Run(s.name, func(t *testing.T) {
			rows, err := db.Query(s.sql)
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if err == nil {
				t.Fatalf("%s: ran", s.sql)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), "read-only") && !strings.Contains(err.Error(), "one statement") {
				t.Errorf("%s: %v; want a read-only refusal", s.sql, err)
			}
			if _, err := db.Exec(s.sql); err == nil {
				t.Errorf("%s as an update: ran", s.sql)
			}
		})
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM leads").Scan(&n); err != nil || n != 13 {
		t.Errorf("after the refusals: %d leads (%v), want 13", n, err)
	}
	for _, p := range []string{outside + ".csv", outside + ".parquet", outside, outside + ".db"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	if err := lake.Verify(dir); err != nil {
		t.Errorf("the lake changed: %v", err)
	}
}

func TestFlightNeedsAToken(t *testing.T) {
	addr, _ := startFlight(t)
	for _, tok := range []string{"", "hnd_wrong"} {
		db := openSQL(t, addr, tok)
		var n int
		err := db.QueryRow("SELECT count(*) FROM leads").Scan(&n)
		if err == nil || !strings.Contains(err.Error(), codes.Unauthenticated.String()) {
			t.Errorf("token %q: %v; want Unauthenticated", tok, err)
		}
	}
}

// A client that logs in with a user name and password (the token) in a
// handshake, as JDBC does, gets a bearer token back and can query.
func TestFlightBasicLoginAndCatalog(t *testing.T) {
	addr, _ := startFlight(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.Client.AuthenticateBasicToken(ctx, "analyst", "hnd_wrong"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a wrong password: %v, want Unauthenticated", err)
	}
	ctx, err = cl.Client.AuthenticateBasicToken(ctx, "analyst", testToken)
	if err != nil {
		t.Fatal(err)
	}

	info, err := cl.GetTables(ctx, &flightsql.GetTablesOpts{IncludeSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	var tables []string
	for rdr.Next() {
		rec := rdr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			schema := rec.Column(1).ValueStr(i)
			name := rec.Column(2).ValueStr(i)
			tables = append(tables, schema+"."+name)
			cols, err := flight.DeserializeSchema(rec.Column(4).(*array.Binary).Value(i), memory.DefaultAllocator)
			if err != nil {
				t.Errorf("schema of %s.%s: %v", schema, name, err)
			} else if schema == "main" && name == "leads" && !cols.HasField("created_at") {
				t.Errorf("schema of main.leads: %v, want created_at among its fields", cols)
			}
		}
	}

	// What a JDBC driver asks on connecting: the server's name, and that
	// it is read-only.
	info, err = cl.GetSqlInfo(ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName, flightsql.SqlInfoFlightSqlServerReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	infoRdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	defer infoRdr.Release()
	got := map[uint32]string{}
	for infoRdr.Next() {
		rec := infoRdr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			got[rec.Column(0).(*array.Uint32).Value(i)] = rec.Column(1).ValueStr(i)
		}
	}
	if !strings.Contains(got[uint32(flightsql.SqlInfoFlightSqlServerName)], "handoff") || !strings.Contains(got[uint32(flightsql.SqlInfoFlightSqlServerReadOnly)], "true") {
		t.Errorf("sql info: %v, want the name handoff and read-only true", got)
	}

	var want []string
	for _, tb := range lake.Tables {
		want = append(want, "main."+tb.Name)
	}
	for _, r := range reports.Names() {
		want = append(want, "reports."+strings.ReplaceAll(r, "-", "_"))
	}
	sort.Strings(tables)
	sort.Strings(want)
	if strings.Join(tables, " ") != strings.Join(want, " ") {
		t.Errorf("tables listed:\n %v\nwant\n %v", tables, want)
	}
}

// A query reads the newest committed state: a lead ingested between two
// queries is in the second, and the report tables are computed anew.
func TestFlightFollowsTheLake(t *testing.T) {
	addr, dir := startFlight(t)
	db := openSQL(t, addr, testToken)
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	leads, created := count("SELECT count(*) FROM leads"), count("SELECT count(*) FROM reports.leads")
	more := filepath.Join(t.TempDir(), "leads.csv")
	header := "lead_id,created_at,email_domain,company,country,region,industry,company_size,title,source,campaign,owner_id,updated_at\n"
	if err := os.WriteFile(more, []byte(header+"L99,2026-03-30T09:00:00Z,z.com,Z,United States,NA,Software,20,CTO,web,c1,U1,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(context.Background(), ingest.Options{Lake: dir, Strict: true}, []string{more}); err != nil {
		t.Fatal(err)
	}
	if got := count("SELECT count(*) FROM leads"); got != leads+1 {
		t.Errorf("after ingesting one lead: %d leads over Flight SQL, want %d", got, leads+1)
	}
	if got := count("SELECT count(*) FROM reports.leads WHERE lead_id = 'L99'"); got != 1 {
		t.Errorf("reports.leads (leads created in the default window) holds L99 %d times after the ingest, want 1 (it had %d rows before)", got, created)
	}
}

// A query that runs past the server's limit is stopped and says so; the
// server keeps answering.
func TestFlightQueryTimeout(t *testing.T) {
	addr, _ := startFlight(t, func(o *FlightOptions) { o.QueryTimeout = time.Second })
	db := openSQL(t, addr, testToken)
	start := time.Now()
	var n int64
	err := db.QueryRow("SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3").Scan(&n)
	if err == nil || !strings.Contains(err.Error(), codes.DeadlineExceeded.String()) {
		t.Errorf("a runaway query: %v after %v; want DeadlineExceeded", err, time.Since(start))
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the runaway query took %v to stop", took)
	}
	if err := db.QueryRow("SELECT count(*) FROM leads").Scan(&n); err != nil || n != 13 {
		t.Errorf("after the timeout: %d leads, %v", n, err)
	}
}

// With a certificate the endpoint speaks TLS: a client that trusts the
// certificate reads the lake, one that speaks plain gRPC gets nothing.
func TestFlightOverTLS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), cryptorand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "handoff test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(cryptorand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	serverTLS := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	addr, _ := startFlight(t, func(o *FlightOptions) { o.TLS = serverTLS })

	roots := x509.NewCertPool()
	roots.AddCert(cert)
	if err := driver.RegisterTLSConfig("handoff-flight-test", &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("flightsql", "flightsql://"+addr+"?timeout=20s&token="+testToken+"&tls=handoff-flight-test")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM leads").Scan(&n); err != nil || n != 13 {
		t.Errorf("over TLS: %d leads, %v; want 13", n, err)
	}
	plain := openSQL(t, addr, testToken)
	if err := plain.QueryRow("SELECT count(*) FROM leads").Scan(&n); err == nil {
		t.Error("a plain gRPC client read a TLS endpoint")
	}
}
