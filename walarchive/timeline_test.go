package walarchive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/snapshot"
)

// lives is an env with a snapshot manager whose snapshots' completion
// times are set to the fake clock's.
type lives struct {
	*env
	m    *snapshot.Manager
	base time.Time
}

func newLives(t *testing.T) *lives {
	clk := newClock()
	dir := t.TempDir()
	e := newEnv(t, objstore.NewMem(clk.Now), clk, filepath.Join(dir, "storage"))
	m := &snapshot.Manager{Storage: e.st, StoragePath: filepath.Join(dir, "storage"), SnapshotsPath: filepath.Join(dir, "snapshots"),
		TempPath: filepath.Join(dir, "tmp"), Logger: quiet()}
	return &lives{env: e, m: m, base: clk.Now()}
}

// at sets the clock to base+d.
func (l *lives) at(d time.Duration) { l.clk.Set(l.base.Add(d)) }

// snap makes a collection snapshot of c (full when c is "") completed at
// base+d.
func (l *lives) snap(c string, d time.Duration) {
	l.t.Helper()
	var desc snapshot.Description
	var err error
	dir := l.m.SnapshotsPath
	if c == "" {
		desc, err = l.m.CreateFull(context.Background())
	} else {
		desc, err = l.m.CreateCollection(context.Background(), c)
		dir, _ = snapshot.CollectionDir(l.m.SnapshotsPath, c)
	}
	if err != nil {
		l.t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, desc.Name), l.base.Add(d), l.base.Add(d)); err != nil {
		l.t.Fatal(err)
	}
}

// restore restores c to base+d as as ("" in place) and returns the
// result's contents.
func (l *lives) restore(c, as string, d time.Duration) (string, error) {
	l.t.Helper()
	o := RestoreOptions{Storage: l.st, Archive: l.store, Snapshots: l.m, SnapshotsPath: l.m.SnapshotsPath, TempPath: l.m.TempPath,
		Source: c, As: as, To: l.base.Add(d), Logger: quiet()}
	if _, err := RestoreToMoment(context.Background(), o); err != nil {
		return "", err
	}
	if as == "" {
		as = c
	}
	return join(contents(l.t, mustColl(l.t, l.env, as))), nil
}

func (l *lives) wantRestore(c, as string, d time.Duration, want string) {
	l.t.Helper()
	got, err := l.restore(c, as, d)
	if err != nil {
		l.t.Fatalf("restore %s to +%v: %v", c, d, err)
	}
	if got != want {
		l.t.Fatalf("restore %s to +%v: %s, want %s", c, d, got, want)
	}
}

