package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
)

// failingStore is a store whose every call fails with fail once set.
type failingStore struct {
	objstore.Store
	fail atomic.Pointer[error]
}

func (f *failingStore) err(op string) error {
	if e := f.fail.Load(); e != nil {
		return fmt.Errorf("%s s3://bkt/pfx: %w", op, *e)
	}
	return nil
}

func (f *failingStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := f.err("put " + key); err != nil {
		return err
	}
	return f.Store.Put(ctx, key, r, size)
}

func (f *failingStore) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := f.err("get " + key); err != nil {
		return nil, err
	}
	return f.Store.Get(ctx, key, off, n)
}

func (f *failingStore) Stat(ctx context.Context, key string) (objstore.Info, error) {
	if err := f.err("stat " + key); err != nil {
		return objstore.Info{}, err
	}
	return f.Store.Stat(ctx, key)
}

func (f *failingStore) List(ctx context.Context, prefix string) ([]objstore.Info, error) {
	if err := f.err("list " + prefix); err != nil {
		return nil, err
	}
	return f.Store.List(ctx, prefix)
}

func (f *failingStore) Delete(ctx context.Context, key string) error {
	if err := f.err("delete " + key); err != nil {
		return err
	}
	return f.Store.Delete(ctx, key)
}

// TestSnapshotStoreErrorCodes: a failure of the snapshot store answers in
// Qdrant's envelope with the code of its kind (unreachable or stalled 503,
// refused credentials or a missing bucket 500 naming the setting, a
// missing object 404), and a failed create lists nothing.
func TestSnapshotStoreErrorCodes(t *testing.T) {
	fs := &failingStore{Store: namedStore{objstore.NewMem(nil)}}
	e := newRemoteSnapEnv(t, fs)
	e.collection(t, "c", 5)
	d := e.createRemote(t, "/collections/c/snapshots")
	for _, tt := range []struct {
		kind   error
		code   int
		prefix string
	}{
		{fmt.Errorf("%w after 5 attempts: dial tcp: connection refused", objstore.ErrUnavailable), http.StatusServiceUnavailable, "Service unavailable: snapshot storage: "},
		{fmt.Errorf("%w: no request body progress for 1m0s", objstore.ErrStalled), http.StatusServiceUnavailable, "Service unavailable: snapshot storage: "},
		{fmt.Errorf("%w (%s.access_key/secret_key): Access Denied", objstore.ErrDenied, objstore.S3ConfigKey), http.StatusInternalServerError, "Service internal error: snapshot storage: "},
		{fmt.Errorf("%w: %s.bucket \"bkt\"", objstore.ErrNoBucket, objstore.S3ConfigKey), http.StatusInternalServerError, "Service internal error: snapshot storage: "},
	} {
		t.Run(errors.Unwrap(tt.kind).Error(), func(t *testing.T) {
			fs.fail.Store(&tt.kind)
			msg := tt.kind.Error()
			mustFail(t, e.s, "POST", "/collections/c/snapshots", "", tt.code, tt.prefix, msg)
			mustFail(t, e.s, "GET", "/collections/c/snapshots", "", tt.code, tt.prefix, msg)
			mustFail(t, e.s, "POST", "/snapshots", "", tt.code, tt.prefix)
			mustFail(t, e.s, "GET", "/collections/c/snapshots/"+d.Name, "", tt.code, tt.prefix)
			mustFail(t, e.s, "PUT", "/collections/c/snapshots/recover", `{"location":"`+d.Name+`"}`, tt.code, tt.prefix)
			fs.fail.Store(nil)
			if ls := e.list(t, "/collections/c/snapshots"); len(ls) != 1 || !sameSnap(ls[0], d) {
				t.Fatalf("after the failures: %+v", ls)
			}
			if ls := e.list(t, "/snapshots"); len(ls) != 0 {
				t.Fatalf("a failed full create is listed: %+v", ls)
			}
			if n := e.count(t, "c"); n != 5 {
				t.Fatalf("collection has %d points", n)
			}
		})
	}
	if got, _ := statusOf(fmt.Errorf("get x: %w", objstore.ErrNotExist)); got != http.StatusNotFound {
		t.Fatalf("a missing object: %d", got)
	}
}

// TestSnapshotStoreErrorsS3: on a real S3 server, a stopped server answers
// 503, wrong credentials and a deleted bucket 500 with a message naming
// the setting; the next snapshot succeeds once the server is back.
func TestSnapshotStoreErrorsS3(t *testing.T) {
	srv := s3test.Start(t)
	cfg := objstore.S3Config{Endpoint: srv.Endpoint, Bucket: srv.Bucket(t), Prefix: "node1",
		AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, Attempts: 2}
	mk := func(cfg objstore.S3Config) *objstore.S3 {
		st, err := objstore.NewS3(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	e := newRemoteSnapEnv(t, mk(cfg))
	e.collection(t, "c", 5)

	srv.Stop()
	mustFail(t, e.s, "POST", "/collections/c/snapshots", "", http.StatusServiceUnavailable, "Service unavailable: snapshot storage: ", "object store unavailable")
	mustFail(t, e.s, "GET", "/collections/c/snapshots", "", http.StatusServiceUnavailable, "object store unavailable")
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if ls := e.list(t, "/collections/c/snapshots"); len(ls) != 0 {
		t.Fatalf("the failed create is listed: %+v", ls)
	}
	e.createRemote(t, "/collections/c/snapshots")

	bad := cfg
	bad.SecretKey = "wrong-secret-0123456789"
	e.m.Remote = mk(bad)
	mustFail(t, e.s, "POST", "/collections/c/snapshots", "", http.StatusInternalServerError, "Service internal error: snapshot storage: ", "access_key/secret_key")

	gone := cfg
	gone.Bucket = srv.Bucket(t)
	if err := srv.Client(t).RemoveBucket(context.Background(), gone.Bucket); err != nil {
		t.Fatal(err)
	}
	e.m.Remote = mk(gone)
	mustFail(t, e.s, "POST", "/collections/c/snapshots", "", http.StatusInternalServerError, "Service internal error: snapshot storage: ", `s3_config.bucket "`+gone.Bucket+`"`)
	mustFail(t, e.s, "GET", "/collections/c/snapshots", "", http.StatusInternalServerError, "bucket")
}
