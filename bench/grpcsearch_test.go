package bench

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// fakeGRPC answers Points.Search exactly over a fakeQdrant's collections
// (test scaffolding, as fakeQdrant is), counting the searches and the
// connections' api keys.
type fakeGRPC struct {
	qdrant.UnimplementedPointsServer
	f *fakeQdrant

	mu       sync.Mutex
	searches int
	efs      map[uint64]int
	keys     map[string]int
	peers    map[string]bool
}

func (g *fakeGRPC) Search(ctx context.Context, req *qdrant.SearchPoints) (*qdrant.SearchResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	g.mu.Lock()
	g.searches++
	g.efs[req.GetParams().GetHnswEf()]++
	for _, k := range md.Get("api-key") {
		g.keys[k]++
	}
	if p, ok := peer.FromContext(ctx); ok {
		g.peers[p.Addr.String()] = true
	}
	g.mu.Unlock()
	g.f.mu.Lock()
	defer g.f.mu.Unlock()
	c := g.f.collections[req.GetCollectionName()]
	if c == nil {
		return nil, status.Errorf(codes.NotFound, "Not found: Collection `%s` doesn't exist!", req.GetCollectionName())
	}
	var out []*qdrant.ScoredPoint
	for _, h := range c.exact(req.GetVector(), int(req.GetLimit())) {
		out = append(out, &qdrant.ScoredPoint{Id: qdrant.NewIDNum(h.ID), Score: float32(h.Score)})
	}
	return &qdrant.SearchResponse{Result: out}, nil
}

func newFakeGRPC(t *testing.T, f *fakeQdrant) (*fakeGRPC, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGRPC{f: f, efs: map[uint64]int{}, keys: map[string]int{}, peers: map[string]bool{}}
	s := grpc.NewServer()
	qdrant.RegisterPointsServer(s, g)
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return g, ln.Addr().String()
}

