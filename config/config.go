package config

import (
	"path/filepath"
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
	// Backup holds the backup schedules the server runs.
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
	// signed by it as well as by the system roots.
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
	// APIKey, when set, is required on every request but the health routes.
	APIKey string `yaml:"api_key"`
	// ReadOnlyAPIKey, when set, grants read-only access.
	ReadOnlyAPIKey string `yaml:"read_only_api_key"`
	// MaxRequestSizeMB caps a request body, in mebibytes.
	MaxRequestSizeMB int `yaml:"max_request_size_mb"`
	// EnableCORS adds permissive CORS headers to every answer.
	EnableCORS bool `yaml:"enable_cors"`
	// EnableTLS serves the REST API over HTTPS with tls.cert and tls.key.
	EnableTLS bool `yaml:"enable_tls"`
	// VerifyHTTPSClientCertificate requires every HTTPS client to present
	// a certificate signed by tls.ca_cert.
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
			Host:             "0.0.0.0",
			HTTPPort:         6333,
			MaxRequestSizeMB: 32,
			EnableCORS:       true,
		},
		Storage: Storage{
			StoragePath:   "./storage",
			SnapshotsPath: "./snapshots",
		},
		TLS:    TLS{CertTTL: DefaultCertTTL},
		Backup: Backup{Schedules: []BackupSchedule{}},
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

// Summary returns the configuration as slog-friendly key/value pairs with
// the secrets replaced by whether they are set.
func (c *Config) Summary() []any {
	return []any{
		"log_level", c.LogLevel,
		"logger.format", c.Logger.Format,
		"service.host", c.Service.Host,
		"service.http_port", c.Service.HTTPPort,
		"service.api_key_set", c.Service.APIKey != "",
		"service.read_only_api_key_set", c.Service.ReadOnlyAPIKey != "",
		"service.max_request_size_mb", c.Service.MaxRequestSizeMB,
		"service.enable_cors", c.Service.EnableCORS,
		"service.enable_tls", c.Service.EnableTLS,
		"service.verify_https_client_certificate", c.Service.VerifyHTTPSClientCertificate,
		"storage.storage_path", c.Storage.StoragePath,
		"storage.snapshots_path", c.Storage.SnapshotsPath,
		"storage.temp_path", c.Storage.TempPath,
		"storage.max_snapshot_size_mb", c.Storage.MaxSnapshotSizeMB,
		"storage.performance.max_search_threads", c.Storage.Performance.MaxSearchThreads,
		"storage.performance.max_optimization_threads", c.Storage.Performance.MaxOptimizationThreads,
		"tls.cert", c.TLS.Cert,
		"tls.key", c.TLS.Key,
		"tls.ca_cert", c.TLS.CACert,
		"tls.cert_ttl", c.TLS.CertTTL,
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
