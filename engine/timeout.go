package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// MaxTimeoutSeconds is the largest timeout a time.Duration holds; a larger
// one is no deadline at all.
const MaxTimeoutSeconds = math.MaxInt64 / int64(time.Second)

// WithClientTimeout records a write's `timeout` parameter (seconds) for
// strict mode's max_timeout without setting a deadline: a write's timeout
// bounds, in Qdrant, how long the answer waits, not the write itself.
func WithClientTimeout(ctx context.Context, secs int64) context.Context {
	if secs <= 0 {
		return ctx
	}
	return context.WithValue(ctx, timeoutKey{}, secs)
}

// WithTimeout bounds an operation by a client's timeout in whole seconds
// (Qdrant's `timeout` parameter): the returned context expires then, and
// the engine's loops stop at their next check. done turns the operation's
// error into Qdrant's answer for a timed-out operation ("Timeout error:
// Operation 'Search' timed out after 2 seconds", kind ErrTimeout) when the
// deadline is what stopped it; a caller that went away (ctx cancelled) is
// not a timeout. secs of 0, or above MaxTimeoutSeconds, sets no deadline.
// Call cancel when the operation has returned.
func WithTimeout(ctx context.Context, op string, secs int64) (tctx context.Context, done func(error) error, cancel context.CancelFunc) {
	if secs > 0 {
		ctx = context.WithValue(ctx, timeoutKey{}, secs) // strict mode's max_timeout
	}
	if secs <= 0 || secs > MaxTimeoutSeconds {
		return ctx, func(err error) error { return err }, func() {}
	}
	tctx, cancel = context.WithTimeout(ctx, time.Duration(secs)*time.Second)
	done = func(err error) error {
		if err != nil && errors.Is(err, context.DeadlineExceeded) && errors.Is(tctx.Err(), context.DeadlineExceeded) {
			return &engineError{ErrTimeout, fmt.Sprintf("Timeout error: Operation '%s' timed out after %d seconds", op, secs)}
		}
		return err
	}
	return tctx, done, cancel
}
