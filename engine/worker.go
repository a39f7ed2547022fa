package engine

import (
	"context"
	"time"
)

// workerTick is how often the workers check the flush interval, sync the
// WAL for wait=false writes and retry failed work.
const workerTick = 500 * time.Millisecond

// startWorker starts the shard's two background loops: the sealer (seals
// the head on threshold or flush interval) and the optimizer (merges,
// vacuums, index and graph builds). They run independently, so a long graph
// build never holds back a seal; their commits are serialised by commitMu.
func (s *shard) startWorker() {
	s.started = true
	ctx, cancel := context.WithCancel(context.Background())
	s.loops.Add(3)
	go func() {
		defer s.loops.Done()
		<-s.stop
		cancel()
	}()
	go s.loop(ctx, s.kick, func(ctx context.Context) error {
		if s.log.Err() != nil {
			// A failed WAL write or fsync: repair it without waiting for
			// the next write (see recoverLog).
			if err := s.recoverLog(); err != nil {
				return err
			}
		}
		_ = s.log.Sync(s.log.LastLSN())
		if !s.sealDue() {
			return nil
		}
		err := s.sealNow(ctx)
		s.kickOptimizer()
		return err
	})
	go s.loop(ctx, s.kickOpt, func(ctx context.Context) error { return s.optimizeAll(ctx, true) })
}

// loop runs work on every kick and tick until the shard stops; an error
// other than the one stopping causes is recorded.
func (s *shard) loop(ctx context.Context, kick chan struct{}, work func(context.Context) error) {
	defer s.loops.Done()
	t := time.NewTicker(workerTick)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-kick:
		case <-t.C:
		}
		if err := work(ctx); ctx.Err() == nil || err == nil {
			s.setErr(err)
		}
	}
}

// stopWorker stops the loops and waits for them; idempotent, and a no-op
// for a shard whose worker never started.
func (s *shard) stopWorker() {
	s.stopOnce.Do(func() {
		s.cancel()
		close(s.stop)
	})
	s.loops.Wait()
}

// kickWorker asks the sealer to look for work without blocking.
func (s *shard) kickWorker() { nudge(s.kick) }

// kickOptimizer asks the optimizer to look for work without blocking.
func (s *shard) kickOptimizer() { nudge(s.kickOpt) }

func nudge(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// sealNow seals the head (one seal at a time per shard).
func (s *shard) sealNow(ctx context.Context) error {
	s.sealMu.Lock()
	defer s.sealMu.Unlock()
	return s.seal(ctx)
}

// optimizeAll runs optimizations until none is due (one optimizer at a
// time per shard). The background optimizer defers heavy work while the
// shard is ingesting (see hotWindow); explicit calls do everything due.
func (s *shard) optimizeAll(ctx context.Context, background bool) error {
	s.optMu.Lock()
	defer s.optMu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	for ctx.Err() == nil {
		release, err := s.core.limits.optimizeSlot(ctx)
		if err != nil {
			return err
		}
		did, err := s.optimizeOnce(ctx, background)
		release()
		if err != nil || !did {
			return err
		}
	}
	return nil
}

// maintainSeal seals the head now, then optimizes until nothing is due;
// stopping the shard cancels both.
func (s *shard) maintainSeal() error {
	ctx := s.ctx
	if err := s.sealNow(ctx); err != nil {
		return err
	}
	return s.optimizeAll(ctx, false)
}

// sealDue reports whether the head reached the seal threshold, the flush
// interval has passed since its first write (at once for an interval of
// 0, Qdrant's "no minimum interval": every worker tick seals the points
// written since the last), or a failed seal awaits retry.
func (s *shard) sealDue() bool {
	cfg := s.core.config()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.frozen != nil {
		return true
	}
	n := s.head.slots()
	if n == 0 {
		return false
	}
	if n >= cfg.sealThresholdPoints() {
		return true
	}
	iv := cfg.OptimizerConfig.FlushIntervalSec
	return time.Since(time.Unix(0, s.head.firstWrite)) >= time.Duration(iv)*time.Second
}
