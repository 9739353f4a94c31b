package exports

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql/driver"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/handoff-dev/handoff/lake"
	"github.com/handoff-dev/handoff/models"
	"github.com/handoff-dev/handoff/reports"
)

// ReportsSchema is the schema that holds one table per report, computed
// with the report's default parameters on first use in each lake state.
const ReportsSchema = "reports"

// maxPrepared bounds the prepared statements kept for clients that never
// close them; the oldest goes first.
const maxPrepared = 1024

// FlightOptions configure the Flight SQL endpoint.
type FlightOptions struct {
	// Lake is the lake directory; each query reads its newest state.
	Lake string
	// Config holds the SLAs and limits the report tables are computed with.
	Config reports.Config
	// Authorize says whether a bearer token may query, with the reason it
	// may not; nil refuses every call.
	Authorize func(token string) error
	// Log receives one line per query; nil discards them.
	Log *slog.Logger
	// Limits bound the queries' memory and time.
	FlightLimits
	// TLS, when set, serves over TLS (clients connect with useEncryption or
	// tls=enabled); nil is plain gRPC, for 127.0.0.1.
	TLS *tls.Config
}

// FlightLimits bound what SQL clients can take of the machine.
type FlightLimits struct {
	// MemoryLimit bounds the memory of the endpoint's DuckDB, which every
	// query shares, in bytes; a query that needs more fails with DuckDB's
	// out-of-memory error and the server goes on. 0 is a quarter of the
	// machine's memory.
	MemoryLimit int64
	// QueryTimeout bounds one query, from its start to its last batch, so
	// a runaway join does not hold the server; 0 is 2 minutes.
	QueryTimeout time.Duration
}

// DefaultFlightQueryTimeout is QueryTimeout's default.
const DefaultFlightQueryTimeout = 2 * time.Minute

// DefaultFlightMemoryLimit is a quarter of the machine's memory (1 GiB
// where /proc/meminfo cannot be read).
func DefaultFlightMemoryLimit() int64 {
	raw, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kib int64
				if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kib); err == nil && kib > 0 {
					return kib * 1024 / 4
				}
			}
		}
	}
	return 1 << 30
}

// Flight is a read-only Arrow Flight SQL endpoint over the lake: the
// canonical tables in the main schema, one table per report in the
// reports schema, queried with DuckDB's SQL and streamed back as Arrow.
type Flight struct {
	flightsql.BaseServer
	opts  FlightOptions
	log   *slog.Logger
	lakes *lake.Latest
	mem   memory.Allocator

	// fills remembers, per lake generation, which report tables hold rows.
	fillsMu sync.Mutex
	fills   map[int64]*reportFills

	preparedMu sync.Mutex
	prepared   map[string]*preparedQuery
	order      []string
}

type reportFills struct {
	mu   sync.Mutex
	done map[string]bool
}

type preparedQuery struct {
	query  string
	args   []driver.NamedValue
	schema *arrow.Schema
}

// NewFlight builds the endpoint; it opens nothing until the first call.
func NewFlight(opts FlightOptions) *Flight {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.QueryTimeout == 0 {
		opts.QueryTimeout = DefaultFlightQueryTimeout
	}
	if opts.MemoryLimit == 0 {
		opts.MemoryLimit = DefaultFlightMemoryLimit()
	}
	f := &Flight{
		opts:     opts,
		log:      opts.Log,
		mem:      memory.DefaultAllocator,
		fills:    map[int64]*reportFills{},
		prepared: map[string]*preparedQuery{},
	}
	f.lakes = lake.Follow(opts.Lake, f.prepareLake)
	f.Alloc = f.mem
	for id, v := range map[flightsql.SqlInfo]any{
		flightsql.SqlInfoFlightSqlServerName:         "handoff",
		flightsql.SqlInfoFlightSqlServerVersion:      "1",
		flightsql.SqlInfoFlightSqlServerArrowVersion: "18",
		flightsql.SqlInfoFlightSqlServerReadOnly:     true,
		flightsql.SqlInfoFlightSqlServerSql:          true,
		flightsql.SqlInfoFlightSqlServerSubstrait:    false,
		flightsql.SqlInfoFlightSqlServerTransaction:  int32(flightsql.SqlTransactionNone),
		flightsql.SqlInfoFlightSqlServerCancel:       false,
		flightsql.SqlInfoDDLCatalog:                  false,
		flightsql.SqlInfoDDLSchema:                   false,
		flightsql.SqlInfoDDLTable:                    false,
		flightsql.SqlInfoIdentifierQuoteChar:         `"`,
		flightsql.SqlInfoTransactionsSupported:       false,
	} {
		if err := f.RegisterSqlInfo(id, v); err != nil {
			panic(fmt.Sprintf("flight sql info %v: %v", id, err))
		}
	}
	return f
}

