package snapshot

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
	"golang.org/x/sys/unix"
)

// minorFaults is the process's count of page faults served without I/O
// (a mapped page found in the page cache).
func minorFaults(t *testing.T) int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}

// TestRecoverPrefetches: a recover maps the restored collection's vectors
// before it returns, so the first search on it (an exact scan of every
// vector here) takes no page faults on them. Without the prefetch the scan
// faults the 20 MB of vectors in.
func TestRecoverPrefetches(t *testing.T) {
	e := newEnv(t, nil)
	zero := 0
	req := engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: benchDim, Distance: point.Cosine}}, HnswConfig: &engine.HnswConfigDiff{M: &zero}}
	if err := e.st.CreateCollection("src", req); err != nil {
		t.Fatal(err)
	}
	c, _ := e.st.Collection("src")
	r := seeded(3)
	const n = 40000
	for i := 0; i < n; i += 5000 {
		if _, err := c.Upsert(ctxb, points(r, i, 5000, benchDim), false); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	d, err := e.m.CreateCollection(ctxb, "src")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.m.Recover(ctxb, "restored", filepath.Join(e.m.SnapshotsPath, "src", d.Name), "", ""); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.Collection("restored")
	if err != nil {
		t.Fatal(err)
	}
	q := randVec(seeded(4), benchDim)
	search := func() {
		res, err := got.Search(ctxb, engine.SearchRequest{Vector: engine.NamedVector{Vector: q}, Limit: 10, Params: &engine.SearchParams{Exact: true}})
		if err != nil || len(res) != 10 {
			t.Fatal(fmt.Sprint(len(res), err))
		}
	}
	before := minorFaults(t)
	search()
	faults := minorFaults(t) - before
	// 20 MB is 4,883 pages: faulted in, even with the page cache's large
	// folios mapped a folio a fault, that was 24 faults here; mapped, 0-4
	// (the heap's own).
	if faults > 8 {
		t.Fatalf("first search after the recover took %d page faults, want the vectors mapped already", faults)
	}
	t.Logf("first search: %d minor faults", faults)
}
