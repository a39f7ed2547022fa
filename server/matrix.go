package server

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// matrixIn is Qdrant's SearchMatrixRequest.
type matrixIn struct {
	Filter *payload.Filter `json:"filter"`
	Sample *int            `json:"sample"`
	Limit  *int            `json:"limit"`
	Using  string          `json:"using"`
}

func (in *matrixIn) request() engine.MatrixRequest {
	return engine.MatrixRequest{Sample: in.Sample, Limit: in.Limit, Filter: in.Filter, Using: in.Using}
}

// matrixPairs answers POST /points/search/matrix/pairs.
func (s *Server) matrixPairs(c echo.Context) error {
	return serveOne(s, c, func(ctx context.Context, col *engine.Collection, in *matrixIn) (engine.MatrixPairs, error) {
		return col.SearchMatrixPairs(ctx, in.request())
	})
}

// matrixOffsets answers POST /points/search/matrix/offsets.
func (s *Server) matrixOffsets(c echo.Context) error {
	return serveOne(s, c, func(ctx context.Context, col *engine.Collection, in *matrixIn) (engine.MatrixOffsets, error) {
		return col.SearchMatrixOffsets(ctx, in.request())
	})
}
