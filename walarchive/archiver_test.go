package walarchive

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
)

// TestRunShipsEachTick: a tick ships every durable record, without sleeps:
// the second send on the unbuffered tick channel returns only once the
// first round is done.
func TestRunShipsEachTick(t *testing.T) {
	clk := newClock()
	e := newEnv(t, objstore.NewMem(clk.Now), clk, t.TempDir())
	c := e.create("c", 2, 1)
	upsert(t, c, []uint64{1, 2, 3, 4, 5, 6}, `{"a":1}`)
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.arch.Run(ctx, tick); close(done) }()
	tick <- clk.Now()
	tick <- clk.Now() // received once the first round has ended
	cancel()
	<-done
	for id := range c.Shards() {
		_, durable, _, err := c.WALState(id)
		if err != nil {
			t.Fatal(err)
		}
		if durable == 0 {
			t.Fatalf("shard %d got no write", id)
		}
		if got := e.arch.ArchivedLSN("c", c.Incarnation(), id); got != durable {
			t.Fatalf("shard %d: archived %d, durable %d", id, got, durable)
		}
		want := ChunkKey("c", c.Timeline().ID, id, 1, durable)
		if ks := keys(t, e.store, shardPrefix("c", c.Timeline().ID, id)); join(ks) != want {
			t.Fatalf("shard %d: chunks %v, want %s", id, ks, want)
		}
	}
	for _, l := range e.arch.Lags() {
		if l.Records != 0 || l.Bytes != 0 || l.Seconds != 0 {
			t.Fatalf("lag after catching up: %+v", l)
		}
	}
}

// TestLagGrowsUntilShipped: records durable and not shipped show as lag,
// in records and seconds; a failed round leaves them counted.
func TestLagGrowsUntilShipped(t *testing.T) {
	clk := newClock()
	store := objstore.NewMem(clk.Now)
	e := newEnv(t, store, clk, t.TempDir())
	c := e.create("c", 1, 1)
	if err := e.arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	upsert(t, c, []uint64{1}, `{"a":1}`)
	upsert(t, c, []uint64{2}, `{"a":2}`)
	clk.Set(clk.Now().Add(3 * time.Second))
	store.Fail = func(op, key string) error {
		if op == "put" {
			return errors.New("target down")
		}
		return nil
	}
	if err := e.arch.ShipOnce(context.Background()); err == nil {
		t.Fatal("round with a failing target succeeded")
	}
	l := e.arch.Lags()[0]
	if l.Records != 2 || l.Seconds != 3 || l.Bytes <= 0 {
		t.Fatalf("lag with a failing target: %+v", l)
	}
	store.Fail = nil
	if err := e.arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l := e.arch.Lags()[0]; l.Records != 0 || l.Seconds != 0 || l.Bytes != 0 {
		t.Fatalf("lag after shipping: %+v", l)
	}
}

// bigUpsert writes n points of 128 floats per batch, to fill WAL segments.
func bigUpsert(t *testing.T, c *engine.Collection, start, n int) {
	t.Helper()
	pts := make([]engine.PointStruct, n)
	for i := range pts {
		v := make([]float32, 4)
		v[0] = float32(start + i + 1)
		pts[i] = engine.PointStruct{ID: pid(uint64(start + i + 1)), Vector: engine.Vectors{"": v},
			Payload: pl(t, `{"pad":"`+strings.Repeat("x", 400)+`"}`)}
	}
	if _, err := c.Upsert(context.Background(), pts, true); err != nil {
		t.Fatal(err)
	}
}

