package backup

import (
	"context"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/vfs"
)

// TestRealManagerFaultyFS runs a schedule on a real storage and snapshot
// manager whose filesystem fails archive writes: the failed run deletes
// nothing; the next success deletes only the schedule's own released
// snapshot, never the one made by hand of the same collection.
func TestRealManagerFaultyFS(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	st, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "storage"), DisableBackground: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateCollection("a", engine.CreateCollection{Vectors: engine.VectorsConfig{"": {Size: 2, Distance: point.Dot}}}); err != nil {
		t.Fatal(err)
	}
	faulty := vfs.NewFaulty(vfs.OS)
	clock := newFakeClock(t0)
	m := &snapshot.Manager{Storage: st, StoragePath: filepath.Join(dir, "storage"), SnapshotsPath: filepath.Join(dir, "snapshots"),
		TempPath: filepath.Join(dir, "storage", "tmp"), FS: faulty, Logger: quiet, NodeID: 7, Now: clock.Now}
	h := newHarness(t, m.SnapshotsPath, clock, nil, []Schedule{hourly(Keep{Last: 1})}, func(o *Options) {
		o.Targets = map[string]Target{"local": m}
		o.Collections = st.ListCollections
		o.MaxAttempts = 1
	})
	list := func() string {
		ds, err := m.ListCollection("a")
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, d := range ds {
			n = append(n, d.Name)
		}
		sort.Strings(n)
		return strings.Join(n, " ")
	}
	h.start()
	first := h.next("run")
	if first.res.Outcome != OutcomeSuccess {
		t.Fatalf("first run %+v", first.res)
	}
	hand, err := m.CreateCollection(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	faulty.FailWhen(func(op vfs.Op, path string) bool { return op == vfs.OpOpen && strings.HasSuffix(path, ".snapshot.tmp") })
	before := list()
	if r := h.untilRun(); r.res.Outcome != OutcomeFailed {
		t.Fatalf("faulty run %+v", r.res)
	}
	if list() != before {
		t.Fatalf("a failed run changed the snapshots: %s, was %s", list(), before)
	}
	faulty.FailWhen(nil)
	r := h.untilRun()
	if r.res.Outcome != OutcomeSuccess || len(r.res.Deleted) != 1 || r.res.Deleted[0] != first.res.Snapshots[0] {
		t.Fatalf("run %+v", r.res)
	}
	want := []string{hand.Name, r.res.Snapshots[0]}
	sort.Strings(want)
	if got := list(); got != strings.Join(want, " ") {
		t.Fatalf("left %s, want %v", got, want)
	}
}
