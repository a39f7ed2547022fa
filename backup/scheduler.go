package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/vfs"
)

// Target makes and deletes the snapshots of a schedule; *snapshot.Manager
// is one (local, or the S3 storage when its Remote is set).
type Target interface {
	// CreateCollection snapshots one collection.
	CreateCollection(ctx context.Context, name string) (snapshot.Description, error)
	// CreateFull makes a full-storage snapshot.
	CreateFull(ctx context.Context) (snapshot.Description, error)
	// DeleteCollection deletes one of a collection's snapshots.
	DeleteCollection(name, snap string) error
	// DeleteFull deletes a full snapshot.
	DeleteFull(snap string) error
}

// VerifyFunc checks a snapshot a schedule has just made on target;
// collection is "" for a full snapshot. The lead wires it to the snapshot
// package's verifier; without it, a schedule with verify: true is refused
// by New.
type VerifyFunc func(ctx context.Context, target, collection string, snap snapshot.Description) error

// Defaults of Options.
const (
	DefaultMaxJitter   = 30 * time.Second
	DefaultRetryBase   = 30 * time.Second
	DefaultRetryMax    = 15 * time.Minute
	DefaultMaxAttempts = 5
)

// Errors of RunNow and New.
var (
	// ErrUnknownSchedule names no configured schedule (404).
	ErrUnknownSchedule = errors.New("Not found: backup schedule")
	// ErrRunning reports a schedule already running (409).
	ErrRunning = errors.New("Conflict: backup schedule is running")
	// ErrClosed reports a scheduler not started or closed (503).
	ErrClosed = errors.New("Service unavailable: backup scheduler is not running")
	// ErrConfig reports schedules the build or the storage cannot honour.
	ErrConfig = errors.New("backup schedules")
)

