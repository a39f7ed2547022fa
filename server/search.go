package server

import (
	"bytes"
	"context"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// namedVectorIn is Qdrant's NamedVectorStruct (dense forms): a bare array
// or {"name": ..., "vector": [...]}.
type namedVectorIn struct {
	Name   string
	Vector []float32
	Sparse *point.SparseVector // NamedSparseVector's vector
}

// UnmarshalJSON reads either form with the fast float parser.
func (n *namedVectorIn) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		v, err := parseFloats(b, "vector")
		n.Vector = v
		return err
	}
	var obj struct {
		Name   string  `json:"name"`
		Vector rawJSON `json:"vector"`
	}
	if err := (codec{}).unmarshal(b, &obj); err != nil {
		return &fieldError{Field: "vector", Msg: "expected an array of numbers or {name, vector}"}
	}
	if obj.Vector.isNull() {
		return &fieldError{Field: "vector.vector", Msg: "missing field"}
	}
	if obj.Vector[0] == '{' {
		sv, err := parseSparse(obj.Vector, "vector.vector")
		n.Name, n.Sparse = obj.Name, &sv
		return err
	}
	v, err := parseFloats(obj.Vector, "vector.vector")
	n.Name, n.Vector = obj.Name, v
	return err
}

// searchIn is Qdrant's SearchRequest.
type searchIn struct {
	Vector         *namedVectorIn       `json:"vector"`
	Filter         *payload.Filter      `json:"filter"`
	Params         *engine.SearchParams `json:"params"`
	Limit          *int                 `json:"limit"`
	Top            *int                 `json:"top"` // Qdrant's old alias of limit
	Offset         *int                 `json:"offset"`
	WithPayload    *engine.WithPayload  `json:"with_payload"`
	WithVector     *engine.WithVector   `json:"with_vector"`
	WithVectors    *engine.WithVector   `json:"with_vectors"` // Qdrant's alias
	ScoreThreshold *float32             `json:"score_threshold"`
}

// request checks the fields and returns the engine's request.
func (in *searchIn) request() (engine.SearchRequest, error) {
	if in.Vector == nil {
		return engine.SearchRequest{}, badJSON(&fieldError{Field: "vector", Msg: "missing field"})
	}
	limit := in.Limit
	if limit == nil {
		limit = in.Top
	}
	if limit == nil {
		return engine.SearchRequest{}, badJSON(&fieldError{Field: "limit", Msg: "missing field"})
	}
	req := in.search()
	req.Limit = *limit
	if in.Offset != nil {
		req.Offset = *in.Offset
	}
	return req, checkPaging(req.Limit, req.Offset)
}

// search returns the engine's request without its paging (in.Vector is
// set), for /points/search and /points/search/groups alike.
func (in *searchIn) search() engine.SearchRequest {
	return engine.SearchRequest{
		Vector: engine.NamedVector{Name: in.Vector.Name, Vector: in.Vector.Vector, Sparse: in.Vector.Sparse},
		Filter: in.Filter, Params: in.Params,
		WithPayload: in.WithPayload, WithVector: vectorSelector(in.WithVector, in.WithVectors), ScoreThreshold: in.ScoreThreshold,
	}
}

func checkPaging(limit, offset int) error {
	if limit < 1 {
		return validation("limit", "value %d invalid, must be 1 or more", limit)
	}
	if offset < 0 {
		return validation("offset", "value %d invalid, must be 0 or more", offset)
	}
	return nil
}

func (s *Server) search(c echo.Context) error {
	return serveOne(s, c, func(ctx context.Context, col *engine.Collection, in *searchIn) ([]engine.ScoredPoint, error) {
		req, err := in.request()
		if err != nil {
			return nil, err
		}
		res, err := col.Search(ctx, req)
		return nonNil(res), err
	})
}

// searchBatch answers POST /points/search/batch. Each request's fields
// are checked when its turn comes, as Qdrant does.
func (s *Server) searchBatch(c echo.Context) error {
	return serveBatch(s, c, func(ctx context.Context, col *engine.Collection, ins []searchIn) ([][]engine.ScoredPoint, error) {
		return engine.RunBatch(ctx, ins, func(ctx context.Context, in *searchIn) ([]engine.ScoredPoint, error) {
			r, err := in.request()
			if err != nil {
				return nil, err
			}
			res, err := col.Search(ctx, r)
			return nonNil(res), err
		})
	})
}

// recommendIn is Qdrant's RecommendRequest.
type recommendIn struct {
	Positive       []exampleIn          `json:"positive"`
	Negative       []exampleIn          `json:"negative"`
	Strategy       string               `json:"strategy"`
	Filter         *payload.Filter      `json:"filter"`
	Params         *engine.SearchParams `json:"params"`
	Limit          *int                 `json:"limit"`
	Offset         *int                 `json:"offset"`
	WithPayload    *engine.WithPayload  `json:"with_payload"`
	WithVector     *engine.WithVector   `json:"with_vector"`
	WithVectors    *engine.WithVector   `json:"with_vectors"` // Qdrant's alias
	ScoreThreshold *float32             `json:"score_threshold"`
	Using          string               `json:"using"`
	LookupFrom     *lookupIn            `json:"lookup_from"`
}

// lookupIn is Qdrant's LookupLocation: where example ids are looked up.
type lookupIn = engine.LookupLocation

func (s *Server) recommend(c echo.Context) error {
	return serveScored(s, c, (*recommendIn).request, (*engine.Collection).Recommend)
}

// recommendBatch answers POST /points/recommend/batch.
func (s *Server) recommendBatch(c echo.Context) error {
	return serveScoredBatch(s, c, (*recommendIn).request, (*engine.Collection).RecommendBatch)
}

// request returns the engine's form of a decoded recommend request.
func (in *recommendIn) request() engine.RecommendRequest {
	return engine.RecommendRequest{
		Positive: inputs(in.Positive), Negative: inputs(in.Negative), Strategy: in.Strategy,
		Filter: in.Filter, Params: in.Params, Limit: in.Limit, Offset: in.Offset,
		WithPayload: in.WithPayload, WithVector: vectorSelector(in.WithVector, in.WithVectors),
		ScoreThreshold: in.ScoreThreshold, Using: in.Using, LookupFrom: in.LookupFrom,
	}
}
