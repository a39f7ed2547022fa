package adversarial

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// locationServer is a local http server that a recover downloads from.
type locationServer struct {
	*httptest.Server
	sent   atomic.Int64 // bytes written to all clients
	active atomic.Int64 // connections being served now
	peak   atomic.Int64 // most connections served at once
	seen   atomic.Int64 // requests received
}

// newLocation serves handler(w, r) under bookkeeping. release, closed in
// cleanup, ends every handler still blocked.
func newLocation(t *testing.T, handler func(ls *locationServer, w http.ResponseWriter, r *http.Request, release <-chan struct{})) *locationServer {
	t.Helper()
	release := make(chan struct{})
	ls := &locationServer{}
	ls.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.seen.Add(1)
		n := ls.active.Add(1)
		defer ls.active.Add(-1)
		for p := ls.peak.Load(); n > p && !ls.peak.CompareAndSwap(p, n); p = ls.peak.Load() {
		}
		handler(ls, w, r, release)
	}))
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() { close(release) })
		ls.Server.CloseClientConnections()
		ls.Server.Close()
	})
	return ls
}

// forever streams zeros until the client goes away (or 4 GiB, a safety
// stop for a regression).
func forever(ls *locationServer, w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
	w.Header().Set("Content-Type", "application/octet-stream")
	chunk := make([]byte, 1<<20)
	for ls.sent.Load() < 4<<30 {
		select {
		case <-release:
			return
		default:
		}
		n, err := w.Write(chunk)
		ls.sent.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// stall sends the headers and a few bytes, then nothing until the client
// goes away or the test ends.
func stall(ls *locationServer, w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(200)
	n, _ := w.Write(make([]byte, 1024))
	ls.sent.Add(int64(n))
	w.(http.Flusher).Flush()
	select {
	case <-r.Context().Done():
	case <-release:
	}
}

// TestRecoverEndlessDownload: a recover from a location that never ends
// stops at a bound and answers an error saying the snapshot was too large.
// The server's storage is a 128 MiB tmpfs so a regression cannot fill the
// machine's disk.
func TestRecoverEndlessDownload(t *testing.T) {
	t.Parallel()
	ls := newLocation(t, forever)
	c := start(t, opts{dir: tmpfs(t, 128)})
	res, err := c.try(req{method: http.MethodPut, path: "/collections/c/snapshots/recover?wait=true",
		body: map[string]any{"location": ls.URL + "/endless.snapshot"}, timeout: 60 * time.Second})
	if err != nil {
		t.Fatalf("recover from an endless location: %v (%d bytes sent)", err, ls.sent.Load())
	}
	if msg := strings.ToLower(res.ErrMsg()); res.Status < 400 || res.Status >= 500 ||
		!strings.Contains(msg, "large") && !strings.Contains(msg, "limit") && !strings.Contains(msg, "space") {
		t.Errorf("recover from an endless location: want a 4xx saying too large, got %s", res)
	}
	if sent := ls.sent.Load(); sent > 160<<20 {
		t.Errorf("the endless download read %d MiB, more than the 128 MiB disk", sent>>20)
	}
	t.Logf("endless download: %d MiB sent before %d", ls.sent.Load()>>20, res.Status)
	c.stop()
}

// TestRecoverStalledDownload: a recover from a location that stalls ends
// with an error saying it stalled, within the request bound.
func TestRecoverStalledDownload(t *testing.T) {
	t.Parallel()
	ls := newLocation(t, stall)
	c := start(t, opts{})
	res, err := c.try(req{method: http.MethodPut, path: "/collections/c/snapshots/recover?wait=true",
		body: map[string]any{"location": ls.URL + "/stalled.snapshot"}, timeout: 90 * time.Second})
	if err != nil {
		t.Fatalf("recover from a stalled location: no answer: %v", err)
	}
	if res.Status < 400 || !strings.Contains(strings.ToLower(res.ErrMsg()), "stall") {
		t.Errorf("recover from a stalled location: want an error saying it stalled, got %s", res)
	}
	c.stop()
}

// TestRecoverPendingDownloadsBoundedAndStopped: twenty wait=false recovers
// from a stalling location are accepted; fewer than twenty download at
// once, and SIGTERM still stops the server.
func TestRecoverPendingDownloadsBoundedAndStopped(t *testing.T) {
	t.Parallel()
	ls := newLocation(t, stall)
	c := start(t, opts{})
	const n = 20
	for i := range n {
		res := c.do(http.MethodPut, "/collections/r"+strconv.Itoa(i)+"/snapshots/recover?wait=false",
			map[string]any{"location": ls.URL + "/stalled.snapshot"})
		if res.Status >= 500 && res.Status != http.StatusServiceUnavailable {
			t.Errorf("wait=false recover %d: want accepted or refused, got %s", i, res)
		}
	}
	// Give unbounded downloads a chance to show: wait until all twenty
	// are connected, or 3 s (a bound, not synchronisation).
	deadline := time.Now().Add(3 * time.Second)
	for ls.peak.Load() < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if p := ls.peak.Load(); p >= n {
		t.Errorf("%d recover downloads ran at once: no bound on concurrent downloads", p)
	}
	if err := c.signalStop(); err != nil {
		t.Errorf("with stalled recovers pending: %v", err)
	}
	t.Logf("%d downloads requested, at most %d at once", ls.seen.Load(), ls.peak.Load())
}

// TestRecoverFirstActionOnNewInstall: a recover is the first snapshot
// action of a new install (no snapshots folder yet): an http location
// restores, a file:// location inside the folder is a 400, never a 500.
func TestRecoverFirstActionOnNewInstall(t *testing.T) {
	src := start(t, opts{})
	src.createCollection("c", 4, nil)
	src.upsert("c", 4, 0, 30)
	archive := src.snapshotOf("c")
	src.stop()
	ls := newLocation(t, func(_ *locationServer, w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
		w.Write(archive)
	})

	c := start(t, opts{})
	res := c.do(http.MethodPut, "/collections/d/snapshots/recover", map[string]any{"location": "file://" + filepath.Join(c.snapshots, "d", "absent.snapshot")})
	if res.Status != 400 {
		t.Errorf("file:// recover on a new install: want 400, got %s", res)
	}
	c.stop()
	c = start(t, opts{}) // a second new install
	res = c.do(http.MethodPut, "/collections/c/snapshots/recover", map[string]any{"location": ls.URL + "/c.snapshot"})
	if res.Status != 200 {
		t.Fatalf("http recover on a new install: want 200, got %s", res)
	}
	if n := c.count("c"); n != 30 {
		t.Errorf("recovered collection holds %d points, want 30", n)
	}
	c.must(200, http.MethodGet, "/collections/c/snapshots", nil)
}

// TestSnapshotsFolderFull: a snapshot that fails because the snapshots
// folder is out of space says so, without a server path.
func TestSnapshotsFolderFull(t *testing.T) {
	snaps := tmpfs(t, 1)
	c := start(t, opts{config: map[string]any{"storage": map[string]any{"snapshots_path": snaps}}})
	c.snapshots = snaps
	c.createCollection("c", 16, nil)
	pad := strings.Repeat("y", 1<<10)
	for lo := 0; lo < 3000; lo += 500 {
		pts := make([]map[string]any, 0, 500)
		for i := lo; i < lo+500; i++ {
			pts = append(pts, map[string]any{"id": i, "vector": vec(i, 16), "payload": map[string]any{"pad": pad}})
		}
		c.must(200, http.MethodPut, "/collections/c/points?wait=true", map[string]any{"points": pts})
	}
	res := c.do(http.MethodPost, "/collections/c/snapshots?wait=true", nil)
	if res.Status == 200 {
		t.Fatalf("a 3 MiB snapshot into a 1 MiB folder succeeded: %s", res)
	}
	if !strings.Contains(strings.ToLower(res.ErrMsg()), "space") {
		t.Errorf("want a message saying the snapshots folder is out of space, got %s", res)
	}
	c.noPath(res)
	c.must(200, http.MethodGet, "/collections/c", nil)
}