// Serve answers Flight SQL on ln until ctx ends, then lets calls in flight
// finish for up to 10 seconds.
func (f *Flight) Serve(ctx context.Context, ln net.Listener) error {
	opts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(f.recoverUnary, f.authUnary), grpc.ChainStreamInterceptor(f.recoverStream, f.authStream)}
	if f.opts.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(f.opts.TLS)))
	}
	gs := grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(gs, flightsql.NewFlightServerWithAllocator(f, f.mem))
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		done := make(chan struct{})
		go func() { gs.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			gs.Stop()
		}
	}()
	err := gs.Serve(ln)
	if ctx.Err() != nil {
		<-stopped
		err = nil
	}
	f.lakes.Close()
	return err
}

// prepareLake readies each new state of the lake for queries: closed to
// the file system, with the models' macros and an empty table per report.
func (f *Flight) prepareLake(ctx context.Context, l *lake.Lake) error {
	if err := models.PrepareLake(ctx, l); err != nil {
		return err
	}
	// Every client's queries share this DuckDB: its memory is theirs.
	if _, err := l.DB.ExecContext(ctx, fmt.Sprintf("SET memory_limit = '%dKiB'", max(f.opts.MemoryLimit>>10, 1<<10))); err != nil {
		return fmt.Errorf("flight sql memory limit: %w", err)
	}
	if err := l.LockDown(ctx); err != nil {
		return err
	}
	if _, err := l.DB.ExecContext(ctx, "CREATE SCHEMA "+ReportsSchema); err != nil {
		return fmt.Errorf("create schema %s: %w", ReportsSchema, err)
	}
	for _, spec := range reports.Catalog() {
		if _, err := l.DB.ExecContext(ctx, reports.CreateTableSQL(ReportsSchema, reportTable(spec.Name), spec.Columns)); err != nil {
			return fmt.Errorf("create report table %s: %w", spec.Name, err)
		}
	}
	return nil
}

// reportTable is a report's table name: SQL names take no hyphen.
func reportTable(report string) string { return strings.ReplaceAll(report, "-", "_") }

