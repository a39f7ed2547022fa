package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// MaxQueryPrefetches bounds the prefetches of one query request, counted
// over the whole prefetch tree (and summed over the queries of a query
// batch): each prefetch is a search of its own, so a fan-out of 10^5
// leaves would keep a core busy for minutes. Qdrant has no such default
// (its strict mode can bound batch sizes); Cairn refuses more with 400.
// Documented in docs/limits.md.
const MaxQueryPrefetches = 1024

// checkPrefetches refuses queries whose prefetches, all together, exceed
// MaxQueryPrefetches.
func checkPrefetches(qs []queryIn) error {
	n := 0
	for i := range qs {
		if n = countPrefetches(&qs[i], n); n > MaxQueryPrefetches {
			return prefetchCountError()
		}
	}
	return nil
}

// prefetchCountError is the answer for more than MaxQueryPrefetches.
func prefetchCountError() error {
	return badRequest("Limit exceeded: the request has more than %d prefetch queries. Help: reduce the number of prefetch queries to %d or below", MaxQueryPrefetches, MaxQueryPrefetches)
}

// countPrefetches adds the prefetches of q's tree to n and returns the
// sum, stopping as soon as it passes the limit.
func countPrefetches(q *queryIn, n int) int {
	for i := range q.Prefetch {
		if n++; n > MaxQueryPrefetches {
			return n
		}
		if n = countPrefetches(&q.Prefetch[i], n); n > MaxQueryPrefetches {
			return n
		}
	}
	return n
}

// satAdd returns a+b for non-negative a and b, or math.MaxInt when the
// sum does not fit (limits and offsets are Qdrant's unsigned integers).
func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// maxTimeoutSecs is the largest timeout a time.Duration holds; a larger
// one is no deadline at all.
const maxTimeoutSecs = math.MaxInt64 / int64(time.Second)

// timeoutParam reads the `timeout` query parameter: whole seconds, at
// least 1; 0 when absent.
func timeoutParam(c echo.Context) (int64, error) {
	v := c.QueryParam("timeout")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, badRequest("Query deserialize error: timeout: invalid digit found in string")
	}
	if n < 1 {
		return 0, validation("timeout", "value %d invalid, must be 1 or more", n)
	}
	return int64(min(n, uint64(maxTimeoutSecs)+1)), nil
}

// timed serves a read route with the request's `timeout` (seconds): the
// handler's context expires then, the engine's loops stop at their next
// check, and the answer is Qdrant's for a timed-out operation (500,
// "Timeout error: Operation 'Search' timed out after 2 seconds"). Without
// a timeout the request runs until it ends or the client goes away (the
// request context is cancelled then).
func timed(op string, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		secs, err := timeoutParam(c)
		if err != nil {
			return err
		}
		if secs == 0 || secs > maxTimeoutSecs {
			return h(c)
		}
		r := c.Request()
		ctx, cancel := context.WithTimeout(r.Context(), time.Duration(secs)*time.Second)
		defer cancel()
		c.SetRequest(r.WithContext(ctx))
		err = h(c)
		if err != nil && errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("Timeout error: Operation '%s' timed out after %d seconds", op, secs)
		}
		return err
	}
}
