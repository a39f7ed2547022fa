package main

import (
	"crypto/tls"
	"log/slog"
	"net"
	"strconv"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/grpcapi"
	"github.com/cairn-db/cairn/server"
)

// Every configuration key reaches what it configures through one of the
// functions below, newLogger, newSnapshotManager, newSnapshotStore,
// backupOptions, newTLSConfig or recoverRootCAs (TestEveryConfigKeyIsConsumed
// checks each key).

// engineOptions returns the engine's options: storage.storage_path and
// storage.performance.
func engineOptions(cfg *config.Config, log *slog.Logger) engine.Options {
	return engine.Options{
		Dir:                    cfg.Storage.StoragePath,
		Logger:                 log,
		MaxSearchThreads:       cfg.Storage.Performance.MaxSearchThreads,
		MaxOptimizationThreads: cfg.Storage.Performance.MaxOptimizationThreads,
	}
}

// serverOptions returns the HTTP handler's options: the service section's
// keys but the address and TLS ones.
func serverOptions(cfg *config.Config, log *slog.Logger, st *storage) server.Options {
	o := server.Options{
		Logger:          log,
		APIKey:          cfg.Service.APIKey,
		ReadOnlyAPIKey:  cfg.Service.ReadOnlyAPIKey,
		MaxRequestBytes: cfg.MaxRequestBytes(),
		EnableCORS:      cfg.Service.EnableCORS,
		NoDashboard:     !cfg.Service.EnableStaticContent,
	}
	if st != nil {
		o.Storage, o.Snapshots, o.Backup, o.Registry = st.eng, st.snaps, st.backup, st.reg
		if st.wal != nil {
			o.WALArchive = st.wal.arch
		}
	}
	return o
}

// listenAddr is service.host and service.http_port.
func listenAddr(cfg *config.Config) string {
	return net.JoinHostPort(cfg.Service.Host, strconv.Itoa(cfg.Service.HTTPPort))
}

// grpcOptions returns the gRPC server's options: the same keys, storage,
// snapshot manager and TLS configuration as REST's, and
// service.max_request_size_mb as the largest request message.
func grpcOptions(cfg *config.Config, log *slog.Logger, st *storage, tlsCfg *tls.Config) grpcapi.Options {
	o := grpcapi.Options{
		Logger:          log,
		APIKey:          cfg.Service.APIKey,
		ReadOnlyAPIKey:  cfg.Service.ReadOnlyAPIKey,
		TLS:             tlsCfg,
		MaxMessageBytes: int(cfg.MaxRequestBytes()),
	}
	if st != nil {
		o.Storage, o.Snapshots, o.Backup = st.eng, st.snaps, st.backup
	}
	return o
}

// grpcListenAddr is service.host and service.grpc_port, and false when
// service.grpc_port is 0 (or null): gRPC is off.
func grpcListenAddr(cfg *config.Config) (string, bool) {
	if cfg.Service.GRPCPort == 0 {
		return "", false
	}
	return net.JoinHostPort(cfg.Service.Host, strconv.Itoa(cfg.Service.GRPCPort)), true
}