// fillReports computes the report tables q names, once per lake state.
func (f *Flight) fillReports(ctx context.Context, h *lake.Handle, q checkedQuery) error {
	var wanted []reports.Spec
	for _, t := range q.Tables {
		if t.Schema != ReportsSchema {
			continue
		}
		for _, spec := range reports.Catalog() {
			if reportTable(spec.Name) == t.Name {
				wanted = append(wanted, spec)
			}
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	f.fillsMu.Lock()
	fills := f.fills[h.Generation]
	if fills == nil {
		fills = &reportFills{done: map[string]bool{}}
		f.fills[h.Generation] = fills
		for g := range f.fills {
			if g < h.Generation {
				delete(f.fills, g)
			}
		}
	}
	f.fillsMu.Unlock()
	fills.mu.Lock()
	defer fills.mu.Unlock()
	for _, spec := range wanted {
		if fills.done[spec.Name] {
			continue
		}
		start := time.Now()
		tb, err := spec.Run(ctx, h.Lake, reports.Params{}, f.opts.Config, "")
		if errors.Is(err, models.ErrEmptyLake) {
			fills.done[spec.Name] = true
			continue
		}
		if err != nil {
			return fmt.Errorf("report %s: %w", spec.Name, err)
		}
		if err := appendTable(ctx, h, reportTable(spec.Name), tb); err != nil {
			return fmt.Errorf("report %s: %w", spec.Name, err)
		}
		fills.done[spec.Name] = true
		f.log.Info("flight sql report table filled", "report", spec.Name, "rows", len(tb.Rows), "generation", h.Generation, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// appendTable loads a report's rows into its table.
func appendTable(ctx context.Context, h *lake.Handle, table string, tb reports.Table) error {
	conn, err := h.Lake.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return reports.AppendRows(conn, ReportsSchema, table, tb)
}

// --- authentication

// token reads the caller's token: a bearer token, or the password of basic
// credentials (for clients that only offer a user name and password).
func token(ctx context.Context) (tok string, basic bool) {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		switch {
		case strings.HasPrefix(v, "Bearer "):
			return strings.TrimSpace(strings.TrimPrefix(v, "Bearer ")), false
		case strings.HasPrefix(v, "Basic "):
			// Padded or not: clients differ (arrow-go's handshake sends it
			// unpadded).
			enc := strings.TrimRight(strings.TrimPrefix(v, "Basic "), "=")
			raw, err := base64.RawStdEncoding.DecodeString(enc)
			if err != nil {
				continue
			}
			if _, pass, ok := strings.Cut(string(raw), ":"); ok {
				return pass, true
			}
		}
	}
	return "", false
}

func (f *Flight) authorize(ctx context.Context) (string, bool, error) {
	tok, basic := token(ctx)
	if tok == "" {
		return "", false, status.Error(codes.Unauthenticated, "this needs a token: send it as a bearer token (token=hnd_… in a Flight SQL URL) or as the password; create one with handoff token create --scope lake:read")
	}
	if f.opts.Authorize == nil {
		return "", false, status.Error(codes.Unauthenticated, "this server takes no tokens for SQL")
	}
	if err := f.opts.Authorize(tok); err != nil {
		return "", false, status.Error(codes.Unauthenticated, err.Error())
	}
	return tok, basic, nil
}

// recoverUnary and recoverStream turn a panic in any call into an
// INTERNAL error for that caller, logged with its stack: one bad call must
// not take the pages, the feed and the exports down with the process.
func (f *Flight) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (resp any, err error) {
	defer f.recovered(info.FullMethod, &err)
	return next(ctx, req)
}

func (f *Flight) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) (err error) {
	defer f.recovered(info.FullMethod, &err)
	return next(srv, ss)
}

func (f *Flight) recovered(method string, err *error) {
	if v := recover(); v != nil {
		f.log.Error("flight sql panic", "method", method, "panic", v, "stack", string(debug.Stack()))
		*err = status.Error(codes.Internal, "internal error: the server's log has the cause")
	}
}

func (f *Flight) authUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if _, _, err := f.authorize(ctx); err != nil {
		return nil, err
	}
	return next(ctx, req)
}

func (f *Flight) authStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, next grpc.StreamHandler) error {
	tok, basic, err := f.authorize(ss.Context())
	if err != nil {
		return err
	}
	// A client that logs in with basic credentials in a handshake (JDBC
	// with user and password does) keeps the bearer token it is given.
	if basic && strings.HasSuffix(info.FullMethod, "/Handshake") {
		if err := ss.SetHeader(metadata.Pairs("authorization", "Bearer "+tok)); err != nil {
			return err
		}
	}
	return next(srv, ss)
}

// --- queries

// grpcError gives an error the status a client can act on.
func grpcError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, ErrReadOnly):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, lake.ErrNoLake), errors.Is(err, models.ErrEmptyLake):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.InvalidArgument, err.Error())
}

// prepareSelect prepares query on a DuckDB connection and makes sure it is
// a SELECT once bound: a second check behind checkQuery's.
func prepareSelect(ctx context.Context, dc any, query string) (*duckdb.Stmt, error) {
	st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	stmt := st.(*duckdb.Stmt)
	typ, err := stmt.StatementType()
	if err != nil {
		stmt.Close()
		return nil, err
	}
	if typ != duckdb.STATEMENT_TYPE_SELECT {
		stmt.Close()
		return nil, refusal{"only SELECT queries run here"}
	}
	return stmt, nil
}

// openSelect prepares query as a SELECT on a DuckDB connection and runs it
// with args: the Arrow schema of its rows, the rows, and done to close
// them.
func openSelect(ctx context.Context, dc any, query string, args []driver.NamedValue) (*arrow.Schema, driver.Rows, func(), error) {
	stmt, err := prepareSelect(ctx, dc, query)
	if err != nil {
		return nil, nil, nil, err
	}
	schema, err := rowSchema(stmt)
	if err != nil {
		stmt.Close()
		return nil, nil, nil, err
	}
	rows, err := stmt.QueryContext(ctx, args)
	if err != nil {
		stmt.Close()
		return nil, nil, nil, err
	}
	return schema, rows, func() { rows.Close(); stmt.Close() }, nil
}

