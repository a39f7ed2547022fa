// Package s3test runs a real S3 server for tests: versitygw (Apache-2.0,
// an S3 gateway over a local folder) on a free loopback port. Tests only:
// no other package imports it.
//
// The binary is found at $CAIRN_VERSITYGW, then bin/versitygw under the
// module root (`make versitygw` installs it there), then on PATH. Without
// it a test is skipped, unless CI=true, where it fails.
package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Credentials of the servers this package starts.
const (
	AccessKey = "cairn-test-access"
	SecretKey = "cairn-test-secret-0123456789"
)

// readyWithin bounds the wait for a started server to answer.
const readyWithin = 30 * time.Second

// Server is one versitygw process serving a folder.
type Server struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// Dir is the folder it serves (a bucket is a folder under it).
	Dir string

	bin, addr string
	mu        sync.Mutex
	cmd       *exec.Cmd
	exited    chan struct{}
	out       bytes.Buffer
}

// Binary returns the versitygw executable.
func Binary() (string, error) {
	if p := os.Getenv("CAIRN_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CAIRN_VERSITYGW: %w", err)
		}
		return p, nil
	}
	if root, err := moduleRoot(); err == nil {
		p := filepath.Join(root, "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("versitygw")
	if err != nil {
		return "", errors.New("versitygw not found ($CAIRN_VERSITYGW, bin/versitygw, PATH): run `make versitygw`")
	}
	return p, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working folder")
		}
		dir = parent
	}
}

// missing skips tb, or fails it on CI.
func missing(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("S3 integration test needs versitygw: %v", err)
	}
	tb.Skipf("S3 integration test skipped: %v", err)
}

// Start starts a server of its own for tb over a new folder, stopped at
// tb's cleanup. Most tests share one instead (Shared); one that stops the
// shared server restarts it with StopForTest.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		missing(tb, err)
	}
	s, err := start(bin, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

func start(bin, dir string) (*Server, error) {
	var err error
	for range 3 { // the free port may be taken before the server binds it
		var addr string
		if addr, err = freePort(); err != nil {
			return nil, err
		}
		s := &Server{Endpoint: "http://" + addr, Dir: dir, bin: bin, addr: addr}
		if err = s.Restart(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

var shared struct {
	once     sync.Once
	s        *Server
	dir      string
	err      error
	notFound bool
}

// Shared returns the server of the test package, started on first use;
// call StopShared from TestMain after m.Run.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() {
		bin, err := Binary()
		if err != nil {
			shared.err, shared.notFound = err, true
			return
		}
		if shared.dir, err = os.MkdirTemp("", "cairn-s3test-"); err != nil {
			shared.err = err
			return
		}
		shared.s, shared.err = start(bin, shared.dir)
	})
	if shared.err != nil {
		if shared.notFound {
			missing(tb, shared.err)
		}
		tb.Fatal(shared.err)
	}
	return shared.s
}

// StopShared stops the shared server, if started, and removes its folder.
func StopShared() {
	if shared.s != nil {
		shared.s.Stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// Restart starts the server again, on its port and folder, unless it
// runs, and waits until it answers.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	s.out.Reset()
	cmd := exec.Command(s.bin, "--port", s.addr, "--access", AccessKey, "--secret", SecretKey, "--quiet", "posix", s.Dir)
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	if err := s.waitReady(exited); err != nil {
		cmd.Process.Kill()
		<-exited
		s.cmd = nil
		return fmt.Errorf("versitygw on %s: %w (output: %s)", s.addr, err, strings.TrimSpace(s.out.String()))
	}
	return nil
}

// waitReady polls the server until it answers HTTP, it exits, or
// readyWithin passes.
func (s *Server) waitReady(exited chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyWithin)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited at start")
		case <-ctx.Done():
			return fmt.Errorf("not answering after %s", readyWithin)
		case <-tick.C:
		}
	}
}

// StopForTest stops the server for the rest of tb (see Stop); it is
// running again after tb, for the tests that follow.
func (s *Server) StopForTest(tb testing.TB) {
	tb.Helper()
	tb.Cleanup(func() {
		if err := s.Restart(); err != nil {
			tb.Errorf("restart the S3 server: %v", err)
		}
	})
	s.Stop()
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Client returns a client of the server with the test credentials.
func (s *Server) Client(tb testing.TB) *minio.Client {
	tb.Helper()
	c, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

var bucketSeq atomic.Int64

// Bucket creates a new empty bucket and returns its name.
func (s *Server) Bucket(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("b%d-%d", os.Getpid(), bucketSeq.Add(1))
	if err := s.Client(tb).MakeBucket(context.Background(), name, minio.MakeBucketOptions{}); err != nil {
		tb.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// Incomplete lists the unfinished multipart uploads of bucket.
func (s *Server) Incomplete(tb testing.TB, bucket string) []string {
	tb.Helper()
	var out []string
	for up := range s.Client(tb).ListIncompleteUploads(context.Background(), bucket, "", true) {
		if up.Err != nil {
			tb.Fatalf("list unfinished uploads: %v", up.Err)
		}
		out = append(out, up.Key+" "+up.UploadID)
	}
	return out
}