// TestRunSearchGRPCInterleaved: -transport both measures HTTP and gRPC in
// turn, with recall 1 against the exact fake servers, every query of every
// round asked over gRPC with the ef, server CPU per query measured (this
// process standing in for the server) and the gRPC/HTTP ratios reported.
func TestRunSearchGRPCInterleaved(t *testing.T) {
	f, srv := newFakeQdrant(t)
	g, addr := newFakeGRPC(t, f)
	ds := smallDataset(t, L2)
	var log bytes.Buffer
	res, err := RunSearch(context.Background(), ds, SearchOptions{URL: srv.URL, GRPCAddr: addr, Collection: "s", K: 10, Efs: []int{64},
		Clients: 3, Rounds: 3, BatchSize: 64, ServerPID: os.Getpid(), Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("rows %+v", res.Rows)
	}
	for _, r := range res.Rows {
		if (r.Mode != ModeHTTP && r.Mode != ModeGRPC) || r.Recall != 1 || r.Clients != 3 || r.Rounds != 3 || r.QPS <= 0 || len(r.Samples) != 3 {
			t.Errorf("row %+v", r)
		}
		if r.CPUPerQueryUS < 0 || r.CPUMinUS > r.CPUPerQueryUS || r.CPUPerQueryUS > r.CPUMaxUS {
			t.Errorf("%s: CPU per query %v [%v–%v]", r.Mode, r.CPUPerQueryUS, r.CPUMinUS, r.CPUMaxUS)
		}
	}
	if want := 3 * (30 + 30); g.searches != want || g.efs[64] != want { // rounds × (warm-up + measured)
		t.Errorf("%d gRPC searches (%v by ef), want %d at ef 64", g.searches, g.efs, want)
	}
	if len(g.peers) != 3 {
		t.Errorf("searches came over %d connections, want one per client (3)", len(g.peers))
	}
	var ratio bool
	for _, r := range res.Ratios {
		ratio = ratio || (r.Of == ModeGRPC && r.Over == ModeHTTP && r.Ef == 64)
	}
	if !ratio {
		t.Errorf("no gRPC/HTTP QPS ratio in %+v", res.Ratios)
	}
	var md strings.Builder
	writeSearchMarkdown(&md, res, nil)
	for _, want := range []string{"| grpc | 64 | 3 |", "| http | 64 | 3 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
}

// TestRunSearchGRPCOnly: -transport grpc loads over HTTP, searches only
// over gRPC, sends the api key on the gRPC calls, and -grpc-conns 1 puts
// every client on one connection.
func TestRunSearchGRPCOnly(t *testing.T) {
	f, srv := newFakeQdrant(t)
	f.apiKey = "k"
	g, addr := newFakeGRPC(t, f)
	ds := smallDataset(t, Cosine)
	res, err := RunSearch(context.Background(), ds, SearchOptions{URL: srv.URL, APIKey: "k", GRPCAddr: addr, NoHTTPSearch: true, GRPCConns: 1,
		Collection: "s", K: 10, Efs: []int{16, 32}, Clients: 2, BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[0].Mode != ModeGRPC || res.Rows[1].Mode != ModeGRPC || res.Rows[0].Recall != 1 {
		t.Fatalf("rows %+v", res.Rows)
	}
	if res.Rows[0].CPUPerQueryUS != 0 || len(res.CPURatios) != 0 {
		t.Errorf("CPU measured without a server pid: %+v", res.Rows[0])
	}
	for _, req := range f.log() {
		if strings.Contains(req, "/points/search") {
			t.Errorf("an HTTP search with -transport grpc: %s", req)
		}
	}
	if len(g.peers) != 1 {
		t.Errorf("searches came over %d connections, want 1", len(g.peers))
	}
	if g.keys["k"] != g.searches || g.searches == 0 {
		t.Errorf("api key sent on %d of %d gRPC searches", g.keys["k"], g.searches)
	}
}

// TestSearchGRPCErrors: a gRPC error stops the run with the server's
// message; a bad -grpc-addr and -transport are usage errors.
func TestSearchGRPCErrors(t *testing.T) {
	f, srv := newFakeQdrant(t)
	_, addr := newFakeGRPC(t, f)
	ds := smallDataset(t, L2)
	g, err := NewGRPCClient(addr, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	_, err = searchGRPC(context.Background(), g, ds, SearchOptions{Collection: "missing", K: 10, Clients: 2}, 8)
	if status.Code(errors.Unwrap(err)) != codes.NotFound || !strings.Contains(err.Error(), "missing") {
		t.Errorf("search of a missing collection: %v", err)
	}
	for _, a := range []string{"nohost", "h:0", "h:x", ""} {
		if _, err := NewGRPCClient(a, "", 1); !errors.Is(err, ErrUsage) {
			t.Errorf("NewGRPCClient(%q) = %v, want a usage error", a, err)
		}
	}
	var out, errb bytes.Buffer
	err = Main(context.Background(), []string{"search", "-url", srv.URL, "-data", t.TempDir(), "-transport", "udp"}, &out, &errb)
	if !errors.Is(err, ErrUsage) {
		t.Errorf("-transport udp: %v", err)
	}
	if _, err := RunSearch(context.Background(), ds, SearchOptions{GRPCAddr: addr, K: 10, Efs: []int{8}}); !errors.Is(err, ErrUsage) {
		t.Errorf("gRPC runs without -url: %v", err)
	}
}

func TestParseProcStatCPU(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
	got, err := parseProcStatCPU("4242 (cairn (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0")
	if err != nil || got != 3250*time.Millisecond {
		t.Errorf("parse = %v, %v; want 3.25s", got, err)
	}
	for _, bad := range []string{"", "4242 cairn S 1", "1 (c) S 1 2 3 4 5 6 7 8 9 10 x 5"} {
		if _, err := parseProcStatCPU(bad); err == nil {
			t.Errorf("parse(%q) succeeded", bad)
		}
	}
	if c, err := ProcessCPU(os.Getpid()); err != nil || c < 0 {
		t.Errorf("ProcessCPU(self) = %v, %v", c, err)
	}
}

// TestSearchMarkdownCPU: the server CPU column and the CPU ratio table
// appear when rows carry the server's CPU, and not otherwise.
func TestSearchMarkdownCPU(t *testing.T) {
	res := &SearchResult{K: 10, Rounds: 3, Rows: []SearchRow{
		{Mode: ModeHTTP, Ef: 64, Clients: 8, Rounds: 3, QPS: 1000, QPSMin: 900, QPSMax: 1100, CPUPerQueryUS: 200, CPUMinUS: 190, CPUMaxUS: 230},
		{Mode: ModeGRPC, Ef: 64, Clients: 8, Rounds: 3, QPS: 1500, QPSMin: 1400, QPSMax: 1600, CPUPerQueryUS: 100, CPUMinUS: 95, CPUMaxUS: 120},
	}, CPURatios: []CPURatioRow{{Ef: 64, Of: ModeGRPC, Over: ModeHTTP, Ratio: Spread{Median: 0.5, Min: 0.45, Max: 0.6, N: 3}}}}
	var md strings.Builder
	writeSearchMarkdown(&md, res, nil)
	for _, want := range []string{"| p99 ms | server CPU µs/query median (min–max) |", "| 200.0 (190.0–230.0) |", "| 100.0 (95.0–120.0) |",
		"| 64 | grpc / http = 0.50× (0.45–0.60) |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "coarse") {
		t.Errorf("a coarse-CPU note without samples:\n%s", md.String())
	}
	res.Rows[0].Samples = []Sample{{CPUPerQueryUS: 200, CPUSeconds: 0.2}, {CPUPerQueryUS: 200, CPUSeconds: 1.1}}
	md.Reset()
	writeSearchMarkdown(&md, res, nil)
	if !strings.Contains(md.String(), "1 sample(s) used under 0.5 s of server CPU") {
		t.Errorf("no coarse-CPU note for a 0.2 s sample:\n%s", md.String())
	}
	res.Rows[0].Samples = nil
	res.Rows[0].CPUPerQueryUS, res.Rows[1].CPUPerQueryUS, res.CPURatios = 0, 0, nil
	md.Reset()
	writeSearchMarkdown(&md, res, nil)
	if strings.Contains(md.String(), "CPU") {
		t.Errorf("a CPU column without CPU figures:\n%s", md.String())
	}
}

func TestCPURatios(t *testing.T) {
	rows := []SearchRow{
		{Mode: ModeHTTP, Ef: 64, Samples: []Sample{{Round: 0, CPUPerQueryUS: 100}, {Round: 1, CPUPerQueryUS: 200}, {Round: 2, CPUPerQueryUS: 0}}},
		{Mode: ModeGRPC, Ef: 64, Samples: []Sample{{Round: 0, CPUPerQueryUS: 50}, {Round: 1, CPUPerQueryUS: 60}, {Round: 2, CPUPerQueryUS: 10}}},
		{Mode: ModeGRPC, Ef: 16, Samples: []Sample{{Round: 0, CPUPerQueryUS: 5}}},
	}
	got := CPURatios(rows, ModeGRPC, ModeHTTP)
	if len(got) != 1 || got[0].Ef != 64 || got[0].Ratio.N != 2 || got[0].Ratio.Min != 0.3 || got[0].Ratio.Max != 0.5 {
		t.Errorf("CPURatios = %+v", got)
	}
}