// rowSchema is the Arrow schema of a prepared statement's rows.
func rowSchema(stmt *duckdb.Stmt) (*arrow.Schema, error) {
	n, err := stmt.ColumnCount()
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, n)
	for i := range n {
		name, err := stmt.ColumnName(i)
		if err != nil {
			return nil, err
		}
		info, err := stmt.ColumnTypeInfo(i)
		if err != nil {
			return nil, err
		}
		fields[i] = arrow.Field{Name: name, Type: arrowFieldType(info), Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}

// paramSchema is the Arrow schema of a statement's parameters, or nil when
// DuckDB cannot tell each one's type (the client then sends its own).
func paramSchema(stmt *duckdb.Stmt) *arrow.Schema {
	n := stmt.NumInput()
	if n <= 0 {
		return nil
	}
	fields := make([]arrow.Field, n)
	for i := range n {
		t, err := stmt.ParamType(i + 1)
		if err != nil || t == duckdb.TYPE_INVALID || t == duckdb.TYPE_ANY || t == duckdb.TYPE_DECIMAL {
			return nil
		}
		info, err := duckdb.NewTypeInfo(t)
		if err != nil {
			return nil
		}
		name, _ := stmt.ParamName(i + 1)
		if name == "" {
			name = fmt.Sprintf("parameter_%d", i+1)
		}
		fields[i] = arrow.Field{Name: name, Type: arrowFieldType(info), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// describe checks query and returns the schema of its rows and of its
// parameters.
func (f *Flight) describe(ctx context.Context, query string) (rows, params *arrow.Schema, err error) {
	h, err := f.lakes.Acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer f.lakes.Release(h)
	if _, err := checkQuery(ctx, h.Lake.DB, query); err != nil {
		return nil, nil, err
	}
	conn, err := h.Lake.DB.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		stmt, err := prepareSelect(ctx, dc, query)
		if err != nil {
			return err
		}
		defer stmt.Close()
		if rows, err = rowSchema(stmt); err != nil {
			return err
		}
		params = paramSchema(stmt)
		return nil
	})
	return rows, params, err
}

// run checks query, fills the report tables it names and streams its rows
// as Arrow record batches. The lake state and the connection are held
// until the last batch is sent or the caller goes away.
func (f *Flight) run(ctx context.Context, query string, args []driver.NamedValue) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, f.opts.QueryTimeout)
	h, err := f.lakes.Acquire(ctx)
	if err != nil {
		cancel()
		return nil, nil, grpcError(err)
	}
	q, err := checkQuery(ctx, h.Lake.DB, query)
	if err == nil {
		err = f.fillReports(ctx, h, q)
	}
	if err != nil {
		cancel()
		f.lakes.Release(h)
		f.log.Info("flight sql query refused", "query", oneLine(query), "error", err)
		return nil, nil, grpcError(err)
	}
	conn, err := h.Lake.DB.Conn(ctx)
	if err != nil {
		cancel()
		f.lakes.Release(h)
		return nil, nil, grpcError(err)
	}
	type opened struct {
		schema *arrow.Schema
		err    error
	}
	ready := make(chan opened, 1)
	ch := make(chan flight.StreamChunk, 2)
	go func() {
		defer cancel()
		defer close(ch)
		defer f.lakes.Release(h)
		defer conn.Close()
		started := false
		var rowsSent int64
		// The interceptors see only the call that started this stream: a
		// panic here is this query's error, not the process's end.
		defer func() {
			if v := recover(); v != nil {
				f.log.Error("flight sql panic", "query", oneLine(query), "panic", v, "stack", string(debug.Stack()))
				err := status.Error(codes.Internal, "internal error: the server's log has the cause")
				if !started {
					ready <- opened{err: err}
					return
				}
				select {
				case ch <- flight.StreamChunk{Err: err}:
				case <-ctx.Done():
				}
			}
		}()
		err := conn.Raw(func(dc any) error {
			schema, rows, done, err := openSelect(ctx, dc, query, args)
			if err != nil {
				return err
			}
			defer done()
			started = true
			ready <- opened{schema: schema}
			return streamRows(rows, schema, f.mem, func(rec arrow.RecordBatch) error {
				rowsSent += rec.NumRows()
				select {
				case ch <- flight.StreamChunk{Data: rec}:
					return nil
				case <-ctx.Done():
					rec.Release()
					return ctx.Err()
				}
			})
		})
		switch {
		case !started:
			ready <- opened{err: err}
		case err != nil:
			f.log.Info("flight sql query failed", "query", oneLine(query), "rows", rowsSent, "error", err)
			select {
			case ch <- flight.StreamChunk{Err: grpcError(err)}:
			case <-ctx.Done():
			}
		default:
			f.log.Info("flight sql query", "query", oneLine(query), "rows", rowsSent, "generation", h.Generation, "took", time.Since(start).Round(time.Millisecond))
		}
	}()
	o := <-ready
	if o.err != nil {
		f.log.Info("flight sql query refused", "query", oneLine(query), "error", o.err)
		return nil, nil, grpcError(o.err)
	}
	return o.schema, ch, nil
}

