package backup

import (
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/config"
	"github.com/cairn-db/cairn/snapshot"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestScheduleRunsAcrossRestart: a new schedule runs at once; a restart
// before its next time does not run it again; a restart after several
// missed times runs it once, for the latest; a run aborted by shutdown
// runs again at the next start.
func TestScheduleRunsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	sc := []Schedule{hourly(Keep{Last: 10})}

	h := newHarness(t, dir, clock, target, sc, nil)
	h.start()
	if r := h.next("run"); r.res.Outcome != OutcomeSuccess || len(r.res.Snapshots) != 2 {
		t.Fatalf("first run %+v", r.res)
	}
	if w := h.next("idle").wake; !w.Equal(t0.Add(time.Hour)) {
		t.Fatalf("next wake %v", w)
	}
	h.stop()

	clock.Set(t0.Add(30 * time.Minute))
	h = newHarness(t, dir, clock, target, sc, nil)
	h.start()
	if w := h.next("idle").wake; !w.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after restart, wake %v", w)
	}
	h.noEvent()
	h.stop()

	clock.Set(t0.Add(4*time.Hour + 30*time.Minute)) // 11:00 to 14:00 missed
	h = newHarness(t, dir, clock, target, sc, nil)
	h.start()
	if r := h.next("run"); r.res.Outcome != OutcomeSuccess {
		t.Fatalf("catch-up run %+v", r.res)
	}
	if w := h.next("idle").wake; !w.Equal(t0.Add(5 * time.Hour)) {
		t.Fatalf("after catch-up, wake %v", w)
	}
	h.noEvent()
	if target.creates != 4 {
		t.Fatalf("%d creates, want 4 (two runs of two collections)", target.creates)
	}
	if last := h.s.st.Schedules["hourly"].LastSlot; last == nil || !last.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("last slot %v", last)
	}
	h.stop()

	// Shutdown during a run aborts it; the slot is not served.
	target.block, target.started = make(chan struct{}), make(chan struct{}, 10)
	clock.Set(t0.Add(5 * time.Hour))
	h = newHarness(t, dir, clock, target, sc, nil)
	h.start()
	<-target.started
	h.stop()
	if r := h.next("run"); r.res.Outcome != OutcomeAborted {
		t.Fatalf("aborted run %+v", r.res)
	}
	target.block, target.started = nil, nil
	h = newHarness(t, dir, clock, target, sc, nil)
	h.start()
	if r := h.next("run"); r.res.Outcome != OutcomeSuccess {
		t.Fatalf("run after abort %+v", r.res)
	}
	h.next("idle")
}

// TestRetentionAfterRuns runs an hourly schedule 30 times across two days
// and checks that exactly what the policy keeps survives, with a snapshot
// made by hand untouched.
func TestRetentionAfterRuns(t *testing.T) {
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	target.snaps["a"] = []string{"a-hand.snapshot"}
	h := newHarness(t, t.TempDir(), clock, target, []Schedule{hourly(Keep{Last: 3, Daily: 2})}, nil)
	h.start()
	for i := range 30 {
		r := h.next("run")
		if r.res.Outcome != OutcomeSuccess {
			t.Fatalf("run %d: %+v", i, r.res)
		}
		if i == 29 {
			break
		}
		clock.Set(h.next("idle").wake)
	}
	// Runs made a-001 (Mon 10:00; odd numbers are a, even b) to a-059
	// (Tue 15:00). Kept: the 3 newest (Tue 13:00-15:00, which hold
	// Tuesday's newest) and the newest of Monday (23:00: a-027).
	got := target.names("a")
	want := []string{"a-027.snapshot", "a-055.snapshot", "a-057.snapshot", "a-059.snapshot", "a-hand.snapshot"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("left %v\nwant %v", got, want)
	}
	if held := len(h.s.st.Schedules["hourly"].Snapshots); held != 8 {
		t.Fatalf("%d recorded, want 8", held)
	}
}

