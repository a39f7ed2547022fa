package grpcapi

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
)

// testEnv is a gRPC server on a loopback port over a fresh storage and
// snapshot manager, and a client connection to it.
type testEnv struct {
	st    *engine.Storage
	snaps *snapshot.Manager
	srv   *Server
	addr  *net.TCPAddr
	conn  *grpc.ClientConn
}

var quiet = slog.New(slog.DiscardHandler)

// The tests/grpc suite's -cairn-bin flag is declared here too, so that one
// command runs this package and that suite
// (`go test ./grpcapi ./tests/grpc -cairn-bin PATH`): go test passes the
// flag to every package's test binary. These tests start no binary.
var _ = flag.String("cairn-bin", "", "used by tests/grpc only (these tests serve in-process)")

// newTestEnv starts a server with o (Storage and Snapshots filled in) for
// the test's duration.
func newTestEnv(t *testing.T, o Options) *testEnv {
	t.Helper()
	return newTestEnvWith(t, o, nil)
}

// newTestEnvWith is newTestEnv with more options set by more once Storage
// and Snapshots are (nil: none).
func newTestEnvWith(t *testing.T, o Options, more func(*Options)) *testEnv {
	t.Helper()
	return newTestEnvEngine(t, o, more, engine.Options{})
}

// newTestEnvEngine is newTestEnvWith over an engine opened with eo (its
// Dir, Logger and DisableBackground filled in).
func newTestEnvEngine(t *testing.T, o Options, more func(*Options), eo engine.Options) *testEnv {
	t.Helper()
	dir := t.TempDir()
	eo.Dir, eo.DisableBackground, eo.Logger = filepath.Join(dir, "storage"), true, quiet
	st, err := engine.Open(eo)
	if err != nil {
		t.Fatal(err)
	}
	m := &snapshot.Manager{Storage: st, StoragePath: filepath.Join(dir, "storage"), SnapshotsPath: filepath.Join(dir, "snapshots"),
		TempPath: filepath.Join(dir, "tmp"), Logger: quiet, NodeID: 7}
	o.Storage, o.Snapshots = st, m
	if o.Logger == nil {
		o.Logger = quiet
	}
	if more != nil {
		more(&o)
	}
	e := &testEnv{st: st, snaps: m}
	e.srv, e.addr, e.conn = startServer(t, o, insecureDial())
	t.Cleanup(func() {
		m.Close()
		m.Wait()
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

func insecureDial() grpc.DialOption { return grpc.WithTransportCredentials(insecure.NewCredentials()) }

// startServer serves o on a loopback port until the test ends and dials it
// with the dial options.
func startServer(t *testing.T, o Options, dial ...grpc.DialOption) (*Server, *net.TCPAddr, *grpc.ClientConn) {
	t.Helper()
	srv := New(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	conn, err := grpc.NewClient(ln.Addr().String(), dial...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		srv.Stop(ctx)
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return srv, ln.Addr().(*net.TCPAddr), conn
}

func (e *testEnv) collections() qdrant.CollectionsClient   { return qdrant.NewCollectionsClient(e.conn) }
func (e *testEnv) snapshotsClient() qdrant.SnapshotsClient { return qdrant.NewSnapshotsClient(e.conn) }

// officialClient is Qdrant's Go client connected to the server with key.
func (e *testEnv) officialClient(t *testing.T, key string) *qdrant.Client {
	t.Helper()
	c, err := qdrant.NewClient(&qdrant.Config{Host: "127.0.0.1", Port: e.addr.Port, APIKey: key, PoolSize: 1, SkipCompatibilityCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// withKey is ctx carrying an api-key.
func withKey(key string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "api-key", key)
}

// wantCode fails unless err is a status with code and a message containing
// every fragment.
func wantCode(t *testing.T, what string, err error, code codes.Code, fragments ...string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Fatalf("%s: code %v (%q), want %v", what, st.Code(), st.Message(), code)
	}
	for _, f := range fragments {
		if !strings.Contains(st.Message(), f) {
			t.Fatalf("%s: message %q lacks %q", what, st.Message(), f)
		}
	}
}

// vectors4 is a single unnamed 4-d cosine vector.
func vectors4() *qdrant.VectorsConfig {
	return qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 4, Distance: qdrant.Distance_Cosine})
}

// mustCreate creates collection name with vectors4.
func (e *testEnv) mustCreate(t *testing.T, name string) {
	t.Helper()
	if _, err := e.collections().Create(context.Background(), &qdrant.CreateCollection{CollectionName: name, VectorsConfig: vectors4()}); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}
