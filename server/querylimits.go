package server

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
)

// MaxQueryPrefetches bounds the prefetches of one query request, counted
// over the whole prefetch tree (and summed over the queries of a query
// batch); the engine enforces it (engine.Options.MaxQueryPrefetches, whose
// default this is) and refuses more with 400. Documented in
// docs/limits.md.
const MaxQueryPrefetches = engine.DefaultMaxQueryPrefetches

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
	return int64(min(n, uint64(engine.MaxTimeoutSeconds)+1)), nil
}

// timed serves a read route with the request's `timeout` (seconds) as the
// deadline of the handler's context (engine.WithTimeout): the engine's
// loops stop at their next check, and the answer is Qdrant's for a
// timed-out operation (500, "Timeout error: Operation 'Search' timed out
// after 2 seconds"). Without a timeout the request runs until it ends or
// the client goes away (the request context is cancelled then).
func timed(op string, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		secs, err := timeoutParam(c)
		if err != nil {
			return err
		}
		if secs == 0 {
			return h(c)
		}
		r := c.Request()
		ctx, done, cancel := engine.WithTimeout(r.Context(), op, secs)
		defer cancel()
		c.SetRequest(r.WithContext(ctx))
		return done(h(c))
	}
}
