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
// faults the 20 MB of vectors in. Every restore path does: local and remote
// (objstore.Mem), of a collection, a shard and a full snapshot.
func TestRecoverPrefetches(t *testing.T) {
	cases := []struct {
		name   string
		remote bool
		run    func(t *testing.T, e *env) (*env, string, error)
	}{
		{"local collection", false, func(t *testing.T, e *env) (*env, string, error) {
			d := must(e.m.CreateCollection(ctxb, "src"))
			return e, "restored", e.m.Recover(ctxb, "restored", filepath.Join(e.m.SnapshotsPath, "src", d.Name), "", "")
		}},
		{"local shard", false, func(t *testing.T, e *env) (*env, string, error) {
			d := must(e.m.CreateShard(ctxb, "src", 0))
			dir := must(ShardDir(e.m.SnapshotsPath, "src", 0))
			return e, "src", e.m.RecoverShard(ctxb, "src", 0, filepath.Join(dir, d.Name), "", "")
		}},
		{"local full", false, func(t *testing.T, e *env) (*env, string, error) {
			d := must(e.m.CreateFull(ctxb))
			e2 := newEnv(t, nil)
			return e2, "src", e2.m.RecoverFull(ctxb, filepath.Join(e.m.SnapshotsPath, d.Name), "", false)
		}},
		{"remote collection", true, func(t *testing.T, e *env) (*env, string, error) {
			d := must(e.m.CreateCollection(ctxb, "src"))
			key := must(manifestKey("src", d.Name))
			return e, "restored", e.m.RecoverRemote(ctxb, "restored", key, "", "")
		}},
		{"remote shard", true, func(t *testing.T, e *env) (*env, string, error) {
			d := must(e.m.CreateShard(ctxb, "src", 0))
			r := must(e.m.PrepareRecoverShard("src", 0, d.Name, "", PrioritySnapshot, ""))
			return e, "src", r.Run(ctxb)
		}},
		{"remote full", true, func(t *testing.T, e *env) (*env, string, error) {
			d := must(e.m.CreateFull(ctxb))
			e2 := newEnv(t, nil)
			e2.m.Remote = e.m.Remote
			return e2, "src", e2.m.RecoverFullRemote(ctxb, d.Name, false)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e *env
			if tc.remote {
				e, _, _ = remoteEnv(t, remoteStores["mem"])
			} else {
				e = newEnv(t, nil)
			}
			fillPrefetch(t, e)
			e2, name, err := tc.run(t, e)
			if err != nil {
				t.Fatal(err)
			}
			firstSearchFaults(t, e2, name)
		})
	}
}

// fillPrefetch creates the collection src of 40,000 flushed vectors (20
// MB), without graphs.
func fillPrefetch(t *testing.T, e *env) {
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
}

// firstSearchFaults fails the test when the first search on the restored
// collection name takes page faults on its vectors.
func firstSearchFaults(t *testing.T, e *env, name string) {
	got, err := e.st.Collection(name)
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
	// Under the race detector the search's own heap faults its shadow
	// memory in (once 1,833 faults); the count is only logged there.
	if faults > 8 && !raceEnabled {
		t.Fatalf("first search after the recover took %d page faults, want the vectors mapped already", faults)
	}
	t.Logf("first search: %d minor faults", faults)
}
