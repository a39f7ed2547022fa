package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cairn-db/cairn/snapshot"
)

// syncBuffer is a log sink safe for the scheduler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

// TestMetrics checks every backup metric's value after runs.
func TestMetrics(t *testing.T) {
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	h := newHarness(t, t.TempDir(), clock, target, []Schedule{hourly(Keep{Last: 2})}, nil)
	h.start()
	h.next("run")
	h.untilRun()
	h.untilRun() // 12:00: the 10:00 pair is released
	target.setFail(errTargetDown)
	h.untilRun()
	want := strings.ReplaceAll(`
# HELP cairn_backup_failures_total Failed backup runs (each failed attempt counts).
# TYPE cairn_backup_failures_total counter
cairn_backup_failures_total{schedule="hourly",target="local"} 1
# HELP cairn_backup_bytes_written_total Bytes of snapshots written by backup runs.
# TYPE cairn_backup_bytes_written_total counter
cairn_backup_bytes_written_total{schedule="hourly",target="local"} 600
# HELP cairn_backup_snapshots_held Snapshots a backup schedule made and holds.
# TYPE cairn_backup_snapshots_held gauge
cairn_backup_snapshots_held{schedule="hourly",target="local"} 4
# HELP cairn_backup_snapshots_held_bytes Total size of the snapshots a backup schedule holds.
# TYPE cairn_backup_snapshots_held_bytes gauge
cairn_backup_snapshots_held_bytes{schedule="hourly",target="local"} 400
# HELP cairn_backup_last_success_timestamp_seconds Unix time of the last successful snapshot of a collection ("*": full snapshots) by a backup schedule.
# TYPE cairn_backup_last_success_timestamp_seconds gauge
cairn_backup_last_success_timestamp_seconds{collection="a",schedule="hourly",target="local"} NOON
cairn_backup_last_success_timestamp_seconds{collection="b",schedule="hourly",target="local"} NOON
`, "NOON", fmt.Sprint(float64(t0.Add(2*time.Hour).Unix())))
	if err := testutil.GatherAndCompare(h.reg, strings.NewReader(want), "cairn_backup_failures_total", "cairn_backup_bytes_written_total",
		"cairn_backup_snapshots_held", "cairn_backup_snapshots_held_bytes", "cairn_backup_last_success_timestamp_seconds"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(h.s.m.duration); n != 2 {
		t.Fatalf("%d duration series, want success and failed", n)
	}
}

// TestStaleIssues: once a series' last success is older than twice the
// interval it is an issue and a collection warning, logged once per
// change; DELETE /issues hides it; a success clears it.
func TestStaleIssues(t *testing.T) {
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	var logs syncBuffer
	sc := hourly(Keep{Last: 5})
	sc.Collections = []string{"a"}
	h := newHarness(t, t.TempDir(), clock, target, []Schedule{sc}, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		o.MaxAttempts = 1
	})
	h.start()
	h.next("run") // 10:00 success
	target.setFail(errTargetDown)
	h.untilRun() // 11:00 failed
	if is := h.s.Issues(); len(is) != 0 {
		t.Fatalf("issues before stale: %+v", is)
	}
	h.untilRun() // 12:00 failed: last success 10:00, stale after 12:00
	ev := h.next("idle")
	if !ev.wake.Equal(t0.Add(2*time.Hour + time.Nanosecond)) {
		t.Fatalf("wake %v, want the staleness change", ev.wake)
	}
	clock.Set(ev.wake)
	next := h.next("idle")
	is := h.s.Issues()
	if len(is) != 1 || is[0].ID != "backup_stale/hourly/a" || *is[0].RelatedCollection != "a" ||
		!strings.Contains(is[0].Description, "last succeeded at 2026-12-07T10:00:00Z") {
		t.Fatalf("issues %+v", is)
	}
	if w := h.s.Warnings("a"); len(w) != 1 || !strings.Contains(w[0].Message, "hourly") {
		t.Fatalf("warnings %+v", w)
	}
	if w := h.s.Warnings("b"); len(w) != 0 {
		t.Fatalf("b is not covered: %+v", w)
	}
	if got := h.s.List()[0].Stale; len(got) != 1 || got[0] != "a" {
		t.Fatalf("listing stale %v", got)
	}
	h.s.Issues()
	if n := logs.count("backup is stale"); n != 1 {
		t.Fatalf("logged %d times", n)
	}
	h.s.ClearIssues()
	if is := h.s.Issues(); len(is) != 0 {
		t.Fatalf("cleared issues %+v", is)
	}
	target.setFail(nil)
	clock.Set(next.wake)
	h.next("run")
	h.next("idle") // the loop has checked the staleness again
	if w := h.s.Warnings("a"); len(w) != 0 || logs.count("backup is fresh again") != 1 {
		t.Fatalf("after success: %+v, log %d", w, logs.count("fresh again"))
	}
}

