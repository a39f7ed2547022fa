package backup

import (
	"context"
	"fmt"
	"time"
)

// UnknownSchedule returns the error for a schedule name not configured.
func UnknownSchedule(name string) error {
	return fmt.Errorf("%w %s does not exist", ErrUnknownSchedule, name)
}

// RunResult is the outcome of one run.
type RunResult struct {
	// Outcome is OutcomeSuccess, OutcomeFailed or OutcomeAborted.
	Outcome string `json:"outcome"`
	// Error says why a run failed ("" on success).
	Error string `json:"error,omitempty"`
	// Start and End bound the run.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Snapshots are the snapshots the run made.
	Snapshots []string `json:"snapshots"`
	// Deleted are the snapshots its retention deleted.
	Deleted []string `json:"deleted"`
}

// loop runs one schedule: it waits for the schedule's next time (plus the
// random delay), a retry, a staleness change or a manual trigger, and
// runs. A run missed while the server was down is due at once, once.
func (s *Scheduler) loop(ctx context.Context, sc *sched) {
	defer s.wg.Done()
	for {
		now := s.o.Clock.Now().UTC()
		s.checkStale(sc, now)
		slot, at := s.plan(sc, now)
		s.locked(func() { sc.nextRun = at })
		wake := at
		if st := s.staleAt(sc); st.After(now) && st.Before(wake) {
			wake = st
		}
		if !now.Before(at) {
			if s.claim(sc) {
				s.scheduled(ctx, sc, slot)
			} else {
				s.manual(ctx, sc, <-sc.trigger) // claimed by RunNow, which sends at once
			}
			if ctx.Err() != nil {
				return
			}
			continue
		}
		timer := s.o.Clock.After(wake.Sub(now))
		if s.idle != nil {
			s.idle(sc.Name, wake)
		}
		select {
		case <-ctx.Done():
			return
		case reply := <-sc.trigger:
			s.manual(ctx, sc, reply)
		case <-timer:
		}
	}
}

// manual runs a run RunNow claimed and answers it on reply. The claim is
// released before the answer is sent, so a caller that runs the schedule
// again as soon as it has its answer is not refused as still running; a
// panic releases it too.
func (s *Scheduler) manual(ctx context.Context, sc *sched, reply chan RunResult) {
	released := false
	defer func() {
		if !released {
			s.release(sc)
		}
	}()
	res := s.execute(ctx, sc, true, 0)
	if res.Outcome == OutcomeSuccess && !sc.retrySlot.IsZero() {
		s.markSlot(sc, sc.retrySlot) // a fresh backup serves the slot being retried
		sc.retrySlot, sc.attempt = time.Time{}, 0
	}
	s.release(sc)
	released = true
	reply <- res // buffered: never blocks
}

// plan returns the slot the schedule serves next and when to run it: a
// pending retry; or the next scheduled time after the last one served
// (every missed time collapses into the latest one, due now); a schedule
// that never ran is due now. A time due in the future gets the random
// delay; one already due when the scheduler started gets it too, counted
// from the start.
func (s *Scheduler) plan(sc *sched, now time.Time) (slot, at time.Time) {
	if !sc.retrySlot.IsZero() {
		return sc.retrySlot, sc.retryAt
	}
	var last *time.Time
	var started time.Time
	s.locked(func() { last, started = s.st.Schedules[sc.Name].LastSlot, s.started })
	if last == nil {
		slot = sc.slotAt(now)
	} else if slot = sc.next(*last); !slot.After(now) {
		slot = sc.slotAt(now)
	}
	base := slot
	if base.Before(started) {
		base = started
	}
	return slot, base.Add(s.jitterFor(sc, slot))
}

// jitterFor returns the random delay of slot, drawn once per slot.
func (s *Scheduler) jitterFor(sc *sched, slot time.Time) time.Duration {
	if sc.jitterSlot.Equal(slot) {
		return sc.jitter
	}
	max := s.o.MaxJitter
	if gap := sc.next(slot).Sub(slot) / 10; gap < max {
		max = gap
	}
	sc.jitterSlot, sc.jitter = slot, 0
	if max > 0 {
		s.locked(func() { sc.jitter = time.Duration(s.rnd.Int63n(int64(max) + 1)) })
	}
	return sc.jitter
}

// claim marks sc running; false when it already is (a manual run).
func (s *Scheduler) claim(sc *sched) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc.running {
		return false
	}
	sc.running = true
	return true
}

func (s *Scheduler) release(sc *sched) {
	s.locked(func() { sc.running = false })
}

// scheduled runs slot's attempt and plans what follows: the slot is served
// on success or after the last attempt; a failure before that is retried
// after RetryBase doubled per attempt, at most RetryMax.
func (s *Scheduler) scheduled(ctx context.Context, sc *sched, slot time.Time) {
	defer s.release(sc)
	if !sc.retrySlot.Equal(slot) {
		sc.attempt = 0
	}
	sc.attempt++
	res := s.execute(ctx, sc, false, sc.attempt)
	switch {
	case res.Outcome == OutcomeAborted:
		return // not served: it runs again at the next start
	case res.Outcome == OutcomeSuccess || sc.attempt >= s.o.MaxAttempts:
		if res.Outcome != OutcomeSuccess {
			s.log.Error("backup run failed, no retry left; waiting for the next scheduled time",
				"schedule", sc.Name, "attempts", sc.attempt, "error", res.Error)
		}
		s.markSlot(sc, slot)
		sc.retrySlot, sc.attempt = time.Time{}, 0
	default:
		d := s.o.RetryBase << (sc.attempt - 1)
		if d > s.o.RetryMax || d <= 0 {
			d = s.o.RetryMax
		}
		sc.retrySlot, sc.retryAt = slot, res.End.Add(d)
		s.log.Warn("backup run failed, retrying", "schedule", sc.Name, "attempt", sc.attempt, "retry_in", d, "error", res.Error)
	}
}

// markSlot records slot as served and saves the state.
func (s *Scheduler) markSlot(sc *sched, slot time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := slot.UTC()
	s.st.Schedules[sc.Name].LastSlot = &t
	s.saveLocked()
}

// saveLocked writes the state file; a failure is logged (the run's
// outcome stands, and the next save writes it again). Caller holds mu.
func (s *Scheduler) saveLocked() {
	if err := saveState(s.o.FS, s.o.StatePath, s.st); err != nil {
		s.log.Error("save backup state", "error", err)
	}
}

// claimManual marks sc running for RunNow, or says why it cannot.
func (s *Scheduler) claimManual(sc *sched) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel == nil || s.closed {
		return ErrClosed
	}
	if sc.running {
		return fmt.Errorf("%w: %s", ErrRunning, sc.Name)
	}
	sc.running = true
	return nil
}

// RunNow runs the schedule name now, outside its timer. With wait it
// returns the run's result; without, it returns once the run is accepted.
// It fails with ErrUnknownSchedule, ErrRunning or ErrClosed.
func (s *Scheduler) RunNow(ctx context.Context, name string, wait bool) (RunResult, error) {
	sc := s.byName[name]
	if sc == nil {
		return RunResult{}, UnknownSchedule(name)
	}
	if err := s.claimManual(sc); err != nil {
		return RunResult{}, err
	}
	reply := make(chan RunResult, 1)
	sc.trigger <- reply // buffered, and only the claimer sends
	if !wait {
		return RunResult{}, nil
	}
	select {
	case res := <-reply:
		return res, nil
	case <-ctx.Done():
		return RunResult{}, ctx.Err() // the run goes on
	case <-s.done:
		return RunResult{}, ErrClosed
	}
}