func oneLine(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 200 {
		q = q[:200] + "…"
	}
	return q
}

func (f *Flight) infoFor(desc *flight.FlightDescriptor, ticket []byte, schema *arrow.Schema) *flight.FlightInfo {
	info := &flight.FlightInfo{
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: ticket}}},
		FlightDescriptor: desc,
		TotalRecords:     -1,
		TotalBytes:       -1,
	}
	if schema != nil {
		info.Schema = flight.SerializeSchema(schema, f.mem)
	}
	return info
}

// GetFlightInfoStatement checks a query and hands back a ticket for its
// rows. The ticket is the query itself, checked again when it is used.
func (f *Flight) GetFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if len(cmd.GetTransactionId()) > 0 {
		return nil, grpcError(refusal{"there are no transactions here"})
	}
	schema, _, err := f.describe(ctx, cmd.GetQuery())
	if err != nil {
		return nil, grpcError(err)
	}
	ticket, err := flightsql.CreateStatementQueryTicket([]byte(cmd.GetQuery()))
	if err != nil {
		return nil, grpcError(err)
	}
	return f.infoFor(desc, ticket, schema), nil
}

// GetSchemaStatement is the schema of a query's rows without running it.
func (f *Flight) GetSchemaStatement(ctx context.Context, cmd flightsql.StatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	schema, _, err := f.describe(ctx, cmd.GetQuery())
	if err != nil {
		return nil, grpcError(err)
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(schema, f.mem)}, nil
}

// DoGetStatement streams the rows of a ticket's query.
func (f *Flight) DoGetStatement(ctx context.Context, ticket flightsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.run(ctx, string(ticket.GetStatementHandle()), nil)
}

// --- prepared statements

func (f *Flight) lookup(handle []byte) (*preparedQuery, error) {
	f.preparedMu.Lock()
	defer f.preparedMu.Unlock()
	p, ok := f.prepared[string(handle)]
	if !ok {
		return nil, status.Error(codes.NotFound, "no such prepared statement (closed, or forgotten after 1024 newer ones)")
	}
	return p, nil
}

// CreatePreparedStatement checks a query and keeps it under a new handle,
// with the schemas of its rows and parameters.
func (f *Flight) CreatePreparedStatement(ctx context.Context, req flightsql.ActionCreatePreparedStatementRequest) (flightsql.ActionCreatePreparedStatementResult, error) {
	if len(req.GetTransactionId()) > 0 {
		return flightsql.ActionCreatePreparedStatementResult{}, grpcError(refusal{"there are no transactions here"})
	}
	schema, params, err := f.describe(ctx, req.GetQuery())
	if err != nil {
		return flightsql.ActionCreatePreparedStatementResult{}, grpcError(err)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return flightsql.ActionCreatePreparedStatementResult{}, grpcError(err)
	}
	handle := hex.EncodeToString(id[:])
	f.preparedMu.Lock()
	f.prepared[handle] = &preparedQuery{query: req.GetQuery(), schema: schema}
	f.order = append(f.order, handle)
	for len(f.order) > maxPrepared {
		delete(f.prepared, f.order[0])
		f.order = f.order[1:]
	}
	f.preparedMu.Unlock()
	return flightsql.ActionCreatePreparedStatementResult{Handle: []byte(handle), DatasetSchema: schema, ParameterSchema: params}, nil
}

// ClosePreparedStatement forgets a handle.
func (f *Flight) ClosePreparedStatement(_ context.Context, req flightsql.ActionClosePreparedStatementRequest) error {
	handle := string(req.GetPreparedStatementHandle())
	f.preparedMu.Lock()
	defer f.preparedMu.Unlock()
	delete(f.prepared, handle)
	for i, h := range f.order {
		if h == handle {
			f.order = append(f.order[:i], f.order[i+1:]...)
			break
		}
	}
	return nil
}

