package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/snapshot/snaptest"
)

// archiveSeeds returns a real collection snapshot of c (sealed segments,
// deletions, a WAL tail) and the same archive with each lie of
// snaptest.Lies told: valid checksums, lying contents.
func archiveSeeds(f *testing.F, e *env) [][]byte {
	f.Helper()
	d, err := e.m.CreateCollection(ctxb, "c")
	if err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(e.m.SnapshotsPath, "c", d.Name))
	if err != nil {
		f.Fatal(err)
	}
	seeds := [][]byte{good}
	for _, lie := range snaptest.Lies(dim) {
		b, err := snaptest.Apply(good, lie)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// clientFaults are the errors a bad archive may give: all answer 4xx.
var clientFaults = []error{ErrCorrupt, ErrManifest, ErrUnsafeEntry, ErrFormatVersion, ErrWrongKind,
	ErrTooLarge, ErrIncomplete, engine.ErrBadRequest}

// FuzzRecover recovers arbitrary archives over a live collection, seeded
// with a real snapshot and its lying variants (archiveSeeds). A refused
// archive must give one of clientFaults and leave the collection as it
// was; an accepted one must give a collection whose scroll holds each id
// once and whose count and gets agree, and is then replaced by the real
// snapshot again.
func FuzzRecover(f *testing.F) {
	e := newEnv(f, nil)
	c := e.create(f, "c", dim, 1)
	fill(f, c, 51, dim)
	seeds := archiveSeeds(f, e)
	for _, s := range seeds {
		f.Add(s)
	}
	goodPath := filepath.Join(e.dir, "good.snapshot")
	if err := os.WriteFile(goodPath, seeds[0], 0o644); err != nil {
		f.Fatal(err)
	}
	if err := e.m.Recover(ctxb, "c", goodPath, "", PrioritySnapshot); err != nil {
		f.Fatal(err)
	}
	live, err := e.st.Collection("c")
	if err != nil {
		f.Fatal(err)
	}
	want := dump(f, live)
	path := filepath.Join(e.dir, "fuzz.snapshot")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		err := e.m.Recover(ctxb, "c", path, "", PrioritySnapshot)
		c, cerr := e.st.Collection("c")
		if cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			if !isClientFault(err) {
				t.Fatalf("refused with a server-side error: %v", err)
			}
			if got := dump(t, c); got != want {
				t.Fatal("a refused archive changed the collection")
			}
			return
		}
		consistent(t, c)
		if err := e.m.Recover(ctxb, "c", goodPath, "", PrioritySnapshot); err != nil {
			t.Fatal(err)
		}
	})
}

func isClientFault(err error) bool {
	for _, k := range clientFaults {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// consistent checks that c's scroll holds each id once, its count agrees
// and every scrolled id can be fetched.
func consistent(t *testing.T, c *engine.Collection) {
	t.Helper()
	res, err := c.Scroll(ctxb, engine.ScrollRequest{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Count(ctxb, engine.CountRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(res.Points) {
		t.Fatalf("count %d, scroll %d", n, len(res.Points))
	}
	ids := make([]point.ID, len(res.Points))
	seen := map[point.ID]bool{}
	for i, r := range res.Points {
		if seen[r.ID] {
			t.Fatalf("point %s scrolled twice", r.ID)
		}
		seen[r.ID], ids[i] = true, r.ID
	}
	got, err := c.Get(ctxb, ids, engine.WithPayload{}, engine.WithVector{})
	if err != nil || len(got) != n {
		t.Fatalf("get of %d points: %d, %v", n, len(got), err)
	}
}
