package objstore_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/cairn-db/cairn/objstore"
	"github.com/cairn-db/cairn/objstore/s3test"
	"github.com/cairn-db/cairn/objstore/storetest"
)

// hookReader calls hook once, after `after` bytes have been read.
type hookReader struct {
	r     io.Reader
	after int
	hook  func()
	once  sync.Once
}

func (h *hookReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if h.after -= n; h.after <= 0 {
		h.once.Do(h.hook)
	}
	return n, err
}

// TestS3ServerStoppedDuringPut stops the server in the middle of a
// multipart upload: the Put fails, and once the server is back no object
// and no unfinished upload is left after the next Put, which succeeds.
func TestS3ServerStoppedDuringPut(t *testing.T) {
	srv := s3test.Shared(t)
	cfg := s3Config(t, srv)
	cfg.Attempts = 2
	s := newS3(t, cfg)
	data := storetest.Data(3, storetest.BigSize)
	r := &hookReader{r: bytes.NewReader(data), after: 7 << 20, hook: func() { srv.StopForTest(t) }}
	err := s.Put(context.Background(), "snap/big", r, int64(len(data)))
	if err == nil {
		t.Fatal("a put whose server stopped succeeded")
	}
	t.Logf("put while the server stopped: %v", err)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(context.Background(), "snap/big"); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("stat after the failed put: %v, want ErrNotExist", err)
	}
	if err := s.Put(context.Background(), "snap/next", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("the next put once the server is back: %v", err)
	}
	if left := srv.Incomplete(t, cfg.Bucket); len(left) != 0 {
		t.Fatalf("unfinished multipart uploads left: %v", left)
	}
}

// TestS3ServerStoppedDuringGet stops the server while an object is read:
// the read fails instead of ending early or hanging.
func TestS3ServerStoppedDuringGet(t *testing.T) {
	srv := s3test.Shared(t)
	cfg := s3Config(t, srv)
	s := newS3(t, cfg)
	const size = 48 << 20 // more than loopback socket buffers hold
	data := storetest.Data(4, size)
	if err := s.Put(context.Background(), "big", bytes.NewReader(data), size); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Get(context.Background(), "big", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	srv.StopForTest(t)
	n, err := io.Copy(io.Discard, rc)
	if err == nil {
		t.Fatalf("read %d more bytes and no error after the server stopped", n)
	}
	t.Logf("read after the server stopped: %v", err)
}

// proxy serves a reverse proxy to target whose requests pass through
// intercept first; intercept returns true when it answered itself.
func proxy(t *testing.T, target string, tls bool, intercept func(w http.ResponseWriter, r *http.Request) bool) *httptest.Server {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if intercept == nil || !intercept(w, r) {
			rp.ServeHTTP(w, r)
		}
	})
	var ts *httptest.Server
	ts = httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes of TestS3TrustsRootCAs
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts
}

