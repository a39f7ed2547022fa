package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/snapshot"
	"github.com/cairn-db/cairn/snapshot/snaptest"
)

func TestSnapshotFlags(t *testing.T) {
	a, err := parseServeArgs([]string{
		"--snapshot", "/a:b/c.snapshot:coll", "--snapshot=x.snapshot:y",
		"--storage-snapshot", "/f/full.snapshot", "--force_snapshot",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []snapshotFlag{{"/a:b/c.snapshot", "coll"}, {"x.snapshot", "y"}}
	if len(a.snapshots) != 2 || a.snapshots[0] != want[0] || a.snapshots[1] != want[1] {
		t.Fatalf("snapshots %+v", a.snapshots)
	}
	if a.storageSnapshot != "/f/full.snapshot" || !a.forceSnapshot {
		t.Fatalf("args %+v", a)
	}
	for _, args := range [][]string{{"--force-snapshot"}, {"-force_snapshot=true"}} {
		if a, err := parseServeArgs(args, io.Discard); err != nil || !a.forceSnapshot {
			t.Fatalf("%v: %v %+v", args, err, a)
		}
	}
	if a, err := parseServeArgs(nil, io.Discard); err != nil || a.forceSnapshot || len(a.snapshots) != 0 {
		t.Fatalf("defaults: %v %+v", err, a)
	}
	for _, bad := range []string{"nocolon", "path:", ":name"} {
		if _, err := parseServeArgs([]string{"--snapshot", bad}, io.Discard); err == nil {
			t.Errorf("--snapshot %q: no error", bad)
		}
	}
}

// makeSnapshots builds a storage with collection "c" (3 points) and alias
// "al", and returns a collection snapshot of c and a full snapshot.
func makeSnapshots(t *testing.T, dir string) (col, full string) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st, err := engine.Open(engine.Options{Dir: filepath.Join(dir, "src"), DisableBackground: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	var cc engine.CreateCollection
	if err := json.Unmarshal([]byte(`{"vectors":{"size":2,"distance":"Cosine"},"wal_config":{"wal_capacity_mb":1}}`), &cc); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCollection("c", cc); err != nil {
		t.Fatal(err)
	}
	var pts []engine.PointStruct
	if err := json.Unmarshal([]byte(`[{"id":1,"vector":[1,0]},{"id":2,"vector":[0,1]},{"id":3,"vector":[1,1]}]`), &pts); err != nil {
		t.Fatal(err)
	}
	c, err := st.Collection("c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upsert(context.Background(), pts, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil { // a sealed segment and a shard manifest
		t.Fatal(err)
	}
	if err := st.UpdateAliases([]engine.AliasOp{{CreateAlias: &engine.CreateAlias{CollectionName: "c", AliasName: "al"}}}); err != nil {
		t.Fatal(err)
	}
	m := &snapshot.Manager{Storage: st, SnapshotsPath: filepath.Join(dir, "made"), TempPath: filepath.Join(dir, "src", "tmp"), Logger: log, NodeID: 1}
	d, err := m.CreateCollection(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.CreateFull(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "made", "c", d.Name), filepath.Join(dir, "made", f.Name)
}

// startServe runs serve with args until it listens and returns its address
// and a stop function that returns serve's result; if serve fails before
// listening, it returns that error instead.
func startServe(t *testing.T, args []string) (addr string, stop func() error, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &lineWriter{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, append([]string{"--config-path", emptyConfig(t), "--host", "127.0.0.1", "--http-port", "0"}, args...),
			[]string{"QDRANT__LOGGER__FORMAT=json"}, w)
	}()
	select {
	case addr = <-w.addr:
		return addr, func() error { cancel(); return <-done }, nil
	case err := <-done:
		cancel()
		if err == nil {
			err = errors.New("serve returned without error before listening")
		}
		return "", nil, err
	}
}

func countPoints(t *testing.T, addr, name string) int {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/collections/"+name+"/points/count", "application/json", strings.NewReader(`{"exact":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Result struct {
			Count int `json:"count"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
		t.Fatalf("count %s: %d %v", name, resp.StatusCode, err)
	}
	return env.Result.Count
}

func TestStartupRestore(t *testing.T) {
	dir := t.TempDir()
	col, full := makeSnapshots(t, dir)
	storagePath, snapsPath := filepath.Join(dir, "s"), filepath.Join(dir, "p")
	// Leftovers of a crash, removed at start-up.
	leftTemp := filepath.Join(storagePath, "tmp", snapshot.TempPrefix+"stage-1")
	leftPart := filepath.Join(snapsPath, "x", "x-1.snapshot"+snapshot.TempExt)
	for _, p := range []string{leftTemp, leftPart} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths := []string{"--storage-path", storagePath, "--snapshots-path", snapsPath}

	addr, stop, err := startServe(t, append(paths, "--storage-snapshot", full, "--snapshot", col+":restored"))
	if err != nil {
		t.Fatal(err)
	}
	if n := countPoints(t, addr, "restored"); n != 3 {
		t.Errorf("restored has %d points", n)
	}
	if n := countPoints(t, addr, "al"); n != 3 { // the full snapshot's alias, to its collection c
		t.Errorf("alias al has %d points", n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{leftTemp, leftPart} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived start-up: %v", p, err)
		}
	}

	// The target exists now: without force, start-up stops naming it.
	for _, args := range [][]string{{"--snapshot", col + ":restored"}, {"--storage-snapshot", full}} {
		_, _, err := startServe(t, append(paths, args...))
		want := "restored"
		if args[0] == "--storage-snapshot" {
			want = "collection c"
		}
		if err == nil || !errors.Is(err, snapshot.ErrTargetExists) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%v without force: %v", args, err)
		}
	}
	addr, stop, err = startServe(t, append(paths, "--snapshot", col+":restored", "--force_snapshot"))
	if err != nil {
		t.Fatal(err)
	}
	if n := countPoints(t, addr, "restored"); n != 3 {
		t.Errorf("restored has %d points after forced restore", n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// A missing archive stops start-up too.
	if _, _, err := startServe(t, append(paths, "--snapshot", filepath.Join(dir, "none.snapshot")+":other")); err == nil {
		t.Fatal("missing archive: no error")
	} else if !strings.Contains(err.Error(), "none.snapshot") {
		t.Fatalf("missing archive: %v", err)
	}
}

// TestStartupRestoreRefusesLyingArchives: --snapshot and --storage-snapshot
// (forced) refuse every crafted archive of snaptest.Lies (valid checksums,
// lying collection file or shard manifest) with ErrCorrupt, and the
// collections restored before keep their points.
func TestStartupRestoreRefusesLyingArchives(t *testing.T) {
	dir := t.TempDir()
	col, full := makeSnapshots(t, dir)
	paths := []string{"--storage-path", filepath.Join(dir, "s"), "--snapshots-path", filepath.Join(dir, "p")}
	_, stop, err := startServe(t, append(paths, "--storage-snapshot", full, "--snapshot", col+":restored"))
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for i, lie := range snaptest.Lies(2) {
		for _, flag := range []string{"--snapshot", "--storage-snapshot"} {
			src, arg := col, ":restored"
			if flag == "--storage-snapshot" {
				src, arg = full, ""
			}
			b, err := os.ReadFile(src)
			if err == nil {
				b, err = snaptest.Apply(b, lie)
			}
			bad := filepath.Join(dir, fmt.Sprintf("lie-%d.snapshot", i))
			if err == nil {
				err = os.WriteFile(bad, b, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := startServe(t, append(paths, flag, bad+arg, "--force_snapshot")); !errors.Is(err, snapshot.ErrCorrupt) {
				t.Errorf("%s %s: %v, want ErrCorrupt", flag, lie.Name, err)
			}
		}
	}
	addr, stop, err := startServe(t, paths)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"restored", "c", "al"} {
		if n := countPoints(t, addr, name); n != 3 {
			t.Errorf("%s has %d points after the refused restores", name, n)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
