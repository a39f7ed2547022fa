package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// startupPoll is how often a starting server's /readyz is polled.
const startupPoll = 5 * time.Millisecond

// startupStopGrace bounds a graceful stop of the started server before it
// is killed.
const startupStopGrace = 30 * time.Second

// IsCairn reports whether the server at the client's URL is Cairn: its
// GET / answer names a cairn_version.
func (c *Client) IsCairn(ctx context.Context) (bool, error) {
	resp, err := c.send(ctx, http.MethodGet, "/", nil, "", nil)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			return false, nil
		}
		return false, err
	}
	defer resp.Body.Close()
	var root struct {
		CairnVersion string `json:"cairn_version"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&root); err != nil {
		return false, nil
	}
	return root.CairnVersion != "", nil
}

// startupSkipReason returns why the restore at start-up cannot be measured
// with bin against the server c talks to, or "" when it can.
func startupSkipReason(ctx context.Context, c *Client, bin string) (string, error) {
	if bin == "" {
		return "restore at start-up skipped: no cairn binary (-cairn-bin)", nil
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Sprintf("restore at start-up skipped: %s is not an executable file", bin), nil
	}
	cairn, err := c.IsCairn(ctx)
	if err != nil {
		return "", fmt.Errorf("identify server: %w", err)
	}
	if !cairn {
		return "restore at start-up skipped: the server is not Cairn, so its snapshots are not cairn serve's to restore", nil
	}
	return "", nil
}

// freePort returns a loopback TCP port nobody listened on a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	return port, nil
}

// serverEnv is the environment of a started server: this process's, less
// the QDRANT__ and CAIRN__ configuration variables, so it runs with the
// defaults whatever the shell exported.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "QDRANT__") || strings.HasPrefix(kv, "CAIRN__") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// measureStartup starts `bin serve --snapshot archive:name` on a free
// loopback port with an empty configuration, a fresh storage and
// snapshots folder under work, and times it from the process start until
// /readyz answers 200 (the server listens only once the restore is done),
// then the first search (top 10 for q) on the restored collection. It
// checks the restored collection holds at least want points, stops the
// server with SIGINT (SIGKILL after startupStopGrace) and removes its
// folders.
func measureStartup(ctx context.Context, bin, archive, name string, q []float32, want int, work string, timeout time.Duration, row *SnapshotRow) (err error) {
	dir, err := os.MkdirTemp(work, "startup-")
	if err != nil {
		return fmt.Errorf("restore at start-up: %w", err)
	}
	defer os.RemoveAll(dir)
	cfgPath, logPath := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "server.log")
	if err := os.WriteFile(cfgPath, nil, 0o644); err != nil {
		return fmt.Errorf("restore at start-up: %w", err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("restore at start-up: %w", err)
	}
	defer logFile.Close()
	port, err := freePort()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve", "--config-path", cfgPath, "--host", "127.0.0.1", "--http-port", strconv.Itoa(port), "--grpc-port", "0",
		"--storage-path", filepath.Join(dir, "storage"), "--snapshots-path", filepath.Join(dir, "snapshots"),
		"--snapshot", archive+":"+name)
	cmd.Env, cmd.Stdout, cmd.Stderr = serverEnv(), logFile, logFile
	withLog := func(err error) error {
		b, _ := os.ReadFile(logPath)
		if len(b) > 2000 {
			b = b[len(b)-2000:]
		}
		return fmt.Errorf("restore at start-up (%s): %w; server log: %s", bin, err, bytes.TrimSpace(b))
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("restore at start-up: start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if stopErr := stopServer(cmd, exited); stopErr != nil && err == nil {
			err = withLog(stopErr)
		}
	}()
	base := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if timeout <= 0 {
		timeout = time.Hour
	}
	if err := waitHTTPReady(ctx, base+"/readyz", exited, timeout); err != nil {
		return withLog(err)
	}
	row.StartupRestoreSecs = time.Since(t0).Seconds()
	c := NewClient(base, "")
	defer c.Close()
	t1 := time.Now()
	hits, err := c.Search(ctx, name, q, 10, 0)
	if err != nil {
		return withLog(fmt.Errorf("first query after start-up: %w", err))
	}
	row.StartupFirstQueryMS = ms(time.Since(t1))
	if len(hits) == 0 {
		return withLog(errors.New("first query after start-up found nothing"))
	}
	info, err := c.Info(ctx, name)
	if err != nil {
		return withLog(err)
	}
	row.StartupPoints = info.PointsCount
	if info.PointsCount < want {
		return withLog(fmt.Errorf("collection restored at start-up holds %d points, want at least %d", info.PointsCount, want))
	}
	return nil
}

// waitHTTPReady polls url until it answers 200; it fails when the process
// exits first or after timeout.
func waitHTTPReady(ctx context.Context, url string, exited <-chan error, timeout time.Duration) error {
	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(startupPoll)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", url, err)
		}
		if resp, err := hc.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("server exited before it was ready: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", url, ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("server not ready after %s", timeout)
		case <-tick.C:
		}
	}
}

// stopServer stops a started server gracefully (SIGINT), killing it after
// startupStopGrace, and returns an error if it did not exit cleanly.
func stopServer(cmd *exec.Cmd, exited <-chan error) error {
	select {
	case err := <-exited: // already gone
		if err != nil {
			return fmt.Errorf("server exited: %w", err)
		}
		return errors.New("server exited early")
	default:
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return fmt.Errorf("stop server: %w", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("stop server: %w", err)
		}
		return nil
	case <-time.After(startupStopGrace):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("stop server: no exit %s after SIGINT, killed", startupStopGrace)
	}
}
