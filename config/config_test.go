package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	t.Chdir(t.TempDir()) // no config/config.yaml here
	c, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Storage.TempPath = filepath.Join("storage", "tmp")
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("got %+v\nwant %+v", *c, want)
	}
	if c.Service.HTTPPort != 6333 || c.Service.Host != "0.0.0.0" || c.Service.MaxRequestSizeMB != 32 || !c.Service.EnableCORS || !c.Service.EnableStaticContent || c.LogLevel != "INFO" {
		t.Fatalf("defaults %+v", c)
	}
	if c.MaxRequestBytes() != 32<<20 {
		t.Fatalf("MaxRequestBytes = %d", c.MaxRequestBytes())
	}
}

func TestDefaultPathIsRead(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("config", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(DefaultPath, []byte("service:\n  http_port: 7000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Service.HTTPPort != 7000 {
		t.Fatalf("port %d", c.Service.HTTPPort)
	}
}

// TestShippedFileListsEveryKey checks config/config.yaml: it loads, it
// equals the defaults, and it names every key.
func TestShippedFileListsEveryKey(t *testing.T) {
	c, err := Load(Options{Path: "config.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.fillDerived()
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("shipped file differs from defaults:\n%+v\n%+v", *c, want)
	}
	data, err := os.ReadFile("config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for _, ch := range n.Content {
			if n.Kind == yaml.DocumentNode {
				walk(ch, prefix)
			}
		}
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := prefix + n.Content[i].Value
			if n.Content[i+1].Kind == yaml.MappingNode {
				walk(n.Content[i+1], k+".")
				continue
			}
			seen[k] = true
		}
	}
	walk(&doc, "")
	for _, k := range Keys() {
		if !seen[k] {
			t.Errorf("config.yaml lacks key %s", k)
		}
	}
}

func TestFileLayer(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(*Config) bool
	}{
		{"empty file", "", func(c *Config) bool { return c.Service.HTTPPort == 6333 && c.Service.GRPCPort == 6334 }},
		{"grpc port", "service:\n  grpc_port: 7334\n", func(c *Config) bool { return c.Service.GRPCPort == 7334 }},
		{"grpc null disables", "service:\n  grpc_port: null\n", func(c *Config) bool { return c.Service.GRPCPort == 0 }},
		{"grpc 0 disables", "service:\n  grpc_port: 0\n", func(c *Config) bool { return c.Service.GRPCPort == 0 }},
		{"port", "service:\n  http_port: 7001\n", func(c *Config) bool { return c.Service.HTTPPort == 7001 }},
		{"keys", "service:\n  api_key: s3cret\n  read_only_api_key: ro\n", func(c *Config) bool {
			return c.Service.APIKey == "s3cret" && c.Service.ReadOnlyAPIKey == "ro"
		}},
		{"cors off", "service:\n  enable_cors: false\n", func(c *Config) bool { return !c.Service.EnableCORS }},
		{"dashboard off", "service:\n  enable_static_content: false\n", func(c *Config) bool { return !c.Service.EnableStaticContent }},
		{"storage and derived temp", "storage:\n  storage_path: /data/s\n", func(c *Config) bool {
			return c.Storage.StoragePath == "/data/s" && c.Storage.TempPath == "/data/s/tmp"
		}},
		{"explicit temp", "storage:\n  temp_path: /fast/tmp\n", func(c *Config) bool { return c.Storage.TempPath == "/fast/tmp" }},
		{"performance", "storage:\n  performance:\n    max_search_threads: 2\n", func(c *Config) bool {
			return c.Storage.Performance.MaxSearchThreads == 2
		}},
		{"log level lower case", "log_level: debug\n", func(c *Config) bool { return c.LogLevel == "debug" }},
		{"null value keeps default", "service:\n  api_key:\n", func(c *Config) bool { return c.Service.APIKey == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(Options{Path: writeFile(t, tt.body)})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		is      error
		mention string
	}{
		{"unknown top key", "colour: red\n", ErrUnknownKey, "colour"},
		{"unknown nested key", "service:\n  http_prot: 1\n", ErrUnknownKey, "service.http_prot"},
		{"unknown deep key", "storage:\n  performance:\n    turbo: true\n", ErrUnknownKey, "storage.performance.turbo"},
		{"alias not accepted in file", "storage:\n  snapshot_path: /x\n", ErrUnknownKey, "storage.snapshot_path"},
		{"bad port", "service:\n  http_port: abc\n", ErrBadValue, "service.http_port"},
		{"bad bool", "service:\n  enable_cors: maybe\n", ErrBadValue, "service.enable_cors"},
		{"section as scalar", "service: 3\n", ErrBadValue, "service"},
		{"port out of range", "service:\n  http_port: 70000\n", ErrInvalid, "service.http_port"},
		{"bad level", "log_level: LOUD\n", ErrInvalid, "log_level"},
		{"bad format", "logger:\n  format: xml\n", ErrInvalid, "logger.format"},
		{"zero body limit", "service:\n  max_request_size_mb: 0\n", ErrInvalid, "service.max_request_size_mb"},
		{"empty storage", "storage:\n  storage_path: \"\"\n", ErrInvalid, "storage.storage_path"},
		{"same keys", "service:\n  api_key: k\n  read_only_api_key: k\n", ErrInvalid, "service.read_only_api_key"},
		{"syntax", "service: [\n", ErrBadValue, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Options{Path: writeFile(t, tt.body)})
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("err %q does not name %q", err, tt.mention)
			}
		})
	}
}

func TestMissingExplicitFile(t *testing.T) {
	_, err := Load(Options{Path: filepath.Join(t.TempDir(), "nope.yaml")})
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}