// TestFailedRunRetriesAndDeletesNothing: a failing target fails the run,
// which is retried with a doubling back-off up to MaxAttempts, deletes
// nothing, and is reported; the next success deletes what it releases.
func TestFailedRunRetriesAndDeletesNothing(t *testing.T) {
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	h := newHarness(t, t.TempDir(), clock, target, []Schedule{hourly(Keep{Last: 1})}, nil)
	h.start()
	h.next("run")
	clock.Set(h.next("idle").wake)
	h.next("run") // 11:00: the 10:00 snapshots are released
	if got := target.names("a"); len(got) != 1 {
		t.Fatalf("after two runs %v", got)
	}
	before := target.names("a")
	target.setFail(errTargetDown)
	wake := h.next("idle").wake
	wantGaps := []time.Duration{time.Minute, 2 * time.Minute}
	for attempt := 1; attempt <= 3; attempt++ {
		clock.Set(wake)
		r := h.next("run")
		if r.res.Outcome != OutcomeFailed || r.res.Error == "" {
			t.Fatalf("attempt %d: %+v", attempt, r.res)
		}
		next := h.next("idle").wake
		if attempt < 3 && next.Sub(wake) != wantGaps[attempt-1] {
			t.Fatalf("attempt %d: retry after %v", attempt, next.Sub(wake))
		}
		if attempt == 3 && !next.Equal(t0.Add(3*time.Hour)) {
			t.Fatalf("after the last attempt, wake %v", next)
		}
		wake = next
	}
	if !reflect.DeepEqual(target.names("a"), before) || len(target.deletes) != 2 {
		t.Fatalf("a failed run deleted: %v, deletes %v", target.names("a"), target.deletes)
	}
	ss := h.s.st.Schedules["hourly"]
	if ss.Failures != 3 || ss.LastRun.Outcome != OutcomeFailed || !ss.LastSlot.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("state %+v %+v", ss, ss.LastRun)
	}
	target.setFail(nil)
	clock.Set(wake)
	if r := h.next("run"); r.res.Outcome != OutcomeSuccess || len(r.res.Deleted) != 2 {
		t.Fatalf("recovery run %+v", r.res)
	}
}

// TestPartialFailureDeletesNothing: one listed collection missing fails
// the run; the snapshot of the other is kept and nothing is deleted.
func TestPartialFailureDeletesNothing(t *testing.T) {
	clock := newFakeClock(t0)
	target := &partialTarget{fakeTarget: newFakeTarget(clock), bad: "b"}
	sc := hourly(Keep{Last: 1})
	sc.Collections = []string{"a", "b"}
	h := newHarness(t, t.TempDir(), clock, target.fakeTarget, []Schedule{sc}, func(o *Options) {
		o.Targets = map[string]Target{"local": target}
		o.MaxAttempts = 1
	})
	h.start()
	r := h.next("run")
	for i := range 4 {
		if r.res.Outcome != OutcomeFailed || len(r.res.Snapshots) != 1 || len(r.res.Deleted) != 0 {
			t.Fatalf("run %d: %+v", i, r.res)
		}
		if i < 3 {
			r = h.untilRun()
		}
	}
	if got := target.names("a"); len(got) != 4 {
		t.Fatalf("a: %v, want all 4 kept", got)
	}
}

type partialTarget struct {
	*fakeTarget
	bad string
}

func (p *partialTarget) CreateCollection(ctx context.Context, name string) (snapshot.Description, error) {
	if name == p.bad {
		return snapshot.Description{}, errors.New("collection b: Not found")
	}
	return p.fakeTarget.CreateCollection(ctx, name)
}

// TestRunNow: a manual run outside the timer; 409 while one runs; unknown
// names and a stopped scheduler refused.
func TestRunNow(t *testing.T) {
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	h := newHarness(t, t.TempDir(), clock, target, []Schedule{hourly(Keep{Last: 5})}, nil)
	ctx := context.Background()
	if _, err := h.s.RunNow(ctx, "hourly", true); !errors.Is(err, ErrClosed) {
		t.Fatalf("before start: %v", err)
	}
	h.start()
	h.next("run")
	h.next("idle")
	res, err := h.s.RunNow(ctx, "hourly", true)
	if err != nil || res.Outcome != OutcomeSuccess || len(res.Snapshots) != 2 {
		t.Fatalf("run now: %+v %v", res, err)
	}
	if h.s.List()[0].Running {
		t.Fatal("still running once its answer is back: a second run now would be refused")
	}
	h.next("run")
	h.next("idle")
	if _, err := h.s.RunNow(ctx, "nope", true); !errors.Is(err, ErrUnknownSchedule) {
		t.Fatalf("unknown: %v", err)
	}
	target.block, target.started = make(chan struct{}), make(chan struct{}, 10)
	if _, err := h.s.RunNow(ctx, "hourly", false); err != nil {
		t.Fatal(err)
	}
	<-target.started
	if _, err := h.s.RunNow(ctx, "hourly", true); !errors.Is(err, ErrRunning) {
		t.Fatalf("while running: %v", err)
	}
	if !h.s.List()[0].Running {
		t.Fatal("listing does not say running")
	}
	close(target.block)
	h.next("run")
	h.next("idle")
	if ss := h.s.st.Schedules["hourly"]; ss.LastSlot == nil || !ss.LastSlot.Equal(t0) || !ss.LastRun.Manual {
		t.Fatalf("a manual run moved the slot: %+v", ss)
	}
}

