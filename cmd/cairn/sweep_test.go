package main

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-db/cairn/snapshot"
)

// sweepTestClock hands the test the channels the sweep loop waits on.
type sweepTestClock struct {
	after, tick   chan time.Time
	afterD, tickD chan time.Duration
	stopped       atomic.Bool
}

func newSweepTestClock() *sweepTestClock {
	return &sweepTestClock{after: make(chan time.Time), tick: make(chan time.Time),
		afterD: make(chan time.Duration, 1), tickD: make(chan time.Duration, 1)}
}

func (c *sweepTestClock) After(d time.Duration) <-chan time.Time { c.afterD <- d; return c.after }

func (c *sweepTestClock) Ticker(d time.Duration) (<-chan time.Time, func()) {
	c.tickD <- d
	return c.tick, func() { c.stopped.Store(true) }
}

// fakeSweeper reports each sweep on calls; with block set a sweep waits
// for its context to end.
type fakeSweeper struct {
	calls chan struct{}
	block bool
	fail  error
}

func (f *fakeSweeper) SweepRemote(ctx context.Context) (snapshot.SweepStats, error) {
	f.calls <- struct{}{}
	if f.block {
		<-ctx.Done()
		return snapshot.SweepStats{}, ctx.Err()
	}
	return snapshot.SweepStats{Deleted: 1}, f.fail
}

// TestRemoteSweepsSchedule: the first sweep comes after the start-up
// delay, then one per tick (a failed one does not stop the next); stop
// cancels a sweep under way, waits for it, and releases the ticker.
func TestRemoteSweepsSchedule(t *testing.T) {
	clk := newSweepTestClock()
	sw := &fakeSweeper{calls: make(chan struct{}), fail: errors.New("store down")}
	stop := startRemoteSweeps(context.Background(), sw, slog.New(slog.DiscardHandler), clk, sweepFirstAfter, sweepEvery)
	if d := <-clk.afterD; d != sweepFirstAfter {
		t.Fatalf("first sweep after %s", d)
	}
	select {
	case <-sw.calls:
		t.Fatal("a sweep before the start-up delay")
	default:
	}
	clk.after <- time.Time{}
	<-sw.calls
	if d := <-clk.tickD; d != sweepEvery {
		t.Fatalf("sweeps every %s", d)
	}
	for range 2 {
		clk.tick <- time.Time{}
		<-sw.calls
	}
	// a sweep blocked in the store ends when stop cancels it
	clk2 := newSweepTestClock()
	bl := &fakeSweeper{calls: make(chan struct{}), block: true}
	stop2 := startRemoteSweeps(context.Background(), bl, slog.New(slog.DiscardHandler), clk2, time.Minute, time.Hour)
	<-clk2.afterD
	clk2.after <- time.Time{}
	<-bl.calls
	stop2() // returns only once the blocked sweep saw its context end
	stop()
	if !clk.stopped.Load() {
		t.Fatal("the ticker is not stopped")
	}
	select {
	case clk.tick <- time.Time{}:
		t.Fatal("the loop still runs after stop")
	default:
	}
}

// TestRemoteSweepsEndWithContext: a done context (shutdown) ends the loop
// before its first sweep.
func TestRemoteSweepsEndWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clk := newSweepTestClock()
	sw := &fakeSweeper{calls: make(chan struct{})}
	stop := startRemoteSweeps(ctx, sw, slog.New(slog.DiscardHandler), clk, time.Minute, time.Hour)
	<-clk.afterD
	cancel()
	stop()
	select {
	case <-sw.calls:
		t.Fatal("swept after shutdown")
	default:
	}
}
