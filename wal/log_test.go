package wal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

func TestRoundTripManySegments(t *testing.T) {
	dir := t.TempDir()
	const n, maxLen = 600, 300
	l := openLog(t, dir, Options{SegmentSize: 4096})
	for lsn := uint64(1); lsn <= n; {
		if lsn%7 == 0 { // mix single appends and batches
			var batch [][]byte
			for k := uint64(0); k < 13 && lsn+k <= n; k++ {
				batch = append(batch, payloadFor(lsn+k, maxLen))
			}
			first, last, err := l.AppendBatch(batch)
			if err != nil || first != lsn || last != lsn+uint64(len(batch))-1 {
				t.Fatalf("batch at %d: %d..%d, %v", lsn, first, last, err)
			}
			lsn = last + 1
			continue
		}
		if got := mustAppend(t, l, payloadFor(lsn, maxLen)); got != lsn {
			t.Fatalf("append returned lsn %d, want %d", got, lsn)
		}
		lsn++
	}
	if err := l.Sync(n); err != nil {
		t.Fatal(err)
	}
	if l.Segments() < 20 {
		t.Fatalf("only %d segments, want many", l.Segments())
	}
	for _, p := range segmentFiles(t, dir) {
		if st, _ := os.Stat(p); st.Size() > 4096 {
			t.Fatalf("%s has %d bytes, above the segment size", p, st.Size())
		}
	}
	checkRecords(t, replayAll(t, l, 0), 1, n, maxLen)
	checkRecords(t, replayAll(t, l, 377), 377, n, maxLen)
	checkRecords(t, replayAll(t, l, n+1), 1, 0, maxLen)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = openLog(t, dir, Options{SegmentSize: 4096})
	defer l.Close()
	if l.LastLSN() != n || l.FirstLSN() != 1 || l.DurableLSN() != n {
		t.Fatalf("reopened: last %d first %d durable %d", l.LastLSN(), l.FirstLSN(), l.DurableLSN())
	}
	checkRecords(t, replayAll(t, l, 1), 1, n, maxLen)
	if got := mustAppend(t, l, payloadFor(n+1, maxLen)); got != n+1 {
		t.Fatalf("append after reopen got lsn %d, want %d", got, n+1)
	}
	checkRecords(t, replayAll(t, l, 1), 1, n+1, maxLen)
}

func TestRecordLargerThanSegment(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir, Options{SegmentSize: 1024})
	big := make([]byte, 10000)
	for i := range big {
		big[i] = byte(i * 7)
	}
	mustAppend(t, l, []byte("small"))
	mustAppend(t, l, big)
	mustAppend(t, l, []byte("after"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(segmentFiles(t, dir)); n != 3 {
		t.Fatalf("%d segments, want 3 (the big record alone in one)", n)
	}
	l = openLog(t, dir, Options{SegmentSize: 1024})
	defer l.Close()
	got := replayAll(t, l, 1)
	if len(got) != 3 || string(got[0].data) != "small" || string(got[1].data) != string(big) || string(got[2].data) != "after" {
		t.Fatalf("replayed %d records, contents differ", len(got))
	}
}

func TestEmptyRecordsAndBatches(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{})
	defer l.Close()
	if first, last, err := l.AppendBatch(nil); first != 0 || last != 0 || err != nil {
		t.Fatalf("empty batch: %d %d %v", first, last, err)
	}
	mustAppend(t, l, nil)
	mustAppend(t, l, []byte{})
	got := replayAll(t, l, 1)
	if len(got) != 2 || len(got[0].data) != 0 || got[1].lsn != 2 {
		t.Fatalf("got %+v", got)
	}
	if err := l.Sync(0); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(3); !errors.Is(err, ErrNotAppended) {
		t.Fatalf("sync beyond end: %v", err)
	}
}