// TestSealTruncationGated: a seal does not remove WAL segments holding
// records not yet archived; once they are shipped, TrimWAL removes them.
func TestSealTruncationGated(t *testing.T) {
	clk := newClock()
	e := newEnv(t, objstore.NewMem(clk.Now), clk, t.TempDir())
	c := e.create("c", 1, 1)
	for i := range 8 {
		bigUpsert(t, c, i*1000, 1000)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	first, durable, _, err := c.WALState(0)
	if err != nil {
		t.Fatal(err)
	}
	if first != 1 {
		t.Fatalf("seal truncated the wal to lsn %d before anything was archived", first)
	}
	if err := e.arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, _, _, _ = c.WALState(0)
	if first == 1 {
		t.Fatal("archived and sealed wal segments were not trimmed")
	}
	if got := e.arch.ArchivedLSN("c", c.Incarnation(), 0); got != durable {
		t.Fatalf("archived %d, want %d", got, durable)
	}
}

// TestRestartResumes: a new archiver (a restart) finds where the archive
// ends from the listing and ships only what follows.
func TestRestartResumes(t *testing.T) {
	clk := newClock()
	store := objstore.NewMem(clk.Now)
	dir := t.TempDir()
	e := newEnv(t, store, clk, dir)
	c := e.create("c", 1, 1)
	upsert(t, c, []uint64{1}, `{"a":1}`)
	upsert(t, c, []uint64{2}, `{"a":2}`)
	if err := e.arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	upsert(t, c, []uint64{3}, `{"a":3}`)
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, store, clk, dir)
	if got := e2.arch.ArchivedLSN("c", mustColl(t, e2, "c").Incarnation(), 0); got != 0 {
		t.Fatalf("archived lsn known before the first round: %d", got)
	}
	if err := e2.arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	tl := mustColl(t, e2, "c").Timeline().ID
	want := ChunkKey("c", tl, 0, 1, 2) + " " + ChunkKey("c", tl, 0, 3, 3)
	if got := join(keys(t, store, shardPrefix("c", tl, 0))); got != want {
		t.Fatalf("chunks after restart: %s, want %s", got, want)
	}
}

// TestRecreatedCollectionNotTruncated: a collection deleted and created
// again under the same name is not taken for the archived one: its WAL is
// not truncated on the strength of the old archive, and it archives under
// its own timeline from lsn 1, the old timeline's chunks left as they are.
func TestRecreatedCollectionNotTruncated(t *testing.T) {
	clk := newClock()
	e := newEnv(t, objstore.NewMem(clk.Now), clk, t.TempDir())
	c := e.create("c", 1, 1)
	for i := range 8 {
		bigUpsert(t, c, i*1000, 1000)
	}
	if err := e.arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	old := join(keys(t, e.store, shardPrefix("c", c.Timeline().ID, 0)))
	if _, err := e.st.DeleteCollection("c"); err != nil {
		t.Fatal(err)
	}
	c2 := e.create("c", 1, 1)
	if c2.Timeline().ID == c.Timeline().ID || c2.Timeline().ID == 0 {
		t.Fatalf("recreated collection on timeline %s, the first was on %s", c2.Timeline(), c.Timeline())
	}
	for i := range 3 {
		bigUpsert(t, c2, i*1000, 1000)
	}
	if got := e.arch.ArchivedLSN("c", c2.Incarnation(), 0); got != 0 {
		t.Fatalf("the new collection counts as archived up to %d", got)
	}
	if err := c2.Flush(); err != nil {
		t.Fatal(err)
	}
	if first, _, _, _ := c2.WALState(0); first != 1 {
		t.Fatalf("the new collection's wal was truncated to %d on the old archive's word", first)
	}
	if err := e.arch.ShipOnce(context.Background()); err != nil {
		t.Fatalf("archiving the recreated collection: %v", err)
	}
	_, durable, _, _ := c2.WALState(0)
	if got := e.arch.ArchivedLSN("c", c2.Incarnation(), 0); got != durable {
		t.Fatalf("recreated collection archived to %d, durable %d", got, durable)
	}
	ks := keys(t, e.store, shardPrefix("c", c2.Timeline().ID, 0))
	if len(ks) == 0 || !strings.HasPrefix(ks[0], shardPrefix("c", c2.Timeline().ID, 0)+"00000000000000000001-") {
		t.Fatalf("new timeline's chunks %v, want them from lsn 1", ks)
	}
	if got := join(keys(t, e.store, shardPrefix("c", c.Timeline().ID, 0))); got != old {
		t.Fatalf("old timeline's chunks changed: %s, were %s", got, old)
	}
}
