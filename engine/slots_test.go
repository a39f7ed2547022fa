package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestSearchThreadsAuto: max_search_threads 0 is Qdrant's automatic choice.
func TestSearchThreadsAuto(t *testing.T) {
	if got := SearchThreads(3); got != 3 {
		t.Fatalf("SearchThreads(3) = %d", got)
	}
	if got := SearchThreads(0); got < 1 {
		t.Fatalf("SearchThreads(0) = %d, want at least 1", got)
	}
}

// slotStorage opens a storage with one search and one optimization slot and
// a collection holding a point; waits receives the kind of each wait.
func slotStorage(t *testing.T) (*Storage, *Collection, chan string) {
	t.Helper()
	waits := make(chan string, 4)
	st, err := Open(Options{Dir: t.TempDir(), Logger: quietLogger(), DisableBackground: true,
		MaxSearchThreads: 1, MaxOptimizationThreads: 1,
		Hooks: &Hooks{SlotWait: func(kind string) { waits <- kind }}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	c := mustCreate(t, st, "c", simpleReq(2, point.Dot))
	mustUpsert(t, c, PointStruct{ID: point.NumID(1), Vector: Vectors{"": {1, 0}}})
	return st, c, waits
}

// waitsFirst runs op while the slot is held: op must wait for the slot
// (reported by the hook) before it completes, and complete once released.
func waitsFirst(t *testing.T, kind string, waits chan string, release func(), op func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case k := <-waits:
		if k != kind {
			t.Fatalf("waited for a %q slot, want %q", k, kind)
		}
	case err := <-done:
		t.Fatalf("%s ran while the only %s slot was held (err %v)", kind, kind, err)
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("%s after the slot was released: %v", kind, err)
	}
}

// TestMaxSearchThreads: with max_search_threads 1, a search waits while
// another holds the slot, and a waiting search gives up when its context
// ends.
func TestMaxSearchThreads(t *testing.T) {
	_, c, waits := slotStorage(t)
	release, err := c.core.limits.searchSlot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req := SearchRequest{Vector: NamedVector{Vector: []float32{1, 0}}, Limit: 1}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Search(ctx, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("search with a cancelled context while the slot is held: %v", err)
	}
	select { // the hook runs before the search blocks, so it has run by now
	case <-waits:
	default:
		t.Fatal("a search with the only slot held did not wait for it")
	}
	waitsFirst(t, "search", waits, release, func() error {
		_, err := c.Search(context.Background(), req)
		return err
	})
}

// TestMaxOptimizationThreads: with max_optimization_threads 1, an
// optimization job waits while another holds the slot.
func TestMaxOptimizationThreads(t *testing.T) {
	_, c, waits := slotStorage(t)
	release, err := c.core.limits.optimizeSlot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitsFirst(t, "optimize", waits, release, c.Flush)
}
