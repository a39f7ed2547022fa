package snapshot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/vfs"
)

// endless answers every request with a body that never ends, until the
// client goes away.
func endless(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, 32<<10)
	for {
		if _, err := w.Write(buf); err != nil {
			return
		}
	}
}

// staller serves a location that stops: after headers and first bytes
// (or, with noHeaders, before anything) it blocks until the test ends.
// reached receives a value once a request is blocked.
type staller struct {
	noHeaders bool
	reached   chan struct{}
	release   chan struct{}
}

func newStaller(t *testing.T, noHeaders bool) (*staller, *httptest.Server) {
	s := &staller{noHeaders: noHeaders, reached: make(chan struct{}, 16), release: make(chan struct{})}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { close(s.release); srv.Close() })
	return s, srv
}

func (s *staller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.noHeaders {
		w.Header().Set("Content-Length", "1000000")
		_, _ = w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
	}
	s.reached <- struct{}{}
	select {
	case <-s.release:
	case <-r.Context().Done():
	}
}

// TestDownloadTooLarge: a location whose body never ends is cut at the
// size bound (ErrTooLarge, naming it), leaves nothing in the temp path
// and creates nothing.
func TestDownloadTooLarge(t *testing.T) {
	e := newEnv(t, nil)
	e.m.MaxBytes = 1 << 20
	srv := httptest.NewServer(http.HandlerFunc(endless))
	defer srv.Close()
	err := e.m.RecoverFromLocation(ctxb, "x", srv.URL+"/a.snapshot", "", "", "")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "max_snapshot_size_mb") {
		t.Fatalf("endless download: %v", err)
	}
	if e.st.CollectionExists("x") {
		t.Fatal("x created")
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestDownloadLimitDefault: without max_snapshot_size_mb a download may
// take half of the temp path's free space above DownloadReserve.
func TestDownloadLimitDefault(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.m.fs().MkdirAll(e.m.TempPath, dirMode); err != nil {
		t.Fatal(err)
	}
	free, err := vfs.FreeSpace(e.m.TempPath)
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.m.downloadLimit()
	var limit int64
	var bound string
	if g != nil {
		defer g.release()
		limit, bound = g.limit, g.bound
	}
	if free <= DownloadReserve {
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("limit on a full disk: %d, %v", limit, err)
		}
		return
	}
	// The free space may change between the two reads: allow 64 MiB.
	if want := (free - DownloadReserve) / 2; err != nil || limit <= 0 || limit > want+32<<20 || limit < want-32<<20 || !strings.Contains(bound, "free space") {
		t.Fatalf("limit %d (%s), %v; want about %d", limit, bound, err, want)
	}
}

// TestDownloadStalls: a location that sends no headers, or stops sending
// its body, is given up after the injected timeout with an error that
// says it stalled; nothing is left behind.
func TestDownloadStalls(t *testing.T) {
	for _, tc := range []struct {
		noHeaders bool
		want      string
	}{
		{false, "stalled: no data for 20ms"},
		{true, "stalled: no response headers for 20ms"},
	} {
		e := newEnv(t, nil)
		e.m.DownloadTimeouts = Timeouts{Idle: 20 * time.Millisecond, ResponseHeader: 20 * time.Millisecond}
		_, srv := newStaller(t, tc.noHeaders)
		err := e.m.RecoverFromLocation(ctxb, "x", srv.URL+"/a.snapshot", "", "", "")
		if !errors.Is(err, ErrIncomplete) || !strings.HasSuffix(err.Error(), "/a.snapshot "+tc.want) {
			t.Fatalf("stalled download: %v; want … %s", err, tc.want)
		}
		assertNoTemps(t, e.m.TempPath)
	}
}

// TestDownloadBusyAndClose: MaxDownloads bounds the downloads at once (the
// next is refused before any work, ErrBusy); Close cancels the pending one,
// returns once it has ended, and refuses new ones (engine.ErrClosed).
func TestDownloadBusyAndClose(t *testing.T) {
	e := newEnv(t, nil)
	e.m.MaxDownloads = 1
	e.m.DownloadTimeouts = Timeouts{Idle: time.Hour, ResponseHeader: time.Hour}
	st, srv := newStaller(t, false)
	first, err := e.m.PrepareRecover("x", srv.URL+"/a.snapshot", "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- first.Run(context.Background()) }() // as wait=false runs it
	<-st.reached
	if _, err := e.m.PrepareRecover("y", srv.URL+"/b.snapshot", "", "", ""); !errors.Is(err, ErrBusy) {
		t.Fatalf("second download: %v", err)
	}
	if _, err := e.m.PrepareRecoverShard("x", 0, srv.URL+"/b.snapshot", "", "", ""); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("shard of a missing collection: %v", err) // checked before a slot is taken
	}
	// A file:// recover needs no slot.
	fill(t, e.create(t, "src", dim, 1), 1, dim)
	d, err := e.m.CreateCollection(ctxb, "src")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.m.RecoverFromLocation(ctxb, "z", "file://"+filepath.Join(e.m.SnapshotsPath, "src", d.Name), "", "", ""); err != nil {
		t.Fatalf("file:// recover while the downloads are busy: %v", err)
	}
	e.m.Close()
	// Close returned after the download ended: its file is gone already.
	assertNoTemps(t, e.m.TempPath)
	if err := <-done; !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("pending download after Close: %v", err)
	}
	if _, err := e.m.PrepareRecover("y", srv.URL+"/b.snapshot", "", "", ""); !errors.Is(err, engine.ErrClosed) {
		t.Fatalf("download after Close: %v", err)
	}
	e.m.Close() // twice is fine
	assertNoTemps(t, e.m.TempPath)
}

// TestDownloadSlotFreed: a finished or failed download gives its slot
// back, and a Recovery's release may run once only.
func TestDownloadSlotFreed(t *testing.T) {
	e := newEnv(t, nil)
	e.m.MaxDownloads = 1
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	for range 3 {
		if err := e.m.RecoverFromLocation(ctxb, "x", srv.URL+"/a.snapshot", "", "", ""); !errors.Is(err, ErrBadLocation) {
			t.Fatalf("404: %v", err)
		}
	}
	r, err := e.m.PrepareRecover("x", srv.URL+"/a.snapshot", "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	r.release()
	r.release()
	if _, err := e.m.PrepareRecover("x", srv.URL+"/a.snapshot", "", "", ""); err != nil {
		t.Fatalf("slot after release: %v", err)
	}
}
