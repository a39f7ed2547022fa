package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qdrant/go-client/qdrant"
)

// ModeGRPC is the search mode over Qdrant's gRPC API (Points.Search with
// the official Go client's raw qdrant.PointsClient).
const ModeGRPC = "grpc"

// GRPCClient searches a collection over Qdrant's gRPC API: one connection
// per concurrent client, as the HTTP runs keep one connection per client.
type GRPCClient struct {
	c *qdrant.Client
}

// NewGRPCClient connects to the gRPC API at addr ("host:port") with
// conns connections, sending apiKey when it is not empty. Connections are
// made lazily, at the first call.
func NewGRPCClient(addr, apiKey string, conns int) (*GRPCClient, error) {
	host, portText, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("%w: -grpc-addr %q is not host:port", ErrUsage, addr)
	}
	c, err := qdrant.NewClient(&qdrant.Config{Host: host, Port: port, APIKey: apiKey, PoolSize: uint(max(conns, 1)),
		SkipCompatibilityCheck: true, KeepAliveTime: -1})
	if err != nil {
		return nil, fmt.Errorf("gRPC client of %s: %w", addr, err)
	}
	return &GRPCClient{c: c}, nil
}

// Close closes every connection.
func (g *GRPCClient) Close() error { return g.c.Close() }

// points returns the raw Points client of the next connection (round robin).
func (g *GRPCClient) points() qdrant.PointsClient { return g.c.GetPointsClient() }

// grpcSearch runs one Points.Search with limit and params.hnsw_ef, as the
// HTTP run's POST /points/search, and returns the numeric ids found.
func grpcSearch(ctx context.Context, pc qdrant.PointsClient, name string, q []float32, limit, ef int) ([]uint64, error) {
	req := &qdrant.SearchPoints{CollectionName: name, Vector: q, Limit: uint64(limit)}
	if ef > 0 {
		req.Params = &qdrant.SearchParams{HnswEf: qdrant.PtrOf(uint64(ef))}
	}
	res, err := pc.Search(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("gRPC Points.Search: %w", err)
	}
	ids := make([]uint64, len(res.GetResult()))
	for i, p := range res.GetResult() {
		ids[i] = p.GetId().GetNum()
	}
	return ids, nil
}

// searchGRPC runs every query once (after a warm-up of up to 100 queries)
// with o.Clients clients, each on the next of g's connections (its own,
// unless o.GRPCConns is fewer), pulling queries from a shared counter: the
// HTTP run's loop over the gRPC API.
func searchGRPC(ctx context.Context, g *GRPCClient, ds *Dataset, o SearchOptions, ef int) (SearchRow, error) {
	on := func(pc qdrant.PointsClient) searchFunc {
		return func(ctx context.Context, q []float32) ([]uint64, error) {
			return grpcSearch(ctx, pc, o.Collection, q, o.K, ef)
		}
	}
	clients := make([]searchFunc, max(o.Clients, 1))
	for i := range clients {
		clients[i] = on(g.points())
	}
	return runClients(ctx, ds, o, ef, ModeGRPC, fmt.Sprintf("grpc search ef=%d", ef), on(g.points()), clients)
}

// userHZ is the unit of utime and stime in /proc/PID/stat: USER_HZ, 100
// on every Linux architecture Go supports.
const userHZ = 100

// ProcessCPU returns the CPU time (user + system, all threads) the
// process pid has used, from /proc/PID/stat (10 ms resolution).
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("server CPU: %w", err)
	}
	return parseProcStatCPU(string(b))
}

// parseProcStatCPU reads utime and stime (fields 14 and 15) of a
// /proc/PID/stat line; the command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func parseProcStatCPU(line string) (time.Duration, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, fmt.Errorf("server CPU: malformed /proc stat line %q", line)
	}
	f := strings.Fields(line[i+1:])
	// f[0] is field 3 (state): utime is field 14, f[11]; stime f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("server CPU: /proc stat line has %d fields after the name", len(f))
	}
	var ticks uint64
	for _, s := range f[11:13] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("server CPU: /proc stat field %q: %w", s, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// cpuMeter measures the server's CPU over one timed run; pid 0 measures
// nothing.
type cpuMeter struct {
	pid   int
	start time.Duration
	err   error
}

func startCPU(pid int) *cpuMeter {
	m := &cpuMeter{pid: pid}
	if pid > 0 {
		m.start, m.err = ProcessCPU(pid)
	}
	return m
}

// finish sets row.CPUPerQueryUS to the server's CPU microseconds per
// query over the n queries since startCPU.
func (m *cpuMeter) finish(row *SearchRow, n int) error {
	if m.pid <= 0 {
		return nil
	}
	if m.err != nil {
		return m.err
	}
	end, err := ProcessCPU(m.pid)
	if err != nil {
		return err
	}
	row.CPUPerQueryUS = (end - m.start).Seconds() * 1e6 / float64(max(n, 1))
	return nil
}
