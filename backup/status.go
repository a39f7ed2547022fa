package backup

import (
	"fmt"
	"sort"
	"time"

	"github.com/cairn-db/cairn/engine"
)

// seriesStaleness says whether one series of a schedule is stale.
type seriesStaleness struct {
	series string
	last   time.Time // last success, or the schedule's first sighting
	never  bool      // no success yet
	stale  bool
	since  time.Time // when it became (or becomes) stale
}

// schedStatus is a consistent view of one schedule.
type schedStatus struct {
	sc        *sched
	running   bool
	next      time.Time
	st        schedState
	held      []heldSnapshot
	series    map[string]time.Time
	staleness []seriesStaleness
}

// status returns every schedule's view at the clock's now.
func (s *Scheduler) status() []schedStatus {
	now := s.o.Clock.Now().UTC()
	out := make([]schedStatus, 0, len(s.scheds))
	for _, sc := range s.scheds {
		out = append(out, s.statusOf(sc, now))
	}
	return out
}

func (s *Scheduler) statusOf(sc *sched, now time.Time) schedStatus {
	series := []string{FullSeries}
	if !sc.Full {
		series = s.collections(sc) // outside mu: it takes the storage's lock
	}
	var st schedState
	var out schedStatus
	s.locked(func() {
		st = s.st.Schedules[sc.Name].clone()
		out = schedStatus{sc: sc, running: sc.running, next: sc.nextRun, st: st, held: st.Snapshots, series: st.Series}
	})
	for _, c := range series {
		// A series never backed up is counted from the schedule's first
		// sighting, or from its last success, which would have included a
		// collection that existed then.
		v := seriesStaleness{series: c, last: st.Since, never: true}
		if st.LastSuccess != nil && st.LastSuccess.After(v.last) {
			v.last = *st.LastSuccess
		}
		if t, ok := st.Series[c]; ok {
			v.last, v.never = t, false
		}
		v.since = sc.staleAfter(v.last)
		v.stale = now.After(v.since)
		out.staleness = append(out.staleness, v)
	}
	return out
}

// staleAt returns the earliest time after now at which a series of sc
// becomes stale (zero when none will), so the loop wakes to log it.
func (s *Scheduler) staleAt(sc *sched) time.Time {
	var at time.Time
	for _, v := range s.statusOf(sc, s.o.Clock.Now().UTC()).staleness {
		if !v.stale && (at.IsZero() || v.since.Before(at)) {
			at = v.since.Add(time.Nanosecond)
		}
	}
	return at
}

func staleKey(schedule, series string) string { return schedule + "/" + series }

// checkStale logs each series of sc that became stale or fresh again
// since the last check: once per change.
func (s *Scheduler) checkStale(sc *sched, now time.Time) {
	st := s.statusOf(sc, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range st.staleness {
		k := staleKey(sc.Name, v.series)
		if s.stale[k] == v.stale {
			continue
		}
		s.stale[k] = v.stale
		if v.stale {
			s.log.Warn("backup is stale: last success older than twice the schedule's interval", "schedule", sc.Name,
				"collection", v.series, "last_success", lastText(v), "stale_since", v.since)
			continue
		}
		delete(s.cleared, k)
		s.log.Info("backup is fresh again", "schedule", sc.Name, "collection", v.series, "last_success", lastText(v))
	}
}

func lastText(v seriesStaleness) string {
	if v.never {
		return "never"
	}
	return v.last.Format(time.RFC3339)
}

// Issues returns the stale series as GET /issues entries, in name order,
// except those cleared (ClearIssues) since they became stale.
func (s *Scheduler) Issues() []engine.Issue {
	now := s.o.Clock.Now().UTC()
	out := []engine.Issue{}
	for _, sc := range s.scheds {
		s.checkStale(sc, now)
		for _, v := range s.statusOf(sc, now).staleness {
			k := staleKey(sc.Name, v.series)
			var cleared bool
			s.locked(func() { cleared = s.cleared[k] })
			if !v.stale || cleared {
				continue
			}
			is := engine.Issue{
				ID:          "backup_stale/" + k,
				Description: staleText(sc, v),
				Solution: engine.IssueSolution{Refactor: fmt.Sprintf(
					"Check the backup schedule's last error (GET /backup/schedules) and its target, then run it (POST /backup/schedules/%s/run)", sc.Name)},
				Timestamp: v.since,
			}
			if v.series != FullSeries {
				c := v.series
				is.RelatedCollection = &c
			}
			out = append(out, is)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func staleText(sc *sched, v seriesStaleness) string {
	what := "collection `" + v.series + "`"
	if v.series == FullSeries {
		what = "the full storage"
	}
	last := "has never succeeded"
	if !v.never {
		last = "last succeeded at " + v.last.Format(time.RFC3339)
	}
	return fmt.Sprintf("Backup schedule `%s` (%s) of %s %s, more than twice its interval ago", sc.Name, sc.Spec, what, last)
}

// ClearIssues hides the current stale issues (DELETE /issues) until they
// are fresh and then stale again.
func (s *Scheduler) ClearIssues() {
	now := s.o.Clock.Now().UTC()
	for _, sc := range s.scheds {
		for _, v := range s.statusOf(sc, now).staleness {
			if v.stale {
				s.locked(func() { s.cleared[staleKey(sc.Name, v.series)] = true })
			}
		}
	}
}

// Warnings returns the collection info warnings of collection c: one per
// schedule covering it (a full schedule covers every collection) whose
// backup of it is stale.
func (s *Scheduler) Warnings(c string) []engine.CollectionWarning {
	now := s.o.Clock.Now().UTC()
	var out []engine.CollectionWarning
	for _, sc := range s.scheds {
		if !sc.covers(c) {
			continue
		}
		for _, v := range s.statusOf(sc, now).staleness {
			if v.stale && (v.series == c || v.series == FullSeries) {
				out = append(out, engine.CollectionWarning{Message: staleText(sc, v)})
			}
		}
	}
	return out
}
