package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/walarchive"
)

// after returns a moment strictly after every write so far (it spins
// until the clock moves past it; no sleep).
func after() time.Time {
	m := time.Now()
	for !time.Now().After(m) {
	}
	return m
}

// newPITREnv is a snapshot env whose storage is archived to a Mem store.
func newPITREnv(t *testing.T) (*snapEnv, *walarchive.Archiver, *objstore.Mem) {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	store := objstore.NewMem(nil)
	arch := &walarchive.Archiver{Store: store, Logger: log}
	st, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "storage"), DisableBackground: true, Logger: log, ArchivedLSN: arch.ArchivedLSN})
	if err != nil {
		t.Fatal(err)
	}
	arch.Attach(st)
	env := &snapEnv{snaps: filepath.Join(dir, "snapshots"), temp: filepath.Join(dir, "storage", "tmp")}
	env.m = &snapshot.Manager{Storage: st, StoragePath: filepath.Join(dir, "storage"), SnapshotsPath: env.snaps, TempPath: env.temp, Logger: log, NodeID: 7}
	env.s = New(Options{Storage: st, Snapshots: env.m, Logger: log, WALArchive: arch})
	t.Cleanup(func() {
		env.s.Wait()
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return env, arch, store
}

// TestRecoverPointInTime: PUT …/snapshots/recover with point_in_time gives
// the snapshot plus the archived writes up to the moment; a gap is refused
// with 409 naming the range and the collection is kept.
func TestRecoverPointInTime(t *testing.T) {
	e, arch, store := newPITREnv(t)
	e.collection(t, "c", 3)
	path, _ := e.archive(t, "c")
	e.upsert(t, "c", 4, 5)
	m1 := after()
	e.upsert(t, "c", 6, 9)
	m2 := after()
	if err := arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		as   string
		to   time.Time
		want int
	}{{"d1", m1, 5}, {"d2", m2, 9}} {
		body := fmt.Sprintf(`{"location":"file://%s","point_in_time":%q}`, path, tc.to.Format(time.RFC3339Nano))
		mustOK(t, e.s, "PUT", "/collections/"+tc.as+"/snapshots/recover", body)
		if n := e.count(t, tc.as); n != tc.want {
			t.Fatalf("%s: %d points, want %d", tc.as, n, tc.want)
		}
	}
	mustFail(t, e.s, "PUT", "/collections/d3/snapshots/recover", fmt.Sprintf(`{"location":"file://%s","point_in_time":"soon"}`, path), 400, "RFC 3339")
	mustFail(t, e.s, "PUT", "/collections/c/shards/0/snapshots/recover", fmt.Sprintf(`{"location":"file://%s","point_in_time":"2026-12-07T10:00:00Z"}`, path), 400, "point_in_time")

	live, err := e.m.Storage.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	infos, err := store.List(context.Background(), "wal/c/t-"+live.Timeline().String()+"/0/")
	if err != nil || len(infos) != 1 {
		t.Fatalf("chunks %v %v", infos, err)
	}
	if err := store.Delete(context.Background(), infos[0].Key); err != nil {
		t.Fatal(err)
	}
	e.upsert(t, "c", 10, 10)
	if err := arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustFail(t, e.s, "PUT", "/collections/c/snapshots/recover",
		fmt.Sprintf(`{"location":"file://%s","point_in_time":%q}`, path, after().Format(time.RFC3339Nano)), 409, "missing lsn")
	if n := e.count(t, "c"); n != 10 {
		t.Fatalf("a refused recover changed c: %d points", n)
	}
}

// TestRecoverPointInTimeNeedsArchive: without archiving the request is
// refused, not served as a plain recover.
func TestRecoverPointInTimeNeedsArchive(t *testing.T) {
	e := newSnapEnv(t, Options{})
	e.collection(t, "c", 3)
	path, _ := e.archive(t, "c")
	mustFail(t, e.s, "PUT", "/collections/d/snapshots/recover",
		fmt.Sprintf(`{"location":"file://%s","point_in_time":"2026-12-07T10:00:00Z"}`, path), 400, "backup.wal_archive")
	if strings.Contains(string(call(t, e.s, "GET", "/collections/d", "").raw), `"status":"ok"`) {
		t.Fatal("a refused point-in-time recover created the collection")
	}
}

// TestMetricsWALArchiveLag: /metrics reports every shard's archiving lag.
func TestMetricsWALArchiveLag(t *testing.T) {
	e, arch, _ := newPITREnv(t)
	e.collection(t, "c", 3)
	if err := arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.upsert(t, "c", 4, 4)
	raw := call(t, e.s, "GET", "/metrics", "").raw
	for _, want := range []string{`cairn_wal_archive_lag_seconds{collection="c",shard="0"}`, `cairn_wal_archive_lag_bytes{collection="c",shard="0"} 0`,
		`cairn_wal_archive_lag_records{collection="c",shard="0"} 1`} {
		if !strings.Contains(raw, want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, raw)
		}
	}
}

