package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/config"
)

func TestParseServeArgs(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*config.Config) bool
	}{
		{"none", nil, func(c *config.Config) bool { return c.Service.HTTPPort == 6333 && c.Service.Host == "0.0.0.0" }},
		{"host and port", []string{"--host", "127.0.0.1", "--http-port", "7777"}, func(c *config.Config) bool {
			return c.Service.Host == "127.0.0.1" && c.Service.HTTPPort == 7777
		}},
		{"single dash and =", []string{"-http-port=7778"}, func(c *config.Config) bool { return c.Service.HTTPPort == 7778 }},
		{"paths", []string{"--storage-path", "/s", "--snapshots-path", "/p"}, func(c *config.Config) bool {
			return c.Storage.StoragePath == "/s" && c.Storage.SnapshotsPath == "/p" && c.Storage.TempPath == "/s/tmp"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseServeArgs(tt.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(config.Options{Path: emptyConfig(t), Environ: []string{"QDRANT__SERVICE__HTTP_PORT=6333"}, Override: a.override})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("config %+v", c)
			}
		})
	}
}

func TestFlagsOverrideEnvOnlyWhenGiven(t *testing.T) {
	a, err := parseServeArgs([]string{"--host", "127.0.0.1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(config.Options{Path: emptyConfig(t), Environ: []string{"CAIRN__SERVICE__HTTP_PORT=7100"}, Override: a.override})
	if err != nil {
		t.Fatal(err)
	}
	if c.Service.HTTPPort != 7100 || c.Service.Host != "127.0.0.1" {
		t.Fatalf("config %+v", c.Service)
	}
}

func TestParseServeArgsErrors(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"--http-port", "abc"}, {"extra"}} {
		if _, err := parseServeArgs(args, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestStartHookFlags(t *testing.T) {
	var got []string
	saved := startHooks
	t.Cleanup(func() { startHooks = saved })
	startHooks = append(startHooks, startHook{register: func(fs *flag.FlagSet) {
		fs.Func("hook-flag", "VALUE", func(s string) error { got = append(got, s); return nil })
	}})
	if _, err := parseServeArgs([]string{"--hook-flag", "a:b", "--hook-flag", "c:d"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1] != "c:d" {
		t.Fatalf("hook saw %v", got)
	}
}

// emptyConfig writes a configuration file that sets nothing but turns
// gRPC off: tests run many servers at once, and the default
// service.grpc_port 6334 is one fixed port (a test that wants gRPC sets
// QDRANT__SERVICE__GRPC_PORT, which wins over the file).
func emptyConfig(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := writeFile(p, "service:\n  grpc_port: null\n"); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServeConfigErrorsStopStartUp(t *testing.T) {
	tests := []struct {
		env     []string
		mention string
	}{
		{[]string{"QDRANT__SERVICE__HTTP_PORT=abc"}, "service.http_port"},
		{[]string{"CAIRN__SERVICE__TURBO=1"}, "CAIRN__SERVICE__TURBO"},
	}
	for _, tt := range tests {
		err := serve(context.Background(), []string{"--config-path", emptyConfig(t)}, tt.env, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%v: err = %v", tt.env, err)
		}
	}
}

// lineWriter is a log sink that hands the "listening" address to the test,
// and the "grpc listening" one when grpc is set.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	addr chan string
	grpc chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	sc := bufio.NewScanner(bytes.NewReader(p))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "listening" {
			w.addr <- rec["addr"].(string)
		}
		if w.grpc != nil && rec["msg"] == "grpc listening" {
			w.grpc <- rec["addr"].(string)
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestServeAndShutdown(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &lineWriter{addr: make(chan string, 1)}
	done := make(chan error, 1)
	env := []string{"QDRANT__LOGGER__FORMAT=json", "QDRANT__SERVICE__API_KEY=very-secret"}
	go func() {
		done <- serve(ctx, []string{"--config-path", emptyConfig(t), "--host", "127.0.0.1", "--http-port", "0",
			"--storage-path", filepath.Join(dir, "s"), "--snapshots-path", filepath.Join(dir, "p")}, env, w)
	}()
	var addr string
	select {
	case addr = <-w.addr:
	case err := <-done:
		t.Fatalf("serve returned early: %v", err)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "healthz check passed" {
		t.Fatalf("healthz %d %q", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("server still accepting after shutdown")
	}
	logs := w.String()
	for _, want := range []string{`"simd"`, `"service.http_port"`, `"service.api_key_set":true`, `"shutting down`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "very-secret") {
		t.Error("logs contain the API key")
	}
}

func TestParseLevel(t *testing.T) {
	if parseLevel("trace") != levelTrace || parseLevel("WARN").String() != "WARN" || parseLevel("info").String() != "INFO" {
		t.Fatal("levels")
	}
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o644) }
