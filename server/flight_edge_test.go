package server

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/handoff-dev/handoff/exports"
	"github.com/handoff-dev/handoff/reports"
)

// Calls that once took the whole process down, or could, through the SQL
// endpoint of a running server: after each the pages still answer.
func TestFlightAbuseLeavesTheServerUp(t *testing.T) {
	lakeDir := fixtureLake(t)
	srv, base := startServerObject(t, Options{Lake: lakeDir, Config: reports.DefaultConfig(), FeedEvery: -1,
		Flight: exports.FlightLimits{MemoryLimit: 64 << 20}})
	_, token, err := CreateToken(lakeDir, "sql", []string{ScopeLake})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeFlight(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })

	cl, err := flightsql.NewClient(ln.Addr().String(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	callCtx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
	healthy := func(after string) {
		t.Helper()
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatalf("after %s: /healthz: %v", after, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("after %s: /healthz %d", after, resp.StatusCode)
		}
	}
	long := strings.Repeat("%_", 40000)
	info, err := cl.GetTables(callCtx, &flightsql.GetTablesOpts{TableNameFilterPattern: &long})
	if err == nil {
		var rdr *flight.Reader
		if rdr, err = cl.DoGet(callCtx, info.Endpoint[0].Ticket); err == nil {
			rdr.Release()
		}
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("an 80,000-character pattern: %v, want InvalidArgument", err)
	}
	healthy("a long filter pattern")

	info, err = cl.Execute(callCtx, "SELECT length(string_agg(i::VARCHAR, ',')) FROM range(40000000) t(i)")
	if err == nil {
		var rdr *flight.Reader
		if rdr, err = cl.DoGet(callCtx, info.Endpoint[0].Ticket); err == nil {
			for rdr.Next() {
			}
			err = rdr.Err()
			rdr.Release()
		}
	}
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "memory") {
		t.Errorf("a query over the memory limit: %v", err)
	}
	healthy("an oversized query")

	if _, err := cl.Execute(callCtx, "SELECT * FROM pg_settings"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("pg_settings: %v", err)
	}
	healthy("a refused catalog view")
}