// TestRecoverPointInTimeLocations: point_in_time takes the locations a
// recover takes: an http:// URL (downloaded first) and a full snapshot's
// file:// location (that one collection restored from it); a location of
// another scheme, an s3:// one without an s3 snapshot store, and a
// snapshot cut after the moment are refused with 400 naming why.
func TestRecoverPointInTimeLocations(t *testing.T) {
	e, arch, _ := newPITREnv(t)
	e.collection(t, "c", 3)
	path, _ := e.archive(t, "c")
	full := e.create(t, "/snapshots")
	e.upsert(t, "c", 4, 5)
	m1 := after()
	e.upsert(t, "c", 6, 9)
	if err := arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, path)
	}))
	defer srv.Close()
	at := m1.Format(time.RFC3339Nano)
	mustOK(t, e.s, "PUT", "/collections/h/snapshots/recover", fmt.Sprintf(`{"location":"%s/c.snapshot","point_in_time":%q}`, srv.URL, at))
	if n := e.count(t, "h"); n != 5 {
		t.Fatalf("recovered from http to a moment: %d points, want 5", n)
	}
	mustOK(t, e.s, "PUT", "/collections/c/snapshots/recover",
		fmt.Sprintf(`{"location":"file://%s","point_in_time":%q}`, filepath.Join(e.snaps, full.Name), at))
	if n := e.count(t, "c"); n != 5 {
		t.Fatalf("recovered from a full snapshot to a moment: %d points, want 5", n)
	}
	mustFail(t, e.s, "PUT", "/collections/d/snapshots/recover", fmt.Sprintf(`{"location":"ftp://x/c.snapshot","point_in_time":%q}`, at), 400, "ftp")
	mustFail(t, e.s, "PUT", "/collections/d/snapshots/recover", fmt.Sprintf(`{"location":"s3://b/snapshots/c/x.snapshot","point_in_time":%q}`, at), 400, "snapshots_storage: s3")
	mustFail(t, e.s, "PUT", "/collections/d/snapshots/recover",
		fmt.Sprintf(`{"location":"file://%s","point_in_time":"2020-01-01T00:00:00Z"}`, path), 404, "after the moment 2020-01-01T00:00:00Z")
	if strings.Contains(string(call(t, e.s, "GET", "/collections/d", "").raw), `"status":"ok"`) {
		t.Fatal("a refused point-in-time recover created the collection")
	}
}

// TestRecoverPointInTimeRemote: with an s3 snapshot store, point_in_time
// takes a snapshot name of the store, a collection's or a full one; an
// unknown name is 404.
func TestRecoverPointInTimeRemote(t *testing.T) {
	e, arch, _ := newPITREnv(t)
	e.m.Remote = objstore.NewMem(nil)
	e.collection(t, "c", 3)
	snap := remoteCreate(t, e, "/collections/c/snapshots")
	e.upsert(t, "c", 4, 5)
	full := remoteCreate(t, e, "/snapshots")
	m1 := after()
	e.upsert(t, "c", 6, 9)
	if err := arch.ShipOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	at := m1.Format(time.RFC3339Nano)
	// A name is one of the recovered collection's snapshots (as for an
	// ordinary recover), or a full snapshot's, which the collection of
	// the route's name is restored from.
	for _, loc := range []string{snap.Name, full.Name} {
		mustOK(t, e.s, "PUT", "/collections/c/snapshots/recover", fmt.Sprintf(`{"location":%q,"point_in_time":%q}`, loc, at))
		if n := e.count(t, "c"); n != 5 {
			t.Fatalf("c from %s: %d points, want 5", loc, n)
		}
	}
	mustFail(t, e.s, "PUT", "/collections/r2/snapshots/recover", fmt.Sprintf(`{"location":%q,"point_in_time":%q}`, full.Name, at), 404, "holds no collection r2")
	mustFail(t, e.s, "PUT", "/collections/r3/snapshots/recover", fmt.Sprintf(`{"location":"nope.snapshot","point_in_time":%q}`, at), 404, "nope.snapshot")
}

// remoteCreate makes a snapshot in the remote store (no checksum in the
// answer) and returns its description.
func remoteCreate(t *testing.T, e *snapEnv, path string) snapshot.Description {
	t.Helper()
	var d snapshot.Description
	if err := json.Unmarshal(mustOK(t, e.s, "POST", path, ""), &d); err != nil || d.Name == "" {
		t.Fatalf("create %s: %+v %v", path, d, err)
	}
	return d
}
