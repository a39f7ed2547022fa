package engine

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// rateLimits are a collection's read and write token buckets (Qdrant's
// read_rate_limit and write_rate_limit: operations per minute, the bucket
// full at the start and refilled continuously).
type rateLimits struct {
	mu          sync.Mutex
	read, write bucket
}

type bucket struct {
	capacity int
	tokens   float64
	last     time.Time
}

// take charges cost tokens to the read or write bucket of capacity limit
// (nil: no limit) at now, or answers Qdrant's 429.
func (r *rateLimits) take(write bool, limit *int, cost int, now time.Time) error {
	if limit == nil {
		return nil
	}
	kind, b := "Read", &r.read
	if write {
		kind, b = "Write", &r.write
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	perSec := float64(*limit) / 60
	if b.capacity != *limit || b.last.IsZero() {
		*b = bucket{capacity: *limit, tokens: float64(*limit), last: now}
	}
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = math.Min(float64(b.capacity), b.tokens+d*perSec)
		b.last = now
	}
	if cost > b.capacity {
		return &engineError{ErrRateLimited, fmt.Sprintf("Rate limiting exceeded: %s rate limit exceeded, request larger than rate limiter capacity, please try to split your request", kind)}
	}
	if b.tokens < float64(cost) {
		wait := time.Duration((float64(cost) - b.tokens) / perSec * float64(time.Second))
		secs := int(math.Ceil(wait.Seconds()))
		return &rateError{engineError{ErrRateLimited, fmt.Sprintf(
			"Rate limiting exceeded: %s rate limit exceeded: Operation requires %d tokens but only %.1f were available. Retry after %ds",
			kind, cost, b.tokens, secs)}, time.Duration(secs) * time.Second}
	}
	b.tokens -= float64(cost)
	return nil
}

// rateError is a rate-limit refusal the client may retry after a while.
type rateError struct {
	engineError
	after time.Duration
}

// RetryAfter returns how long a client refused by a rate limit
// (ErrRateLimited) should wait before retrying, and whether err says so.
func RetryAfter(err error) (time.Duration, bool) {
	var re *rateError
	if !errors.As(err, &re) {
		return 0, false
	}
	return re.after, true
}
