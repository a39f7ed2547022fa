package config

import (
	"path/filepath"
	"strings"
)

// DefaultPath is the configuration file read when no path is given and the
// file exists.
const DefaultPath = "config/config.yaml"

// Config is Cairn's whole configuration. Its YAML keys follow Qdrant's
// config.yaml so that an existing Qdrant configuration's common keys work.
type Config struct {
	// LogLevel is one of TRACE, DEBUG, INFO, WARN, ERROR (any case).
	LogLevel string `yaml:"log_level"`
	// Logger holds the log output settings.
	Logger Logger `yaml:"logger"`
	// Service holds the HTTP service settings.
	Service Service `yaml:"service"`
	// Storage holds where and how data is stored.
	Storage Storage `yaml:"storage"`
	// TLS holds the certificate files used when service.enable_tls is set.
	TLS TLS `yaml:"tls"`
	// Backup holds the backup settings: the schedules the server runs and
	// WAL archiving.
	Backup Backup `yaml:"backup"`
}

// TLS holds the certificate files of the HTTPS service (Qdrant's tls
// section). They are read only when service.enable_tls is true.
type TLS struct {
	// Cert is the server certificate chain file (PEM).
	Cert string `yaml:"cert"`
	// Key is the server private key file (PEM).
	Key string `yaml:"key"`
	// CACert is a certificate authority file (PEM): client certificates
	// are verified against it when service.verify_https_client_certificate
	// is set, and https:// snapshot recover locations are trusted when
	// signed by it as well as by the system roots, and so is an https
	// storage.snapshots_config.s3_config.endpoint_url.
	CACert string `yaml:"ca_cert"`
	// CertTTL is how many seconds a loaded certificate and key are used
	// before the files are read again (certificate rotation); 0 (or null)
	// never reads them again. Qdrant's default is one hour.
	CertTTL int `yaml:"cert_ttl"`
}

// Logger holds the log output settings.
type Logger struct {
	// Format is "text" or "json".
	Format string `yaml:"format"`
}

// Service holds the HTTP service settings.
type Service struct {
	// Host is the address the HTTP server binds to.
	Host string `yaml:"host"`
	// HTTPPort is the HTTP server's TCP port.
	HTTPPort int `yaml:"http_port"`
	// GRPCPort is the gRPC server's TCP port (Qdrant's gRPC API, on
	// Host); 0 or null disables gRPC, as in Qdrant's config.
	GRPCPort int `yaml:"grpc_port"`
	// APIKey, when set, is required on every request but the health routes.
	APIKey string `yaml:"api_key"`
	// ReadOnlyAPIKey, when set, grants read-only access.
	ReadOnlyAPIKey string `yaml:"read_only_api_key"`
	// MaxRequestSizeMB caps a request body, in mebibytes.
	MaxRequestSizeMB int `yaml:"max_request_size_mb"`
	// EnableCORS adds permissive CORS headers to every answer.
	EnableCORS bool `yaml:"enable_cors"`
	// EnableStaticContent serves the web dashboard at /dashboard (Qdrant's
	// key for its Web UI; docs/dashboard.md).
	EnableStaticContent bool `yaml:"enable_static_content"`
	// EnableTLS serves the REST API over HTTPS, and gRPC over TLS, with
	// tls.cert and tls.key.
	EnableTLS bool `yaml:"enable_tls"`
	// VerifyHTTPSClientCertificate requires every HTTPS (and gRPC) client
	// to present a certificate signed by tls.ca_cert.
	VerifyHTTPSClientCertificate bool `yaml:"verify_https_client_certificate"`
}

// Storage holds where and how data is stored.
type Storage struct {
	// StoragePath is the folder holding the collections.
	StoragePath string `yaml:"storage_path"`
	// SnapshotsPath is the folder holding snapshot archives.
	SnapshotsPath string `yaml:"snapshots_path"`
	// TempPath is the folder for temporary files; empty means a "tmp"
	// folder under StoragePath. It should be on the same filesystem as
	// StoragePath so that snapshots can hard-link.
	TempPath string `yaml:"temp_path"`
	// MaxSnapshotSizeMB bounds, in mebibytes, a snapshot archive received
	// for a recover (upload or download) and the content it unpacks to;
	// 0 means only the free disk space bounds them (a download: half of the
	// temp path's free space above snapshot.DownloadReserve).
	MaxSnapshotSizeMB int `yaml:"max_snapshot_size_mb"`
	// Performance holds tuning knobs.
	Performance Performance `yaml:"performance"`
	// SnapshotsConfig says where snapshots are stored (Qdrant's
	// storage.snapshots_config).
	SnapshotsConfig SnapshotsConfig `yaml:"snapshots_config"`
}

