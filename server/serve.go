package server

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
)

// serveOne answers a collection-scoped request: it resolves the
// collection, decodes the body into a T and replies with run's result.
func serveOne[T, R any](s *Server, c echo.Context, run func(context.Context, *engine.Collection, *T) (R, error)) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var in T
	if err := s.bind(c, &in); err != nil {
		return err
	}
	res, err := run(c.Request().Context(), col, &in)
	if err != nil {
		return err
	}
	return ok(c, res)
}

// serveScored answers a request whose engine call returns scored points
// (an empty answer is JSON's [], as Qdrant's).
func serveScored[T, R any](s *Server, c echo.Context, req func(*T) R, run func(*engine.Collection, context.Context, R) ([]engine.ScoredPoint, error)) error {
	return serveOne(s, c, func(ctx context.Context, col *engine.Collection, in *T) ([]engine.ScoredPoint, error) {
		res, err := run(col, ctx, req(in))
		return nonNil(res), err
	})
}

// serveScoredBatch answers a */batch route whose engine batch returns
// scored points: each request is converted with req and the batch run
// with run (each empty answer is JSON's []).
func serveScoredBatch[T, R any](s *Server, c echo.Context, req func(*T) R, run func(*engine.Collection, context.Context, []R) ([][]engine.ScoredPoint, error)) error {
	return serveBatch(s, c, func(ctx context.Context, col *engine.Collection, ins []T) ([][]engine.ScoredPoint, error) {
		reqs := make([]R, len(ins))
		for i := range ins {
			reqs[i] = req(&ins[i])
		}
		res, err := run(col, ctx, reqs)
		for i := range res {
			res[i] = nonNil(res[i])
		}
		return res, err
	})
}
