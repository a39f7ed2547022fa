// Package adversarial reruns the adversarial cases of issue 21 against a
// real `cairn serve` process: every case starts its own server on a free
// loopback port with fresh storage and snapshots folders, speaks to it only
// with net/http and encoding/json, and asserts the fixed behaviour. Run it
// with `make test-adversarial`, or `CAIRN_ADVERSARIAL=1 go test
// ./tests/adversarial` (which builds cmd/cairn into a temp folder), or with
// `-cairn-bin PATH` for a built binary. Without either the package skips, so
// `go test ./...` (make test) does not run it.
package adversarial

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
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
	args := append([]string{"serve", "--config-path", cfgPath, "--http-port", "0"}, o.args...)
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

// response is one answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object (nil when it is not one).
func (r response) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// Error is the envelope's status.error ("" when absent).
func (r response) ErrMsg() string {
	if st, ok := r.JSON()["status"].(map[string]any); ok {
		s, _ := st["error"].(string)
		return s
	}
	return ""
}

// Result is the envelope's result.
func (r response) Result() any { return r.JSON()["result"] }

func (r response) String() string {
	b := r.Body
	if len(b) > 300 {
		b = append(b[:300:300], "…"...)
	}
	return fmt.Sprintf("%d %s", r.Status, b)
}

// req is one request: a string or []byte body is sent as is, anything
// else as JSON; key is the api-key ("" sends none; default the full key).
type req struct {
	method, path string
	body         any
	key          *string
	header       map[string]string
	ctx          context.Context
	// timeout replaces requestBound for this request.
	timeout time.Duration
}

func key(k string) *string { return &k }

// try sends r and returns the answer or the transport error.
func (c *cairn) try(r req) (response, error) {
	var body io.Reader
	ctype := "application/json"
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		body = bytes.NewReader(j)
	}
	ctx := r.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, c.url+r.path, body)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", ctype)
	}
	k := apiKey
	if r.key != nil {
		k = *r.key
	}
	if k != "" {
		hr.Header.Set("api-key", k)
	}
	for n, v := range r.header {
		hr.Header.Set(n, v)
	}
	client := c.client
	if r.timeout > 0 {
		cl := *c.client
		cl.Timeout = r.timeout
		client = &cl
	}
	res, err := client.Do(hr)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read answer: %w", r.method, r.path, err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// do sends r and fails the test on a transport error (a hang included).
func (c *cairn) do(method, path string, body any) response {
	c.t.Helper()
	return c.doReq(req{method: method, path: path, body: body})
}

func (c *cairn) doReq(r req) response {
	c.t.Helper()
	res, err := c.try(r)
	if err != nil {
		c.t.Fatalf("%v (server log:\n%s)", err, c.tail())
	}
	return res
}

// must sends a request and fails the test unless it answers want.
func (c *cairn) must(want int, method, path string, body any) response {
	c.t.Helper()
	res := c.do(method, path, body)
	if res.Status != want {
		c.t.Fatalf("%s %s: want %d, got %s", method, path, want, res)
	}
	return res
}

// createCollection creates a collection of dim-sized vectors; extra is
// merged over the body.
func (c *cairn) createCollection(name string, dim int, extra map[string]any) {
	c.t.Helper()
	body := map[string]any{"vectors": map[string]any{"size": dim, "distance": "Dot"}}
	merge(body, extra)
	c.must(200, http.MethodPut, "/collections/"+name, body)
}

// vec is point i's deterministic vector.
func vec(i, dim int) []float32 {
	r := rand.New(rand.NewPCG(uint64(i), 21))
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(r.Float64()*2 - 1)
	}
	return v
}

// upsert writes points [from, to) with wait=true in batches.
func (c *cairn) upsert(name string, dim, from, to int) {
	c.t.Helper()
	for lo := from; lo < to; lo += 500 {
		hi := min(lo+500, to)
		pts := make([]map[string]any, 0, hi-lo)
		for i := lo; i < hi; i++ {
			pts = append(pts, map[string]any{"id": i, "vector": vec(i, dim), "payload": map[string]any{"i": i}})
		}
		c.must(200, http.MethodPut, "/collections/"+name+"/points?wait=true", map[string]any{"points": pts})
	}
}

// count is the exact point count of a collection.
func (c *cairn) count(name string) int {
	c.t.Helper()
	res := c.must(200, http.MethodPost, "/collections/"+name+"/points/count", map[string]any{"exact": true})
	n, _ := res.Result().(map[string]any)["count"].(float64)
	return int(n)
}

// waitFor polls cond until it holds or the bound passes (a bound on a
// background job, checked on a condition, never a sleep standing in for one).
func waitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// segmentFiles lists the meta.seg files of a collection's sealed segments.
func (c *cairn) segmentFiles(name string) []string {
	m, _ := filepath.Glob(filepath.Join(c.storage, "collections", name, "shard-*", "segments", "*", "meta.seg"))
	return m
}

// sealedCollection creates a dim-d collection that seals small segments
// and holds n points, and waits until at least one segment is sealed.
func (c *cairn) sealedCollection(name string, dim, n int, extra map[string]any) {
	c.t.Helper()
	body := map[string]any{"optimizers_config": map[string]any{"indexing_threshold": 1}, "hnsw_config": map[string]any{"m": 0}}
	merge(body, extra)
	c.createCollection(name, dim, body)
	c.upsert(name, dim, 0, n)
	waitFor(c.t, "a sealed segment of "+name, 60*time.Second, func() bool { return len(c.segmentFiles(name)) > 0 })
}

// search runs a plain search and returns the answer.
func (c *cairn) search(name string, dim int) response {
	c.t.Helper()
	return c.do(http.MethodPost, "/collections/"+name+"/points/search", map[string]any{"vector": vec(1, dim), "limit": 5})
}

// noPath fails when an answer shows one of the server's absolute paths.
func (c *cairn) noPath(res response) {
	c.t.Helper()
	for _, p := range []string{c.dir, c.storage, os.TempDir() + "/"} {
		if bytes.Contains(res.Body, []byte(p)) {
			c.t.Errorf("answer shows the absolute server path %s: %s", p, res)
			return
		}
	}
}
