package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// idleTransport cancels a request whose body stops moving: the request
// body when the server takes nothing of it for idle (the timer runs
// between reads, reset by each), and the response body when a read waits
// idle for data (the timer runs during reads only, so a slow consumer is
// not blamed). The cancelled request fails with an error wrapping
// ErrStalled, which minio-go retries like a network error while the
// request has not been answered.
type idleTransport struct {
	base http.RoundTripper
	idle time.Duration
}

// RoundTrip implements http.RoundTripper.
func (t *idleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	st := &stallTimer{idle: t.idle, cancel: cancel}
	req = req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		st.arm("request body")
		req.Body = &sendBody{rc: req.Body, st: st}
	}
	resp, err := t.base.RoundTrip(req)
	st.stop()
	if err != nil {
		cancel(nil)
		return nil, st.explain(ctx, err)
	}
	resp.Body = &recvBody{rc: resp.Body, st: st, ctx: ctx, cancel: cancel}
	return resp, nil
}

// stallTimer cancels the request when it fires.
type stallTimer struct {
	idle   time.Duration
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	timer *time.Timer
	what  string
}

// arm starts (or restarts) the timer for what is awaited.
func (st *stallTimer) arm(what string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.what = what
	if st.timer != nil {
		st.timer.Reset(st.idle)
		return
	}
	st.timer = time.AfterFunc(st.idle, func() {
		st.mu.Lock()
		what := st.what
		st.mu.Unlock()
		st.cancel(fmt.Errorf("%w: no %s progress for %s", ErrStalled, what, st.idle))
	})
}

func (st *stallTimer) stop() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.timer != nil {
		st.timer.Stop()
	}
}

// explain returns err, or the stall that caused it.
func (st *stallTimer) explain(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, ErrStalled) {
		return cause
	}
	return err
}

// sendBody is a request body whose reads keep the timer from firing.
type sendBody struct {
	rc io.ReadCloser
	st *stallTimer
}

func (b *sendBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil {
		b.st.stop() // all sent: the response header timeout takes over
	} else {
		b.st.arm("request body")
	}
	return n, err
}

func (b *sendBody) Close() error { return b.rc.Close() }

// recvBody is a response body whose reads are bounded by the timer.
type recvBody struct {
	rc     io.ReadCloser
	st     *stallTimer
	ctx    context.Context
	cancel context.CancelCauseFunc
}

func (b *recvBody) Read(p []byte) (int, error) {
	b.st.arm("response body")
	n, err := b.rc.Read(p)
	b.st.stop()
	if err != nil && err != io.EOF {
		err = b.st.explain(b.ctx, err)
	}
	return n, err
}

func (b *recvBody) Close() error {
	b.st.stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
