package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-db/cairn/point"
)

// shardedFolder makes a closed storage under dir holding collection c (two
// shards, dim vectors) with points 0..n-1 whose vector's first element is
// v, and returns c's folder.
func shardedFolder(t *testing.T, dir string, dim, n int, v float32) string {
	t.Helper()
	st := openTest(t, dir, nil)
	req := simpleReq(dim, point.Dot)
	req.ShardNumber = intp(2)
	req.WalConfig = &WalConfigDiff{WalCapacityMB: intp(1)} // small files: the fixtures are copied often
	c := mustCreate(t, st, "c", req)
	for i := range n {
		vec := make([]float32, dim)
		vec[0] = v
		mustUpsert(t, c, PointStruct{ID: point.NumID(uint64(i)), Vector: Vectors{"": vec}})
		if i == n/2 {
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, collectionsDir, "c")
}

func shardOf(id uint64) int { return int(point.NumID(id).Hash() % 2) }

// shardOutcome reopens the storage in dir and says what shard 1 of "c"
// holds: "old" (points <10 of 1) or "new" (points <30 of 2), checking that
// shard 0 kept its points <10 of 1.
func shardOutcome(t *testing.T, dir string) string {
	t.Helper()
	st, err := Open(Options{Dir: dir, Logger: quietLogger(), DisableBackground: true})
	if err != nil {
		return "open: " + err.Error()
	}
	defer st.Close()
	if left, _ := filepath.Glob(filepath.Join(dir, restoreIntentPrefix+"*")); len(left) != 0 {
		return fmt.Sprintf("intent files left: %v", left)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, collectionsDir)); len(entries) != 1 {
		return fmt.Sprintf("%d folders in collections", len(entries))
	}
	c, err := st.Collection("c")
	if err != nil {
		return err.Error()
	}
	state := map[string]bool{}
	for i := range uint64(40) {
		recs, err := c.Get(ctxb, []point.ID{point.NumID(i)}, WithPayload{}, WithVector{Enable: true})
		if err != nil {
			return "get: " + err.Error()
		}
		var v float32
		if len(recs) == 1 {
			v = recs[0].Vector[""][0]
		}
		old := map[bool]float32{true: 1, false: 0}[i < 10]
		nw := map[bool]float32{true: 2, false: 0}[i < 30]
		switch {
		case shardOf(i) == 0 && v != old:
			return fmt.Sprintf("shard 0 changed: point %d holds %v", i, v)
		case shardOf(i) == 1 && v == old && v == nw:
		case shardOf(i) == 1 && v == old:
			state["old"] = true
		case shardOf(i) == 1 && v == nw:
			state["new"] = true
		case shardOf(i) == 1:
			return fmt.Sprintf("point %d holds %v", i, v)
		}
	}
	switch {
	case state["old"] && !state["new"]:
		return "old"
	case state["new"] && !state["old"]:
		return "new"
	}
	return fmt.Sprintf("half: %v", state)
}

// TestRestoreShard replaces shard 1 and checks that it holds the source's
// points, shard 0 kept its own, and the restored collection takes writes.
func TestRestoreShard(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	shardedFolder(t, dir, 4, 10, 1)
	src := shardedFolder(t, filepath.Join(base, "other"), 4, 30, 2)
	st := openTest(t, dir, nil)
	before, _ := st.Collection("c")
	if err := st.RestoreShard("c", 1, src, nil); err != nil {
		t.Fatal(err)
	}
	after, err := st.Collection("c")
	if err != nil || after == before {
		t.Fatalf("the restore did not swap the collection: %v", err)
	}
	want := 0
	for i := range uint64(30) {
		if shardOf(i) == 1 || i < 10 {
			want++
		}
	}
	if n := mustCount(t, after, nil); n != want {
		t.Fatalf("count %d, want %d", n, want)
	}
	mustUpsert(t, after, PointStruct{ID: point.NumID(100), Vector: Vectors{"": {5, 0, 0, 0}}})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(src, "shard-1")); !os.IsNotExist(err) {
		t.Fatalf("source shard folder still there: %v", err)
	}
	st = openTest(t, dir, nil)
	c, _ := st.Collection("c")
	if n := mustCount(t, c, nil); n != want+1 {
		t.Fatalf("after reopen: count %d, want %d", n, want+1)
	}
	_ = st.Close()
}

// TestRestoreShardRejects: a shard id out of range, a snapshot of another
// layout or one lacking the shard change nothing.
func TestRestoreShardRejects(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "live")
	shardedFolder(t, dir, 4, 10, 1)
	wideDims := shardedFolder(t, filepath.Join(base, "dim8"), 8, 5, 2)
	good := shardedFolder(t, filepath.Join(base, "good"), 4, 30, 2)
	oneShard := collectionFolder(t, filepath.Join(base, "one"), 5, 2)
	missing := shardedFolder(t, filepath.Join(base, "missing"), 4, 5, 2)
	if err := os.RemoveAll(filepath.Join(missing, "shard-1")); err != nil {
		t.Fatal(err)
	}
	corrupt := shardedFolder(t, filepath.Join(base, "corrupt"), 4, 30, 2)
	flipLastByte(t, vectorsFile(t, filepath.Join(corrupt, "shard-1")))
	st := openTest(t, dir, nil)
	cases := []struct {
		name, coll string
		id         uint32
		src        string
		want       error
	}{
		{"shard out of range", "c", 2, good, ErrNotFound},
		{"no collection", "nope", 0, good, ErrNotFound},
		{"other dims", "c", 1, wideDims, ErrBadRequest},
		{"other shard number", "c", 0, oneShard, ErrBadRequest},
		{"shard missing", "c", 1, missing, ErrBadRequest},
		{"corrupt segment", "c", 1, corrupt, nil},
	}
	for _, tc := range cases {
		err := st.RestoreShard(tc.coll, tc.id, tc.src, nil)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got := shardOutcome(t, dir); got != "old" {
		t.Fatalf("after refused restores: %s", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, collectionsDir, ".*")); len(left) != 0 {
		t.Fatalf("staged folders left: %v", left)
	}
}

// TestRestoreShardCrashPoints stops a shard restore before each of its file
// operations in turn: a restart finds the old or the new shard (the new one
// once the intent is durable) and shard 0 unchanged.
func TestRestoreShardCrashPoints(t *testing.T) {
	tmpl := t.TempDir()
	shardedFolder(t, filepath.Join(tmpl, "live"), 4, 10, 1)
	shardedFolder(t, filepath.Join(tmpl, "other"), 4, 30, 2)
	crashPoints(t, tmpl, restoreIntentPrefix+"*shard-1", func(st *Storage, base string) error {
		return st.RestoreShard("c", 1, filepath.Join(base, "other", collectionsDir, "c"), nil)
	}, shardOutcome)
}