// Values of storage.snapshots_config.snapshots_storage.
const (
	// SnapshotsLocal keeps snapshot archives under snapshots_path.
	SnapshotsLocal = "local"
	// SnapshotsS3 stores snapshots in the bucket of s3_config.
	SnapshotsS3 = "s3"
)

// SnapshotsConfig says where snapshots are stored, with Qdrant's keys and
// Cairn's compression.
type SnapshotsConfig struct {
	// SnapshotsStorage is "local" (archives under snapshots_path) or "s3"
	// (objects in the bucket of S3Config).
	SnapshotsStorage string `yaml:"snapshots_storage"`
	// S3Config is the bucket used when SnapshotsStorage is "s3".
	S3Config S3Config `yaml:"s3_config"`
	// Compression is "none" or "zstd": how what leaves the machine for
	// the bucket is compressed.
	Compression string `yaml:"compression"`
}

// S3Config is Qdrant's storage.snapshots_config.s3_config, plus Cairn's
// optional key prefix. With snapshots_storage s3, empty access_key and
// secret_key are taken from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and
// AWS_SESSION_TOKEN), an empty region from AWS_REGION.
type S3Config struct {
	// Bucket is the bucket snapshots are stored in; it must exist.
	Bucket string `yaml:"bucket"`
	// Region is the region requests are signed for (us-east-1 when empty
	// with an endpoint_url); without endpoint_url it selects the AWS
	// endpoint.
	Region string `yaml:"region"`
	// AccessKey is the access key id.
	AccessKey string `yaml:"access_key"`
	// SecretKey is the secret access key (never logged).
	SecretKey string `yaml:"secret_key"`
	// EndpointURL is an S3-compatible server (http:// or https://, host
	// and port), addressed path-style; empty means AWS.
	EndpointURL string `yaml:"endpoint_url"`
	// Prefix, when set, is put before every key ({prefix}/snapshots/...),
	// so that several nodes or clusters can share a bucket.
	Prefix string `yaml:"prefix"`
	// SessionToken is AWS_SESSION_TOKEN, taken from the environment only
	// (not a configuration key).
	SessionToken string `yaml:"-"`
}

// Performance holds tuning knobs, with Qdrant's meanings.
type Performance struct {
	// MaxSearchThreads is how many searches run at once (Qdrant's search
	// thread pool); more wait their turn. 0 chooses automatically: every
	// CPU on one or two CPUs, every CPU but one on more.
	MaxSearchThreads int `yaml:"max_search_threads"`
	// MaxOptimizationThreads is how many optimization jobs (merges,
	// vacuums, index and graph builds) run at once across all
	// collections; 0 means no limit (one per shard at a time).
	MaxOptimizationThreads int `yaml:"max_optimization_threads"`
}

// Default returns the configuration used when nothing overrides it.
func Default() Config {
	return Config{
		LogLevel: "INFO",
		Logger:   Logger{Format: "text"},
		Service: Service{
			Host:                "0.0.0.0",
			HTTPPort:            6333,
			GRPCPort:            6334,
			MaxRequestSizeMB:    32,
			EnableCORS:          true,
			EnableStaticContent: true,
		},
		Storage: Storage{
			StoragePath:   "./storage",
			SnapshotsPath: "./snapshots",
			SnapshotsConfig: SnapshotsConfig{
				SnapshotsStorage: SnapshotsLocal,
				// none: float32 vectors do not compress (zstd keeps
				// 100% of them and costs CPU), docs/BENCHMARKS.md
				// "Snapshot compression".
				Compression: "none",
			},
		},
		TLS:    TLS{CertTTL: DefaultCertTTL},
		Backup: Backup{Schedules: []BackupSchedule{}, WALArchive: WALArchive{Every: "1s"}},
	}
}

