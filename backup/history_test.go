package backup

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-db/cairn/vfs"
)

// TestRunHistoryBoundedAndSurvivesRestart: every run lands in the
// history (bytes, snapshots, outcome and error), listed newest first; the
// history survives a restart and keeps only the last MaxRunHistory runs.
func TestRunHistoryBoundedAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	sc := []Schedule{hourly(Keep{Last: 3})}
	h := newHarness(t, dir, clock, target, sc, nil)
	h.start()
	h.next("run")
	h.next("idle")
	target.setFail(errors.New("disk full"))
	if res, err := h.s.RunNow(context.Background(), "hourly", true); err != nil || res.Outcome != OutcomeFailed {
		t.Fatalf("failing run: %+v %v", res, err)
	}
	h.next("run")
	h.next("idle")
	h.stop()

	p := filepath.Join(dir, StateFile)
	st, err := loadState(p)
	if err != nil {
		t.Fatal(err)
	}
	// Fill the history up to the bound with older runs, then restart.
	ss := st.Schedules["hourly"]
	old := ss.Runs
	ss.Runs = nil
	for i := 0; i < MaxRunHistory-len(old); i++ {
		at := t0.Add(-time.Duration(MaxRunHistory-i) * time.Hour)
		ss.Runs = append(ss.Runs, runEntry{Start: at, End: at.Add(time.Second), Outcome: OutcomeSuccess, Bytes: int64(i), Snapshots: 2})
	}
	ss.Runs = append(ss.Runs, old...)
	if err := saveState(vfs.OS, p, st); err != nil {
		t.Fatal(err)
	}

	h = newHarness(t, dir, clock, target, sc, nil)
	runs := h.s.List()[0].Runs
	if len(runs) != MaxRunHistory {
		t.Fatalf("%d runs after restart, want %d", len(runs), MaxRunHistory)
	}
	if r := runs[0]; r.Outcome != OutcomeFailed || !contains(r.Error, "disk full") || !r.Manual || r.Snapshots != 0 || r.Bytes != 0 {
		t.Fatalf("newest run %+v", r)
	}
	if r := runs[1]; r.Outcome != OutcomeSuccess || r.Manual || r.Snapshots != 2 || r.Bytes != 200 || !r.Start.Equal(t0) {
		t.Fatalf("first run %+v", r)
	}
	if r := runs[MaxRunHistory-1]; r.Bytes != 0 || !r.Start.Equal(t0.Add(-MaxRunHistory*time.Hour)) {
		t.Fatalf("oldest run %+v", r)
	}

	target.setFail(nil)
	clock.Set(t0.Add(2 * time.Second))
	h.start()
	if res, err := h.s.RunNow(context.Background(), "hourly", true); err != nil || res.Outcome != OutcomeSuccess {
		t.Fatalf("run after restart: %+v %v", res, err)
	}
	runs = h.s.List()[0].Runs
	if len(runs) != MaxRunHistory {
		t.Fatalf("%d runs, want the bound %d", len(runs), MaxRunHistory)
	}
	if runs[0].Outcome != OutcomeSuccess || runs[0].Bytes != 200 || runs[1].Outcome != OutcomeFailed {
		t.Fatalf("newest runs %+v %+v", runs[0], runs[1])
	}
	if r := runs[MaxRunHistory-1]; r.Bytes != 1 {
		t.Fatalf("the oldest run was not dropped: %+v", r)
	}
	for i := 1; i < len(runs); i++ {
		if runs[i].Start.After(runs[i-1].Start) {
			t.Fatalf("runs %d and %d not newest first", i-1, i)
		}
	}
}

// TestStateFileVersion1: a version 1 file (no run history) is read, its
// schedule state kept, and written back as the current version with the
// next run in its history.
func TestStateFileVersion1(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, StateFile)
	last := t0.Add(-30 * time.Minute)
	body := `{"schedules":{"hourly":{"since":"2026-12-07T08:00:00Z","last_slot":"2026-12-07T09:00:00Z",` +
		`"last_run":{"start":"2026-12-07T09:29:00Z","end":"2026-12-07T09:30:00Z","outcome":"success","attempt":1},` +
		`"last_success":"2026-12-07T09:30:00Z","series":{"a":"2026-12-07T09:30:00Z"},` +
		`"snapshots":[{"collection":"a","name":"a-old.snapshot","target":"local","created":"2026-12-07T09:30:00Z","size":7}],"failures":0}}}`
	var buf bytes.Buffer
	buf.WriteString(stateMagic)
	var hdr [12]byte
	binary.LittleEndian.PutUint32(hdr[0:], 1)
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(body)))
	binary.LittleEndian.PutUint32(hdr[8:], crc32.Checksum([]byte(body), castagnoli))
	buf.Write(hdr[:])
	buf.WriteString(body)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	clock := newFakeClock(t0)
	target := newFakeTarget(clock)
	h := newHarness(t, dir, clock, target, []Schedule{hourly(Keep{Last: 5})}, nil)
	in := h.s.List()[0]
	if in.LastSuccess == nil || !in.LastSuccess.Equal(last) || in.SnapshotsHeld != 1 || in.SnapshotsBytes != 7 || len(in.Runs) != 0 {
		t.Fatalf("version 1 state not read: %+v", in)
	}
	if m, _ := filepath.Glob(p + ".bad-*"); len(m) != 0 {
		t.Fatalf("a version 1 file was set aside: %v", m)
	}
	h.start()
	h.next("run") // the 10:00 slot
	h.next("idle")
	h.stop()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(b[len(stateMagic):]); v != stateVersion {
		t.Fatalf("written back as version %d", v)
	}
	var st state
	if err := json.Unmarshal(b[headerLen:], &st); err != nil {
		t.Fatal(err)
	}
	ss := st.Schedules["hourly"]
	if len(ss.Runs) != 1 || ss.Runs[0].Snapshots != 2 || len(ss.Snapshots) != 3 {
		t.Fatalf("after a run: runs %+v, snapshots %+v", ss.Runs, ss.Snapshots)
	}
}
