package server

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
	"github.com/cairn-db/cairn/snapshot"
)

// stopOnPut stops the S3 server as the first object of a create is put:
// the server goes away in the middle of the create.
type stopOnPut struct {
	*objstore.S3
	srv   *s3test.Server
	armed atomic.Bool
}

func (s *stopOnPut) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	s.stopAt(key)
	return s.S3.Put(ctx, key, r, size)
}

// PutHashed is the put a create's objects take (objstore.HashedPutter).
func (s *stopOnPut) PutHashed(ctx context.Context, key string, r io.Reader, size int64, sum []byte) error {
	s.stopAt(key)
	return s.S3.PutHashed(ctx, key, r, size, sum)
}

func (s *stopOnPut) stopAt(key string) {
	if strings.HasPrefix(key, snapshot.RemoteObjects+"/") && s.armed.CompareAndSwap(true, false) {
		s.srv.Stop()
	}
}

// TestS3FaultsEndToEnd, on a real S3 server (versitygw): the server
// stopped in the middle of a create fails it with a clear error (503),
// lists nothing and leaves no manifest nor unfinished upload, and the next
// create after the restart succeeds; an object corrupted in the bucket's
// folder makes the recover answer 400 naming the file (verify reports it
// too), and the live collection is untouched.
func TestS3FaultsEndToEnd(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	st, err := objstore.NewS3(objstore.S3Config{Endpoint: srv.Endpoint, Bucket: bucket, Prefix: "node1",
		AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, Attempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	store := &stopOnPut{S3: st, srv: srv}
	e := newRemoteSnapEnv(t, store)
	e.collection(t, "c", 40)
	root := filepath.Join(srv.Dir, bucket, "node1")

	store.armed.Store(true)
	mustFail(t, e.s, "POST", "/collections/c/snapshots", "", http.StatusServiceUnavailable,
		"Service unavailable: snapshot storage: ", "object store unavailable")
	if store.armed.Load() {
		t.Fatal("the create put no object")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if ls := e.list(t, "/collections/c/snapshots"); len(ls) != 0 {
		t.Fatalf("the failed create is listed: %+v", ls)
	}
	if left, _ := os.ReadDir(filepath.Join(root, snapshot.RemoteSnapshots, "c")); len(left) != 0 {
		t.Fatalf("the failed create left manifests: %v", left)
	}
	if up := srv.Incomplete(t, bucket); len(up) != 0 {
		t.Fatalf("unfinished uploads: %v", up)
	}
	d := e.createRemote(t, "/collections/c/snapshots")
	if ls := e.list(t, "/collections/c/snapshots"); len(ls) != 1 || !sameSnap(ls[0], d) {
		t.Fatalf("after the restart: %+v", ls)
	}
	e.upsert(t, "c", 41, 45)
	mustOK(t, e.s, "PUT", "/collections/c/snapshots/recover", `{"location":"`+d.Name+`"}`)
	if n := e.count(t, "c"); n != 40 {
		t.Fatalf("recover after the restart: %d points", n)
	}

	// Flip a byte of the biggest object, in the server's folder.
	var big string
	var bigSize int64
	err = filepath.WalkDir(filepath.Join(root, snapshot.RemoteObjects), func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		if fi, err := de.Info(); err == nil && fi.Size() > bigSize {
			big, bigSize = p, fi.Size()
		}
		return nil
	})
	if err != nil || big == "" {
		t.Fatalf("no object in %s: %v", root, err)
	}
	f, err := os.OpenFile(big, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, bigSize/2); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, bigSize/2); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	e.upsert(t, "c", 41, 45)
	r := call(t, e.s, "PUT", "/collections/c/snapshots/recover", `{"location":"`+d.Name+`"}`)
	if r.code != http.StatusBadRequest || !strings.Contains(r.err, `"shard-0/`) {
		t.Fatalf("recover from a corrupted object: %d %s", r.code, r.raw)
	}
	if n := e.count(t, "c"); n != 45 {
		t.Fatalf("live data changed: %d points", n)
	}
	rep := decode[snapshot.Report](t, mustOK(t, e.s, "POST", "/collections/c/snapshots/"+d.Name+"/verify", ""))
	if rep.OK || len(rep.Failures) == 0 || !strings.HasPrefix(rep.Failures[0].File, "shard-0/") {
		t.Fatalf("verify of the corrupted snapshot: %+v", rep)
	}
}
