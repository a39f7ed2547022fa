package engine

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// closeRace opens a storage whose first armed hook (SealStart or
// MergeStart) blocks until the shard is closing, and returns it with three
// points sealed into three segments.
type closeRace struct {
	armed                   atomic.Bool
	entered, block, closing chan struct{}
	hooks                   *Hooks
}

func newCloseRace() *closeRace {
	r := &closeRace{entered: make(chan struct{}), block: make(chan struct{}), closing: make(chan struct{})}
	wait := func() {
		if r.armed.CompareAndSwap(true, false) {
			close(r.entered)
			<-r.block
		}
	}
	r.hooks = &Hooks{
		SealStart:    func(string, int) { wait() },
		MergeStart:   func(string, int, int) { wait() },
		ShardClosing: func(string, int) { close(r.closing) },
	}
	return r
}

func closeRacePoint(i uint64) PointStruct {
	return PointStruct{ID: point.NumID(i), Vector: Vectors{"": {float32(i), 1, 2, 3}},
		Payload: payload.Payload{"k": "v"}}
}

// runCloseRace runs work on another goroutine, closes the storage while work
// is blocked in its hook, lets it continue, and checks that it fails with
// ErrClosed and that every acknowledged point survives a reopen.
func runCloseRace(t *testing.T, unsealed bool, work func(c *Collection) error) {
	dir := t.TempDir()
	r := newCloseRace()
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true, Hooks: r.hooks})
	if err != nil {
		t.Fatal(err)
	}
	c := mustCreate(t, st, "c", simpleReq(4, point.Euclid))
	for i := uint64(1); i <= 3; i++ {
		mustUpsert(t, c, closeRacePoint(i))
		if i < 3 || !unsealed {
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.armed.Store(true)
	done := make(chan error, 1)
	go func() { done <- work(c) }()
	<-r.entered
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	<-r.closing
	close(r.block)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("work racing Close = %v, want ErrClosed", err)
	}
	st = openTest(t, dir, nil)
	defer st.Close()
	c, err = st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	ids := []point.ID{point.NumID(1), point.NumID(2), point.NumID(3)}
	recs, err := c.Get(ctxb, ids, WithPayload{}, WithVector{Enable: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("after reopen %d of 3 acknowledged points remain: %v", len(recs), jsonOf(recs))
	}
	for _, rec := range recs {
		if want := float32(rec.ID.Num()); rec.Vector[""][0] != want {
			t.Fatalf("point %v vector %v, want first component %v", rec.ID, rec.Vector[""], want)
		}
	}
}

// TestFlushRacingCloseKeepsPoints: a Flush whose seal is running when the
// storage closes must not commit a manifest listing only its new segment.
func TestFlushRacingCloseKeepsPoints(t *testing.T) {
	runCloseRace(t, true, func(c *Collection) error { return c.Flush() })
}

// TestIndexBuildRacingCloseKeepsPoints: a wait=true index creation whose
// rewrite is running when the storage closes must neither commit nor
// remove an input segment the durable manifest lists.
func TestIndexBuildRacingCloseKeepsPoints(t *testing.T) {
	runCloseRace(t, false, func(c *Collection) error {
		_, err := c.CreateFieldIndex(ctxb, "k", payload.FieldSchema{Type: payload.TypeKeyword}, true)
		return err
	})
}
