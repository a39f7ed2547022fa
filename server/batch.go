package server

import (
	"context"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
)

// searchesIn is the body of every */batch route: Qdrant's list of requests
// under "searches".
type searchesIn[T any] struct {
	Searches *[]T `json:"searches"`
}

// normalizeBody implements bodyNormalizer for the batches of requests that
// need it (query/batch).
func (*searchesIn[T]) normalizeBody(b []byte) ([]byte, error) {
	if _, ok := any(new(T)).(bodyNormalizer); !ok {
		return b, nil
	}
	return normalizeQueryBody(b, true)
}

// serveBatch decodes a batch body, checks it as a whole with check (nil:
// no check) and answers its requests in order with run. The first failure
// answers for the whole batch, naming the request by its index; batches
// only read, so nothing is left half done.
func serveBatch[T, R any](s *Server, c echo.Context, check func([]T) error, run func(context.Context, *engine.Collection, *T) (R, error)) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var in searchesIn[T]
	if err := s.bind(c, &in); err != nil {
		return err
	}
	if in.Searches == nil {
		return badJSON(&fieldError{Field: "searches", Msg: "missing field"})
	}
	if check != nil {
		if err := check(*in.Searches); err != nil {
			return err
		}
	}
	out := make([]R, len(*in.Searches))
	ctx := c.Request().Context()
	for i := range *in.Searches {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := run(ctx, col, &(*in.Searches)[i])
		if err != nil {
			return fmt.Errorf("searches[%d]: %w", i, err)
		}
		out[i] = r
	}
	return ok(c, out)
}
