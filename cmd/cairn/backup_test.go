package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRefusesUnavailableBackups: a schedule with target s3 on a
// server whose snapshots are local, or with an empty keep policy, stops
// the start-up with a message naming why.
func TestServeRefusesUnavailableBackups(t *testing.T) {
	for _, c := range []struct{ env, want string }{
		{`CAIRN__BACKUP__SCHEDULES=[{name: h, full: true, every: 1h, target: s3, keep: {last: 1}}]`, "target s3 needs the S3 snapshots storage"},
		{`CAIRN__BACKUP__SCHEDULES=[{name: h, full: true, every: 1h, keep: {}}]`, "backup.schedules[0].keep"},
	} {
		dir := t.TempDir()
		err := serve(context.Background(), []string{"--config-path", emptyConfig(t), "--host", "127.0.0.1", "--http-port", "0",
			"--storage-path", filepath.Join(dir, "s"), "--snapshots-path", filepath.Join(dir, "p")}, []string{c.env}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.env, err)
		}
	}
}

// TestServeBackupWiring: the schedules reach the routes and /metrics of a
// running server, and shutdown stops them.
func TestServeBackupWiring(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &lineWriter{addr: make(chan string, 1)}
	done := make(chan error, 1)
	env := []string{"QDRANT__LOGGER__FORMAT=json", `CAIRN__BACKUP__SCHEDULES=[{name: nightly, full: true, cron: "0 3 * * *", keep: {daily: 7}}]`}
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
	for path, want := range map[string]string{
		"/backup/schedules": `"name":"nightly"`,
		"/metrics":          `cairn_backup_failures_total{schedule="nightly",target="local"} 0`,
	} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
