package walarchive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/snapshot"
)

// snapHistory writes A at +10s, snapshots at +12s, writes B at +20s,
// snapshots at +22s, deletes at +30s, shipping after each write. The
// snapshots' completion times are set to the fake clock's.
func snapHistory(t *testing.T) (*env, RestoreOptions) {
	t.Helper()
	clk := newClock()
	dir := t.TempDir()
	e := newEnv(t, objstore.NewMem(clk.Now), clk, filepath.Join(dir, "storage"))
	m := &snapshot.Manager{Storage: e.st, StoragePath: filepath.Join(dir, "storage"), SnapshotsPath: filepath.Join(dir, "snapshots"),
		TempPath: filepath.Join(dir, "tmp"), Logger: quiet()}
	c := e.create("src", 2, 1)
	base := clk.Now()
	snap := func(at time.Duration) {
		d, err := m.CreateCollection(context.Background(), "src")
		if err != nil {
			t.Fatal(err)
		}
		sd, _ := snapshot.CollectionDir(m.SnapshotsPath, "src")
		if err := os.Chtimes(filepath.Join(sd, d.Name), base.Add(at), base.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	clk.Set(base.Add(10 * time.Second))
	upsert(t, c, []uint64{1, 2, 3}, `{"v":"a"}`)
	ship(t, e)
	snap(12 * time.Second)
	clk.Set(base.Add(20 * time.Second))
	upsert(t, c, []uint64{2, 4}, `{"v":"b"}`)
	ship(t, e)
	snap(22 * time.Second)
	clk.Set(base.Add(30 * time.Second))
	if _, err := c.Delete(context.Background(), engine.PointsSelector{Points: []point.ID{point.NumID(1), point.NumID(4)}}, true); err != nil {
		t.Fatal(err)
	}
	ship(t, e)
	return e, RestoreOptions{Storage: e.st, Archive: e.store, SnapshotsPath: m.SnapshotsPath, TempPath: m.TempPath,
		Source: "src", Logger: quiet()}
}

// TestRestoreToMoment: the newest snapshot before each moment, plus the
// archive up to it, gives exactly the writes up to the moment.
func TestRestoreToMoment(t *testing.T) {
	e, o := snapHistory(t)
	base := newClock().Now()
	for i, tc := range []struct {
		at   time.Duration
		want string
	}{
		{15 * time.Second, `1={"v":"a"} 2={"v":"a"} 3={"v":"a"}`},
		{25 * time.Second, `1={"v":"a"} 2={"v":"b"} 3={"v":"a"} 4={"v":"b"}`},
		{35 * time.Second, `2={"v":"b"} 3={"v":"a"}`},
	} {
		o.As, o.To = "r"+string(rune('0'+i)), base.Add(tc.at)
		if _, err := RestoreToMoment(context.Background(), o); err != nil {
			t.Fatalf("restore to +%v: %v", tc.at, err)
		}
		c, err := e.st.Collection(o.As)
		if err != nil {
			t.Fatal(err)
		}
		if got := join(contents(t, c)); got != tc.want {
			t.Fatalf("restore to +%v: %s, want %s", tc.at, got, tc.want)
		}
	}
	o.As, o.To = "early", base.Add(5*time.Second)
	if _, err := RestoreToMoment(context.Background(), o); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("restore before every snapshot: %v, want ErrNoSnapshot", err)
	}
}

// TestRestoreToMomentGapLeavesStorage: a gap after the snapshot is refused
// naming the range, and the live collection is not replaced.
func TestRestoreToMomentGapLeavesStorage(t *testing.T) {
	e, o := snapHistory(t)
	for id := range 2 {
		ks := keys(t, e.store, shardPrefix("src", tlOf(t, e, "src"), id))
		if err := e.store.Delete(context.Background(), ks[len(ks)-1]); err != nil {
			t.Fatal(err)
		}
		upsert(t, mustColl(t, e, "src"), []uint64{9}, `{"v":"late"}`) // a later chunk after the hole
	}
	ship(t, e)
	before := join(contents(t, mustColl(t, e, "src")))
	o.To = newClock().Now().Add(time.Hour)
	_, err := RestoreToMoment(context.Background(), o)
	if !errors.Is(err, ErrGap) {
		t.Fatalf("restore across a gap: %v, want ErrGap", err)
	}
	if got := join(contents(t, mustColl(t, e, "src"))); got != before {
		t.Fatalf("a refused restore changed the collection: %s, was %s", got, before)
	}
}

// tlOf returns the timeline id of collection name.
func tlOf(t *testing.T, e *env, name string) uint64 {
	t.Helper()
	return mustColl(t, e, name).Timeline().ID
}

func mustColl(t *testing.T, e *env, name string) *engine.Collection {
	t.Helper()
	c, err := e.st.Collection(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSnapshotRecordsWALLSNs: a collection snapshot's manifest records,
// per shard, the last WAL LSN it covers, which is where a restore of it
// ends and the replay starts.
func TestSnapshotRecordsWALLSNs(t *testing.T) {
	e, o := snapHistory(t)
	path := newestBefore(t, o, "src", newClock().Now().Add(25*time.Second))
	dir, man, err := snapshot.Unpack(path, "", t.TempDir(), snapshot.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_ = os.RemoveAll(dir)
	c0 := mustColl(t, e, "src")
	o.As, o.To = "r", newClock().Now().Add(25*time.Second)
	res, err := RestoreToMoment(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if want := c0.Timeline().String(); len(man.Timelines) != 1 || man.Timelines["src"] != want {
		t.Fatalf("manifest timelines %v, want src: %s", man.Timelines, want)
	}
	if len(man.WALLSNs) != 2 || res.Applied != 0 || man.WALLSNs[0] != res.LastLSN[0] || man.WALLSNs[1] != res.LastLSN[1] {
		t.Fatalf("manifest wal_lsns %v, restored shards end at %v (%d replayed)", man.WALLSNs, res.LastLSN, res.Applied)
	}
	c := mustColl(t, e, "src")
	for id := range 2 {
		if _, _, last, _ := c.WALState(id); last < man.WALLSNs[id] {
			t.Fatalf("shard %d: snapshot covers lsn %d past the collection's %d", id, man.WALLSNs[id], last)
		}
	}
}

// newestBefore returns the path of the newest local candidate of
// collection completed at or before to.
func newestBefore(t *testing.T, o RestoreOptions, collection string, to time.Time) string {
	t.Helper()
	cs, err := o.manager(quiet()).Candidates(context.Background(), collection)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if !c.At.After(to) {
			return c.Path
		}
	}
	t.Fatalf("no snapshot of %s before %s", collection, to)
	return ""
}
