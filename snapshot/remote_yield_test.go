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

// slicedHash is a SHA-256 that records the longest Write it was given and
// whether a goroutine it started at its first Write had run by its second.
type slicedHash struct {
	hash.Hash
	ran      atomic.Bool
	writes   int
	longest  int
	ranByTwo bool
}

func (s *slicedHash) Write(b []byte) (int, error) {
	switch s.writes {
	case 0:
		go s.ran.Store(true)
	case 1:
		s.ranByTwo = s.ran.Load()
	}
	s.writes++
	s.longest = max(s.longest, len(b))
	return s.Hash.Write(b)
}

// TestRemoteHashYieldsProcessor: a remote create hashes every chunk it
// reads in slices of hashSlice bytes and yields its P after each
// (hashYielding), so a goroutine made runnable while a chunk is hashed (a
// wait=true write's WAL sync) runs before the chunk's hash is done, even
// when the hashing goroutine holds the only P.
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
	t.Cleanup(func() { chunkBytes, newChunkHash = old, sha256.New })
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
			t.Fatalf("a goroutine made runnable during the hash of a chunk had not run by its second slice (of %d)", h.writes)
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