// TestJitterSeeded: the random delay is drawn from the injected source,
// at most a tenth of the interval.
func TestJitterSeeded(t *testing.T) {
	clock := newFakeClock(t0.Add(time.Minute))
	h := newHarness(t, t.TempDir(), clock, newFakeTarget(clock), []Schedule{hourly(Keep{Last: 5})}, func(o *Options) {
		o.MaxJitter = time.Hour
		o.Rand = rand.New(rand.NewSource(42))
	})
	h.start()
	// Never run: due at once, at the start plus a delay.
	first := rand.New(rand.NewSource(42)).Int63n(int64(6*time.Minute) + 1)
	if w := h.next("idle").wake; !w.Equal(t0.Add(time.Minute + time.Duration(first))) {
		t.Fatalf("wake %v, want start + %v", w, time.Duration(first))
	}
}

// TestStateFile: the state file round-trips, and a corrupt one is set
// aside (nothing deleted, every schedule runs).
func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	h := newHarness(t, dir, clock, target, []Schedule{hourly(Keep{Last: 1})}, nil)
	h.start()
	h.next("run")
	h.next("idle")
	h.stop()
	p := filepath.Join(dir, StateFile)
	st, err := loadState(p)
	if err != nil || len(st.Schedules["hourly"].Snapshots) != 2 || st.Schedules["hourly"].LastRun.Outcome != OutcomeSuccess {
		t.Fatalf("state %+v %v", st, err)
	}
	b, _ := os.ReadFile(p)
	for i, mut := range []func([]byte) []byte{
		func(b []byte) []byte { b[0] = 'X'; return b },
		func(b []byte) []byte { b[8] = 9; return b },
		func(b []byte) []byte { b[len(b)-2] ^= 1; return b },
		func(b []byte) []byte { return b[:len(b)-1] },
		func(b []byte) []byte { return b[:10] },
	} {
		if _, err := decodeState(mut(append([]byte(nil), b...))); !errors.Is(err, ErrState) {
			t.Errorf("mutation %d: %v", i, err)
		}
	}
	bad := append([]byte(nil), b...)
	bad[len(bad)-2] ^= 1
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(10 * time.Minute))
	h = newHarness(t, dir, clock, target, []Schedule{hourly(Keep{Last: 1})}, nil)
	h.start()
	if r := h.next("run"); r.res.Outcome != OutcomeSuccess || len(r.res.Deleted) != 0 {
		t.Fatalf("run after a corrupt state %+v", r.res)
	}
	if m, _ := filepath.Glob(p + ".bad-*"); len(m) != 1 {
		t.Fatalf("set aside: %v", m)
	}
}

// TestNewRefuses: a target not configured (s3 without the S3 storage)
// and verify: true without a verifier are refused at start-up.
func TestNewRefuses(t *testing.T) {
	clock := newFakeClock(t0)
	s3 := hourly(Keep{Last: 1})
	s3.Target = "s3"
	v := hourly(Keep{Last: 1})
	v.Verify = true
	for _, c := range []struct {
		sc   Schedule
		want string
	}{{s3, "S3 snapshots storage"}, {v, "not available in this build"}} {
		_, err := New(Options{Schedules: []Schedule{c.sc}, Targets: map[string]Target{"local": newFakeTarget(clock)},
			Collections: func() []string { return nil }, StatePath: filepath.Join(t.TempDir(), StateFile), Clock: clock})
		if !errors.Is(err, ErrConfig) || !contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c.sc, err)
		}
	}
}

// TestFullCronSchedule: a full schedule on a cron expression makes one
// full snapshot per run, at the expression's times.
func TestFullCronSchedule(t *testing.T) {
	scs, err := FromConfig([]config.BackupSchedule{{Name: "nightly", Full: true, Cron: "30 2 * * *", Keep: config.BackupKeep{Daily: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	h := newHarness(t, t.TempDir(), clock, target, scs, nil)
	h.start()
	if r := h.next("run"); r.res.Outcome != OutcomeSuccess || len(r.res.Snapshots) != 1 || !strings.HasPrefix(r.res.Snapshots[0], "*-") {
		t.Fatalf("first run %+v", r.res)
	}
	for day := 8; day <= 10; day++ {
		ev := h.next("idle")
		if want := time.Date(2026, 12, day, 2, 30, 0, 0, time.UTC); !ev.wake.Equal(want) {
			t.Fatalf("wake %v, want %v", ev.wake, want)
		}
		clock.Set(ev.wake)
		h.next("run")
	}
	if got := target.names(FullSeries); len(got) != 2 || len(target.names("a")) != 0 {
		t.Fatalf("full snapshots %v (daily: 2)", got)
	}
}
