package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"google.golang.org/grpc"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/grpcapi"
)

// grpcService is the gRPC API of a running serve; a nil *grpcService is
// gRPC turned off (service.grpc_port 0 or null), whose methods do nothing.
type grpcService struct {
	srv  *grpcapi.Server
	ln   net.Listener
	errc chan error
}

// listenGRPC binds service.host:service.grpc_port, so that a port in use
// stops start-up before anything is served, and returns nil when gRPC is
// off.
func listenGRPC(cfg *config.Config, log *slog.Logger, st *storage, tlsCfg *tls.Config) (*grpcService, error) {
	addr, on := grpcListenAddr(cfg)
	if !on {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for gRPC on %s (service.grpc_port; 0 or null disables gRPC): %w", addr, err)
	}
	return &grpcService{srv: grpcapi.New(grpcOptions(cfg, log, st, tlsCfg)), ln: ln, errc: make(chan error, 1)}, nil
}

// start serves in the background and logs the address, as REST's
// "listening".
func (g *grpcService) start(log *slog.Logger, tlsOn bool) {
	if g == nil {
		return
	}
	log.Info("grpc listening", "addr", g.ln.Addr().String(), "tls", tlsOn)
	go func() { g.errc <- g.srv.Serve(g.ln) }()
}

// failed is ready when serving stopped on its own (nil when gRPC is off:
// never ready).
func (g *grpcService) failed() <-chan error {
	if g == nil {
		return nil
	}
	return g.errc
}

// stop stops gracefully within ctx (closing the connections still busy
// when it ends) and returns what serving returned; a nil error once it
// stopped as asked.
func (g *grpcService) stop(ctx context.Context) error {
	if g == nil {
		return nil
	}
	g.srv.Stop(ctx)
	if err := <-g.errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("serve grpc on %s: %w", g.ln.Addr(), err)
	}
	return nil
}