func TestCloseRefusesWork(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{})
	lsn := mustAppend(t, l, []byte("x"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(lsn); err != nil {
		t.Fatalf("close must have made lsn %d durable: %v", lsn, err)
	}
	if _, err := l.Append([]byte("y")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if err := l.Replay(1, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("replay after close: %v", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
}

func TestReplayStopsAtCallbackError(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{})
	defer l.Close()
	for i := 1; i <= 5; i++ {
		mustAppend(t, l, payloadFor(uint64(i), 10))
	}
	stop := errors.New("stop")
	calls := 0
	err := l.Replay(1, func(lsn uint64, _ []byte) error {
		calls++
		if lsn == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestTruncateBefore(t *testing.T) {
	dir := t.TempDir()
	const n, maxLen = 300, 200
	writeLog(t, dir, n, maxLen, 2048)
	l := openLog(t, dir, Options{SegmentSize: 2048})
	segsBefore := l.Segments()
	if err := l.TruncateBefore(150); err != nil {
		t.Fatal(err)
	}
	first := l.FirstLSN()
	if first > 150 || first <= 1 || l.Segments() >= segsBefore {
		t.Fatalf("after TruncateBefore(150): first lsn %d, %d of %d segments", first, l.Segments(), segsBefore)
	}
	if files := segmentFiles(t, dir); len(files) != l.Segments() {
		t.Fatalf("%d files on disk, log has %d segments", len(files), l.Segments())
	}
	checkRecords(t, replayAll(t, l, 1), first, n, maxLen)
	if err := l.TruncateBefore(n + 100); err != nil {
		t.Fatal(err)
	}
	if l.Segments() != 1 {
		t.Fatalf("%d segments left, want only the current one", l.Segments())
	}
	last := l.FirstLSN()
	checkRecords(t, replayAll(t, l, 1), last, n, maxLen)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = openLog(t, dir, Options{SegmentSize: 2048})
	defer l.Close()
	if l.FirstLSN() != last || l.LastLSN() != n {
		t.Fatalf("reopened: first %d last %d, want %d %d", l.FirstLSN(), l.LastLSN(), last, n)
	}
	if got := mustAppend(t, l, payloadFor(n+1, maxLen)); got != n+1 {
		t.Fatalf("append got %d", got)
	}
}

func TestReplayConcurrentWithTruncate(t *testing.T) {
	dir := t.TempDir()
	const n, maxLen = 200, 200
	writeLog(t, dir, n, maxLen, 2048)
	l := openLog(t, dir, Options{SegmentSize: 2048})
	defer l.Close()
	started, resume := make(chan struct{}), make(chan struct{})
	done := make(chan []rec)
	go func() {
		var got []rec
		err := l.Replay(1, func(lsn uint64, data []byte) error {
			if lsn == 1 {
				close(started)
				<-resume
			}
			got = append(got, rec{lsn, data})
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	<-started
	if err := l.TruncateBefore(n); err != nil {
		t.Fatal(err)
	}
	if n := len(segmentFiles(t, dir)); n != 1 {
		t.Fatalf("%d files left", n)
	}
	close(resume)
	checkRecords(t, <-done, 1, n, maxLen)
}

func TestIgnoresForeignFiles(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, 3, 10, 0)
	for _, name := range []string{"README", "wal-1.log", "wal-00000000000000000000.log", "wal-0000000000000000000x.log"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := openLog(t, dir, Options{})
	defer l.Close()
	checkRecords(t, replayAll(t, l, 1), 1, 3, 10)
}

func TestOpenSyncsParentOfNewDir(t *testing.T) {
	parent := t.TempDir()
	faulty := vfs.NewFaulty(vfs.OS)
	faulty.FailWhen(func(op vfs.Op, path string) bool { return op == vfs.OpSyncDir && path == parent })
	// The new folder's own entry must be durable before any record in it is
	// acknowledged, so Open reports a failed sync of the parent.
	if _, err := Open(filepath.Join(parent, "wal"), Options{FS: faulty, Logger: quiet()}); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("open of a new dir with a failing parent sync: %v", err)
	}
}
