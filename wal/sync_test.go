package wal

import (
	"errors"
	"sync"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

func TestGroupCommitSharesFsync(t *testing.T) {
	const callers = 8
	faulty := vfs.NewFaulty(vfs.OS)
	hook := &hookFS{FS: faulty}
	l := openLog(t, t.TempDir(), Options{FS: hook})
	defer l.Close()
	waiting := make(chan struct{}, 4*callers)
	l.hookWait = func() { waiting <- struct{}{} } // set before any concurrency

	entered, release := hook.holdNextSync()
	before := faulty.Count(vfs.OpSync)
	errs := make(chan error, callers)
	appendSync := func(i int) {
		lsn, err := l.Append(payloadFor(uint64(i), 600))
		if err == nil {
			err = l.Sync(lsn)
		}
		errs <- err
	}
	go appendSync(1) // the leader: its fsync is held
	<-entered
	for i := 2; i <= callers; i++ {
		go appendSync(i)
	}
	for range callers - 1 { // every follower is queued behind the held fsync
		<-waiting
	}
	close(release)
	for range callers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// One fsync for the leader's record, one shared by the seven followers.
	if got := faulty.Count(vfs.OpSync) - before; got != 2 {
		t.Fatalf("%d callers needed %d fsyncs, want 2", callers, got)
	}
	if l.DurableLSN() != callers {
		t.Fatalf("durable lsn %d, want %d", l.DurableLSN(), callers)
	}
}

func TestConcurrentAppendSyncReplay(t *testing.T) {
	dir := t.TempDir()
	const writers, each, maxLen = 4, 150, 200
	faulty := vfs.NewFaulty(vfs.OS)
	l := openLog(t, dir, Options{FS: faulty, SegmentSize: 8192})
	var wg sync.WaitGroup
	payloads := sync.Map{}
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				data := payloadFor(uint64(w*each+i), maxLen)
				lsn, err := l.Append(data)
				if err == nil && i%3 == 0 {
					err = l.Sync(lsn)
				}
				if err != nil {
					t.Error(err)
					return
				}
				payloads.Store(lsn, data)
				if i%50 == 0 {
					_ = l.Replay(lsn, func(uint64, []byte) error { return nil })
					if err := l.TruncateBefore(lsn / 2); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := l.Sync(l.LastLSN()); err != nil {
		t.Fatal(err)
	}
	first := l.FirstLSN()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d fsyncs for %d records", faulty.Count(vfs.OpSync), writers*each)
	l = openLog(t, dir, Options{SegmentSize: 8192})
	defer l.Close()
	got := replayAll(t, l, 1)
	if len(got) != writers*each-int(first)+1 {
		t.Fatalf("replayed %d records from lsn %d, want %d", len(got), first, writers*each-int(first)+1)
	}
	for i, r := range got {
		want, _ := payloads.Load(r.lsn)
		if r.lsn != first+uint64(i) || string(r.data) != string(want.([]byte)) {
			t.Fatalf("record %d: lsn %d or payload differs", i, r.lsn)
		}
	}
}

// faultCase names an operation to fail during appends.
type faultCase struct {
	name string
	op   vfs.Op
}

func TestFaultsAreStickyAndAcknowledgedRecordsSurvive(t *testing.T) {
	const maxLen = 300
	for _, tc := range []faultCase{
		{"fsync", vfs.OpSync},
		{"write", vfs.OpWrite},
		{"rotate-create", vfs.OpOpen},
		{"rotate-syncdir", vfs.OpSyncDir},
	} {
		for _, nth := range []int{1, 2, 5} {
			t.Run(tc.name+"/nth="+itoa(int64(nth)), func(t *testing.T) {
				dir := t.TempDir()
				faulty := vfs.NewFaulty(vfs.OS)
				l := openLog(t, dir, Options{FS: faulty, SegmentSize: 2048})
				var acked uint64
				for i := uint64(1); i <= 20; i++ { // acknowledged before the fault
					mustAppend(t, l, payloadFor(i, maxLen))
				}
				if err := l.Sync(20); err != nil {
					t.Fatal(err)
				}
				acked = 20
				faulty.FailNth(tc.op, nth)
				var failed error
				for i := uint64(21); i <= 200 && failed == nil; i++ {
					lsn, err := l.Append(payloadFor(i, maxLen))
					if err == nil && i%4 == 0 {
						if err = l.Sync(lsn); err == nil {
							acked = lsn
						}
					}
					failed = err
				}
				if !errors.Is(failed, vfs.ErrInjected) || !errors.Is(failed, ErrBroken) {
					t.Fatalf("fault surfaced as %v", failed)
				}
				faulty.FailWhen(nil)
				if _, err := l.Append([]byte("later")); !errors.Is(err, ErrBroken) {
					t.Fatalf("append after the fault: %v", err)
				}
				// A rotation's fsync may have made more than acked durable.
				durable := l.DurableLSN()
				if durable < acked {
					t.Fatalf("durable lsn %d below the acknowledged %d", durable, acked)
				}
				if err := l.Sync(l.LastLSN()); l.LastLSN() > durable && !errors.Is(err, ErrBroken) {
					t.Fatalf("sync after the fault: %v", err)
				}
				if err := l.Sync(durable); err != nil {
					t.Fatalf("sync of durable lsn %d: %v", durable, err)
				}
				acked = durable
				_ = l.Close()

				l = openLog(t, dir, Options{SegmentSize: 2048})
				defer l.Close()
				got := replayAll(t, l, 1)
				if uint64(len(got)) < acked {
					t.Fatalf("recovered %d records, %d were acknowledged", len(got), acked)
				}
				checkRecords(t, got, 1, uint64(len(got)), maxLen)
			})
		}
	}
}

func TestOpenFaults(t *testing.T) {
	src := t.TempDir()
	writeLog(t, src, 10, 100, 0)
	p := segmentFiles(t, src)[0]
	for _, op := range []vfs.Op{vfs.OpTruncate, vfs.OpSync, vfs.OpOpen} {
		t.Run(string(op), func(t *testing.T) {
			dir := copyDir(t, src)
			offs := recordOffsets(t, p)
			if err := truncateFile(dir, p, offs[len(offs)-1]-3); err != nil {
				t.Fatal(err)
			}
			faulty := vfs.NewFaulty(vfs.OS)
			faulty.FailNth(op, 1)
			if _, err := Open(dir, Options{FS: faulty, Logger: quiet()}); !errors.Is(err, vfs.ErrInjected) {
				t.Fatalf("open with failing %s: %v", op, err)
			}
			reopenAndCheck(t, dir, 9, 100, 0)
		})
	}
}

func TestRotateWhileLeaderSyncs(t *testing.T) {
	const maxLen = 300
	hook := &hookFS{FS: vfs.OS}
	dir := t.TempDir()
	l := openLog(t, dir, Options{FS: hook, SegmentSize: 1024})
	first := mustAppend(t, l, payloadFor(1, maxLen))
	entered, release := hook.holdNextSync()
	leader := make(chan error)
	go func() { leader <- l.Sync(first) }()
	<-entered
	segs := l.Segments()
	var last uint64
	for i := uint64(2); l.Segments() < segs+2; i++ { // rotates twice under the held fsync
		last = mustAppend(t, l, payloadFor(i, maxLen))
	}
	if got := l.DurableLSN(); got != 0 {
		t.Fatalf("durable lsn %d while the leader's fsync is held, want 0", got)
	}
	close(release)
	if err := <-leader; err != nil {
		t.Fatal(err)
	}
	if got := l.DurableLSN(); got != first {
		t.Fatalf("durable lsn %d after the leader, want %d", got, first)
	}
	if err := l.Sync(last); err != nil {
		t.Fatal(err)
	}
	checkRecords(t, replayAll(t, l, 1), 1, last, maxLen)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, Options{SegmentSize: 1024})
	defer l.Close()
	checkRecords(t, replayAll(t, l, 1), 1, last, maxLen)
}
