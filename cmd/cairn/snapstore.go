package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/objstore"
)

// snapshotStoreCheckWithin bounds the start-up check of an s3 snapshot
// store, its retries included.
const snapshotStoreCheckWithin = time.Minute

// newSnapshotStore returns the object store of storage.snapshots_config:
// nil for local (the snapshot manager keeps archives under
// snapshots_path, as always), an S3 store for s3, trusting rootCAs (the
// system roots plus tls.ca_cert, see recoverRootCAs) on an https endpoint.
// It sends nothing: checkSnapshotStore does.
func newSnapshotStore(cfg *config.Config, rootCAs *x509.CertPool) (objstore.Store, error) {
	sc := cfg.Storage.SnapshotsConfig
	if sc.SnapshotsStorage != config.SnapshotsS3 {
		return nil, nil
	}
	s3 := sc.S3Config
	st, err := objstore.NewS3(objstore.S3Config{
		Endpoint: s3.EndpointURL, Region: s3.Region, Bucket: s3.Bucket, Prefix: s3.Prefix,
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, SessionToken: s3.SessionToken,
		RootCAs: rootCAs,
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// checkSnapshotStore proves at start-up that an s3 snapshot store is
// usable (endpoint reachable, credentials accepted, bucket present); its
// error names the setting at fault and stops start-up.
func checkSnapshotStore(ctx context.Context, st objstore.Store, log *slog.Logger) error {
	s3, ok := st.(*objstore.S3)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, snapshotStoreCheckWithin)
	defer cancel()
	if err := s3.Check(ctx); err != nil {
		return fmt.Errorf("snapshot storage %s: %w", s3, err)
	}
	log.Info("snapshot storage", "store", s3.String(), "endpoint", s3.Endpoint())
	return nil
}

// configuredSnapshotStore is the store cairn snapshot verify reads an
// s3://BUCKET/KEY location from: the one storage.snapshots_config
// configures, which must be s3 and of that bucket (else a usage error). It
// sends nothing before the verify's first read.
func configuredSnapshotStore(cfg *config.Config, bucket string) (objstore.Store, error) {
	sc := cfg.Storage.SnapshotsConfig
	if sc.SnapshotsStorage != config.SnapshotsS3 {
		return nil, &usageError{"s3:// locations need storage.snapshots_config.snapshots_storage: s3"}
	}
	if bucket != sc.S3Config.Bucket {
		return nil, &usageError{fmt.Sprintf("s3://%s is not the configured bucket %s (%s.bucket)", bucket, sc.S3Config.Bucket, objstore.S3ConfigKey)}
	}
	return configuredS3Store(cfg)
}

// configuredS3Store builds the store of storage.snapshots_config (see
// newSnapshotStore), trusting recoverRootCAs.
func configuredS3Store(cfg *config.Config) (objstore.Store, error) {
	rootCAs, err := recoverRootCAs(cfg)
	if err != nil {
		return nil, err
	}
	return newSnapshotStore(cfg, rootCAs)
}
