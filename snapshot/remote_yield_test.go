package snapshot

import (
	"context"
	"crypto/sha256"
	"hash"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// yields counts hashYielding's yields while TestRemoteHashYieldsProcessor
// runs.
var yields atomic.Int64

// slicedHash is a SHA-256 that records the longest Write it was given and
// whether the processor was yielded between its first and second Write.
// (Counting the yield, not watching another goroutine run, keeps the test
// independent of the scheduler's choices: it failed now and then when it
// watched a goroutine.)
type slicedHash struct {
	hash.Hash
	first    int64
	writes   int
	longest  int
	ranByTwo bool
}

func (s *slicedHash) Write(b []byte) (int, error) {
	switch s.writes {
	case 0:
		s.first = yields.Load()
	case 1:
		s.ranByTwo = yields.Load() > s.first
	}
	s.writes++
	s.longest = max(s.longest, len(b))
	return s.Hash.Write(b)
}

// TestRemoteHashYieldsProcessor: a remote create hashes every chunk it
// reads in slices of hashSlice bytes and yields its P after each
// (hashYielding), so a goroutine made runnable while a chunk is hashed (a
// wait=true write's WAL sync) need not wait for the chunk's whole hash.
func TestRemoteHashYieldsProcessor(t *testing.T) {
	old := chunkBytes
	chunkBytes = 4 * hashSlice
	var (
		mu     sync.Mutex
		hashes []*slicedHash
	)
	newChunkHash = func() hash.Hash {
		h := &slicedHash{Hash: sha256.New()}
		mu.Lock()
		defer mu.Unlock()
		hashes = append(hashes, h)
		return h
	}
	yieldProc = func() { yields.Add(1); runtime.Gosched() }
	t.Cleanup(func() { chunkBytes, newChunkHash, yieldProc = old, sha256.New, runtime.Gosched })
	e, _, _ := remoteEnv(t, remoteStores["mem"])
	const dim = 256
	c := e.create(t, "c", dim, 1)
	for i := 0; i < 4; i++ {
		upsert(t, c, points(seeded(uint64(i)), i*1000, 1000, dim))
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if _, err := e.m.CreateCollection(ctxb, "c"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	long := 0
	for _, h := range hashes {
		if h.longest > hashSlice {
			t.Fatalf("a chunk was hashed %d bytes at a time, want at most %d", h.longest, hashSlice)
		}
		if h.writes < 2 {
			continue
		}
		long++
		if !h.ranByTwo {
			t.Fatalf("the processor was not yielded between the first two slices of a chunk's hash (of %d)", h.writes)
		}
	}
	if long == 0 {
		t.Fatalf("%d chunks hashed, none of more than one slice", len(hashes))
	}
	t.Logf("%d chunks hashed, %d of several slices", len(hashes), long)
}

// TestRemoteCPUSlots: the reads, hashes and compressions of remote creates
// hold one of GOMAXPROCS-1 slots (at least one), so one P stays free for
// the writers however many uploads run; a wait for a slot ends with ctx.
func TestRemoteCPUSlots(t *testing.T) {
	want := max(1, runtime.GOMAXPROCS(0)-1)
	if n := cap(cpuSlots); n != want {
		t.Fatalf("%d cpu slots, want %d", n, want)
	}
	var busy, most atomic.Int32
	var wg sync.WaitGroup
	for range 4 * remoteWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = withCPU(ctxb, func() error {
				n := busy.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				runtime.Gosched()
				busy.Add(-1)
				return nil
			})
		}()
	}
	wg.Wait()
	if m := int(most.Load()); m > want {
		t.Fatalf("%d chunks hashed at once, want at most %d", m, want)
	}
	ctx, cancel := context.WithCancel(ctxb)
	cancel()
	for range want {
		cpuSlots <- struct{}{}
	}
	defer func() {
		for range want {
			<-cpuSlots
		}
	}()
	ran := false
	if err := withCPU(ctx, func() error { ran = true; return nil }); err == nil || ran {
		t.Fatalf("a wait for a slot outlived its context: %v, ran %v", err, ran)
	}
}