// TestPITRAcrossTimelines: a collection deleted and created again, then
// restored in place, archives on in each life under its own timeline, and
// a restore to a moment of any life gives exactly the writes acknowledged
// in that life before the moment.
func TestPITRAcrossTimelines(t *testing.T) {
	l := newLives(t)
	// First life.
	c := l.create("c", 2, 1)
	l.at(10 * time.Second)
	upsert(t, c, []uint64{1, 2}, `{"v":"a"}`)
	ship(t, l.env)
	l.snap("c", 12*time.Second)
	l.at(20 * time.Second)
	upsert(t, c, []uint64{3}, `{"v":"b"}`)
	ship(t, l.env)
	// Second life.
	l.at(30 * time.Second)
	if _, err := l.st.DeleteCollection("c"); err != nil {
		t.Fatal(err)
	}
	l.at(40 * time.Second)
	c = l.create("c", 2, 1)
	l.at(41 * time.Second)
	upsert(t, c, []uint64{1}, `{"v":"x"}`)
	ship(t, l.env)
	l.snap("c", 42*time.Second)
	l.at(50 * time.Second)
	upsert(t, c, []uint64{2}, `{"v":"y"}`)
	ship(t, l.env)

	l.wantRestore("c", "p1", 25*time.Second, `1={"v":"a"} 2={"v":"a"} 3={"v":"b"}`)
	l.wantRestore("c", "p1b", 15*time.Second, `1={"v":"a"} 2={"v":"a"}`)
	l.wantRestore("c", "p2", 55*time.Second, `1={"v":"x"} 2={"v":"y"}`)
	l.wantRestore("c", "p2b", 45*time.Second, `1={"v":"x"}`)
	// In the second life before its first snapshot: the first life's
	// snapshot must not stand in for it.
	if _, err := l.restore("c", "none", 41*time.Second); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("restore to a moment of a life with no snapshot yet: %v, want ErrNoSnapshot", err)
	}

	// Third life: restore in place, write, restore again.
	l.at(60 * time.Second)
	l.wantRestore("c", "", 45*time.Second, `1={"v":"x"}`)
	c = mustColl(t, l.env, "c")
	l.at(61 * time.Second)
	upsert(t, c, []uint64{5}, `{"v":"z"}`)
	ship(t, l.env)
	l.snap("c", 62*time.Second)
	l.at(70 * time.Second)
	upsert(t, c, []uint64{6}, `{"v":"w"}`)
	ship(t, l.env)
	l.wantRestore("c", "p3", 75*time.Second, `1={"v":"x"} 5={"v":"z"} 6={"v":"w"}`)
	l.wantRestore("c", "p3b", 65*time.Second, `1={"v":"x"} 5={"v":"z"}`)
	l.wantRestore("c", "p4", 55*time.Second, `1={"v":"x"} 2={"v":"y"}`)
	l.wantRestore("c", "p5", 25*time.Second, `1={"v":"a"} 2={"v":"a"} 3={"v":"b"}`)
	ws, err := Timelines(context.Background(), l.store, "c")
	if err != nil || len(ws) != 3 {
		t.Fatalf("timelines %+v, %v: want 3", ws, err)
	}
}

// TestPITRFromFullSnapshot: a full snapshot newer than the collection's
// own snapshots is the one restored (for that collection only), and one
// that does not hold the collection is passed over.
func TestPITRFromFullSnapshot(t *testing.T) {
	l := newLives(t)
	c := l.create("c", 1, 1)
	l.at(10 * time.Second)
	upsert(t, c, []uint64{1}, `{"v":"a"}`)
	ship(t, l.env)
	l.snap("c", 11*time.Second)
	l.at(20 * time.Second)
	upsert(t, c, []uint64{2}, `{"v":"b"}`)
	ship(t, l.env)
	l.snap("", 21*time.Second)
	other := l.create("other", 1, 1)
	upsert(t, other, []uint64{7}, `{"v":"o"}`)
	// Lose the archive of the write at +20: only the full snapshot holds it.
	for _, k := range keys(t, l.store, shardPrefix("c", c.Timeline().ID, 0)) {
		if err := l.store.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
	l.at(30 * time.Second)
	upsert(t, c, []uint64{3}, `{"v":"c"}`)
	ship(t, l.env)
	l.wantRestore("c", "f", 35*time.Second, `1={"v":"a"} 2={"v":"b"} 3={"v":"c"}`)
	if _, err := l.st.Collection("f"); err != nil {
		t.Fatal(err)
	}
	// A full snapshot without "late" is no candidate for it.
	late := l.create("late", 1, 1)
	l.at(40 * time.Second)
	upsert(t, late, []uint64{1}, `{"v":"l"}`)
	ship(t, l.env)
	if _, err := l.restore("late", "l2", 45*time.Second); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("restore of a collection no snapshot holds: %v, want ErrNoSnapshot", err)
	}
}

