package engine

import (
	"context"
	"runtime"
	"sync"
)

// limits are the storage-wide semaphores of Options.MaxSearchThreads and
// Options.MaxOptimizationThreads. A nil channel means no limit.
type limits struct {
	search   chan struct{}
	optimize chan struct{}
	hooks    *Hooks
}

// limitsMu guards the lazy creation of Options.lim.
var limitsMu sync.Mutex

// sharedLimits returns the semaphores every collection of the storage
// opened with o shares, making them on first use.
func (o *Options) sharedLimits() *limits {
	limitsMu.Lock()
	defer limitsMu.Unlock()
	if o.lim == nil {
		o.lim = &limits{search: make(chan struct{}, SearchThreads(o.MaxSearchThreads)), hooks: o.Hooks}
		if o.MaxOptimizationThreads > 0 {
			o.lim.optimize = make(chan struct{}, o.MaxOptimizationThreads)
		}
	}
	return o.lim
}

// SearchThreads returns the number of searches that run at once for a
// max_search_threads setting: n itself when positive, else Qdrant's
// automatic choice, every CPU on one or two CPUs and every CPU but one on
// more.
func SearchThreads(n int) int {
	if n > 0 {
		return n
	}
	if cpus := runtime.NumCPU(); cpus > 2 {
		return cpus - 1
	}
	return max(1, runtime.NumCPU())
}

// acquire takes a slot of sem (none to take when sem is nil), waiting
// until one is free or ctx is done, and returns its release.
func (l *limits) acquire(ctx context.Context, sem chan struct{}, kind string) (func(), error) {
	if sem == nil {
		return func() {}, nil
	}
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	default:
	}
	if l.hooks != nil && l.hooks.SlotWait != nil {
		l.hooks.SlotWait(kind)
	}
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// searchSlot waits for one of the MaxSearchThreads slots; a nil l limits
// nothing.
func (l *limits) searchSlot(ctx context.Context) (func(), error) {
	if l == nil {
		return func() {}, nil
	}
	return l.acquire(ctx, l.search, "search")
}

// optimizeSlot waits for one of the MaxOptimizationThreads slots; a nil l
// limits nothing.
func (l *limits) optimizeSlot(ctx context.Context) (func(), error) {
	if l == nil {
		return func() {}, nil
	}
	return l.acquire(ctx, l.optimize, "optimize")
}