// TestVerify: with verify: true each snapshot goes through VerifyFunc; a
// snapshot that fails fails the run, stays recorded as bad and is released
// by the next successful run.
func TestVerify(t *testing.T) {
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	var mu sync.Mutex
	var checked []string
	bad := true
	sc := hourly(Keep{Last: 5})
	sc.Collections, sc.Verify = []string{"a"}, true
	h := newHarness(t, t.TempDir(), clock, target, []Schedule{sc}, func(o *Options) {
		o.MaxAttempts = 1
		o.VerifyFunc = func(_ context.Context, tgt, coll string, d snapshot.Description) error {
			mu.Lock()
			defer mu.Unlock()
			checked = append(checked, tgt+"/"+coll+"/"+d.Name)
			if bad {
				return errors.New("checksum mismatch")
			}
			return nil
		}
	})
	h.start()
	if r := h.next("run"); r.res.Outcome != OutcomeFailed || !strings.Contains(r.res.Error, "verify a-001.snapshot: checksum mismatch") {
		t.Fatalf("run %+v", r.res)
	}
	mu.Lock()
	bad = false
	mu.Unlock()
	if r := h.untilRun(); r.res.Outcome != OutcomeSuccess || len(r.res.Deleted) != 1 || r.res.Deleted[0] != "a-001.snapshot" {
		t.Fatalf("run %+v", r.res)
	}
	if len(checked) != 2 || checked[0] != "local/a/a-001.snapshot" {
		t.Fatalf("checked %v", checked)
	}
}

// TestRetainRules checks Retain's rules on a hand-made series: weekly by
// ISO week, days without snapshots not counted, the newest always kept.
func TestRetainRules(t *testing.T) {
	day := func(d, h int) heldSnapshot {
		tm := time.Date(2026, 12, d, h, 0, 0, 0, time.UTC)
		return heldSnapshot{Name: tm.Format("02-15"), Created: tm}
	}
	// Mon 7 Dec 2026 is ISO week 50; Sun 6 Dec week 49; Sun 29 Nov week 48.
	snaps := []heldSnapshot{day(7, 10), day(7, 9), day(6, 23), day(6, 1), day(3, 5), day(1, 0), day(2, 0)}
	snaps = append(snaps, heldSnapshot{Name: "nov29", Created: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)})
	names := func(hs []heldSnapshot) string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Name)
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		k    Keep
		keep string
	}{
		{Keep{Last: 2}, "07-10 07-09"},
		{Keep{Daily: 3}, "07-10 06-23 03-05"},
		{Keep{Weekly: 3}, "07-10 06-23 nov29"},
		{Keep{Last: 1, Daily: 1, Weekly: 2}, "07-10 06-23"},
		{Keep{}, "07-10"}, // the newest survives any policy
	} {
		keep, release := Retain(c.k, snaps)
		if names(keep) != c.keep || len(keep)+len(release) != len(snaps) {
			t.Errorf("%+v: keep %q, want %q", c.k, names(keep), c.keep)
		}
	}
	snaps[0].Bad = true
	if keep, _ := Retain(Keep{Last: 1}, snaps); names(keep) != "07-09" {
		t.Errorf("bad snapshot kept: %q", names(keep))
	}
}

// TestNewCollectionNotStale: a collection created after the schedule's
// last success is not stale before the schedule had two intervals to
// back it up.
func TestNewCollectionNotStale(t *testing.T) {
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	var mu sync.Mutex
	colls := []string{"a"}
	h := newHarness(t, t.TempDir(), clock, target, []Schedule{hourly(Keep{Last: 5})}, func(o *Options) {
		o.Collections = func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), colls...) }
	})
	h.start()
	for range 5 { // 10:00 to 14:00: the schedule is older than two intervals
		h.untilRunOrFirst()
	}
	mu.Lock()
	colls = append(colls, "new")
	mu.Unlock()
	if is := h.s.Issues(); len(is) != 0 {
		t.Fatalf("a new collection reported stale: %+v", is)
	}
}
