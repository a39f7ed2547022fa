package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cairn-db/cairn/snapshot"
)

// The sweeps of a snapshots_storage: s3 store (Manager.SweepRemote, which
// deletes the objects no snapshot references once older than the grace
// period): one shortly after start-up, then every hour.
const (
	sweepFirstAfter = 2 * time.Minute
	sweepEvery      = time.Hour
)

// sweepClock makes the timers of the periodic sweep (tests inject theirs).
type sweepClock interface {
	// After fires once, d from now.
	After(d time.Duration) <-chan time.Time
	// Ticker fires every d; stop releases it.
	Ticker(d time.Duration) (c <-chan time.Time, stop func())
}

// serveSweepClock is the clock of serve's sweeps.
var serveSweepClock sweepClock = realClock{}

type realClock struct{}

func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (realClock) Ticker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// remoteSweeper is what the periodic sweep calls (*snapshot.Manager).
type remoteSweeper interface {
	SweepRemote(ctx context.Context) (snapshot.SweepStats, error)
}

// startRemoteSweeps sweeps m's remote store first after first, then every
// every, until the returned stop is called (or ctx is done): stop cancels
// a sweep under way and waits for it to end. A failed sweep is logged; the
// next one tries again.
func startRemoteSweeps(ctx context.Context, m remoteSweeper, log *slog.Logger, clk sweepClock, first, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sweepLoop(ctx, m, log, clk, first, every)
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); wg.Wait() }) }
}

func sweepLoop(ctx context.Context, m remoteSweeper, log *slog.Logger, clk sweepClock, first, every time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-clk.After(first):
	}
	sweepOnce(ctx, m, log)
	if ctx.Err() != nil {
		return
	}
	tick, stop := clk.Ticker(every)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			sweepOnce(ctx, m, log)
		}
	}
}

func sweepOnce(ctx context.Context, m remoteSweeper, log *slog.Logger) {
	st, err := m.SweepRemote(ctx)
	switch {
	case ctx.Err() != nil:
		log.Info("sweep of the snapshot store stopped", "reason", context.Cause(ctx))
	case err != nil:
		log.Warn("sweep of the snapshot store failed; the next one tries again", "err", err)
	default:
		log.Info("swept the snapshot store", "objects_deleted", st.Deleted, "objects_kept", st.Kept,
			"leases_deleted", st.Leases, "paused", st.Paused)
	}
}