const slowDown = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`

// TestS3SlowDownBurst answers 503 SlowDown to a burst of requests: fewer
// than the attempts and Put and Get succeed after backing off; as many as
// the attempts and they fail with a clear error.
func TestS3SlowDownBurst(t *testing.T) {
	srv := s3test.Shared(t)
	var burst, refused atomic.Int64
	ts := proxy(t, srv.Endpoint, false, func(w http.ResponseWriter, r *http.Request) bool {
		if burst.Add(-1) < 0 {
			return false
		}
		refused.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, slowDown)
		return true
	})
	cfg := s3Config(t, srv)
	cfg.Endpoint, cfg.Attempts = ts.URL, 3
	s := newS3(t, cfg)
	ctx := context.Background()
	data := storetest.Data(5, storetest.BigSize)
	for _, size := range []int{100, storetest.BigSize} {
		burst.Store(2)
		if err := s.Put(ctx, "k", bytes.NewReader(data[:size]), int64(size)); err != nil {
			t.Fatalf("put of %d bytes after 2 SlowDown: %v", size, err)
		}
		burst.Store(2)
		if got := storetest.Read(t, s, "k", 1, -1); !bytes.Equal(got, data[1:size]) {
			t.Fatalf("get after 2 SlowDown: %d bytes, differ", len(got))
		}
	}
	if refused.Load() != 8 {
		t.Fatalf("%d requests refused, want 8", refused.Load())
	}
	burst.Store(3)
	err := s.Put(ctx, "k2", strings.NewReader("x"), 1)
	if !errors.Is(err, objstore.ErrUnavailable) || !strings.Contains(err.Error(), "reduce your request rate") {
		t.Fatalf("put after as many SlowDown as attempts: %v", err)
	}
	t.Logf("put refused: %v", err)
	burst.Store(0)
	if _, err := s.Stat(ctx, "k2"); !errors.Is(err, objstore.ErrNotExist) {
		t.Fatalf("the refused put stored: %v", err)
	}
}

// TestS3WrongCredentials checks that Check and every operation name the
// credentials.
func TestS3WrongCredentials(t *testing.T) {
	srv := s3test.Shared(t)
	cfg := s3Config(t, srv)
	cfg.SecretKey = "wrong"
	s := newS3(t, cfg)
	err := s.Check(context.Background())
	if !errors.Is(err, objstore.ErrDenied) || !strings.Contains(err.Error(), "storage.snapshots_config.s3_config.access_key/secret_key: the server refused the credentials") {
		t.Fatalf("check: %v", err)
	}
	t.Logf("check: %v", err)
	if strings.Contains(err.Error(), "wrong") {
		t.Fatalf("the secret is in the message: %v", err)
	}
	if err := s.Put(context.Background(), "k", strings.NewReader("x"), 1); !errors.Is(err, objstore.ErrDenied) {
		t.Fatalf("put: %v", err)
	}
}

// TestS3DeletedBucket deletes the bucket under a working store.
func TestS3DeletedBucket(t *testing.T) {
	srv := s3test.Shared(t)
	cfg := s3Config(t, srv)
	s := newS3(t, cfg)
	ctx := context.Background()
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "k", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Client(t).RemoveBucket(ctx, cfg.Bucket); err != nil {
		t.Fatal(err)
	}
	err := s.Put(ctx, "k", strings.NewReader("x"), 1)
	if !errors.Is(err, objstore.ErrNoBucket) {
		t.Fatalf("put: %v", err)
	}
	t.Logf("put: %v", err)
	if _, err := s.List(ctx, ""); !errors.Is(err, objstore.ErrNoBucket) {
		t.Fatalf("list: %v", err)
	}
	err = s.Check(ctx)
	if want := `storage.snapshots_config.s3_config.bucket: bucket "` + cfg.Bucket + `" does not exist`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("check: %v, want %q", err, want)
	}
}

// closedPort returns the address of a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestS3Unreachable points the store at a closed port: Check names
// endpoint_url, a Put gives up after its attempts.
func TestS3Unreachable(t *testing.T) {
	s := newS3(t, objstore.S3Config{Endpoint: "http://" + closedPort(t), Bucket: "bkt", AccessKey: "a", SecretKey: "s", Attempts: 2})
	err := s.Check(context.Background())
	if !errors.Is(err, objstore.ErrUnavailable) || !strings.Contains(err.Error(), "storage.snapshots_config.s3_config.endpoint_url: cannot reach http://127.0.0.1:") {
		t.Fatalf("check: %v", err)
	}
	t.Logf("check: %v", err)
	if err := s.Put(context.Background(), "k", strings.NewReader("x"), 1); !errors.Is(err, objstore.ErrUnavailable) {
		t.Fatalf("put: %v", err)
	}
}

// TestS3Stalls checks the idle and header timeouts: a server that stops
// sending in the middle of a body, and one that never answers.
func TestS3Stalls(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Length", "1000")
			w.Header().Set("Last-Modified", time.Unix(1e9, 0).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusOK)
			w.Write(make([]byte, 100))
			w.(http.Flusher).Flush()
		}
		select { // a PUT is never answered
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	s := newS3(t, objstore.S3Config{Endpoint: ts.URL, Bucket: "bkt", AccessKey: "a", SecretKey: "s", Attempts: 2,
		Timeouts: objstore.S3Timeouts{ResponseHeader: 200 * time.Millisecond, Idle: 200 * time.Millisecond}})
	rc, err := s.Get(context.Background(), "k", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if !errors.Is(err, objstore.ErrStalled) || n != 100 {
		t.Fatalf("read of a stalled body: %d bytes, %v", n, err)
	}
	t.Logf("stalled get: %v", err)
	err = s.Put(context.Background(), "k", strings.NewReader("x"), 1)
	if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Fatalf("put to a server that never answers: %v", err)
	}
	t.Logf("unanswered put: %v", err)
}

// TestS3TrustsRootCAs reaches an https endpoint signed by an authority
// outside the system roots only when RootCAs holds it.
func TestS3TrustsRootCAs(t *testing.T) {
	srv := s3test.Shared(t)
	ts := proxy(t, srv.Endpoint, true, nil)
	cfg := s3Config(t, srv)
	cfg.Endpoint, cfg.Attempts = ts.URL, 1
	if err := newS3(t, cfg).Check(context.Background()); err == nil || !strings.Contains(err.Error(), "endpoint_url") {
		t.Fatalf("check of an untrusted https endpoint: %v", err)
	}
	cfg.RootCAs = x509.NewCertPool()
	cfg.RootCAs.AddCert(ts.Certificate())
	s := newS3(t, cfg)
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "k", strings.NewReader("tls"), 3); err != nil {
		t.Fatal(err)
	}
}

// TestS3CheckAbortsLeftUploads checks that Check aborts the unfinished
// uploads under the prefix (left by a crash) and only those.
func TestS3CheckAbortsLeftUploads(t *testing.T) {
	srv := s3test.Shared(t)
	cfg := s3Config(t, srv)
	cfg.Prefix = "mine"
	core := minio.Core{Client: srv.Client(t)}
	ctx := context.Background()
	for _, k := range []string{"mine/objects/a", "other/b"} {
		if _, err := core.NewMultipartUpload(ctx, cfg.Bucket, k, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := newS3(t, cfg).Check(ctx); err != nil {
		t.Fatal(err)
	}
	left := srv.Incomplete(t, cfg.Bucket)
	if len(left) != 1 || !strings.HasPrefix(left[0], "other/b ") {
		t.Fatalf("unfinished uploads after Check: %v", left)
	}
}

func TestS3Config(t *testing.T) {
	for _, c := range []struct {
		cfg  objstore.S3Config
		want string
	}{
		{objstore.S3Config{Bucket: "bkt"}, "set endpoint_url or region"},
		{objstore.S3Config{Bucket: "B_ad", Endpoint: "http://h"}, "s3_config.bucket"},
		{objstore.S3Config{Bucket: "bkt", Endpoint: "ftp://h"}, "not an http:// or https:// URL"},
		{objstore.S3Config{Bucket: "bkt", Endpoint: "http://h/path"}, "scheme and a host"},
		{objstore.S3Config{Bucket: "bkt", Endpoint: "http://u:p@h"}, "scheme and a host"},
		{objstore.S3Config{Bucket: "bkt", Endpoint: "http://h", Prefix: "a/../b"}, "s3_config.prefix"},
	} {
		_, err := objstore.NewS3(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewS3(%+v) = %v, want %q", c.cfg, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), ":p@") {
			t.Errorf("a password in the message: %v", err)
		}
	}
	s, err := objstore.NewS3(objstore.S3Config{Bucket: "bkt", Region: "eu-west-3", Prefix: "/p/q/"})
	if err != nil || s.String() != "s3://bkt/p/q" || s.Endpoint() != "https://s3.eu-west-3.amazonaws.com" {
		t.Fatalf("NewS3 for AWS = %v, %v", s, err)
	}
}

// TestS3UploadStall checks the idle timeout of a request body: a server
// that stops taking an upload in its middle.
func TestS3UploadStall(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.CopyN(io.Discard, r.Body, 1<<20)
		select { // takes no more of the body
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(release) })
	const size = 40 << 20 // more than loopback socket buffers hold
	s := newS3(t, objstore.S3Config{Endpoint: ts.URL, Bucket: "bkt", AccessKey: "a", SecretKey: "s", Attempts: 2, PartSize: 64 << 20,
		Timeouts: objstore.S3Timeouts{ResponseHeader: time.Hour, Idle: 200 * time.Millisecond}})
	err := s.Put(context.Background(), "k", bytes.NewReader(make([]byte, size)), size)
	if !errors.Is(err, objstore.ErrStalled) || !strings.Contains(err.Error(), "no request body progress for 200ms") {
		t.Fatalf("put to a server that stops reading: %v", err)
	}
	t.Logf("stalled put: %v", err)
}
