package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cairn-db/cairn/snapshot"
)

// TestRecoverDownloadsBounded: with MaxDownloads recovers downloading, the
// next http(s) recover is refused at once with 503, with or without wait,
// while a file:// one still runs; Close ends the pending download, and
// recovers after it answer 503 too.
func TestRecoverDownloadsBounded(t *testing.T) {
	t.Parallel()
	e := newSnapEnv(t, Options{})
	e.m.MaxDownloads = 1
	e.m.DownloadTimeouts = snapshot.Timeouts{Idle: time.Hour, ResponseHeader: time.Hour}
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
	e.collection(t, "c", 2)
	path, _ := e.archive(t, "c")
	body := `{"location":"` + stall.URL + `/a.snapshot"}`
	if rec := do(t, e.s, "PUT", "/collections/c/snapshots/recover?wait=false", body); rec.Code != http.StatusAccepted {
		t.Fatalf("first: %d %s", rec.Code, rec.Body)
	}
	<-reached
	const busy = "Service unavailable: too many snapshot downloads running (1 at once); retry later"
	for _, p := range []string{"/collections/c/snapshots/recover?wait=false", "/collections/c/snapshots/recover", "/collections/c/shards/0/snapshots/recover?wait=false"} {
		if r := call(t, e.s, "PUT", p, body); r.code != http.StatusServiceUnavailable || r.err != busy {
			t.Errorf("PUT %s while busy: %d %q", p, r.code, r.err)
		}
	}
	mustOK(t, e.s, "PUT", "/collections/c/snapshots/recover", `{"location":"file://`+path+`"}`)
	e.m.Close()
	e.s.Wait()
	if r := call(t, e.s, "PUT", "/collections/c/snapshots/recover?wait=false", body); r.code != http.StatusServiceUnavailable {
		t.Errorf("after Close: %d %q", r.code, r.err)
	}
	if n := e.count(t, "c"); n != 2 {
		t.Fatalf("c has %d points", n)
	}
}
