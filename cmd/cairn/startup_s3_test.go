package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
	"github.com/cairn-db/cairn/snapshot"
)

// startServeEnv is startServe with env added to the environment.
func startServeEnv(t *testing.T, args, env []string) (addr string, logs *lineWriter, stop func() error, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &lineWriter{addr: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, append([]string{"--config-path", emptyConfig(t), "--host", "127.0.0.1", "--http-port", "0"}, args...),
			append(env, "QDRANT__LOGGER__FORMAT=json"), w)
	}()
	select {
	case addr = <-w.addr:
		return addr, w, func() error { cancel(); return <-done }, nil
	case err := <-done:
		cancel()
		if err == nil {
			err = errors.New("serve returned without error before listening")
		}
		return "", w, nil, err
	}
}

// TestStartupRestoreFromS3: with snapshots_storage: s3 on a real S3
// server, --storage-snapshot s3://… and --snapshot s3://…:NAME restore
// from the bucket before the server listens (an existing target refused
// without --force-snapshot; another bucket, a key naming no snapshot, or
// s3:// without the s3 store stop start-up), and the periodic sweep of the
// store runs once its first delay passes.
func TestStartupRestoreFromS3(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	store, err := objstore.NewS3(objstore.S3Config{Endpoint: srv.Endpoint, Bucket: bucket, Prefix: "node1",
		AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	col, full := makeRemoteSnapshots(t, dir, store)
	base := "s3://" + bucket + "/node1/snapshots/"
	env := s3Env(srv, bucket, "node1")
	paths := []string{"--storage-path", filepath.Join(dir, "s"), "--snapshots-path", filepath.Join(dir, "p")}

	clk := newSweepTestClock()
	serveSweepClock = clk
	t.Cleanup(func() { serveSweepClock = realClock{} })
	addr, logs, stop, err := startServeEnv(t, append(paths, "--storage-snapshot", base+full, "--snapshot", base+"c/"+col+":restored"), env)
	if err != nil {
		t.Fatal(err)
	}
	if n := countPoints(t, addr, "restored"); n != 3 {
		t.Errorf("restored has %d points", n)
	}
	if n := countPoints(t, addr, "c"); n != 3 { // the full snapshot's collection
		t.Errorf("c has %d points", n)
	}
	if d := <-clk.afterD; d != sweepFirstAfter {
		t.Errorf("first sweep after %s", d)
	}
	clk.after <- time.Time{}
	<-clk.tickD // the first sweep is done
	if !strings.Contains(logs.String(), `"msg":"swept the snapshot store"`) {
		t.Errorf("no sweep logged:\n%s", logs)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	serveSweepClock = realClock{}

	for _, tt := range []struct {
		args []string
		env  []string
		want string
		kind error
	}{
		{[]string{"--snapshot", base + "c/" + col + ":restored"}, env, "restored", snapshot.ErrTargetExists},
		{[]string{"--storage-snapshot", base + full}, env, "collection c", snapshot.ErrTargetExists},
		{[]string{"--snapshot", "s3://other/node1/snapshots/c/" + col + ":x"}, env, "not in the configured bucket " + bucket, snapshot.ErrBadLocation},
		{[]string{"--storage-snapshot", base + "c/" + col}, env, "names no full snapshot", snapshot.ErrBadLocation},
		{[]string{"--snapshot", base + "c/none.snapshot:x"}, env, "none.snapshot", snapshot.ErrNotFound},
		{[]string{"--snapshot", base + "c/" + col + ":x"}, nil, "snapshots_storage: s3", snapshot.ErrBadLocation},
	} {
		_, _, _, err := startServeEnv(t, append(paths, tt.args...), tt.env)
		if err == nil || !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %v naming %q", tt.args, err, tt.kind, tt.want)
		}
	}
	addr, _, stop, err = startServeEnv(t, append(paths, "--snapshot", base+"c/"+col+":restored", "--force-snapshot"), env)
	if err != nil {
		t.Fatal(err)
	}
	if n := countPoints(t, addr, "restored"); n != 3 {
		t.Errorf("restored has %d points after a forced restore", n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
