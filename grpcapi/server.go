package grpcapi

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/cairn-db/cairn/backup"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
)

// DefaultMaxMessageBytes is the largest request message accepted when
// Options sets none (32 MiB, Qdrant's default max_request_size_mb).
const DefaultMaxMessageBytes = 32 << 20

// keepaliveMinTime is the shortest interval between client pings the
// server tolerates. Qdrant's official clients ping every 10 s, with no call
// under way too; grpc-go's default policy (5 min, none without calls)
// would answer them with GOAWAY "too_many_pings" and drop the connection.
const keepaliveMinTime = 5 * time.Second

// handshakeTimeout bounds a new connection's TLS and HTTP/2 handshake, as
// REST's ReadHeaderTimeout bounds a request's headers.
const handshakeTimeout = 10 * time.Second

// Options configures a gRPC server.
type Options struct {
	// Logger receives panics (error) and one line per call (debug); nil
	// means slog.Default().
	Logger *slog.Logger
	// Storage is the engine the services call; nil answers them with
	// Unavailable (before the storage is open, and in tests).
	Storage *engine.Storage
	// Snapshots serves the Snapshots service; nil answers it with
	// Unavailable. Its Storage should be the same as Storage.
	Snapshots *snapshot.Manager
	// Backup, when backup schedules are configured, adds its stale-backup
	// warnings to collection info, as REST's; nil: no schedules.
	Backup *backup.Scheduler
	// APIKey, when set, is required on every method but Qdrant.HealthCheck.
	APIKey string
	// ReadOnlyAPIKey, when set, grants the read methods only (readMethods).
	ReadOnlyAPIKey string
	// TLS, when set, serves over TLS with this configuration (the same as
	// REST's); nil serves plaintext HTTP/2.
	TLS *tls.Config
	// MaxMessageBytes caps a request message; 0 means
	// DefaultMaxMessageBytes.
	MaxMessageBytes int
}

// Server is Cairn's gRPC API: Qdrant's services Qdrant, Collections,
// Points and Snapshots over one grpc.Server.
type Server struct {
	opts Options
	log  *slog.Logger
	gs   *grpc.Server
}

// New returns a server with every service registered.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	s := &Server{opts: o, log: o.Logger}
	gopts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(o.MaxMessageBytes),
		grpc.ConnectionTimeout(handshakeTimeout),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinTime, PermitWithoutStream: true}),
		grpc.ChainUnaryInterceptor(s.recoverUnary, s.logUnary, s.authUnary),
		grpc.ChainStreamInterceptor(s.recoverStream, s.logStream, s.authStream),
	}
	if o.TLS != nil {
		gopts = append(gopts, grpc.Creds(credentials.NewTLS(o.TLS)))
	}
	s.gs = grpc.NewServer(gopts...)
	qdrant.RegisterQdrantServer(s.gs, &qdrantService{s: s})
	qdrant.RegisterCollectionsServer(s.gs, &collectionsService{s: s})
	qdrant.RegisterPointsServer(s.gs, &pointsService{s: s})
	qdrant.RegisterSnapshotsServer(s.gs, &snapshotsService{s: s})
	return s
}

// Serve accepts connections on ln until Stop; it returns nil after Stop
// and grpc.ErrServerStopped when called after Stop.
func (s *Server) Serve(ln net.Listener) error { return s.gs.Serve(ln) }

// Stop stops accepting and waits for the calls under way; when ctx ends
// first, it closes every connection, cancelling those calls.
func (s *Server) Stop(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.gs.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.gs.Stop()
		<-done
	}
}

// storage returns the engine, or Unavailable while there is none.
func (s *Server) storage() (*engine.Storage, error) {
	if s.opts.Storage == nil {
		return nil, status.Error(codes.Unavailable, "Service unavailable: storage is not ready")
	}
	return s.opts.Storage, nil
}

// snapshots returns the snapshot manager, or Unavailable while there is none.
func (s *Server) snapshots() (*snapshot.Manager, error) {
	if s.opts.Snapshots == nil {
		return nil, status.Error(codes.Unavailable, "Service unavailable: snapshots are not ready")
	}
	return s.opts.Snapshots, nil
}

// elapsed is a response's time field: seconds since start.
func elapsed(start time.Time) float64 { return time.Since(start).Seconds() }

// recoverUnary answers a panic in a handler with Internal and logs it
// with its stack, so that one bad request does not stop the process.
func (s *Server) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer s.recovered(info.FullMethod, &err)
	return h(ctx, req)
}

func (s *Server) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer s.recovered(info.FullMethod, &err)
	return h(srv, ss)
}

func (s *Server) recovered(method string, err *error) {
	if p := recover(); p != nil {
		s.log.Error("grpc handler panicked", "method", method, "panic", p, "stack", string(debug.Stack()))
		*err = status.Error(codes.Internal, "Service internal error: the server failed while serving "+method)
	}
}

// logUnary logs each call at debug level: method, code, duration.
func (s *Server) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if !s.log.Enabled(ctx, slog.LevelDebug) {
		return h(ctx, req)
	}
	start := time.Now()
	resp, err := h(ctx, req)
	s.logCall(ctx, info.FullMethod, start, err)
	return resp, err
}

func (s *Server) logStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx := ss.Context()
	if !s.log.Enabled(ctx, slog.LevelDebug) {
		return h(srv, ss)
	}
	start := time.Now()
	err := h(srv, ss)
	s.logCall(ctx, info.FullMethod, start, err)
	return err
}

func (s *Server) logCall(ctx context.Context, method string, start time.Time, err error) {
	attrs := []slog.Attr{slog.String("method", method), slog.String("code", status.Code(err).String()),
		slog.Duration("took", time.Since(start))}
	if err != nil {
		attrs = append(attrs, slog.String("error", status.Convert(err).Message()))
	}
	s.log.LogAttrs(ctx, slog.LevelDebug, "grpc request", attrs...)
}
