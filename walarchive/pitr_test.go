package walarchive

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/point"
)

// history writes three batches at 10:00:10, 10:00:20 and 10:00:30 (a put,
// an overwrite and a delete), shipping after each, and returns the env.
func history(t *testing.T, shards int) *env {
	t.Helper()
	clk := newClock()
	e := newEnv(t, objstore.NewMem(clk.Now), clk, t.TempDir())
	c := e.create("src", shards, 1)
	base := clk.Now()
	clk.Set(base.Add(10 * time.Second))
	upsert(t, c, []uint64{1, 2, 3}, `{"v":"a"}`)
	ship(t, e)
	clk.Set(base.Add(20 * time.Second))
	upsert(t, c, []uint64{2, 4}, `{"v":"b"}`)
	ship(t, e)
	clk.Set(base.Add(30 * time.Second))
	if _, err := c.Delete(context.Background(), engine.PointsSelector{Points: []point.ID{point.NumID(1), point.NumID(4)}}, true); err != nil {
		t.Fatal(err)
	}
	ship(t, e)
	return e
}

func ship(t *testing.T, e *env) {
	t.Helper()
	if err := e.arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestReplayToThreeMoments: replaying the archive onto an empty copy (a
// snapshot at lsn 0) to a moment gives exactly the writes up to it.
func TestReplayToThreeMoments(t *testing.T) {
	e := history(t, 2)
	base := newClock().Now()
	cases := []struct {
		at   time.Duration
		want string
	}{
		{5 * time.Second, ""},
		{15 * time.Second, `1={"v":"a"} 2={"v":"a"} 3={"v":"a"}`},
		{25 * time.Second, `1={"v":"a"} 2={"v":"b"} 3={"v":"a"} 4={"v":"b"}`},
		{35 * time.Second, `2={"v":"b"} 3={"v":"a"}`},
		{30 * time.Second, `2={"v":"b"} 3={"v":"a"}`}, // a moment equal to a write includes it
	}
	for i, tc := range cases {
		name := "dst" + string(rune('0'+i))
		dst := e.create(name, 2, 1)
		res, err := Replay(context.Background(), e.store, dst, "src", tlOf(t, e, "src"), base.Add(tc.at))
		if err != nil {
			t.Fatalf("replay to +%v: %v", tc.at, err)
		}
		if got := join(contents(t, dst)); got != tc.want {
			t.Fatalf("replay to +%v: %s, want %s", tc.at, got, tc.want)
		}
		if tc.at >= 10*time.Second && res.LastTime.After(base.Add(tc.at)) {
			t.Fatalf("replay to +%v applied a record of %v", tc.at, res.LastTime)
		}
	}
}

// TestReplayOntoSnapshotLSN: records a restored collection already holds
// (up to its lsn) are not applied twice.
func TestReplayOntoSnapshotLSN(t *testing.T) {
	e := history(t, 2)
	dst := e.create("dst", 2, 1)
	base := newClock().Now()
	if _, err := Replay(context.Background(), e.store, dst, "src", tlOf(t, e, "src"), base.Add(15*time.Second)); err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), e.store, dst, "src", tlOf(t, e, "src"), base.Add(25*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied == 0 || res.Applied > 2 { // the second batch: one record on each shard it touches
		t.Fatalf("applied %d records, want 1 or 2", res.Applied)
	}
	if got, want := join(contents(t, dst)), `1={"v":"a"} 2={"v":"b"} 3={"v":"a"} 4={"v":"b"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestReplayGapRefused: a missing chunk between the snapshot and the
// moment is refused naming the missing range, and nothing is applied.
func TestReplayGapRefused(t *testing.T) {
	e := history(t, 1)
	ks := keys(t, e.store, shardPrefix("src", tlOf(t, e, "src"), 0))
	if len(ks) < 3 {
		t.Fatalf("want 3 chunks on shard 0, got %v", ks)
	}
	first, last, _ := parseChunkKey(shardPrefix("src", tlOf(t, e, "src"), 0), ks[1])
	if err := e.store.Delete(context.Background(), ks[1]); err != nil {
		t.Fatal(err)
	}
	dst := e.create("dst", 1, 1)
	_, err := Replay(context.Background(), e.store, dst, "src", tlOf(t, e, "src"), newClock().Now().Add(time.Hour))
	if !errors.Is(err, ErrGap) {
		t.Fatalf("replay across a gap: %v, want ErrGap", err)
	}
	want := "missing lsn " + itoa(first) + ".." + itoa(last)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the range (%s)", err, want)
	}
	if got := contents(t, dst); len(got) != 0 {
		t.Fatalf("a refused replay applied %v", got)
	}
}

// TestReplayCorruptChunkRefused: a chunk with a flipped byte is refused
// before anything is applied.
func TestReplayCorruptChunkRefused(t *testing.T) {
	e := history(t, 1)
	key := keys(t, e.store, shardPrefix("src", tlOf(t, e, "src"), 0))[2]
	r, err := e.store.Get(context.Background(), key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	_ = r.Close()
	b[len(b)-3] ^= 0x40
	if err := e.store.Put(context.Background(), key, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	dst := e.create("dst", 1, 1)
	_, err = Replay(context.Background(), e.store, dst, "src", tlOf(t, e, "src"), newClock().Now().Add(time.Hour))
	if !errors.Is(err, ErrCorruptChunk) {
		t.Fatalf("replay of a corrupt chunk: %v, want ErrCorruptChunk", err)
	}
	if got := contents(t, dst); len(got) != 0 {
		t.Fatalf("a refused replay applied %v", got)
	}
}

func itoa(n uint64) string {
	return strings.TrimLeft(ChunkKey("", 0, 0, n, n)[len("wal//0/"):20+len("wal//0/")], "0")
}

// TestReplayUsesRecordTimes: the moment is compared with each record's
// own time (taken when it was appended), not with when it was shipped.
func TestReplayUsesRecordTimes(t *testing.T) {
	clk := newClock()
	e := newEnv(t, objstore.NewMem(clk.Now), clk, t.TempDir())
	c := e.create("src", 1, 1)
	base := clk.Now()
	clk.Set(base.Add(10 * time.Second))
	upsert(t, c, []uint64{1}, `{"v":"a"}`)
	clk.Set(base.Add(20 * time.Second))
	upsert(t, c, []uint64{2}, `{"v":"b"}`)
	clk.Set(base.Add(40 * time.Second))
	ship(t, e) // both in one chunk, shipped at +40s
	dst := e.create("dst", 1, 1)
	if _, err := Replay(context.Background(), e.store, dst, "src", tlOf(t, e, "src"), base.Add(15*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, want := join(contents(t, dst)), `1={"v":"a"}`; got != want {
		t.Fatalf("replay to +15s: %s, want %s", got, want)
	}
}

// TestReplayCutsShardsAtWatermark: when a round shipped one shard and
// failed on another, a restore does not hold the shipped shard's later
// writes: every shard is cut at the last moment all were archived.
func TestReplayCutsShardsAtWatermark(t *testing.T) {
	clk := newClock()
	e := newEnv(t, objstore.NewMem(clk.Now), clk, t.TempDir())
	c := e.create("src", 2, 1)
	base := clk.Now()
	clk.Set(base.Add(10 * time.Second))
	ids := []uint64{1, 2, 3, 4, 5, 6}
	upsert(t, c, ids, `{"v":"a"}`)
	ship(t, e)
	clk.Set(base.Add(20 * time.Second))
	upsert(t, c, ids, `{"v":"b"}`)
	down := shardPrefix("src", c.Timeline().ID, 1)
	e.store.Fail = func(op, key string) error {
		if op == "put" && strings.HasPrefix(key, down) {
			return errors.New("target down")
		}
		return nil
	}
	if err := e.arch.ShipOnce(context.Background()); err == nil {
		t.Fatal("round with a failing shard succeeded")
	}
	e.store.Fail = nil
	if n := len(keys(t, e.store, shardPrefix("src", tlOf(t, e, "src"), 0))); n != 2 {
		t.Fatalf("shard 0 has %d chunks, want 2 (its round succeeded)", n)
	}
	dst := e.create("dst", 2, 1)
	if _, err := Replay(context.Background(), e.store, dst, "src", tlOf(t, e, "src"), base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := `1={"v":"a"} 2={"v":"a"} 3={"v":"a"} 4={"v":"a"} 5={"v":"a"} 6={"v":"a"}`
	if got := join(contents(t, dst)); got != want {
		t.Fatalf("replay after a half-shipped round: %s, want %s", got, want)
	}
}

// TestApplyArchivedRefusesOutOfSequence: a record whose LSN does not
// follow the shard's last one is refused and changes nothing.
func TestApplyArchivedRefusesOutOfSequence(t *testing.T) {
	clk := newClock()
	e := newEnv(t, objstore.NewMem(clk.Now), clk, t.TempDir())
	src := e.create("src", 1, 1)
	upsert(t, src, []uint64{1}, `{"v":"a"}`)
	upsert(t, src, []uint64{2}, `{"v":"b"}`)
	var recs [][]byte
	if _, err := src.ReadWAL(0, 1, func(lsn uint64, data []byte) error { recs = append(recs, data); return nil }); err != nil {
		t.Fatal(err)
	}
	dst := e.create("dst", 1, 1)
	if err := dst.ApplyArchived(context.Background(), 0, 2, recs[1]); !errors.Is(err, engine.ErrLSNMismatch) {
		t.Fatalf("lsn 2 onto an empty shard: %v", err)
	}
	if got := contents(t, dst); len(got) != 0 {
		t.Fatalf("a refused record was applied: %v", got)
	}
	if err := dst.ApplyArchived(context.Background(), 0, 1, recs[0]); err != nil {
		t.Fatal(err)
	}
	if err := dst.ApplyArchived(context.Background(), 0, 1, recs[0]); !errors.Is(err, engine.ErrLSNMismatch) {
		t.Fatalf("lsn 1 twice: %v", err)
	}
}
