package engine

import (
	"testing"
	"time"

	"github.com/cairn-db/cairn/point"
)

func TestVacuumAndMerge(t *testing.T) {
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	defer func() { st.Close() }()
	req := simpleReq(2, point.Dot)
	req.OptimizersConfig = &OptimizersConfigDiff{DefaultSegmentNumber: intp(2), VacuumMinVectorNumber: intp(100),
		DeletedThreshold: new(0.3)}
	c := mustCreate(t, st, "c", req)
	s := c.shards[0]
	var ids []point.ID
	for seg := range 3 {
		var pts []PointStruct
		for i := range 200 {
			id := point.NumID(uint64(seg*1000 + i))
			ids = append(ids, id)
			pts = append(pts, PointStruct{ID: id, Vector: Vectors{"": {float32(i), 1}}})
		}
		mustUpsert(t, c, pts...)
		s.sealMu.Lock()
		if err := s.seal(ctxb); err != nil {
			t.Fatal(err)
		}
		s.sealMu.Unlock()
	}
	// Delete 40% of the first segment: above deleted_threshold.
	if _, err := c.Delete(ctxb, PointsSelector{Points: ids[:80]}, true); err != nil {
		t.Fatal(err)
	}
	s.optMu.Lock()
	did, err := s.optimizeOnce(ctxb, false)
	s.optMu.Unlock()
	if err != nil || !did {
		t.Fatalf("vacuum: %v %v", did, err)
	}
	if n := s.segs[0].seg.Len(); n != 120 || len(s.segs) != 3 {
		t.Fatalf("vacuumed segment has %d points, want 120 (%d segments)", n, len(s.segs))
	}
	// Three segments, target two: one merge of the two smallest.
	s.optMu.Lock()
	did, err = s.optimizeOnce(ctxb, false)
	s.optMu.Unlock()
	if err != nil || !did || len(s.segs) != 2 {
		t.Fatalf("merge: %v %v, %d segments", did, err, len(s.segs))
	}
	if n := mustCount(t, c, nil); n != 520 {
		t.Fatalf("count = %d", n)
	}
	st.Close()
	st = openTest(t, dir, nil)
	c, _ = st.Collection("c")
	if n := mustCount(t, c, nil); n != 520 || len(c.shards[0].segs) != 2 {
		t.Fatalf("after reopen: count %d, %d segments", n, len(c.shards[0].segs))
	}
}

func TestSealDueOnFlushInterval(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	req := simpleReq(2, point.Dot)
	req.OptimizersConfig = &OptimizersConfigDiff{FlushIntervalSec: intp(1)}
	c := mustCreate(t, st, "c", req)
	s := c.shards[0]
	if s.sealDue() {
		t.Fatal("empty head due")
	}
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 1}}})
	if s.sealDue() {
		t.Fatal("fresh head due")
	}
	s.mu.Lock()
	s.head.firstWrite = time.Now().Add(-2 * time.Second).UnixNano()
	s.mu.Unlock()
	if !s.sealDue() {
		t.Fatal("head older than flush_interval_sec not due")
	}
}

// TestPartialUpdateOutlivesSegment updates only the vectors of sealed
// points, then merges their old segment away: the head must not keep
// anything that pointed into the unmapped segment.
func TestPartialUpdateOutlivesSegment(t *testing.T) {
	st := openTest(t, t.TempDir(), nil)
	defer st.Close()
	req := simpleReq(2, point.Dot)
	req.OptimizersConfig = &OptimizersConfigDiff{DefaultSegmentNumber: intp(1)}
	c := mustCreate(t, st, "c", req)
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 1}}, Payload: pl(t, `{"keep":"me"}`)},
		PointStruct{ID: point.NumID(2), Vector: Vectors{"": {2, 2}}})
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, c, PointStruct{ID: point.NumID(2), Vector: Vectors{"": {4, 4}}})
	s := c.shards[0]
	if err := s.sealNow(ctxb); err != nil { // two segments, target one
		t.Fatal(err)
	}
	if _, err := c.UpdateVectors(ctxb, []PointVectors{{ID: point.NumID(1), Vector: Vectors{"": {3, 3}}}}, true); err != nil {
		t.Fatal(err)
	}
	if err := s.optimizeAll(ctxb, false); err != nil { // merges: the first segment is unmapped, point 1 stays in the head
		t.Fatal(err)
	}
	if s.head.nlive != 1 || len(s.segs) != 1 {
		t.Fatalf("head %d points, %d segments", s.head.nlive, len(s.segs))
	}
	recs, _ := c.Get(ctxb, []point.ID{point.NumID(1)}, WithPayload{Enable: true}, WithVector{Enable: true})
	if got := jsonOf(recs); got != `[{"id":1,"payload":{"keep":"me"},"vector":[3.0,3.0]}]` {
		t.Fatalf("point 1 = %s", got)
	}
}
