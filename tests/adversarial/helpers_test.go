// Package adversarial reruns the adversarial cases of issue 21 against a
// real `cairn serve` process: every case starts its own server on a free
// loopback port with fresh storage and snapshots folders, speaks to it only
// with net/http and encoding/json, and asserts the fixed behaviour. Run it
// with `make test-adversarial`, or `CAIRN_ADVERSARIAL=1 go test
// ./tests/adversarial` (which builds cmd/cairn into a temp folder), or with
// `-cairn-bin PATH` for a built binary. Without either the package skips, so
// `go test ./...` (make test-race, under the race detector) does not run it
// a second time: make test runs it through test-adversarial.
package adversarial

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var cairnBin = flag.String("cairn-bin", "", "cairn binary to test (default: built from ./cmd/cairn into a temp folder)")

const (
	apiKey      = "adv-full-key"
	readOnlyKey = "adv-read-only-key"
	// requestBound bounds every request: it is a bound on a hang, not
	// synchronisation.
	requestBound = 10 * time.Second
	// stopBound bounds how long a server may take to exit after SIGTERM.
	stopBound = 20 * time.Second
)

func TestMain(m *testing.M) {
	flag.Parse()
	if *cairnBin == "" && os.Getenv("CAIRN_ADVERSARIAL") == "" {
		fmt.Println("tests/adversarial skipped: run `make test-adversarial`, set CAIRN_ADVERSARIAL=1 or pass -cairn-bin")
		os.Exit(0)
	}
	if *cairnBin == "" {
		dir, err := os.MkdirTemp("", "cairn-adversarial-bin-")
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
	os.Exit(m.Run())
}

// opts configure one server.
type opts struct {
	// dir is the server's root folder (storage/, snapshots/, config.yaml);
	// empty means a fresh t.TempDir(). Pass a stopped server's dir to restart it.
	dir string
	// config is merged over the base configuration (nested maps merge).
	config map[string]any
	// env adds environment variables (KEY=VALUE).
	env []string
	// args are extra `cairn serve` arguments.
	args []string
	// tls makes the client speak HTTPS with this configuration.
	tls *tls.Config
}

// cairn is one running `cairn serve`.
type cairn struct {
	t         *testing.T
	dir       string
	storage   string
	snapshots string
	url       string
	cmd       *exec.Cmd
	client    *http.Client
	logs      *logBuffer
	exited    chan struct{}
	exitErr   error
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

// start runs a server and waits until it listens. It fails the test when
// the server exits first.
func start(t *testing.T, o opts) *cairn {
	t.Helper()
	c, err := launch(t, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// launch runs a server; the error says why it did not come up (its log included).
func launch(t *testing.T, o opts) (*cairn, error) {
	t.Helper()
	dir := o.dir
	if dir == "" {
		dir = t.TempDir()
	}
	c := &cairn{t: t, dir: dir, storage: filepath.Join(dir, "storage"), snapshots: filepath.Join(dir, "snapshots"),
		logs: &logBuffer{}, exited: make(chan struct{})}
	cfg := map[string]any{
		"log_level": "INFO",
		"logger":    map[string]any{"format": "json"},
		"service":   map[string]any{"host": "127.0.0.1", "api_key": apiKey, "read_only_api_key": readOnlyKey},
		"storage":   map[string]any{"storage_path": c.storage, "snapshots_path": c.snapshots},
	}
	merge(cfg, o.config)
	b, err := json.Marshal(cfg) // JSON is YAML
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--config-path", cfgPath, "--http-port", "0", "--grpc-port", "0"}, o.args...)
	c.cmd = exec.Command(*cairnBin, args...)
	c.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, o.env...)
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			c.logs.add(line)
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				select {
				case addr <- rec.Addr:
				default:
				}
			}
		}
		c.exitErr = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	})
	scheme := "http"
	tr := &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: 4}
	if o.tls != nil {
		scheme, tr.TLSClientConfig = "https", o.tls
	}
	c.client = &http.Client{Timeout: requestBound, Transport: tr}
	select {
	case a := <-addr:
		c.url = scheme + "://" + a
		return c, nil
	case <-c.exited:
		return nil, fmt.Errorf("cairn exited (%v) before listening:\n%s", c.exitErr, c.logs)
	case <-time.After(60 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return nil, fmt.Errorf("cairn did not listen within 60 s:\n%s", c.logs)
	}
}

// stop sends SIGTERM and fails the test when the server does not exit
// within stopBound (then it is killed).
func (c *cairn) stop() {
	c.t.Helper()
	if err := c.signalStop(); err != nil {
		c.t.Error(err)
	}
}

// signalStop sends SIGTERM and reports a server that did not exit in time
// or exited with an error.
func (c *cairn) signalStop() error {
	select {
	case <-c.exited:
		return fmt.Errorf("server had already exited: %v\n%s", c.exitErr, c.tail())
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		if c.exitErr != nil {
			return fmt.Errorf("server exited with %v after SIGTERM\n%s", c.exitErr, c.tail())
		}
		return nil
	case <-time.After(stopBound):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("SIGTERM did not stop the server within %v\n%s", stopBound, c.tail())
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

// restart stops the server and starts a new one on the same folders.
func (c *cairn) restart(o opts) *cairn {
	c.t.Helper()
	c.stop()
	o.dir = c.dir
	return start(c.t, o)
}