// Options configures a Scheduler.
type Options struct {
	// Schedules are run; see FromConfig.
	Schedules []Schedule
	// Targets are the places snapshots go, by target name (config.TargetLocal,
	// config.TargetS3); every schedule's target must be there.
	Targets map[string]Target
	// Collections lists every collection, for schedules of ["*"].
	Collections func() []string
	// StatePath is the state file: SNAPSHOTS_PATH/StateFile.
	StatePath string
	// FS receives the state file's writes; nil means vfs.OS.
	FS vfs.FS
	// Logger receives runs, failures and staleness changes; nil means
	// slog.Default().
	Logger *slog.Logger
	// Clock is the time source; nil means SystemClock.
	Clock Clock
	// Rand draws the random delays; nil means one seeded from the clock.
	Rand *rand.Rand
	// MaxJitter bounds the random delay before a scheduled run (also at
	// most a tenth of the schedule's interval); 0 means DefaultMaxJitter,
	// negative none.
	MaxJitter time.Duration
	// RetryBase is the delay before the first retry of a failed run,
	// doubled for each further one up to RetryMax; 0 means the defaults.
	RetryBase, RetryMax time.Duration
	// MaxAttempts bounds the attempts of one scheduled run; 0 means
	// DefaultMaxAttempts. After the last, the run waits for its next time.
	MaxAttempts int
	// VerifyFunc checks each snapshot of a schedule with Verify set.
	VerifyFunc VerifyFunc
	// Registerer receives the metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Scheduler runs the schedules. Its methods are safe for concurrent use.
type Scheduler struct {
	o      Options
	log    *slog.Logger
	scheds []*sched
	byName map[string]*sched
	m      *metrics

	mu      sync.Mutex // guards st, rnd, the scheds' running flags, stale, cleared, started, cancel
	st      *state
	rnd     *rand.Rand
	stale   map[string]bool
	cleared map[string]bool
	started time.Time
	cancel  context.CancelFunc
	closed  bool
	done    chan struct{} // closed by Close
	wg      sync.WaitGroup

	afterRun func(name string, res RunResult)  // tests: called after every run
	idle     func(name string, wake time.Time) // tests: called when a loop waits
}

// sched is one schedule and what its loop keeps in memory.
type sched struct {
	Schedule
	trigger chan chan RunResult
	running bool      // under Scheduler.mu
	nextRun time.Time // under Scheduler.mu: when the loop runs it next
	// Owned by the loop goroutine:
	jitterSlot time.Time
	jitter     time.Duration
	retrySlot  time.Time
	retryAt    time.Time
	attempt    int
}

// New checks the schedules against the targets and the verifier and
// loads the state file (a corrupt one is set aside and logged: nothing the
// schedules made is deleted then, and each runs at start).
func New(o Options) (*Scheduler, error) {
	s := &Scheduler{o: o, log: o.Logger, byName: map[string]*sched{}, stale: map[string]bool{}, cleared: map[string]bool{},
		done: make(chan struct{})}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.o.Clock == nil {
		s.o.Clock = SystemClock{}
	}
	if s.o.FS == nil {
		s.o.FS = vfs.OS
	}
	s.fillDefaults()
	s.rnd = o.Rand
	if s.rnd == nil {
		s.rnd = rand.New(rand.NewSource(s.o.Clock.Now().UnixNano()))
	}
	for i := range o.Schedules {
		sc := &sched{Schedule: o.Schedules[i], trigger: make(chan chan RunResult, 1)}
		if err := s.check(sc); err != nil {
			return nil, err
		}
		s.scheds = append(s.scheds, sc)
		s.byName[sc.Name] = sc
	}
	if err := s.loadState(); err != nil {
		return nil, err
	}
	s.m = newMetrics(o.Registerer, s)
	return s, nil
}

func (s *Scheduler) fillDefaults() {
	if s.o.MaxJitter == 0 {
		s.o.MaxJitter = DefaultMaxJitter
	}
	if s.o.RetryBase <= 0 {
		s.o.RetryBase = DefaultRetryBase
	}
	if s.o.RetryMax <= 0 {
		s.o.RetryMax = DefaultRetryMax
	}
	if s.o.MaxAttempts <= 0 {
		s.o.MaxAttempts = DefaultMaxAttempts
	}
}

func (s *Scheduler) check(sc *sched) error {
	if _, dup := s.byName[sc.Name]; dup {
		return fmt.Errorf("%w: schedule %s: the name is used twice", ErrConfig, sc.Name)
	}
	if _, ok := s.o.Targets[sc.Target]; !ok {
		if sc.Target == "s3" {
			return fmt.Errorf("%w: schedule %s: target s3 needs the S3 snapshots storage (storage.snapshots_config) configured", ErrConfig, sc.Name)
		}
		return fmt.Errorf("%w: schedule %s: target %q is not available", ErrConfig, sc.Name, sc.Target)
	}
	if sc.Verify && s.o.VerifyFunc == nil {
		return fmt.Errorf("%w: schedule %s: verify: true is not available in this build (no snapshot verifier)", ErrConfig, sc.Name)
	}
	if !sc.Full && sc.Collections == nil && s.o.Collections == nil {
		return fmt.Errorf("%w: schedule %s: collections [\"*\"] needs the storage's collection list", ErrConfig, sc.Name)
	}
	return nil
}

func (s *Scheduler) loadState() error {
	st, err := loadState(s.o.StatePath)
	if errors.Is(err, ErrState) {
		aside := fmt.Sprintf("%s.bad-%d", s.o.StatePath, s.o.Clock.Now().Unix())
		if rerr := s.o.FS.Rename(s.o.StatePath, aside); rerr != nil {
			return fmt.Errorf("set aside backup state %s: %w (it is unreadable: %v)", s.o.StatePath, rerr, err)
		}
		s.log.Error("backup state file unreadable, set aside; every schedule runs now and the snapshots it recorded are kept",
			"error", err, "moved_to", aside)
		st = &state{Schedules: map[string]*schedState{}}
	} else if err != nil {
		return err
	}
	now := s.o.Clock.Now().UTC()
	for _, sc := range s.scheds {
		if st.Schedules[sc.Name] == nil {
			st.Schedules[sc.Name] = &schedState{Since: now, Series: map[string]time.Time{}, Snapshots: []heldSnapshot{}}
		}
		if st.Schedules[sc.Name].Series == nil {
			st.Schedules[sc.Name].Series = map[string]time.Time{}
		}
	}
	s.st = st
	return nil
}

// Start runs every schedule's loop until ctx is done or Close is called.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil || s.closed {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.started = s.o.Clock.Now().UTC()
	for _, sc := range s.scheds {
		s.wg.Add(1)
		go s.loop(ctx, sc)
	}
}

// Close aborts the runs in progress (their context is cancelled; what they
// made is recorded, nothing is deleted) and waits for every loop to end.
func (s *Scheduler) Close() {
	var cancel context.CancelFunc
	s.locked(func() {
		if !s.closed {
			close(s.done)
		}
		s.closed, cancel = true, s.cancel
	})
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
}

// locked runs fn holding mu, released even if fn panics.
func (s *Scheduler) locked(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// collections returns the collections a run of sc snapshots, sorted.
func (s *Scheduler) collections(sc *sched) []string {
	var out []string
	if sc.Collections != nil {
		out = append(out, sc.Collections...)
	} else if s.o.Collections != nil {
		out = append(out, s.o.Collections()...)
	}
	sort.Strings(out)
	return out
}