// TestPITRFromRemoteSnapshots: with snapshots_storage: s3 the snapshots
// are remote manifests; the newest collection or full snapshot whose cut
// (the manifest's cut_at) is at or before the moment is fetched, verified,
// restored and replayed on.
func TestPITRFromRemoteSnapshots(t *testing.T) {
	l := newLives(t)
	l.m.Remote = objstore.NewMem(l.clk.Now)
	l.m.Now = l.clk.Now
	c := l.create("c", 2, 1)
	l.at(10 * time.Second)
	upsert(t, c, []uint64{1}, `{"v":"a"}`)
	ship(t, l.env)
	l.at(11 * time.Second)
	upsert(t, c, []uint64{2}, `{"v":"a"}`) // at the cut's time: in the snapshot
	if _, err := l.m.CreateCollection(context.Background(), "c"); err != nil {
		t.Fatal(err)
	}
	ship(t, l.env)
	l.at(20 * time.Second)
	upsert(t, c, []uint64{3}, `{"v":"b"}`)
	ship(t, l.env)
	l.at(21 * time.Second)
	if _, err := l.m.CreateFull(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.restore("c", "none", 10*time.Second+500*time.Millisecond); !errors.Is(err, ErrNoSnapshot) {
		t.Fatalf("restore before the first remote cut: %v, want ErrNoSnapshot", err)
	}
	l.wantRestore("c", "r1", 11*time.Second, `1={"v":"a"} 2={"v":"a"}`)
	l.wantRestore("c", "r1b", 20*time.Second, `1={"v":"a"} 2={"v":"a"} 3={"v":"b"}`)
	// Lose the archive up to now: what follows must come from the
	// snapshots, the archive only after them.
	for id := range 2 {
		for _, k := range keys(t, l.store, shardPrefix("c", c.Timeline().ID, id)) {
			if err := l.store.Delete(context.Background(), k); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.at(30 * time.Second)
	upsert(t, c, []uint64{4}, `{"v":"c"}`)
	ship(t, l.env)

	l.wantRestore("c", "r2", 21*time.Second, `1={"v":"a"} 2={"v":"a"} 3={"v":"b"}`)
	l.wantRestore("c", "r3", 35*time.Second, `1={"v":"a"} 2={"v":"a"} 3={"v":"b"} 4={"v":"c"}`)
	// Before the full snapshot the collection snapshot's replay needs
	// the archive lost above: a gap, refused (the watermark says those
	// records were archived; without them their times are unknown).
	for _, d := range []time.Duration{11 * time.Second, 20 * time.Second} {
		if _, err := l.restore("c", "gap", d); !errors.Is(err, ErrGap) {
			t.Fatalf("restore to +%v across the lost archive: %v, want ErrGap", d, err)
		}
	}
}

// TestReplayOldLayout: an archive written by an earlier version, without
// timelines (wal/{c}/{shard}/… and wal/{c}/watermark), is timeline 0 and
// replays as before.
func TestReplayOldLayout(t *testing.T) {
	e := history(t, 2)
	ctx := context.Background()
	tl := tlOf(t, e, "src")
	from := timelinePrefix("src", tl)
	for _, k := range keys(t, e.store, from) {
		r, err := e.store.Get(ctx, k, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		_ = r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(k, "/"+watermarkName) {
			var w Watermark
			if err := json.Unmarshal(b, &w); err != nil {
				t.Fatal(err)
			}
			w.Timeline, w.Began = "", time.Time{}
			b, _ = json.Marshal(w)
		}
		if err := e.store.Put(ctx, "wal/src/"+strings.TrimPrefix(k, from), bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		if err := e.store.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if ks := keys(t, e.store, "wal/src/0/"); len(ks) == 0 {
		t.Fatal("no chunk in the old layout")
	}
	ws, err := Timelines(ctx, e.store, "src")
	if err != nil || len(ws) != 1 || ws[0].Timeline != "" {
		t.Fatalf("timelines of the old layout: %+v, %v", ws, err)
	}
	dst := e.create("dst", 2, 1)
	if _, err := Replay(ctx, e.store, dst, "src", 0, newClock().Now().Add(25*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, want := join(contents(t, dst)), `1={"v":"a"} 2={"v":"b"} 3={"v":"a"} 4={"v":"b"}`; got != want {
		t.Fatalf("replay of the old layout: %s, want %s", got, want)
	}
	if _, err := Replay(ctx, e.store, e.create("dst2", 2, 1), "src", tl, newClock().Now().Add(25*time.Second)); err != nil {
		t.Fatal(err) // the moved timeline: nothing left, no watermark: the snapshot alone
	}
}