func TestEnvLayer(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		env   []string
		check func(*Config) bool
	}{
		{"qdrant api key", "", []string{"QDRANT__SERVICE__API_KEY=k1"}, func(c *Config) bool { return c.Service.APIKey == "k1" }},
		{"qdrant grpc port", "", []string{"QDRANT__SERVICE__GRPC_PORT=7335"}, func(c *Config) bool { return c.Service.GRPCPort == 7335 }},
		{"cairn grpc port wins", "", []string{"CAIRN__SERVICE__GRPC_PORT=0", "QDRANT__SERVICE__GRPC_PORT=7335"}, func(c *Config) bool { return c.Service.GRPCPort == 0 }},
		{"cairn wins over qdrant", "", []string{"CAIRN__SERVICE__HTTP_PORT=7002", "QDRANT__SERVICE__HTTP_PORT=7001"}, func(c *Config) bool {
			return c.Service.HTTPPort == 7002
		}},
		{"env wins over file", "service:\n  http_port: 7005\n", []string{"QDRANT__SERVICE__HTTP_PORT=7006"}, func(c *Config) bool {
			return c.Service.HTTPPort == 7006
		}},
		{"storage path", "", []string{"QDRANT__STORAGE__STORAGE_PATH=/s"}, func(c *Config) bool {
			return c.Storage.StoragePath == "/s" && c.Storage.TempPath == "/s/tmp"
		}},
		{"snapshot_path alias", "", []string{"QDRANT__STORAGE__SNAPSHOT_PATH=/snap"}, func(c *Config) bool {
			return c.Storage.SnapshotsPath == "/snap"
		}},
		{"snapshots_path", "", []string{"QDRANT__STORAGE__SNAPSHOTS_PATH=/snap2"}, func(c *Config) bool {
			return c.Storage.SnapshotsPath == "/snap2"
		}},
		{"temp path", "", []string{"QDRANT__STORAGE__TEMP_PATH=/t"}, func(c *Config) bool { return c.Storage.TempPath == "/t" }},
		{"snapshot size limit", "", []string{"QDRANT__STORAGE__MAX_SNAPSHOT_SIZE_MB=64"}, func(c *Config) bool {
			return c.Storage.MaxSnapshotSizeMB == 64 && c.MaxSnapshotBytes() == 64<<20
		}},
		{"snapshot size limit from file", "storage:\n  max_snapshot_size_mb: 2\n", []string{"CAIRN__STORAGE__MAX_SNAPSHOT_SIZE_MB=3"}, func(c *Config) bool {
			return c.MaxSnapshotBytes() == 3<<20
		}},
		{"log level", "", []string{"QDRANT__LOG_LEVEL=DEBUG"}, func(c *Config) bool { return c.LogLevel == "DEBUG" }},
		{"bool", "", []string{"CAIRN__SERVICE__ENABLE_CORS=false"}, func(c *Config) bool { return !c.Service.EnableCORS }},
		{"nested performance", "", []string{"CAIRN__STORAGE__PERFORMANCE__MAX_SEARCH_THREADS=3"}, func(c *Config) bool {
			return c.Storage.Performance.MaxSearchThreads == 3
		}},
		{"unrelated variables ignored", "", []string{"QDRANT_URL=http://x", "PATH=/bin", "CAIRNX=1"}, func(c *Config) bool {
			return c.Service.HTTPPort == 6333
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(Options{Path: writeFile(t, tt.file), Environ: tt.env})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		is      error
		mention string
	}{
		{"unknown qdrant key", "QDRANT__SERVICE__GRPC_PORTS=6334", ErrUnknownKey, "QDRANT__SERVICE__GRPC_PORTS"},
		{"bad grpc port", "QDRANT__SERVICE__GRPC_PORT=65536", ErrInvalid, "service.grpc_port"},
		{"unknown cairn key", "CAIRN__NOPE=1", ErrUnknownKey, "CAIRN__NOPE"},
		{"section is not a key", "CAIRN__SERVICE=1", ErrUnknownKey, "service"},
		{"bad port", "QDRANT__SERVICE__HTTP_PORT=abc", ErrBadValue, "service.http_port"},
		{"bad bool", "CAIRN__SERVICE__ENABLE_CORS=perhaps", ErrBadValue, "service.enable_cors"},
		{"negative snapshot limit", "CAIRN__STORAGE__MAX_SNAPSHOT_SIZE_MB=-1", ErrInvalid, "storage.max_snapshot_size_mb"},
		{"negative threads", "CAIRN__STORAGE__PERFORMANCE__MAX_SEARCH_THREADS=-1", ErrInvalid, "max_search_threads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Options{Path: writeFile(t, ""), Environ: []string{tt.env}})
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("err %q does not name %q", err, tt.mention)
			}
		})
	}
}

func TestOverrideWinsAndIsValidated(t *testing.T) {
	c, err := Load(Options{
		Path:     writeFile(t, "service:\n  http_port: 7000\n"),
		Environ:  []string{"CAIRN__SERVICE__HTTP_PORT=7001"},
		Override: func(c *Config) { c.Service.HTTPPort = 7002 },
	})
	if err != nil || c.Service.HTTPPort != 7002 {
		t.Fatalf("port %v err %v", c, err)
	}
	_, err = Load(Options{Path: writeFile(t, ""), Override: func(c *Config) { c.Service.HTTPPort = -5 }})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "service.http_port") {
		t.Fatalf("err = %v", err)
	}
}

func TestSummaryHasNoSecrets(t *testing.T) {
	c := Default()
	c.Service.APIKey = "top-secret-key"
	c.Service.ReadOnlyAPIKey = "ro-secret-key"
	for _, v := range c.Summary() {
		if s, ok := v.(string); ok && strings.Contains(s, "secret") {
			t.Fatalf("summary leaks %q", s)
		}
	}
}
