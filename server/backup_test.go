package server

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-db/cairn/backup"
	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
)

// stepClock is two clocks. Now, the snapshot manager's, advances a second
// on every call so that snapshot names differ. The scheduler's (sched)
// moves only with add: the snapshot manager's calls must not bring a
// schedule's first run due while a test runs it by hand (POST .../run
// answered 409 under -race and load when they did). Its timers never fire,
// so a schedule runs only when asked in these tests.
type stepClock struct {
	mu    sync.Mutex
	now   time.Time
	sched time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func (c *stepClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sched = c.sched.Add(d)
	c.mu.Unlock()
}

// schedClock is the scheduler's view of a stepClock.
type schedClock struct{ c *stepClock }

func (s schedClock) Now() time.Time {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.c.sched
}

func (schedClock) After(time.Duration) <-chan time.Time { return nil }

// backupServer is a server over a real engine and snapshot manager with
// one daily schedule of collection c keeping one snapshot.
func backupServer(t *testing.T, keys ...string) (*Server, *stepClock, *prometheus.Registry) {
	t.Helper()
	dir := t.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	st, err := engine.Open(engine.Options{Dir: dir, DisableBackground: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	clock := &stepClock{now: start, sched: start}
	m := &snapshot.Manager{Storage: st, StoragePath: dir, SnapshotsPath: filepath.Join(dir, "snapshots"),
		TempPath: filepath.Join(dir, "tmp"), Logger: quiet, NodeID: 7, Now: clock.Now}
	reg := prometheus.NewRegistry()
	sched, err := backup.New(backup.Options{
		Schedules:   []backup.Schedule{{Name: "daily", Collections: []string{"c"}, Every: 24 * time.Hour, Spec: "every 24h", Target: "local", Keep: backup.Keep{Last: 1}}},
		Targets:     map[string]backup.Target{"local": m},
		Collections: st.ListCollections,
		StatePath:   filepath.Join(m.SnapshotsPath, backup.StateFile),
		Logger:      quiet, Clock: schedClock{clock}, Rand: rand.New(rand.NewSource(1)), MaxJitter: time.Hour, Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sched.Start(ctx)
	t.Cleanup(func() {
		cancel()
		sched.Close()
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	o := Options{Storage: st, Snapshots: m, Backup: sched, Logger: quiet, Registry: reg}
	if len(keys) == 2 {
		o.APIKey, o.ReadOnlyAPIKey = keys[0], keys[1]
	}
	return New(o), clock, reg
}

// TestBackupRoutes: list, run now, the snapshots visible through the
// ordinary routes, retention sparing a snapshot made by hand, 404 for an
// unknown schedule, and the metrics on /metrics.
func TestBackupRoutes(t *testing.T) {
	s, _, _ := backupServer(t)
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	list := decode[map[string][]map[string]any](t, mustOK(t, s, "GET", "/backup/schedules", ""))["schedules"]
	if len(list) != 1 || list[0]["name"] != "daily" || list[0]["last_run"] != nil || list[0]["every"] != "24h" || list[0]["next_run"] == nil {
		t.Fatalf("list %v", list)
	}
	if runs, ok := list[0]["runs"].([]any); !ok || len(runs) != 0 {
		t.Fatalf("runs before the first run: %#v", list[0]["runs"])
	}
	hand := decode[snapshot.Description](t, mustOK(t, s, "POST", "/collections/c/snapshots", ""))
	var made []string
	for range 3 {
		res := decode[backup.RunResult](t, mustOK(t, s, "POST", "/backup/schedules/daily/run", ""))
		if res.Outcome != backup.OutcomeSuccess || len(res.Snapshots) != 1 {
			t.Fatalf("run %+v", res)
		}
		made = append(made, res.Snapshots[0])
	}
	snaps := decode[[]snapshot.Description](t, mustOK(t, s, "GET", "/collections/c/snapshots", ""))
	var names []string
	for _, d := range snaps {
		names = append(names, d.Name)
	}
	if len(snaps) != 2 || !strings.Contains(strings.Join(names, " "), hand.Name) || !strings.Contains(strings.Join(names, " "), made[2]) {
		t.Fatalf("snapshots %v: want the hand-made %s and the newest scheduled %s", names, hand.Name, made[2])
	}
	list = decode[map[string][]map[string]any](t, mustOK(t, s, "GET", "/backup/schedules", ""))["schedules"]
	lr := list[0]["last_run"].(map[string]any)
	if lr["outcome"] != "success" || lr["manual"] != true || fmt.Sprint(list[0]["snapshots_held"]) != "1" {
		t.Fatalf("list after runs %v", list)
	}
	runs := list[0]["runs"].([]any)
	if len(runs) != 3 {
		t.Fatalf("runs %v", runs)
	}
	for _, r := range runs {
		r := r.(map[string]any)
		if r["outcome"] != "success" || r["manual"] != true || fmt.Sprint(r["snapshots"]) != "1" || fmt.Sprint(r["bytes"]) == "0" || r["duration_seconds"] == nil {
			t.Fatalf("run in the history %v", r)
		}
	}
	mustFail(t, s, "POST", "/backup/schedules/nope/run", "", 404, "backup schedule nope does not exist")
	mustFail(t, s, "POST", "/backup/schedules/daily/run?wait=maybe", "", 400)
	if r := do(t, s, "POST", "/backup/schedules/daily/run?wait=false", ""); r.Code != 202 || !strings.Contains(r.Body.String(), `"status":"accepted"`) {
		t.Fatalf("wait=false: %d %s", r.Code, r.Body.String())
	}
	rec := do(t, s, "GET", "/metrics", "")
	for _, want := range []string{`cairn_backup_last_success_timestamp_seconds{collection="c",schedule="daily",target="local"}`,
		`cairn_backup_snapshots_held{schedule="daily",target="local"}`, `cairn_backup_failures_total{schedule="daily",target="local"} 0`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestBackupRoutesKeys: the read-only key may list, not run.
func TestBackupRoutesKeys(t *testing.T) {
	s, _, _ := backupServer(t, "full-key", "ro-key")
	if r := call(t, s, "GET", "/backup/schedules", "", "api-key", "ro-key"); r.code != 200 {
		t.Fatalf("list with the read-only key: %d", r.code)
	}
	if r := call(t, s, "POST", "/backup/schedules/daily/run", "", "api-key", "ro-key"); r.code != 403 {
		t.Fatalf("run with the read-only key: %d %s", r.code, r.raw)
	}
	if r := call(t, s, "POST", "/backup/schedules/daily/run", ""); r.code != 401 {
		t.Fatalf("run without a key: %d", r.code)
	}
	if r := call(t, s, "POST", "/backup/schedules/daily/run", "", "api-key", "full-key"); r.code != 200 {
		t.Fatalf("run with the full key: %d %s", r.code, r.raw)
	}
}

// TestBackupStaleReported: a schedule whose last success is older than
// twice its interval shows in /issues and in the collection's info
// warnings; /readyz stays ready; DELETE /issues clears it.
func TestBackupStaleReported(t *testing.T) {
	s, clock, _ := backupServer(t)
	mustOK(t, s, "PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	mustOK(t, s, "POST", "/backup/schedules/daily/run", "")
	if is := decode[map[string][]engine.Issue](t, mustOK(t, s, "GET", "/issues", ""))["issues"]; len(is) != 0 {
		t.Fatalf("fresh: %+v", is)
	}
	if info := decode[map[string]any](t, mustOK(t, s, "GET", "/collections/c", "")); info["warnings"] != nil {
		t.Fatalf("fresh info %v", info["warnings"])
	}
	clock.add(49 * time.Hour)
	is := decode[map[string][]engine.Issue](t, mustOK(t, s, "GET", "/issues", ""))["issues"]
	if len(is) != 1 || is[0].ID != "backup_stale/daily/c" || *is[0].RelatedCollection != "c" {
		t.Fatalf("stale: %+v", is)
	}
	info := decode[map[string]any](t, mustOK(t, s, "GET", "/collections/c", ""))
	w, _ := info["warnings"].([]any)
	if len(w) != 1 || !strings.Contains(w[0].(map[string]any)["message"].(string), "Backup schedule `daily`") {
		t.Fatalf("warnings %v", info["warnings"])
	}
	if r := do(t, s, "GET", "/readyz", ""); r.Code != 200 {
		t.Fatalf("readyz %d", r.Code)
	}
	mustOK(t, s, "DELETE", "/issues", "")
	if is := decode[map[string][]engine.Issue](t, mustOK(t, s, "GET", "/issues", ""))["issues"]; len(is) != 0 {
		t.Fatalf("after DELETE /issues: %+v", is)
	}
}
