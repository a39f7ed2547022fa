package grpcapi

import (
	"context"
	"math/rand"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/backup"
)

// fakeClock is a scheduler clock that moves only when told; its timers
// never fire, so schedules run only when asked.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
func (*fakeClock) After(time.Duration) <-chan time.Time { return nil }

// TestGetReportsBackupWarnings: a stale backup schedule of the collection
// shows in Get's warnings (through an alias too), as in REST's answer.
func TestGetReportsBackupWarnings(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	var sched *backup.Scheduler
	e := newTestEnvWith(t, Options{}, func(o *Options) {
		var err error
		sched, err = backup.New(backup.Options{
			Schedules:   []backup.Schedule{{Name: "daily", Collections: []string{"c"}, Every: 24 * time.Hour, Spec: "every 24h", Target: "local", Keep: backup.Keep{Last: 1}}},
			Targets:     map[string]backup.Target{"local": o.Snapshots},
			Collections: o.Storage.ListCollections,
			StatePath:   filepath.Join(o.Snapshots.SnapshotsPath, backup.StateFile),
			Logger:      quiet, Clock: clock, Rand: rand.New(rand.NewSource(1)), MaxJitter: time.Hour,
		})
		if err != nil {
			t.Fatal(err)
		}
		o.Backup = sched
	})
	ctx, cancel := context.WithCancel(context.Background())
	sched.Start(ctx)
	t.Cleanup(func() { cancel(); sched.Close() })
	e.mustCreate(t, "c")
	if _, err := sched.RunNow(context.Background(), "daily", true); err != nil {
		t.Fatal(err)
	}
	get := func(name string) []*qdrant.CollectionWarning {
		t.Helper()
		r, err := e.collections().Get(context.Background(), &qdrant.GetCollectionInfoRequest{CollectionName: name})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetResult().GetWarnings()
	}
	if w := get("c"); len(w) != 0 {
		t.Fatalf("fresh: %v", w)
	}
	clock.add(49 * time.Hour)
	if _, err := e.collections().UpdateAliases(context.Background(), &qdrant.ChangeAliases{Actions: []*qdrant.AliasOperations{qdrant.NewAliasCreate("a", "c")}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"c", "a"} {
		w := get(name)
		if len(w) != 1 || !strings.Contains(w[0].GetMessage(), "Backup schedule `daily`") {
			t.Fatalf("%s: warnings %v", name, w)
		}
	}
}
