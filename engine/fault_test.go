package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/vfs"
)

// TestFaultDuringSealAndMerge fails one file operation of a seal or a merge
// (never of the WAL) and checks that the error surfaces, the collection
// stays readable with all data, a retry succeeds, and a reopen finds it all.
func TestFaultDuringSealAndMerge(t *testing.T) {
	ops := []vfs.Op{vfs.OpOpen, vfs.OpWrite, vfs.OpSync, vfs.OpRename, vfs.OpSyncDir}
	for _, phase := range []string{"seal", "merge"} {
		for _, op := range ops {
			for _, nth := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/%s/%d", phase, op, nth), func(t *testing.T) {
					testFault(t, phase, op, nth)
				})
			}
		}
	}
}

func testFault(t *testing.T, phase string, op vfs.Op, nth int) {
	dir := t.TempDir()
	fs := vfs.NewFaulty(vfs.OS)
	st := openTest(t, dir, fs)
	defer func() { st.Close() }()
	req := simpleReq(4, point.Euclid)
	req.OptimizersConfig = &OptimizersConfigDiff{DefaultSegmentNumber: intp(1)}
	c := mustCreate(t, st, "c", req)
	r := rand.New(rand.NewPCG(uint64(nth), 3))
	want := map[uint64]float32{}
	write := func(n int) {
		var pts []PointStruct
		for range n {
			id := r.Uint64N(80)
			x := r.Float32()
			want[id] = x
			pts = append(pts, PointStruct{ID: point.NumID(id), Vector: Vectors{"": {x, 0, 0, 0}}})
		}
		mustUpsert(t, c, pts...)
	}
	write(30)
	if phase == "merge" {
		// Two segments; the merge down to one is what fails.
		if err := c.shards[0].seal(ctxb); err != nil {
			t.Fatal(err)
		}
		write(30)
		if err := c.shards[0].seal(ctxb); err != nil {
			t.Fatal(err)
		}
		write(10)
	}
	seen := 0
	fs.FailWhen(func(o vfs.Op, path string) bool {
		if o != op || strings.Contains(path, "/wal") {
			return false
		}
		seen++
		return seen == nth
	})
	var err error
	if phase == "seal" {
		err = c.shards[0].seal(ctxb)
	} else {
		_, err = c.shards[0].optimizeOnce(ctxb, false)
	}
	fs.FailWhen(nil)
	if seen < nth {
		t.Skipf("only %d %s operations", seen, op)
	}
	if !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("%s with failing %s #%d: err = %v", phase, op, nth, err)
	}
	checkFloats(t, c, want, "after fault")
	write(10)
	if err := c.Flush(); err != nil {
		t.Fatalf("retry: %v", err)
	}
	checkFloats(t, c, want, "after retry")
	st.Close()
	st = openTest(t, dir, nil)
	c, _ = st.Collection("c")
	checkFloats(t, c, want, "after reopen")
	if n := len(c.shards[0].segs); n != 1 {
		t.Fatalf("segments after retry and reopen = %d, want 1", n)
	}
}

func checkFloats(t *testing.T, c *Collection, want map[uint64]float32, when string) {
	t.Helper()
	page, err := c.Scroll(ctxb, ScrollRequest{Limit: 1000, WithVector: &WithVector{Enable: true}})
	if err != nil {
		t.Fatalf("%s: scroll: %v", when, err)
	}
	if len(page.Points) != len(want) {
		t.Fatalf("%s: %d points, want %d", when, len(page.Points), len(want))
	}
	for _, p := range page.Points {
		if w, ok := want[p.ID.Num()]; !ok || p.Vector[""][0] != w {
			t.Fatalf("%s: point %v = %v, want %v", when, p.ID, p.Vector[""], w)
		}
	}
}

// TestFaultSurfacesInInfo checks that a failed background seal shows in Info.
func TestFaultSurfacesInInfo(t *testing.T) {
	dir := t.TempDir()
	fs := vfs.NewFaulty(vfs.OS)
	var got error
	st, err := Open(Options{Dir: dir, FS: fs, Logger: quietLogger(), DisableBackground: true,
		Hooks: &Hooks{BackgroundError: func(_ string, _ int, err error) { got = err }}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 2}}})
	fs.FailWhen(func(o vfs.Op, p string) bool { return o == vfs.OpRename && strings.HasSuffix(p, ManifestFile) })
	s := c.shards[0]
	s.setErr(s.maintainSeal())
	fs.FailWhen(nil)
	info := c.Info()
	if info.Status != StatusRed || !strings.Contains(info.OptimizerStatus.Error, "injected") || !errors.Is(got, vfs.ErrInjected) {
		t.Fatalf("info = %s, hook err = %v", jsonOf(info), got)
	}
	s.setErr(s.maintainSeal())
	if info := c.Info(); info.Status != StatusGreen || info.PointsCount != 1 || info.SegmentsCount != 1 {
		t.Fatalf("info after recovery = %s", jsonOf(info))
	}
}
