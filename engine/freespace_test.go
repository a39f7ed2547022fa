package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// TestCreateChecksFreeSpace: a create whose WAL preallocation (shards ×
// wal_capacity_mb) exceeds the free space is refused with ErrNoSpace naming
// both, before anything is written; one that fits is created.
func TestCreateChecksFreeSpace(t *testing.T) {
	dir := t.TempDir()
	free := func(string) (int64, error) { return 100 << 20, nil }
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true, FreeSpace: free})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := simpleReq(4, point.Cosine)
	req.ShardNumber = intp(4) // 4 × 32 MiB = 128 MiB > 100 MiB
	err = st.CreateCollection("big", req)
	if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "134217728 bytes") || !strings.Contains(err.Error(), "104857600 bytes free") {
		t.Fatalf("create needing 128 MiB with 100 MiB free: %v, want ErrNoSpace naming both", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, collectionsDir)); len(entries) != 0 {
		t.Fatalf("a refused create left %d entries", len(entries))
	}
	req.ShardNumber = intp(3)
	if err := st.CreateCollection("fits", req); err != nil {
		t.Fatalf("create needing 96 MiB with 100 MiB free: %v", err)
	}
}

// TestWalSegmentsAhead: wal_segments_ahead N keeps N spare WAL segments in
// every shard's WAL folder, and the free-space check of a create counts
// them: shards × (1 + N) × wal_capacity_mb.
func TestWalSegmentsAhead(t *testing.T) {
	dir := t.TempDir()
	free := func(string) (int64, error) { return 100 << 20, nil }
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true, FreeSpace: free})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := simpleReq(4, point.Cosine)
	req.WalConfig = &WalConfigDiff{WalCapacityMB: intp(16), WalSegmentsAhead: intp(6)} // 7 × 16 MiB = 112 MiB
	err = st.CreateCollection("big", req)
	if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "117440512 bytes") {
		t.Fatalf("create needing 112 MiB with 100 MiB free: %v, want ErrNoSpace", err)
	}
	req.ShardNumber = intp(2)
	req.WalConfig.WalSegmentsAhead = intp(2) // 2 × 3 × 16 MiB = 96 MiB
	c := mustCreate(t, st, "c", req)
	for _, s := range c.shards {
		spares, _ := filepath.Glob(filepath.Join(s.dir, "wal", "ahead-*.wal"))
		if len(spares) != 2 {
			t.Fatalf("shard %d keeps %d WAL segments ahead, want 2", s.id, len(spares))
		}
	}
}

// TestCreateSpaceCheckedUnderLock: the free space of a create is measured
// with the storage lock held, so that concurrent creates are checked one
// after the other, each against the space the previous one's WAL left
// (before, the check ran before the lock and two creates could pass it
// together on room for one). The second create here is refused because the
// first one's folder counts against the space.
func TestCreateSpaceCheckedUnderLock(t *testing.T) {
	dir := t.TempDir()
	var st *Storage
	unlocked := 0
	free := func(string) (int64, error) {
		if st.mu.TryLock() {
			st.mu.Unlock()
			unlocked++
		}
		entries, err := os.ReadDir(filepath.Join(dir, collectionsDir))
		n := 0
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") {
				n++
			}
		}
		return 100<<20 - int64(n)*64<<20, err // each collection's WAL takes 64 MiB
	}
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true, FreeSpace: free})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	req := simpleReq(4, point.Cosine)
	req.ShardNumber = intp(2) // 2 × 32 MiB
	if err := st.CreateCollection("first", req); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCollection("second", req); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("second create with room for one: %v, want ErrNoSpace", err)
	}
	if unlocked != 0 {
		t.Fatalf("free space measured %d times without the storage lock", unlocked)
	}
}
