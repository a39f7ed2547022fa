package server

import (
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
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var in matrixIn
	if err := s.bind(c, &in); err != nil {
		return err
	}
	res, err := col.SearchMatrixPairs(c.Request().Context(), in.request())
	if err != nil {
		return err
	}
	return ok(c, res)
}

// matrixOffsets answers POST /points/search/matrix/offsets.
func (s *Server) matrixOffsets(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var in matrixIn
	if err := s.bind(c, &in); err != nil {
		return err
	}
	res, err := col.SearchMatrixOffsets(c.Request().Context(), in.request())
	if err != nil {
		return err
	}
	return ok(c, res)
}
