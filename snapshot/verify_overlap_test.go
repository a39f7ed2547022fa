package snapshot

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cairn-db/cairn/snapshot/snaptest"
)

// setSideHashHook installs hook as sideHashHook for the test.
func setSideHashHook(t *testing.T, hook func(ctx context.Context)) {
	t.Helper()
	sideHashHook = hook
	t.Cleanup(func() { sideHashHook = nil })
}

// TestVerifyOverlapEngineFailureStopsHash: a failure the engine's checks
// find while the archive's SHA-256 is still being computed beside them
// (here the hash is held before its first read until it is told to stop)
// is reported, the hash is stopped rather than waited for (the checksum
// is then neither reported nor compared), and the spill is removed.
func TestVerifyOverlapEngineFailureStopsHash(t *testing.T) {
	e := newVerifyEnv(t)
	good, err := os.ReadFile(e.col)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := snaptest.RewriteArchive(good, ".hnsw", func(f []byte) ([]byte, error) {
		f = bytes.Clone(f)
		f[len(f)/2] ^= 0x40
		return f, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var calls, stopped atomic.Int32
	setSideHashHook(t, func(ctx context.Context) {
		calls.Add(1)
		<-ctx.Done() // never hashes: only a stop lets it go
		stopped.Add(1)
	})
	opts := e.m.VerifyOptions(ReadChecksumFile(e.col), "")
	rep, err := VerifyArchive(ctxb, bytes.NewReader(bad), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !rep.EngineChecked || !anyFailure(rep, "links out of range") {
		t.Fatalf("want the engine's failure: %+v", rep)
	}
	if calls.Load() != 1 || stopped.Load() != 1 {
		t.Fatalf("hash hook called %d times, stopped %d; want the hash stopped once", calls.Load(), stopped.Load())
	}
	if rep.Checksum != "" || rep.ChecksumChecked {
		t.Fatalf("checksum %q (checked %v) of an unfinished hash", rep.Checksum, rep.ChecksumChecked)
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestVerifyOverlapChecksumAfterEngine: when the engine's checks pass
// before the hash ends, the hash is still waited for and compared: a
// wrong checksum fails the archive, and the engine's results, as in the
// single pass, are not counted for an archive that failed.
func TestVerifyOverlapChecksumAfterEngine(t *testing.T) {
	e := newVerifyEnv(t)
	f, err := os.Open(e.col)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := e.m.VerifyOptions(strings.Repeat("0", 64), "")
	rep, err := VerifyArchive(ctxb, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !rep.ChecksumChecked || rep.EngineChecked || len(rep.Failures) != 1 || !hasFailure(rep, "", "SHA-256") {
		t.Fatalf("want one SHA-256 failure: %+v", rep)
	}
	if want := ReadChecksumFile(e.col); rep.Checksum != want {
		t.Fatalf("checksum %s, want %s", rep.Checksum, want)
	}
	assertNoTemps(t, e.m.TempPath)
}

// TestVerifyOverlapFileChanged: a file that changes between the parse and
// the hash that reads it beside (here bytes appended before the hash's
// first read) is a failure, not a pass on bytes the two never both saw.
func TestVerifyOverlapFileChanged(t *testing.T) {
	e := newVerifyEnv(t)
	f, err := os.OpenFile(e.col, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size, _ := f.Seek(0, 2)
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	var once atomic.Bool
	setSideHashHook(t, func(context.Context) {
		if once.CompareAndSwap(false, true) {
			if _, err := f.WriteAt([]byte("tail"), size); err != nil {
				t.Error(err)
			}
		}
	})
	rep, err := VerifyArchive(ctxb, f, e.m.VerifyOptions("", ""))
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !hasFailure(rep, "", "changed while it was verified") {
		t.Fatalf("want a changed-archive failure: %+v", rep)
	}
	assertNoTemps(t, e.m.TempPath)
}

// anyFailure says whether a failure of rep, of any file, has reason in its
// reason.
func anyFailure(rep Report, reason string) bool {
	for _, f := range rep.Failures {
		if strings.Contains(f.Reason, reason) {
			return true
		}
	}
	return false
}
