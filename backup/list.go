package backup

import (
	"strings"
	"time"
)

// ScheduleInfo is one entry of GET /backup/schedules.
type ScheduleInfo struct {
	// Name identifies the schedule.
	Name string `json:"name"`
	// Collections are the configured collections, ["*"] for every one.
	Collections []string `json:"collections"`
	// Full is set for a full-storage schedule.
	Full bool `json:"full"`
	// Every is the configured interval, or "".
	Every string `json:"every,omitempty"`
	// Cron is the configured cron expression, or "".
	Cron string `json:"cron,omitempty"`
	// Target is local or s3.
	Target string `json:"target"`
	// Keep is the retention policy.
	Keep Keep `json:"keep"`
	// Verify is set when each snapshot is verified.
	Verify bool `json:"verify"`
	// Running is set while a run is in progress.
	Running bool `json:"running"`
	// LastRun is the last run's outcome, null before the first.
	LastRun *RunInfo `json:"last_run"`
	// LastSuccess is when the last successful run ended, or null.
	LastSuccess *time.Time `json:"last_success"`
	// NextRun is when the schedule runs next (a retry's time while one is
	// pending), or null when the scheduler is not running.
	NextRun *time.Time `json:"next_run"`
	// Failures counts the failed attempts since the last success.
	Failures int `json:"failures"`
	// SnapshotsHeld and SnapshotsBytes count the snapshots the schedule
	// made and has not deleted.
	SnapshotsHeld  int   `json:"snapshots_held"`
	SnapshotsBytes int64 `json:"snapshots_bytes"`
	// Stale lists the collections ("*": the full storage) whose last
	// success is older than twice the interval.
	Stale []string `json:"stale"`
	// Runs is the run history, newest first, at most MaxRunHistory.
	Runs []RunHistory `json:"runs"`
}

// RunHistory is one past run of a schedule.
type RunHistory struct {
	// Start and End bound the run.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// DurationSeconds is End - Start.
	DurationSeconds float64 `json:"duration_seconds"`
	// Outcome is OutcomeSuccess, OutcomeFailed or OutcomeAborted.
	Outcome string `json:"outcome"`
	// Error says why the run failed ("" on success).
	Error string `json:"error,omitempty"`
	// Manual is set for a run asked for by POST /backup/schedules/{name}/run.
	Manual bool `json:"manual"`
	// Bytes is the total size of the snapshots the run made.
	Bytes int64 `json:"bytes"`
	// Snapshots counts the snapshots the run made.
	Snapshots int `json:"snapshots"`
}

// RunInfo is a run's outcome in a listing.
type RunInfo struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Outcome string    `json:"outcome"`
	Error   string    `json:"error,omitempty"`
	Manual  bool      `json:"manual"`
}

// List describes every schedule, in configuration order.
func (s *Scheduler) List() []ScheduleInfo {
	out := []ScheduleInfo{}
	for _, st := range s.status() {
		sc := st.sc
		in := ScheduleInfo{Name: sc.Name, Collections: sc.Collections, Full: sc.Full, Target: sc.Target,
			Keep: sc.Keep, Verify: sc.Verify, Running: st.running, LastSuccess: st.st.LastSuccess,
			Failures: st.st.Failures, Stale: []string{}}
		if in.Collections == nil {
			in.Collections = []string{"*"}
		}
		if e, ok := strings.CutPrefix(sc.Spec, "every "); ok {
			in.Every = e
		} else {
			in.Cron = strings.TrimPrefix(sc.Spec, "cron ")
		}
		if r := st.st.LastRun; r != nil {
			in.LastRun = &RunInfo{Start: r.Start, End: r.End, Outcome: r.Outcome, Error: r.Error, Manual: r.Manual}
		}
		if !st.next.IsZero() {
			t := st.next
			in.NextRun = &t
		}
		for _, h := range st.held {
			in.SnapshotsHeld++
			in.SnapshotsBytes += h.Size
		}
		for _, v := range st.staleness {
			if v.stale {
				in.Stale = append(in.Stale, v.series)
			}
		}
		in.Runs = runHistory(st.st.Runs)
		out = append(out, in)
	}
	return out
}

// runHistory returns runs (oldest first) newest first.
func runHistory(runs []runEntry) []RunHistory {
	out := make([]RunHistory, 0, len(runs))
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		out = append(out, RunHistory{Start: r.Start, End: r.End, DurationSeconds: r.End.Sub(r.Start).Seconds(),
			Outcome: r.Outcome, Error: r.Error, Manual: r.Manual, Bytes: r.Bytes, Snapshots: r.Snapshots})
	}
	return out
}
