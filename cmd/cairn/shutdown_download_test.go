package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestShutdownCancelsPendingDownload: a wait=false recover from a location
// that stalls (it sends headers, then nothing, until the test ends) does
// not keep serve from returning after the signal: the download is
// cancelled at shutdown.
func TestShutdownCancelsPendingDownload(t *testing.T) {
	dir := t.TempDir()
	reached, release := make(chan struct{}, 1), make(chan struct{})
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		_, _ = w.Write(make([]byte, 100))
		w.(http.Flusher).Flush()
		reached <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stall.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &lineWriter{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"--config-path", emptyConfig(t), "--host", "127.0.0.1", "--http-port", "0",
			"--storage-path", filepath.Join(dir, "s"), "--snapshots-path", filepath.Join(dir, "p")}, []string{"QDRANT__LOGGER__FORMAT=json"}, w)
	}()
	var addr string
	select {
	case addr = <-w.addr:
	case err := <-done:
		t.Fatalf("serve returned early: %v", err)
	}
	body := strings.NewReader(`{"location":"` + stall.URL + `/a.snapshot"}`)
	req, err := http.NewRequest(http.MethodPut, "http://"+addr+"/collections/c/snapshots/recover?wait=false", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("recover: %d", resp.StatusCode)
	}
	<-reached // the download is pending
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
