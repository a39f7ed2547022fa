package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/vfs"
)

// noSyncFS skips fsync: the tests check logic, not durability, on a
// machine shared with other work.
type noSyncFS struct{ vfs.FS }

func (noSyncFS) SyncDir(string) error { return nil }

func (f noSyncFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	fl, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return noSyncFile{fl}, nil
}

type noSyncFile struct{ vfs.File }

func (noSyncFile) Sync() error { return nil }

// untilRun moves the clock to each wake-up in turn (past those that only
// note a staleness change) until a run happens, and returns it.
func (h *harness) untilRun() event {
	h.t.Helper()
	ev := h.next("idle")
	for {
		h.clock.Set(ev.wake)
		if ev = <-h.events; ev.kind == "run" {
			return ev
		}
	}
}

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{c.now.Add(d), ch})
	return ch
}

// Set moves the clock to t and fires the waiters due by then.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
			continue
		}
		keep = append(keep, w)
	}
	c.waiters = keep
}

// fakeTarget keeps snapshots in memory; fail makes creates fail.
type fakeTarget struct {
	mu      sync.Mutex
	clock   *fakeClock
	seq     int
	snaps   map[string][]string // collection (or FullSeries) -> names
	fail    error
	creates int
	deletes []string
	block   chan struct{} // when set, a create waits on it or on ctx
	started chan struct{} // when set, a create sends on it first
}

func newFakeTarget(c *fakeClock) *fakeTarget {
	return &fakeTarget{clock: c, snaps: map[string][]string{}}
}

func (f *fakeTarget) create(ctx context.Context, coll string) (snapshot.Description, error) {
	f.mu.Lock()
	block, started := f.block, f.started
	f.mu.Unlock()
	if started != nil {
		started <- struct{}{}
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return snapshot.Description{}, fmt.Errorf("create: %w", ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates++
	if f.fail != nil {
		return snapshot.Description{}, f.fail
	}
	f.seq++
	name := fmt.Sprintf("%s-%03d.snapshot", coll, f.seq)
	f.snaps[coll] = append(f.snaps[coll], name)
	return snapshot.Description{Name: name, Size: 100, CreationTime: snapshot.CreationTime(f.clock.Now())}, nil
}

func (f *fakeTarget) CreateCollection(ctx context.Context, name string) (snapshot.Description, error) {
	return f.create(ctx, name)
}

func (f *fakeTarget) CreateFull(ctx context.Context) (snapshot.Description, error) {
	return f.create(ctx, FullSeries)
}

func (f *fakeTarget) del(coll, snap string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, n := range f.snaps[coll] {
		if n == snap {
			f.snaps[coll] = append(f.snaps[coll][:i:i], f.snaps[coll][i+1:]...)
			f.deletes = append(f.deletes, snap)
			return nil
		}
	}
	return fmt.Errorf("%w: %s", snapshot.ErrNotFound, snap)
}

func (f *fakeTarget) DeleteCollection(name, snap string) error { return f.del(name, snap) }
func (f *fakeTarget) DeleteFull(snap string) error             { return f.del(FullSeries, snap) }

func (f *fakeTarget) names(coll string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]string(nil), f.snaps[coll]...)
	sort.Strings(out)
	return out
}

func (f *fakeTarget) setFail(err error) {
	f.mu.Lock()
	f.fail = err
	f.mu.Unlock()
}

var errTargetDown = errors.New("target is down")

// event is what a scheduler's test hooks report, in order.
type event struct {
	kind string // "run" or "idle"
	name string
	res  RunResult
	wake time.Time
}

// harness is a scheduler over a fake clock and a fake target, with its
// hooks reporting into events.
type harness struct {
	t      *testing.T
	clock  *fakeClock
	target *fakeTarget
	s      *Scheduler
	events chan event
	ctx    context.Context
	cancel context.CancelFunc
	reg    *prometheus.Registry
	first  bool // untilRunOrFirst saw the first run
}

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) // a Monday

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newHarness builds a scheduler on dir's state file; clock and target may
// be shared with an earlier harness (a restart).
func newHarness(t *testing.T, dir string, clock *fakeClock, target *fakeTarget, scheds []Schedule, edit func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, clock: clock, target: target, events: make(chan event, 1000), reg: prometheus.NewRegistry()}
	o := Options{
		Schedules:   scheds,
		Targets:     map[string]Target{"local": target},
		Collections: func() []string { return []string{"a", "b"} },
		StatePath:   filepath.Join(dir, StateFile),
		Logger:      quietLog(),
		Clock:       clock,
		FS:          noSyncFS{vfs.OS},
		Rand:        rand.New(rand.NewSource(1)),
		MaxJitter:   -1,
		RetryBase:   time.Minute,
		RetryMax:    4 * time.Minute,
		MaxAttempts: 3,
		Registerer:  h.reg,
	}
	if edit != nil {
		edit(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	s.afterRun = func(name string, res RunResult) { h.events <- event{kind: "run", name: name, res: res} }
	s.idle = func(name string, wake time.Time) { h.events <- event{kind: "idle", name: name, wake: wake} }
	h.s = s
	h.ctx, h.cancel = context.WithCancel(context.Background())
	t.Cleanup(h.stop)
	return h
}

func (h *harness) start() { h.s.Start(h.ctx) }

func (h *harness) stop() {
	h.cancel()
	h.s.Close()
}

// next returns the next event, which must be of kind.
func (h *harness) next(kind string) event {
	h.t.Helper()
	ev := <-h.events
	if ev.kind != kind {
		h.t.Fatalf("event %s (%+v), want %s", ev.kind, ev, kind)
	}
	return ev
}

// noEvent checks nothing happened since the last event read.
func (h *harness) noEvent() {
	h.t.Helper()
	select {
	case ev := <-h.events:
		h.t.Fatalf("unexpected event %+v", ev)
	default:
	}
}

func hourly(keep Keep) Schedule {
	return Schedule{Name: "hourly", Every: time.Hour, Spec: "every 1h", Target: "local", Keep: keep}
}

// untilRunOrFirst returns the first run at start, then each next run.
func (h *harness) untilRunOrFirst() event {
	h.t.Helper()
	if !h.first {
		h.first = true
		return h.next("run")
	}
	return h.untilRun()
}
