package server

import (
	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// facetIn is Qdrant's FacetRequest.
type facetIn struct {
	Key    *string         `json:"key"`
	Filter *payload.Filter `json:"filter"`
	Limit  *int            `json:"limit"`
	Exact  *bool           `json:"exact"`
}

// facet answers POST /collections/{c}/facet.
func (s *Server) facet(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var in facetIn
	if err := s.bind(c, &in); err != nil {
		return err
	}
	if in.Key == nil {
		return badJSON(&fieldError{Field: "key", Msg: "missing field"})
	}
	req := engine.FacetRequest{Key: *in.Key, Filter: in.Filter, Limit: in.Limit}
	if in.Exact != nil {
		req.Exact = *in.Exact
	}
	res, err := col.Facet(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return ok(c, res)
}
