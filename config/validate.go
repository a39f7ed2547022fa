package config

import (
	"fmt"
	"strings"
)

// LogLevels are the accepted values of log_level.
var LogLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR"}

// Validate checks every key's range and returns an error naming the first
// bad key.
func (c *Config) Validate() error {
	checks := []check{
		{validLevel(c.LogLevel), "log_level", fmt.Sprintf("%q is not one of %s", c.LogLevel, strings.Join(LogLevels, ", "))},
		{c.Logger.Format == "text" || c.Logger.Format == "json", "logger.format", fmt.Sprintf("%q is not text or json", c.Logger.Format)},
		{strings.TrimSpace(c.Service.Host) != "", "service.host", "must not be empty"},
		{c.Service.HTTPPort >= 0 && c.Service.HTTPPort <= 65535, "service.http_port", fmt.Sprintf("%d is not a TCP port (0-65535)", c.Service.HTTPPort)},
		{c.Service.GRPCPort >= 0 && c.Service.GRPCPort <= 65535, "service.grpc_port", fmt.Sprintf("%d is not a TCP port (0-65535; 0 or null disables gRPC)", c.Service.GRPCPort)},
		{c.Service.MaxRequestSizeMB >= 1 && c.Service.MaxRequestSizeMB <= 1<<20, "service.max_request_size_mb", fmt.Sprintf("%d is not between 1 and 1048576", c.Service.MaxRequestSizeMB)},
		{c.Service.ReadOnlyAPIKey == "" || c.Service.ReadOnlyAPIKey != c.Service.APIKey, "service.read_only_api_key", "must differ from service.api_key"},
		{strings.TrimSpace(c.Storage.StoragePath) != "", "storage.storage_path", "must not be empty"},
		{strings.TrimSpace(c.Storage.SnapshotsPath) != "", "storage.snapshots_path", "must not be empty"},
		{strings.TrimSpace(c.Storage.TempPath) != "", "storage.temp_path", "must not be empty"},
		{c.Storage.MaxSnapshotSizeMB >= 0 && c.Storage.MaxSnapshotSizeMB <= 1<<30, "storage.max_snapshot_size_mb", fmt.Sprintf("%d is not between 0 and 1073741824", c.Storage.MaxSnapshotSizeMB)},
		{c.Storage.Performance.MaxSearchThreads >= 0, "storage.performance.max_search_threads", "must not be negative"},
		{c.Storage.Performance.MaxOptimizationThreads >= 0, "storage.performance.max_optimization_threads", "must not be negative"},
		{!c.Service.EnableTLS || strings.TrimSpace(c.TLS.Cert) != "", "tls.cert", "must be set when service.enable_tls is true"},
		{!c.Service.EnableTLS || strings.TrimSpace(c.TLS.Key) != "", "tls.key", "must be set when service.enable_tls is true"},
		{!c.Service.VerifyHTTPSClientCertificate || c.Service.EnableTLS, "service.verify_https_client_certificate", "needs service.enable_tls: client certificates are verified only over HTTPS"},
		{!c.Service.VerifyHTTPSClientCertificate || strings.TrimSpace(c.TLS.CACert) != "", "tls.ca_cert", "must be set when service.verify_https_client_certificate is true"},
		{c.TLS.CertTTL >= 0, "tls.cert_ttl", "must not be negative (0 or null: never reload)"},
	}
	checks = append(checks, c.snapshotsChecks()...)
	for _, ch := range checks {
		if !ch.ok {
			return fmt.Errorf("%w: %s: %s", ErrInvalid, ch.key, ch.why)
		}
	}
	if err := c.validateWALArchive(); err != nil {
		return err
	}
	return c.validateBackup()
}

// check is one rule of Validate: ok, else key is refused for why.
type check = struct {
	ok  bool
	key string
	why string
}

// snapshotsChecks are the rules of storage.snapshots_config.
func (c *Config) snapshotsChecks() []check {
	sc := c.Storage.SnapshotsConfig
	s3 := sc.S3Config
	isS3 := sc.SnapshotsStorage == SnapshotsS3
	const k = "storage.snapshots_config."
	return []check{
		{sc.SnapshotsStorage == SnapshotsLocal || isS3, k + "snapshots_storage", fmt.Sprintf("%q is not local or s3", sc.SnapshotsStorage)},
		{sc.Compression == "none" || sc.Compression == "zstd", k + "compression", fmt.Sprintf("%q is not none or zstd", sc.Compression)},
		{!isS3 || strings.TrimSpace(s3.Bucket) != "", k + "s3_config.bucket", "must be set when snapshots_storage is s3"},
		{!isS3 || s3.EndpointURL != "" || s3.Region != "", k + "s3_config.endpoint_url", "must be set when snapshots_storage is s3, or region for AWS (or AWS_REGION)"},
		{(s3.AccessKey == "") == (s3.SecretKey == ""), k + "s3_config.secret_key", "access_key and secret_key must be set together"},
	}
}

func validLevel(s string) bool {
	for _, l := range LogLevels {
		if strings.EqualFold(s, l) {
			return true
		}
	}
	return false
}
