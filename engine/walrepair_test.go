package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// TestWALFaultRecoversWithoutRestart fails one WAL write or fsync (as a
// full disk does) under a wait=true upsert or delete, then checks: the
// request fails, its effect is visible nowhere (memory already reloaded),
// the next writes succeed without a restart, and a reopen finds exactly the
// acknowledged state, nothing duplicated, the failed write absent.
func TestWALFaultRecoversWithoutRestart(t *testing.T) {
	for _, op := range []vfs.Op{vfs.OpWrite, vfs.OpSync} {
		for _, kind := range []string{"upsert", "delete"} {
			t.Run(fmt.Sprintf("%s/%s", op, kind), func(t *testing.T) { testWALFault(t, op, kind) })
		}
	}
}

func testWALFault(t *testing.T, op vfs.Op, kind string) {
	dir := t.TempDir()
	fs := vfs.NewFaulty(vfs.OS)
	st := openTest(t, dir, fs)
	defer func() { st.Close() }()
	req := simpleReq(2, point.Dot)
	req.ShardNumber = intp(2)
	c := mustCreate(t, st, "c", req)
	want := map[uint64]float32{}
	put := func(id uint64, x float32) error {
		_, err := c.Upsert(ctxb, []PointStruct{{ID: point.NumID(id), Vector: Vectors{"": {x, 0}}}}, true)
		if err == nil {
			want[id] = x
		}
		return err
	}
	for id := range uint64(10) {
		must(t, put(id, float32(id)))
	}
	// Half of them in a sealed segment, so a failed delete must be undone
	// in a segment's deletion bitmap, not only in the head.
	must(t, c.Flush())
	for id := uint64(10); id < 16; id++ {
		must(t, put(id, float32(id)))
	}
	fs.FailWhen(func(o vfs.Op, path string) bool { return o == op && strings.Contains(path, "/wal/") })
	var err error
	if kind == "upsert" {
		err = put(3, 99) // overwrites a sealed point: the kill must be undone too
	} else {
		_, err = c.Delete(ctxb, PointsSelector{Points: []point.ID{point.NumID(2), point.NumID(12)}}, true)
	}
	if !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("%s with a failing wal %s: %v", kind, op, err)
	}
	// The failed write is applied nowhere, at once, though the disk still
	// refuses (the repair has failed so far).
	checkFloats(t, c, want, "while the disk still fails")
	if err := put(20, 20); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("write while the disk still fails: %v", err)
	}
	checkFloats(t, c, want, "after a second failure")
	fs.FailWhen(nil)
	// The disk has room again: repaired on the next write.
	must(t, put(21, 21))
	checkFloats(t, c, want, "after the fault")
	for id := uint64(30); id < 40; id++ {
		must(t, put(id, float32(id)))
	}
	must(t, put(5, 55))
	checkFloats(t, c, want, "after more writes")
	if info := c.Info(); info.Status != StatusGreen {
		t.Fatalf("info after recovery = %s", jsonOf(info))
	}
	st.Close()
	st = openTest(t, dir, nil)
	c, _ = st.Collection("c")
	checkFloats(t, c, want, "after reopen")
}
