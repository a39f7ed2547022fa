package s3snap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Credentials and bucket of the gateway Run starts itself.
const (
	gwAccess = "cairn-bench-access"
	gwSecret = "cairn-bench-secret-0123456789"
	gwBucket = "cairn-bench"
)

// gwReadyWithin bounds the wait for a started gateway to answer.
const gwReadyWithin = 30 * time.Second

// gateway is a versitygw process serving a folder on a loopback port.
type gateway struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
	out      *lockedBuffer
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.TrimSpace(l.b.String())
}

// startGateway starts bin (versitygw) over dir on a free loopback port,
// waits until it answers and creates the bucket gwBucket.
func startGateway(ctx context.Context, bin, dir string) (*gateway, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create gateway folder: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return nil, fmt.Errorf("free port: %w", err)
	}
	g := &gateway{endpoint: "http://" + addr, exited: make(chan struct{}), out: &lockedBuffer{}}
	g.cmd = exec.Command(bin, "--port", addr, "--access", gwAccess, "--secret", gwSecret, "--quiet", "posix", dir)
	g.cmd.Stdout, g.cmd.Stderr = g.out, g.out
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	go func() { _ = g.cmd.Wait(); close(g.exited) }()
	if err := g.waitReady(ctx); err != nil {
		g.stop()
		return nil, fmt.Errorf("versitygw on %s: %w (output: %s)", addr, err, g.out.String())
	}
	cl, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(gwAccess, gwSecret, ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		g.stop()
		return nil, fmt.Errorf("gateway client: %w", err)
	}
	mctx, cancel := context.WithTimeout(ctx, gwReadyWithin)
	defer cancel()
	if err := cl.MakeBucket(mctx, gwBucket, minio.MakeBucketOptions{}); err != nil {
		g.stop()
		return nil, fmt.Errorf("create bucket %s: %w", gwBucket, err)
	}
	return g, nil
}

// waitReady polls the gateway until it answers HTTP, exits, or
// gwReadyWithin passes.
func (g *gateway) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, gwReadyWithin)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.endpoint+"/", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			return resp.Body.Close()
		}
		select {
		case <-g.exited:
			return errors.New("exited before answering")
		case <-ctx.Done():
			return fmt.Errorf("not answering: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// stop ends the gateway and waits for it to exit.
func (g *gateway) stop() {
	if g.cmd.Process != nil {
		_ = g.cmd.Process.Kill()
	}
	<-g.exited
}