// DefaultCertTTL is tls.cert_ttl's default, in seconds (Qdrant's).
const DefaultCertTTL = 3600

// MaxRequestBytes returns the request body limit in bytes.
func (c *Config) MaxRequestBytes() int64 { return int64(c.Service.MaxRequestSizeMB) << 20 }

// MaxSnapshotBytes returns the snapshot archive size limit in bytes; 0
// means no limit.
func (c *Config) MaxSnapshotBytes() int64 { return int64(c.Storage.MaxSnapshotSizeMB) << 20 }

// fillDerived sets the defaults that depend on other keys.
func (c *Config) fillDerived() {
	if c.Storage.TempPath == "" {
		c.Storage.TempPath = filepath.Join(c.Storage.StoragePath, "tmp")
	}
}

// fillAWS completes an s3 snapshots configuration from the standard AWS
// variables of environ: the keys when neither is configured, the region
// when it is not.
func (c *Config) fillAWS(environ []string) {
	s3 := &c.Storage.SnapshotsConfig.S3Config
	if c.Storage.SnapshotsConfig.SnapshotsStorage != SnapshotsS3 {
		return
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if s3.AccessKey == "" && s3.SecretKey == "" {
		s3.AccessKey, s3.SecretKey, s3.SessionToken = env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]
	}
	if s3.Region == "" {
		s3.Region = env["AWS_REGION"]
	}
}

// Summary returns the configuration as slog-friendly key/value pairs with
// the secrets replaced by whether they are set.
func (c *Config) Summary() []any {
	return []any{
		"log_level", c.LogLevel,
		"logger.format", c.Logger.Format,
		"service.host", c.Service.Host,
		"service.http_port", c.Service.HTTPPort,
		"service.grpc_port", c.Service.GRPCPort,
		"service.api_key_set", c.Service.APIKey != "",
		"service.read_only_api_key_set", c.Service.ReadOnlyAPIKey != "",
		"service.max_request_size_mb", c.Service.MaxRequestSizeMB,
		"service.enable_cors", c.Service.EnableCORS,
		"service.enable_static_content", c.Service.EnableStaticContent,
		"service.enable_tls", c.Service.EnableTLS,
		"service.verify_https_client_certificate", c.Service.VerifyHTTPSClientCertificate,
		"storage.storage_path", c.Storage.StoragePath,
		"storage.snapshots_path", c.Storage.SnapshotsPath,
		"storage.temp_path", c.Storage.TempPath,
		"storage.max_snapshot_size_mb", c.Storage.MaxSnapshotSizeMB,
		"storage.performance.max_search_threads", c.Storage.Performance.MaxSearchThreads,
		"storage.performance.max_optimization_threads", c.Storage.Performance.MaxOptimizationThreads,
		"storage.snapshots_config.snapshots_storage", c.Storage.SnapshotsConfig.SnapshotsStorage,
		"storage.snapshots_config.compression", c.Storage.SnapshotsConfig.Compression,
		"storage.snapshots_config.s3_config.bucket", c.Storage.SnapshotsConfig.S3Config.Bucket,
		"storage.snapshots_config.s3_config.region", c.Storage.SnapshotsConfig.S3Config.Region,
		"storage.snapshots_config.s3_config.endpoint_url", c.Storage.SnapshotsConfig.S3Config.EndpointURL,
		"storage.snapshots_config.s3_config.prefix", c.Storage.SnapshotsConfig.S3Config.Prefix,
		"storage.snapshots_config.s3_config.credentials_set", c.Storage.SnapshotsConfig.S3Config.SecretKey != "",
		"tls.cert", c.TLS.Cert,
		"tls.key", c.TLS.Key,
		"tls.ca_cert", c.TLS.CACert,
		"tls.cert_ttl", c.TLS.CertTTL,
		"backup.wal_archive.target", c.Backup.WALArchive.Target,
		"backup.wal_archive.every", c.Backup.WALArchive.Every,
		"backup.schedules", scheduleNames(c.Backup.Schedules),
	}
}

func scheduleNames(ss []BackupSchedule) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}
