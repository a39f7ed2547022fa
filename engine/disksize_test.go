package engine

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// duBytes is what du says of dir: allocated bytes, or apparent ones.
func duBytes(t *testing.T, dir string, apparent bool) int64 {
	t.Helper()
	args := []string{"-s", "-B1"}
	if apparent {
		args = append(args, "--apparent-size")
	}
	out, err := exec.Command("du", append(args, dir)...).Output()
	if err != nil {
		t.Skipf("du: %v", err)
	}
	n, err := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	if err != nil {
		t.Fatalf("parse du output %q: %v", out, err)
	}
	return n
}

// diskTestCollection makes a two-shard collection with sealed segments,
// a payload index and points left in the WAL.
func diskTestCollection(t *testing.T) (*Storage, *Collection, string) {
	t.Helper()
	dir := t.TempDir()
	st := openTest(t, dir, nil)
	t.Cleanup(func() { st.Close() })
	req := simpleReq(8, point.Cosine)
	req.ShardNumber = intp(2)
	c := mustCreate(t, st, "sized", req)
	r := rand.New(rand.NewPCG(7, 7))
	for batch := range 3 {
		pts := make([]PointStruct, 100)
		for i := range pts {
			id := uint64(batch*100 + i)
			pts[i] = PointStruct{ID: point.NumID(id), Vector: Vectors{"": randVec(r, 8)},
				Payload: pl(t, `{"n":`+strconv.FormatUint(id, 10)+`}`)}
		}
		mustUpsert(t, c, pts...)
		if batch < 2 {
			if err := c.Flush(); err != nil {
				t.Fatalf("Flush: %v", err)
			}
		}
	}
	return st, c, filepath.Join(dir, collectionsDir, "sized")
}

func checkAgainstDu(t *testing.T, u DiskUsage, dir string) {
	t.Helper()
	if want := duBytes(t, dir, true); u.Total.Apparent != want {
		t.Errorf("apparent total %d, du --apparent-size says %d (%+v)", u.Total.Apparent, want, u)
	}
	if want := duBytes(t, dir, false); u.Total.Allocated != want {
		t.Errorf("allocated total %d, du says %d (%+v)", u.Total.Allocated, want, u)
	}
}

// TestDiskUsageMatchesDu: the kinds sum to what du says of the collection
// folder, apparent and allocated, every kind is there, and the cached
// second answer still matches after a delete changed a segment's deletion
// state.
func TestDiskUsageMatchesDu(t *testing.T) {
	_, c, dir := diskTestCollection(t)
	u, err := c.DiskUsage()
	if err != nil {
		t.Fatalf("DiskUsage: %v", err)
	}
	checkAgainstDu(t, u, dir)
	if u.Segments == 0 || u.Vectors.Apparent < 200*8*4 || u.Payload.Apparent == 0 || u.Other.Apparent == 0 ||
		u.WAL.Apparent == 0 || u.WAL.Allocated == 0 || u.Meta.Apparent == 0 {
		t.Fatalf("a kind is missing: %+v", u)
	}
	sum := u.Vectors.Apparent + u.Graphs.Apparent + u.Payload.Apparent + u.Other.Apparent + u.WAL.Apparent + u.Meta.Apparent
	if sum != u.Total.Apparent {
		t.Fatalf("kinds sum to %d, total %d", sum, u.Total.Apparent)
	}
	if len(c.core.disk.segs) != u.Segments {
		t.Fatalf("%d segments cached, %d measured", len(c.core.disk.segs), u.Segments)
	}
	again, err := c.DiskUsage()
	if err != nil || again != u {
		t.Fatalf("second DiskUsage %+v, %v; want %+v", again, err, u)
	}
	if _, err := c.Delete(ctxb, PointsSelector{Points: []point.ID{point.NumID(1), point.NumID(2), point.NumID(150)}}, true); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := c.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	u, err = c.DiskUsage()
	if err != nil {
		t.Fatalf("DiskUsage after delete: %v", err)
	}
	checkAgainstDu(t, u, dir)
	// A file attached to a cached segment (as segment.Attach does) is seen.
	for seg := range c.core.disk.segs {
		if err := os.WriteFile(filepath.Join(seg, "index-late.pidx"), make([]byte, 5000), 0o644); err != nil {
			t.Fatal(err)
		}
		break
	}
	attached, err := c.DiskUsage()
	if err != nil {
		t.Fatalf("DiskUsage after attach: %v", err)
	}
	checkAgainstDu(t, attached, dir)
	if attached.Payload.Apparent != u.Payload.Apparent+5000 {
		t.Fatalf("payload %d after attaching 5000 bytes, was %d", attached.Payload.Apparent, u.Payload.Apparent)
	}
}

// TestDiskUsageSkipsRemovedSegment: a segment folder removed while the walk
// is under way (a merge replaced it) is skipped, not an error, and nothing
// of it is counted.
func TestDiskUsageSkipsRemovedSegment(t *testing.T) {
	_, c, dir := diskTestCollection(t)
	full, err := c.DiskUsage()
	if err != nil {
		t.Fatalf("DiskUsage: %v", err)
	}
	c.core.disk.keep(nil) // measure again, not from the cache
	removed := ""
	u, err := c.diskUsage(func(seg string) {
		if removed == "" {
			removed = seg
			if err := os.RemoveAll(seg); err != nil {
				t.Fatalf("remove %s: %v", seg, err)
			}
		}
	})
	if err != nil {
		t.Fatalf("DiskUsage with a segment removed mid-walk: %v", err)
	}
	if removed == "" || u.Segments != full.Segments-1 {
		t.Fatalf("measured %d segments, want %d (removed %q)", u.Segments, full.Segments-1, removed)
	}
	if _, ok := c.core.disk.segs[removed]; ok {
		t.Fatalf("removed segment %s still cached", removed)
	}
	checkAgainstDu(t, u, dir)
}

// TestDiskUsageDeletedCollection: a collection deleted while a caller still
// holds it answers ErrNotFound, not an I/O error.
func TestDiskUsageDeletedCollection(t *testing.T) {
	st, c, _ := diskTestCollection(t)
	if _, err := st.DeleteCollection("sized"); err != nil {
		t.Fatalf("DeleteCollection: %v", err)
	}
	if _, err := c.DiskUsage(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DiskUsage of a deleted collection: %v, want ErrNotFound", err)
	}
}

// TestDiskUsageDuringFlushes: DiskUsage polled while seals and merges add
// and remove segment folders never fails (run with -race).
func TestDiskUsageDuringFlushes(t *testing.T) {
	_, c, _ := diskTestCollection(t)
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := c.DiskUsage(); err != nil {
				errs <- err
				return
			}
		}
	}()
	r := rand.New(rand.NewPCG(9, 9))
	for batch := range 6 {
		pts := make([]PointStruct, 50)
		for i := range pts {
			pts[i] = PointStruct{ID: point.NumID(uint64(1000 + batch*50 + i)), Vector: Vectors{"": randVec(r, 8)}}
		}
		mustUpsert(t, c, pts...)
		if err := c.Flush(); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
	close(done)
	if err := <-errs; err != nil {
		t.Fatalf("DiskUsage during flushes: %v", err)
	}
}
