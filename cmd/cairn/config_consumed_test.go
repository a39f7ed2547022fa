package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cairn-db/cairn/backup"
	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/grpcapi"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/server"
	"github.com/cairn-db/cairn/snapshot"
)

// built is everything serve builds from a configuration, through the same
// functions serve calls.
type built struct {
	eng  engine.Options
	srv  server.Options
	grpc grpcapi.Options
	// grpcAddr is the gRPC listen address ("" when gRPC is off).
	grpcAddr string
	snaps    *snapshot.Manager
	backup   backup.Options
	tls      *tls.Config
	certs    *certReloader
	addr     string
	handler  string     // the logger's handler type
	level    slog.Level // the lowest level the logger writes
	// walTarget and walEvery are the WAL archiver's store and interval
	// ("" and 0: archiving off).
	walTarget string
	walEvery  time.Duration
}

func buildAll(t *testing.T, cfg *config.Config) built {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("configuration: %v", err)
	}
	log := newLogger(cfg, io.Discard)
	b := built{eng: engineOptions(cfg, log), srv: serverOptions(cfg, log, nil),
		snaps: newSnapshotManager(cfg, nil, log), addr: listenAddr(cfg), handler: fmt.Sprintf("%T", log.Handler())}
	var err error
	if b.backup, err = backupOptions(cfg, nil, b.snaps, log, nil); err != nil {
		t.Fatal(err)
	}
	if b.snaps.RecoverRootCAs, err = recoverRootCAs(cfg); err != nil {
		t.Fatal(err)
	}
	if b.snaps.Remote, err = newSnapshotStore(cfg, b.snaps.RecoverRootCAs); err != nil {
		t.Fatal(err)
	}
	if b.tls, b.certs, err = newTLSConfig(cfg, log); err != nil {
		t.Fatal(err)
	}
	b.grpc = grpcOptions(cfg, log, nil, b.tls)
	b.grpcAddr, _ = grpcListenAddr(cfg)
	wa, err := newWALArchiving(cfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	if wa != nil {
		b.walTarget, b.walEvery = wa.arch.Store.String(), wa.every
	}
	for b.level = levelTrace; !log.Enabled(context.Background(), b.level); b.level++ {
	}
	return b
}

// consumer says how one configuration key is observed: from base (nil: the
// defaults), set sets a value other than base's, and seen returns what the
// key configures in what serve builds.
type consumer struct {
	base func(c *config.Config)
	set  func(c *config.Config)
	seen func(b built) any
}

