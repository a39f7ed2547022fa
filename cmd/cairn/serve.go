package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/server"
	"github.com/cairn-db/cairn/simd"
)

// shutdownGrace bounds how long in-flight requests may run after a signal.
const shutdownGrace = 30 * time.Second

// serve runs `cairn serve` until ctx is cancelled (SIGINT or SIGTERM),
// then stops accepting, waits for in-flight requests and closes the storage.
func serve(ctx context.Context, args, environ []string, logOut io.Writer) error {
	a, err := parseServeArgs(args, logOut)
	if err != nil {
		return err
	}
	cfg, err := config.Load(config.Options{Path: a.configPath, Environ: environ, Override: a.override})
	if err != nil {
		return err
	}
	log := newLogger(cfg, logOut)
	log.Info("starting cairn", "version", server.Version, "qdrant_api", server.QdrantAPIVersion, "simd", simd.Chosen())
	log.Info("configuration", cfg.Summary()...)
	for _, h := range startHooks {
		if h.run != nil {
			if err := h.run(ctx, cfg, log); err != nil {
				return err
			}
		}
	}
	if err := cleanSnapshotLeftovers(cfg); err != nil {
		return err
	}
	tlsCfg, _, err := newTLSConfig(cfg, log)
	if err != nil {
		return err
	}
	rootCAs, err := recoverRootCAs(cfg)
	if err != nil {
		return err
	}
	remote, err := newSnapshotStore(cfg, rootCAs)
	if err != nil {
		return err
	}
	if err := checkSnapshotStore(ctx, remote, log); err != nil {
		return err
	}
	st, err := openStorage(cfg, log, remote)
	if err != nil {
		return err
	}
	st.snaps = newSnapshotManager(cfg, st.eng, log)
	st.snaps.RecoverRootCAs = rootCAs
	st.snaps.Remote = remote
	if err := restoreAtStartup(ctx, a, st.snaps, log); err != nil {
		return errors.Join(err, st.close())
	}
	if err := startBackups(ctx, cfg, st, log); err != nil {
		return errors.Join(err, st.close())
	}
	stopArchive := func() {}
	if st.wal != nil {
		stopArchive = st.wal.start(log)
	}
	stopSweeps := func() {}
	if remote != nil {
		stopSweeps = startRemoteSweeps(ctx, st.snaps, log, serveSweepClock, sweepFirstAfter, sweepEvery)
	}
	srvErr := run(ctx, cfg, log, st, tlsCfg)
	stopSweeps()  // a sweep under way is cancelled before the storage closes
	stopArchive() // after the last request, before the storage closes
	if err := st.close(); err != nil {
		srvErr = errors.Join(srvErr, fmt.Errorf("close storage: %w", err))
	}
	if srvErr == nil {
		log.Info("stopped")
	}
	return srvErr
}

// run serves HTTP (HTTPS when tlsCfg is set) and, unless
// service.grpc_port is 0, gRPC (over TLS likewise) until ctx is done, then
// shuts both down gracefully within shutdownGrace.
func run(ctx context.Context, cfg *config.Config, log *slog.Logger, st *storage, tlsCfg *tls.Config) error {
	addr := listenAddr(cfg)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	g, err := listenGRPC(cfg, log, st, tlsCfg)
	if err != nil {
		ln.Close()
		return err
	}
	h := server.New(serverOptions(cfg, log, st))
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig: tlsCfg}
	g.start(log, tlsCfg != nil) // logs "grpc listening" before REST's "listening", which tests wait for
	log.Info("listening", "addr", ln.Addr().String(), "tls", tlsCfg != nil)
	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- srv.ServeTLS(ln, "", "") // the certificate comes from TLSConfig.GetCertificate
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return errors.Join(fmt.Errorf("serve on %s: %w", addr, err), g.stop(cancelled()))
	case err := <-g.failed():
		g.errc <- err // for stop
		return errors.Join(g.stop(cancelled()), srv.Close())
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	if st != nil {
		st.snaps.Close() // recover downloads end now; what they fetched is not restored
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	gerr := make(chan error, 1)
	go func() { gerr <- g.stop(sctx) }()
	err = srv.Shutdown(sctx)
	err = errors.Join(err, <-gerr)
	h.Wait() // snapshot work accepted with wait=false finishes before the storage closes
	if err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", addr, err)
	}
	return nil
}

// cancelled is a context that has ended: a stop that waits for nothing.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
