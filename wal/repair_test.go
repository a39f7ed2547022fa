package wal

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/vfs"
)

// TestRepairAfterFault fails one write, fsync or rotation step, then
// clears the fault and repairs the log without reopening it: appends and
// syncs succeed again, every acknowledged record is kept, a record whose
// Append or Sync failed is gone, and after a reopen the log holds exactly
// the records the model says, once each, in order.
func TestRepairAfterFault(t *testing.T) {
	for _, tc := range []faultCase{
		{"fsync", vfs.OpSync},
		{"write", vfs.OpWrite},
		{"rotate-create", vfs.OpOpen},
		{"rotate-syncdir", vfs.OpSyncDir},
	} {
		for _, nth := range []int{1, 2, 5} {
			t.Run(tc.name+"/nth="+itoa(int64(nth)), func(t *testing.T) {
				testRepair(t, tc.op, nth)
			})
		}
	}
}

func testRepair(t *testing.T, op vfs.Op, nth int) {
	const segSize = 2048
	dir := t.TempDir()
	faulty := vfs.NewFaulty(vfs.OS)
	var logs logBuffer
	l := openLog(t, dir, Options{FS: faulty, SegmentSize: segSize, Logger: newLogger(&logs)})
	var model []string // model[i] is the record with LSN i+1
	var acked uint64
	attempt := 0
	next := func() string {
		attempt++
		return fmt.Sprintf("rec-%d-%s", attempt, strings.Repeat("x", attempt*37%300))
	}
	appendSome := func(n int) error {
		for range n {
			d := next()
			lsn, err := l.Append([]byte(d))
			if err != nil {
				return err
			}
			model = append(model, d)
			if lsn != uint64(len(model)) {
				t.Fatalf("append got lsn %d, model has %d records", lsn, len(model))
			}
			if attempt%4 == 0 {
				if err := l.Sync(lsn); err != nil {
					return err
				}
				acked = lsn
			}
		}
		return nil
	}
	if err := appendSome(20); err != nil {
		t.Fatal(err)
	}
	faulty.FailNth(op, nth)
	failed := appendSome(200)
	faulty.FailWhen(nil)
	if !errors.Is(failed, vfs.ErrInjected) || !errors.Is(failed, ErrBroken) {
		t.Fatalf("fault surfaced as %v", failed)
	}
	last := l.LastLSN()
	if err := l.Repair(); err != nil {
		t.Fatalf("repair: %v", err)
	}
	if l.Err() != nil || l.Generation() != 1 {
		t.Fatalf("after repair: err %v, generation %d", l.Err(), l.Generation())
	}
	cut := l.LastLSN()
	if cut < acked || cut > uint64(len(model)) {
		t.Fatalf("repair kept %d records; %d acknowledged, %d appended", cut, acked, len(model))
	}
	if op == vfs.OpWrite && cut != uint64(len(model)) {
		t.Fatalf("a failed write dropped appended records: kept %d of %d", cut, len(model))
	}
	if l.DurableLSN() != cut {
		t.Fatalf("durable %d after repair, last %d", l.DurableLSN(), cut)
	}
	model = model[:cut]
	if !strings.Contains(logs.String(), "wal: repaired") || !strings.Contains(logs.String(), fmt.Sprintf("dropped_records=%d", last-cut)) {
		t.Fatalf("no repair log line:\n%s", logs.String())
	}
	if err := appendSome(60); err != nil {
		t.Fatalf("append after repair: %v", err)
	}
	if err := l.Sync(l.LastLSN()); err != nil {
		t.Fatalf("sync after repair: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, Options{SegmentSize: segSize})
	defer l.Close()
	got := replayAll(t, l, 1)
	if len(got) != len(model) {
		t.Fatalf("reopened log holds %d records, want %d", len(got), len(model))
	}
	for i, r := range got {
		if r.lsn != uint64(i+1) || string(r.data) != model[i] {
			t.Fatalf("record %d: lsn %d %.20q, want %.20q", i+1, r.lsn, r.data, model[i])
		}
	}
}

// TestRepairAfterRotationFsync checks that a repair after a failed fsync
// of a rotation cuts back to the last synced record of the segment and
// leaves one segment file, and that Repair on a healthy log changes
// nothing.
func TestRepairAfterRotationFsync(t *testing.T) {
	dir := t.TempDir()
	faulty := vfs.NewFaulty(vfs.OS)
	l := openLog(t, dir, Options{FS: faulty, SegmentSize: 1024})
	defer l.Close()
	if err := l.Repair(); err != nil || l.Generation() != 0 {
		t.Fatalf("repair of a healthy log: %v, generation %d", err, l.Generation())
	}
	for i := 1; i <= 5; i++ {
		mustAppend(t, l, make([]byte, 100))
	}
	if err := l.Sync(5); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, make([]byte, 100)) // 6, not durable
	faulty.FailNth(vfs.OpSync, 1)       // the rotation's fsync
	for i := 0; i < 20; i++ {
		if _, err := l.Append(make([]byte, 100)); err != nil {
			break
		}
	}
	faulty.FailWhen(nil)
	if l.Err() == nil {
		t.Fatal("no fault")
	}
	if err := l.Repair(); err != nil {
		t.Fatal(err)
	}
	if l.LastLSN() != 5 || l.Segments() != 1 {
		t.Fatalf("after repair: last %d, %d segments", l.LastLSN(), l.Segments())
	}
	if files := segmentFiles(t, dir); len(files) != 1 {
		t.Fatalf("segment files %v", files)
	}
	if st, err := os.Stat(segmentFiles(t, dir)[0]); err != nil || st.Size() < headerSize+5*116 {
		t.Fatalf("segment file: %v %v", st, err)
	}
}

// TestRepairAfterFailedBatchAcrossSegments fails the second write of a
// batch that spans a segment rotation (whose fsync made the batch's first
// part durable): the repair drops the whole batch, never acknowledged, and
// keeps every record before it.
func TestRepairAfterFailedBatchAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	faulty := vfs.NewFaulty(vfs.OS)
	l := openLog(t, dir, Options{FS: faulty, SegmentSize: 1024})
	for i := 1; i <= 3; i++ {
		mustAppend(t, l, payloadFor(uint64(i), 100))
	}
	batch := make([][]byte, 12) // about 1.4 KiB: rotates once
	for i := range batch {
		batch[i] = []byte(strings.Repeat("b", 100))
	}
	faulty.FailNth(vfs.OpWrite, 3) // the batch's first write, the new segment's header, then this
	if _, _, err := l.AppendBatch(batch); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("batch: %v", err)
	}
	faulty.FailWhen(nil)
	// The rotation synced records 4..8, but they belong to the failed
	// batch: not durable for any caller.
	if d := l.DurableLSN(); d != 3 {
		t.Fatalf("durable lsn %d after the failed batch, want 3", d)
	}
	if err := l.Repair(); err != nil {
		t.Fatal(err)
	}
	if l.LastLSN() != 3 || l.DurableLSN() != 3 || l.Segments() != 1 || len(segmentFiles(t, dir)) != 1 {
		t.Fatalf("after repair: last %d, durable %d, %d segments, files %v", l.LastLSN(), l.DurableLSN(), l.Segments(), segmentFiles(t, dir))
	}
	mustAppend(t, l, payloadFor(4, 100))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, Options{SegmentSize: 1024})
	defer l.Close()
	checkRecords(t, replayAll(t, l, 1), 1, 4, 100)
}