// TestEveryConfigKeyIsConsumed fails when a key of config.Config reaches
// nothing: for every key it sets a value other than the default and checks
// that what serve builds from the configuration (engine, server, snapshot,
// TLS and logger options, the listen address) changes accordingly. A new
// key needs an entry here, and a key that Cairn cannot honour must instead
// be refused by config.Validate when set to anything but its default
// (there is none today).
func TestEveryConfigKeyIsConsumed(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t)
	f, _ := ca.writeServerFiles(t, dir)
	other, _ := newTestCA(t).writeServerFiles(t, t.TempDir())
	withTLS := func(c *config.Config) {
		c.Service.EnableTLS = true
		c.TLS.Cert, c.TLS.Key, c.TLS.CACert = f.cert, f.key, f.ca
	}
	withVerify := func(c *config.Config) { withTLS(c); c.Service.VerifyHTTPSClientCertificate = true }
	withS3 := func(c *config.Config) {
		c.Storage.SnapshotsConfig.SnapshotsStorage = config.SnapshotsS3
		c.Storage.SnapshotsConfig.S3Config = config.S3Config{Bucket: "backups", EndpointURL: "http://127.0.0.1:9000", AccessKey: "a", SecretKey: "s"}
	}
	s3 := func(b built) objstore.S3Config { return b.snaps.Remote.(*objstore.S3).Config() }
	s3c := func(c *config.Config) *config.S3Config { return &c.Storage.SnapshotsConfig.S3Config }
	withArchive := func(c *config.Config) { c.Backup.WALArchive.Target = "local" }
	consumers := map[string]consumer{
		"log_level":                   {nil, func(c *config.Config) { c.LogLevel = "DEBUG" }, func(b built) any { return b.level }},
		"logger.format":               {nil, func(c *config.Config) { c.Logger.Format = "json" }, func(b built) any { return b.handler }},
		"service.host":                {nil, func(c *config.Config) { c.Service.Host = "127.0.0.2" }, func(b built) any { return [2]string{b.addr, b.grpcAddr} }},
		"service.grpc_port":           {nil, func(c *config.Config) { c.Service.GRPCPort = 0 }, func(b built) any { return b.grpcAddr }},
		"service.http_port":           {nil, func(c *config.Config) { c.Service.HTTPPort = 7000 }, func(b built) any { return b.addr }},
		"service.api_key":             {nil, func(c *config.Config) { c.Service.APIKey = "k" }, func(b built) any { return [2]string{b.srv.APIKey, b.grpc.APIKey} }},
		"service.read_only_api_key":   {nil, func(c *config.Config) { c.Service.ReadOnlyAPIKey = "r" }, func(b built) any { return [2]string{b.srv.ReadOnlyAPIKey, b.grpc.ReadOnlyAPIKey} }},
		"service.max_request_size_mb": {nil, func(c *config.Config) { c.Service.MaxRequestSizeMB = 64 }, func(b built) any { return [2]int64{b.srv.MaxRequestBytes, int64(b.grpc.MaxMessageBytes)} }},
		"service.enable_cors":         {nil, func(c *config.Config) { c.Service.EnableCORS = false }, func(b built) any { return b.srv.EnableCORS }},
		"service.enable_static_content": {nil, func(c *config.Config) { c.Service.EnableStaticContent = false },
			func(b built) any { return b.srv.NoDashboard }},
		"service.enable_tls": {func(c *config.Config) { withTLS(c); c.Service.EnableTLS = false },
			func(c *config.Config) { c.Service.EnableTLS = true }, func(b built) any { return [2]bool{b.tls != nil, b.grpc.TLS != nil} }},
		"service.verify_https_client_certificate": {withTLS, func(c *config.Config) { c.Service.VerifyHTTPSClientCertificate = true },
			func(b built) any { return b.tls.ClientAuth }},
		"storage.storage_path":                         {nil, func(c *config.Config) { c.Storage.StoragePath = "/elsewhere" }, func(b built) any { return b.eng.Dir }},
		"storage.snapshots_path":                       {nil, func(c *config.Config) { c.Storage.SnapshotsPath = "/elsewhere" }, func(b built) any { return b.snaps.SnapshotsPath }},
		"storage.temp_path":                            {nil, func(c *config.Config) { c.Storage.TempPath = "/elsewhere" }, func(b built) any { return b.snaps.TempPath }},
		"storage.max_snapshot_size_mb":                 {nil, func(c *config.Config) { c.Storage.MaxSnapshotSizeMB = 5 }, func(b built) any { return b.snaps.MaxBytes }},
		"storage.performance.max_search_threads":       {nil, func(c *config.Config) { c.Storage.Performance.MaxSearchThreads = 3 }, func(b built) any { return b.eng.MaxSearchThreads }},
		"storage.performance.max_optimization_threads": {nil, func(c *config.Config) { c.Storage.Performance.MaxOptimizationThreads = 2 }, func(b built) any { return b.eng.MaxOptimizationThreads }},
		"storage.snapshots_config.snapshots_storage": {func(c *config.Config) { withS3(c); c.Storage.SnapshotsConfig.SnapshotsStorage = "local" },
			func(c *config.Config) { c.Storage.SnapshotsConfig.SnapshotsStorage = "s3" }, func(b built) any { return b.snaps.Remote != nil }},
		"storage.snapshots_config.compression": {nil, func(c *config.Config) { c.Storage.SnapshotsConfig.Compression = "zstd" },
			func(b built) any { return b.snaps.Compression }},
		"storage.snapshots_config.s3_config.bucket": {withS3, func(c *config.Config) { s3c(c).Bucket = "other" },
			func(b built) any { return s3(b).Bucket }},
		"storage.snapshots_config.s3_config.region": {withS3, func(c *config.Config) { s3c(c).Region = "eu-west-3" },
			func(b built) any { return s3(b).Region }},
		"storage.snapshots_config.s3_config.access_key": {withS3, func(c *config.Config) { s3c(c).AccessKey = "other" },
			func(b built) any { return s3(b).AccessKey }},
		"storage.snapshots_config.s3_config.secret_key": {withS3, func(c *config.Config) { s3c(c).SecretKey = "other" },
			func(b built) any { return s3(b).SecretKey }},
		"storage.snapshots_config.s3_config.endpoint_url": {withS3, func(c *config.Config) { s3c(c).EndpointURL = "https://s3.example.com" },
			func(b built) any { return b.snaps.Remote.(*objstore.S3).Endpoint() }},
		"storage.snapshots_config.s3_config.prefix": {withS3, func(c *config.Config) { s3c(c).Prefix = "node1" },
			func(b built) any { return b.snaps.Remote.String() }},
		"tls.cert": {withTLS, func(c *config.Config) { c.TLS.Cert, c.TLS.Key = other.cert, other.key },
			func(b built) any { return b.certs.cert.Leaf.Raw }},
		"tls.key": {withTLS, func(c *config.Config) { c.TLS.Cert, c.TLS.Key = other.cert, other.key },
			func(b built) any { return b.certs.cert.PrivateKey }},
		"tls.ca_cert": {func(c *config.Config) { withVerify(c); withS3(c) }, func(c *config.Config) { c.TLS.CACert = other.ca },
			func(b built) any { return [3]any{b.tls.ClientCAs, b.snaps.RecoverRootCAs, s3(b).RootCAs} }},
		"backup.wal_archive.target": {nil, withArchive, func(b built) any { return b.walTarget }},
		"backup.wal_archive.every": {withArchive, func(c *config.Config) { c.Backup.WALArchive.Every = "5s" },
			func(b built) any { return b.walEvery }},
		"backup.schedules": {nil, func(c *config.Config) {
			c.Backup.Schedules = []config.BackupSchedule{{Name: "h", Collections: []string{"*"}, Every: "1h", Keep: config.BackupKeep{Last: 2}}}
		}, func(b built) any { return b.backup.Schedules }},
		"tls.cert_ttl": {withTLS, func(c *config.Config) { c.TLS.CertTTL = 60 }, func(b built) any { return b.certs.ttl }},
	}
	for _, key := range config.Keys() {
		c, ok := consumers[key]
		if !ok {
			t.Errorf("configuration key %s reaches nothing serve builds: wire it, or refuse it in config.Validate (and list it here)", key)
			continue
		}
		base := config.Default()
		base.Storage.StoragePath = filepath.Join(dir, "storage")
		base.Storage.TempPath = filepath.Join(dir, "storage", "tmp")
		base.Storage.SnapshotsPath = filepath.Join(dir, "snapshots")
		if c.base != nil {
			c.base(&base)
		}
		changed := base
		c.set(&changed)
		before, after := c.seen(buildAll(t, &base)), c.seen(buildAll(t, &changed))
		if reflect.DeepEqual(before, after) {
			t.Errorf("configuration key %s: a new value (%v) does not reach what it configures", key, after)
		}
	}
}