// DoPutPreparedStatementQuery binds one row of parameters to a prepared
// query for its next run.
func (f *Flight) DoPutPreparedStatementQuery(_ context.Context, cmd flightsql.PreparedStatementQuery, rdr flight.MessageReader, _ flight.MetadataWriter) ([]byte, error) {
	p, err := f.lookup(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	var args []driver.NamedValue
	rows := 0
	for rdr.Next() {
		rec := rdr.RecordBatch()
		for r := 0; r < int(rec.NumRows()); r++ {
			rows++
			if rows > 1 {
				return nil, status.Error(codes.InvalidArgument, "bind one row of parameters at a time")
			}
			for c, col := range rec.Columns() {
				v, err := paramValue(col, r)
				if err != nil {
					return nil, status.Errorf(codes.InvalidArgument, "parameter %d: %v", c+1, err)
				}
				args = append(args, driver.NamedValue{Ordinal: c + 1, Value: v})
			}
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, grpcError(err)
	}
	f.preparedMu.Lock()
	p.args = args
	f.preparedMu.Unlock()
	return cmd.GetPreparedStatementHandle(), nil
}

// paramValue is a parameter as DuckDB's driver takes it.
func paramValue(col arrow.Array, i int) (any, error) {
	if col.IsNull(i) {
		return nil, nil
	}
	switch c := col.(type) {
	case *array.Boolean:
		return c.Value(i), nil
	case *array.Int8:
		return int64(c.Value(i)), nil
	case *array.Int16:
		return int64(c.Value(i)), nil
	case *array.Int32:
		return int64(c.Value(i)), nil
	case *array.Int64:
		return c.Value(i), nil
	case *array.Uint8:
		return int64(c.Value(i)), nil
	case *array.Uint16:
		return int64(c.Value(i)), nil
	case *array.Uint32:
		return int64(c.Value(i)), nil
	case *array.Uint64:
		return c.Value(i), nil
	case *array.Float32:
		return float64(c.Value(i)), nil
	case *array.Float64:
		return c.Value(i), nil
	case *array.String:
		return c.Value(i), nil
	case *array.LargeString:
		return c.Value(i), nil
	case *array.Binary:
		return c.Value(i), nil
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		return c.Value(i).ToTime(unit).UTC(), nil
	case *array.Date32:
		return c.Value(i).ToTime().UTC(), nil
	case *array.Date64:
		return c.Value(i).ToTime().UTC(), nil
	}
	return nil, fmt.Errorf("type %s is not taken as a parameter (use a string, number, boolean, date or timestamp)", col.DataType())
}

// GetFlightInfoPreparedStatement hands back a ticket for a prepared query.
func (f *Flight) GetFlightInfoPreparedStatement(_ context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	p, err := f.lookup(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	return f.infoFor(desc, desc.Cmd, p.schema), nil
}

// GetSchemaPreparedStatement is a prepared query's row schema.
func (f *Flight) GetSchemaPreparedStatement(_ context.Context, cmd flightsql.PreparedStatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	p, err := f.lookup(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(p.schema, f.mem)}, nil
}

// DoGetPreparedStatement streams a prepared query's rows with the
// parameters bound last.
func (f *Flight) DoGetPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	p, err := f.lookup(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, nil, err
	}
	f.preparedMu.Lock()
	query, args := p.query, p.args
	f.preparedMu.Unlock()
	return f.run(ctx, query, args)
}

// --- what is refused

var errWrite = refusal{"nothing can be written through it; the lake changes only by handoff ingest"}

// DoPutCommandStatementUpdate refuses: no statement writes.
func (f *Flight) DoPutCommandStatementUpdate(context.Context, flightsql.StatementUpdate) (int64, error) {
	return 0, grpcError(errWrite)
}

// DoPutPreparedStatementUpdate refuses: no statement writes.
func (f *Flight) DoPutPreparedStatementUpdate(context.Context, flightsql.PreparedStatementUpdate, flight.MessageReader) (int64, error) {
	return 0, grpcError(errWrite)
}

// DoPutCommandStatementIngest refuses: no rows are taken in.
func (f *Flight) DoPutCommandStatementIngest(context.Context, flightsql.StatementIngest, flight.MessageReader) (int64, error) {
	return 0, grpcError(errWrite)
}

// DoPutCommandSubstraitPlan refuses: no plan runs.
func (f *Flight) DoPutCommandSubstraitPlan(context.Context, flightsql.StatementSubstraitPlan) (int64, error) {
	return 0, grpcError(errWrite)
}

// BeginTransaction refuses: reads need none.
func (f *Flight) BeginTransaction(context.Context, flightsql.ActionBeginTransactionRequest) ([]byte, error) {
	return nil, grpcError(refusal{"there are no transactions here; each query reads one consistent state of the lake"})
}
