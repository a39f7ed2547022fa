package server

import (
	"context"

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

// serveBatch decodes a batch body and answers it with run, which calls
// the engine's batch (its semantics are engine.RunBatch's).
func serveBatch[T, R any](s *Server, c echo.Context, run func(context.Context, *engine.Collection, []T) ([]R, error)) error {
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
	out, err := run(c.Request().Context(), col, *in.Searches)
	if err != nil {
		return err
	}
	return ok(c, out)
}
