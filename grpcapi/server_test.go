package grpcapi

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/cairn-db/cairn/server"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRecoverAnswersInternal: a panicking handler answers Internal and is
// logged with its stack; the server goes on serving.
func TestRecoverAnswersInternal(t *testing.T) {
	var logs syncBuffer
	s := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	info := &grpc.UnaryServerInfo{FullMethod: "/qdrant.Points/Search"}
	_, err := s.recoverUnary(context.Background(), nil, info, func(context.Context, any) (any, error) { panic("boom") })
	wantCode(t, "panic", err, codes.Internal, "Service internal error", "/qdrant.Points/Search")
	if l := logs.String(); !strings.Contains(l, "boom") || !strings.Contains(l, "grpc handler panicked") || !strings.Contains(l, "goroutine") {
		t.Fatalf("log %q", l)
	}
	resp, err := s.recoverUnary(context.Background(), nil, info, func(context.Context, any) (any, error) { return 1, nil })
	if err != nil || resp != 1 {
		t.Fatalf("after a panic: %v, %v", resp, err)
	}
	err = s.recoverStream(nil, nil, &grpc.StreamServerInfo{FullMethod: "/x/Y"}, func(any, grpc.ServerStream) error { panic("stream boom") })
	wantCode(t, "stream panic", err, codes.Internal)
}

// TestRequestLogAtDebug: each call is logged at debug with its method and
// code, and not at info.
func TestRequestLogAtDebug(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		var logs syncBuffer
		e := newTestEnv(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))})
		_, err := e.collections().Get(context.Background(), &qdrant.GetCollectionInfoRequest{CollectionName: "nope"})
		wantCode(t, "get", err, codes.NotFound)
		l := logs.String()
		logged := strings.Contains(l, "grpc request") && strings.Contains(l, "/qdrant.Collections/Get") && strings.Contains(l, "code=NotFound")
		if logged != (level == slog.LevelDebug) {
			t.Errorf("level %v: logged %v: %q", level, logged, l)
		}
	}
}

// TestHealthCheck answers as REST's GET /: title and the Qdrant version.
func TestHealthCheck(t *testing.T) {
	e := newTestEnv(t, Options{})
	h, err := e.officialClient(t, "").HealthCheck(context.Background())
	if err != nil || h.GetTitle() != "cairn - vector search engine" || h.GetVersion() != server.QdrantAPIVersion {
		t.Fatalf("health %v, %v", h, err)
	}
}

// TestMaxMessageBytes: a request over service.max_request_size_mb is
// refused with ResourceExhausted and changes nothing.
func TestMaxMessageBytes(t *testing.T) {
	e := newTestEnv(t, Options{MaxMessageBytes: 4096})
	big := qdrant.NewValueMap(map[string]any{"blob": strings.Repeat("x", 8192)})
	_, err := e.collections().Create(context.Background(), &qdrant.CreateCollection{CollectionName: "c", VectorsConfig: vectors4(), Metadata: big})
	wantCode(t, "big", err, codes.ResourceExhausted)
	if e.st.CollectionExists("c") {
		t.Fatal("refused request created the collection")
	}
	e.mustCreate(t, "c")
}

// TestStopEndsAtDeadline: Stop returns once its context ends even while a
// connection stays open, and Serve then returns.
func TestStopEndsAtDeadline(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustCreate(t, "c") // the connection is up and idle
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	e.srv.Stop(ctx)
	_, err := e.collections().List(context.Background(), &qdrant.ListCollectionsRequest{})
	if err == nil {
		t.Fatal("stopped server answered")
	}
}
