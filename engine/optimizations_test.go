package engine

import (
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestOptimizationsReport: the queue estimate before, the running
// optimization while it runs (seen from the merge hook), and the completed
// one after, its uuid the new segment's.
func TestOptimizationsReport(t *testing.T) {
	var c *Collection
	var during Optimizations
	hooks := &Hooks{MergeStart: func(string, int, int) { during = c.Optimizations(false, false, false, 16) }}
	st, err := Open(Options{Dir: t.TempDir(), Logger: quietLogger(), DisableBackground: true, Hooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := simpleReq(2, point.Dot)
	req.OptimizersConfig = &OptimizersConfigDiff{DefaultSegmentNumber: intp(1)}
	c = mustCreate(t, st, "c", req)
	s := c.shards[0]
	for seg := range 2 {
		var pts []PointStruct
		for i := range 50 {
			pts = append(pts, PointStruct{ID: point.NumID(uint64(seg*100 + i)), Vector: Vectors{"": {float32(i), 1}}})
		}
		mustUpsert(t, c, pts...)
		s.sealMu.Lock()
		if err := s.seal(ctxb); err != nil {
			t.Fatal(err)
		}
		s.sealMu.Unlock()
	}
	before := c.Optimizations(true, true, true, 16)
	if before.Summary.QueuedOptimizations != 1 || before.Summary.QueuedSegments != 2 || before.Summary.QueuedPoints != 100 ||
		len(*before.Queued) != 1 || len(before.Running) != 0 || len(*before.Completed) != 0 || before.Summary.IdleSegments != 0 {
		t.Fatalf("before: %s", jsonOf(before))
	}
	s.optMu.Lock()
	did, err := s.optimizeOnce(ctxb, false)
	s.optMu.Unlock()
	if err != nil || !did {
		t.Fatalf("merge: %v %v", did, err)
	}
	if len(during.Running) != 1 || during.Running[0].Status != "optimizing" || len(during.Running[0].Segments) != 2 {
		t.Fatalf("during: %s", jsonOf(during))
	}
	after := c.Optimizations(false, true, true, 16)
	if len(after.Running) != 0 || len(*after.Completed) != 1 || (*after.Completed)[0].Status != "done" ||
		(*after.Completed)[0].Progress.DurationSec == nil || after.Summary.QueuedOptimizations != 0 || after.Summary.IdleSegments != 1 {
		t.Fatalf("after: %s", jsonOf(after))
	}
	if got, want := (*after.Completed)[0].UUID, (*after.IdleSegments)[0].UUID; got != want {
		t.Fatalf("completed uuid %s, new segment %s", got, want)
	}
	if lim := c.Optimizations(false, true, false, 0); len(*lim.Completed) != 0 {
		t.Fatalf("completed_limit 0: %d", len(*lim.Completed))
	}
}
