package snapshot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDownloadBudgetShared checks that the downloads running at once share
// one budget, half the free space above DownloadReserve measured when the
// first started: each may take what the others have not, bytes are taken
// as they arrive and given back when a download ends, and the free space
// is measured again once none runs. Before, each download was given half
// of the free space measured on its own, so four at once could fill the
// disk.
func TestDownloadBudgetShared(t *testing.T) {
	e := newEnv(t, nil)
	free := int64(DownloadReserve + 2000) // a pool of 1000 bytes
	measured := 0
	e.m.testFreeSpace = func() (int64, error) { measured++; return free, nil }
	g1, err := e.m.downloadLimit()
	if err != nil || g1.limit != 1000 {
		t.Fatalf("first grant: %+v, %v", g1, err)
	}
	if !g1.take(600) {
		t.Fatal("600 of 1000 refused")
	}
	free = DownloadReserve + 1<<40 // not measured while downloads run
	g2, err := e.m.downloadLimit()
	if err != nil || g2.limit != 400 {
		t.Fatalf("second grant: %+v, %v; want the 400 bytes left", g2, err)
	}
	if g2.take(401) {
		t.Fatal("second download took more than was left")
	}
	if !g2.take(400) {
		t.Fatal("second download refused what was left")
	}
	if _, err := e.m.downloadLimit(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("third grant with the budget spent: %v, want ErrTooLarge", err)
	}
	g1.release()
	g1.release() // twice is once
	g3, err := e.m.downloadLimit()
	if err != nil || g3.limit != 600 {
		t.Fatalf("grant after the first ended: %+v, %v; want its 600 bytes", g3, err)
	}
	g2.release()
	g3.release()
	if measured != 1 {
		t.Fatalf("free space measured %d times while downloads ran, want 1", measured)
	}
	if g, err := e.m.downloadLimit(); err != nil || g.limit != 1<<39 || measured != 2 {
		t.Fatalf("grant once none runs: %+v, %v (measured %d)", g, err, measured)
	} else {
		g.release()
	}
	if b := e.m.lt.budget; b.users != 0 || b.used != 0 {
		t.Fatalf("budget after every release: %+v", b)
	}
}

// TestDownloadBudgetRecover: a recover whose body outgrows the shared
// budget fails with ErrTooLarge naming it, and gives its bytes back.
func TestDownloadBudgetRecover(t *testing.T) {
	e := newEnv(t, nil)
	e.m.testFreeSpace = func() (int64, error) { return DownloadReserve + 2<<20, nil }
	srv := httptest.NewServer(http.HandlerFunc(endless))
	defer srv.Close()
	err := e.m.RecoverFromLocation(ctxb, "x", srv.URL+"/a.snapshot", "", "", "")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "shared by the downloads running") {
		t.Fatalf("endless download: %v", err)
	}
	if b := e.m.lt.budget; b.users != 0 || b.used != 0 {
		t.Fatalf("budget after the recover: %+v", b)
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestDownloadTrickleStalls: a body that keeps its connection open but
// brings fewer than MinBytes in a RateWindow is given up as stalled (the
// idle timeout alone never fires while a byte arrives now and then, so a
// trickling source held a download slot forever).
func TestDownloadTrickleStalls(t *testing.T) {
	e := newEnv(t, nil)
	e.m.DownloadTimeouts = Timeouts{Idle: time.Hour, ResponseHeader: time.Hour, RateWindow: 20 * time.Millisecond, MinBytes: 1 << 20}
	_, srv := newStaller(t, false)                        // 1000 bytes, then nothing
	ctx, cancel := context.WithTimeout(ctxb, time.Minute) // a guard only: the test must not hang
	defer cancel()
	err := e.m.RecoverFromLocation(ctx, "x", srv.URL+"/a.snapshot", "", "", "")
	if !errors.Is(err, ErrIncomplete) || !strings.HasSuffix(err.Error(), "/a.snapshot stalled: fewer than 1048576 bytes in 20ms") {
		t.Fatalf("trickling download: %v", err)
	}
	assertNoTemps(t, e.m.TempPath)
}
