// Package grpctests runs the official Qdrant Go client
// (github.com/qdrant/go-client, which speaks only gRPC) against a real
// `cairn serve` process: every test starts its own server on free loopback
// ports (REST and `service.grpc_port`) with fresh storage and snapshots
// folders and a config file with an api key and a read-only key. Run it
// with `make test-grpc`, `CAIRN_GRPC_TESTS=1 go test ./tests/grpc` (which
// builds cmd/cairn into a temp folder), or with `-cairn-bin PATH` for a
// built binary. Without either the package skips, so `go test ./...` does
// not run it a second time: make test runs it through test-grpc.
package grpctests

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
)

var cairnBin = flag.String("cairn-bin", "", "cairn binary to test (default: built from ./cmd/cairn into a temp folder)")

const (
	apiKey      = "grpc-full-key"
	readOnlyKey = "grpc-read-only-key"
	// requestBound bounds every call: a bound on a hang, not synchronisation.
	requestBound = 10 * time.Second
	// stopBound bounds how long a server may take to exit after SIGTERM.
	stopBound = 20 * time.Second
	// upBound bounds how long a server may take to listen.
	upBound = 60 * time.Second
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The client warns on every connection that sends a key without TLS.
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if *cairnBin == "" && os.Getenv("CAIRN_GRPC_TESTS") == "" {
		fmt.Println("tests/grpc skipped: run `make test-grpc`, set CAIRN_GRPC_TESTS=1 or pass -cairn-bin")
		os.Exit(0)
	}
	if *cairnBin != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "cairn-grpc-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	*cairnBin = filepath.Join(dir, "cairn")
	cmd := exec.Command("go", "build", "-o", *cairnBin, "github.com/cairn-db/cairn/cmd/cairn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build cairn:", err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// opts configure one server.
type opts struct {
	// config is merged over the base configuration (nested maps merge).
	config map[string]any
	// tls makes the REST client speak HTTPS and the gRPC clients use TLS
	// with this configuration.
	tls *tls.Config
}

// cairn is one running `cairn serve`.
type cairn struct {
	t         *testing.T
	dir       string
	snapshots string
	url       string // REST base URL
	grpcPort  int
	tls       *tls.Config
	cmd       *exec.Cmd
	rest      *restClient
	logs      *logBuffer
	exited    chan struct{}
	exitErr   error
	// client is the gRPC client with the full key.
	client *qdrant.Client
}

// logBuffer collects the server's log lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, s)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// merge copies src over dst, merging nested maps.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// freePort returns a loopback TCP port nobody listens on now. The gRPC
// port cannot be 0 (that disables gRPC, as in Qdrant's config), so the
// test picks one; another process taking it in between makes the server
// fail to start with a clear message, never a wrong answer.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs a server, waits until its REST port listens and its gRPC
// health check answers, and stops it (SIGKILL if need be) at the test's end.
func start(t *testing.T, o opts) *cairn {
	t.Helper()
	dir := t.TempDir()
	c := &cairn{t: t, dir: dir, snapshots: filepath.Join(dir, "snapshots"), grpcPort: freePort(t), tls: o.tls,
		logs: &logBuffer{}, exited: make(chan struct{})}
	cfg := map[string]any{
		"log_level": "INFO",
		"logger":    map[string]any{"format": "json"},
		"service": map[string]any{"host": "127.0.0.1", "grpc_port": c.grpcPort,
			"api_key": apiKey, "read_only_api_key": readOnlyKey},
		"storage": map[string]any{"storage_path": filepath.Join(dir, "storage"), "snapshots_path": c.snapshots},
	}
	merge(cfg, o.config)
	b, err := json.Marshal(cfg) // JSON is YAML
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(*cairnBin, "serve", "--config-path", cfgPath, "--http-port", "0")
	c.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go c.readLog(stderr, addr)
	t.Cleanup(c.kill)
	select {
	case a := <-addr:
		scheme := "http"
		if o.tls != nil {
			scheme = "https"
		}
		c.url = scheme + "://" + a
	case <-c.exited:
		t.Fatalf("cairn exited (%v) before listening:\n%s", c.exitErr, c.logs)
	case <-time.After(upBound):
		t.Fatalf("cairn did not listen within %v:\n%s", upBound, c.logs)
	}
	c.rest = newRESTClient(c.url, o.tls)
	c.client = c.dial(apiKey)
	c.waitHealthy()
	return c
}

// readLog collects the server's log and sends REST's "listening" address.
func (c *cairn) readLog(stderr interface{ Read([]byte) (int, error) }, addr chan<- string) {
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		c.logs.add(line)
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && !strings.HasSuffix(rec.Addr, fmt.Sprintf(":%d", c.grpcPort)) {
			select {
			case addr <- rec.Addr:
			default:
			}
		}
	}
	c.exitErr = c.cmd.Wait()
	close(c.exited)
}

// waitHealthy polls the gRPC health check until it answers (the gRPC
// listener may come up a moment after REST's): a bound on start-up,
// checked on a condition.
func (c *cairn) waitHealthy() {
	c.t.Helper()
	deadline := time.Now().Add(upBound)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.client.HealthCheck(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-c.exited:
			c.t.Fatalf("cairn exited (%v) before gRPC answered:\n%s", c.exitErr, c.logs)
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("gRPC health check on port %d did not answer within %v (%v):\n%s", c.grpcPort, upBound, err, c.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dial returns an official client of the server's gRPC port sending key
// ("" sends none), with TLS when the server was started with it. It is
// closed at the test's end.
func (c *cairn) dial(key string) *qdrant.Client {
	c.t.Helper()
	return c.dialConfig(&qdrant.Config{APIKey: key})
}

// dialConfig fills cfg's host, port and TLS and returns the client.
func (c *cairn) dialConfig(cfg *qdrant.Config) *qdrant.Client {
	c.t.Helper()
	cfg.Host, cfg.Port, cfg.SkipCompatibilityCheck, cfg.PoolSize = "127.0.0.1", c.grpcPort, true, 1
	if c.tls != nil && !cfg.UseTLS {
		cfg.UseTLS, cfg.TLSConfig = true, c.tls.Clone()
	}
	cl, err := qdrant.NewClient(cfg)
	if err != nil {
		c.t.Fatalf("qdrant.NewClient: %v", err)
	}
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

// stop sends SIGTERM and fails the test unless the server exits cleanly
// within stopBound.
func (c *cairn) stop() {
	c.t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		if c.exitErr != nil {
			c.t.Errorf("server exited with %v after SIGTERM\n%s", c.exitErr, c.tail())
		}
	case <-time.After(stopBound):
		_ = c.cmd.Process.Kill()
		<-c.exited
		c.t.Errorf("SIGTERM did not stop the server within %v\n%s", stopBound, c.tail())
	}
}

// kill ends a server still running at the test's end, SIGTERM first.
func (c *cairn) kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(stopBound):
		_ = c.cmd.Process.Kill()
		<-c.exited
		c.t.Errorf("SIGTERM did not stop the server within %v\n%s", stopBound, c.tail())
	}
}

// tail is the end of the server log, for failure messages.
func (c *cairn) tail() string {
	s := c.logs.String()
	if len(s) > 1500 {
		s = "…" + s[len(s)-1500:]
	}
	return s
}

// ctx is a context bounded by requestBound, cancelled at the test's end.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), requestBound)
	t.Cleanup(cancel)
	return c
}
