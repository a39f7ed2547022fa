package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// readRoutes registers the point read and search routes; a read-only key
// may use all of them. Every route but GET /points/{id} honours Qdrant's
// `timeout` query parameter (see timed).
func (s *Server) readRoutes() {
	const p = "/collections/:name/points"
	s.add(http.MethodGet, p+"/:id", accessRead, s.getPoint)
	s.add(http.MethodPost, p, accessRead, timed("Retrieve", s.getPoints))
	s.add(http.MethodPost, p+"/scroll", accessRead, timed("Scroll", s.scroll))
	s.add(http.MethodPost, p+"/count", accessRead, timed("Count", s.count))
	s.add(http.MethodPost, p+"/search", accessRead, timed("Search", s.search))
	s.add(http.MethodPost, p+"/search/batch", accessRead, timed("Search", s.searchBatch))
	s.add(http.MethodPost, p+"/recommend", accessRead, timed("Recommend", s.recommend))
	s.add(http.MethodPost, p+"/recommend/batch", accessRead, timed("Recommend", s.recommendBatch))
	s.add(http.MethodPost, p+"/discover", accessRead, timed("Discover", s.discover))
	s.add(http.MethodPost, p+"/discover/batch", accessRead, timed("Discover", s.discoverBatch))
	s.add(http.MethodPost, p+"/query", accessRead, timed("Query", s.query))
	s.add(http.MethodPost, p+"/query/batch", accessRead, timed("Query", s.queryBatch))
	s.add(http.MethodPost, p+"/query/groups", accessRead, timed("Query", s.queryGroups))
	s.add(http.MethodPost, p+"/search/groups", accessRead, timed("Search", s.searchGroups))
	s.add(http.MethodPost, p+"/recommend/groups", accessRead, timed("Recommend", s.recommendGroups))
	s.add(http.MethodPost, p+"/search/matrix/pairs", accessRead, timed("Search", s.matrixPairs))
	s.add(http.MethodPost, p+"/search/matrix/offsets", accessRead, timed("Search", s.matrixOffsets))
	s.add(http.MethodPost, "/collections/:name/facet", accessRead, timed("Facet", s.facet))
}

func (s *Server) getPoint(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	id, err := point.ParseID(c.Param("id"))
	if err != nil {
		return badRequest("%v", err)
	}
	recs, err := col.Get(c.Request().Context(), []point.ID{id}, engine.WithPayload{Enable: true}, engine.WithVector{Enable: true})
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return wrapMsg(engine.ErrPointNotFound, "Not found: No point with id "+id.String()+" found")
	}
	return ok(c, recs[0])
}

type getPointsIn struct {
	IDs         *[]point.ID         `json:"ids"`
	WithPayload *engine.WithPayload `json:"with_payload"`
	WithVector  *engine.WithVector  `json:"with_vector"`
	WithVectors *engine.WithVector  `json:"with_vectors"` // Qdrant's alias
}

func (s *Server) getPoints(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var in getPointsIn
	if err := s.bind(c, &in); err != nil {
		return err
	}
	if in.IDs == nil {
		return badJSON(&fieldError{Field: "ids", Msg: "missing field"})
	}
	wp := engine.WithPayload{Enable: true}
	if in.WithPayload != nil {
		wp = *in.WithPayload
	}
	var wv engine.WithVector
	if sel := vectorSelector(in.WithVector, in.WithVectors); sel != nil {
		wv = *sel
	}
	recs, err := col.Get(c.Request().Context(), *in.IDs, wp, wv)
	if err != nil {
		return err
	}
	return ok(c, nonNil(recs))
}

// scrollIn is a scroll request whose limit tells an explicit 0 (a 422)
// from an absent one (Qdrant's default page).
type scrollIn struct {
	engine.ScrollRequest
	Limit       *int               `json:"limit"`
	WithVectors *engine.WithVector `json:"with_vectors"` // Qdrant's alias
}

func (s *Server) scroll(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var in scrollIn
	if err := s.bind(c, &in); err != nil {
		return err
	}
	req := in.ScrollRequest
	req.WithVector = vectorSelector(req.WithVector, in.WithVectors)
	if in.Limit != nil {
		if err := engine.CheckScrollLimit(*in.Limit); err != nil {
			return err
		}
		req.Limit = *in.Limit
	}
	res, err := col.Scroll(c.Request().Context(), req)
	if err != nil {
		return err
	}
	res.Points = nonNil(res.Points)
	return ok(c, res)
}

type countResult struct {
	Count int `json:"count"`
}

func (s *Server) count(c echo.Context) error {
	col, err := s.collection(c)
	if err != nil {
		return err
	}
	var req engine.CountRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	n, err := col.Count(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return ok(c, countResult{Count: n})
}
