package server

import (
	"bytes"
	"context"

	"github.com/labstack/echo/v4"

	"github.com/cairn-db/cairn/engine"
)

// withLookupIn is Qdrant's WithLookupInterface: a collection name, or
// {"collection", "with_payload", "with_vectors"}.
type withLookupIn struct{ engine.WithLookup }

// UnmarshalJSON reads either form.
func (w *withLookupIn) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	w.WithLookup = engine.WithLookup{}
	if len(b) > 0 && b[0] == '"' {
		return (codec{}).unmarshal(b, &w.Collection)
	}
	var obj struct {
		Collection  *string             `json:"collection"`
		WithPayload *engine.WithPayload `json:"with_payload"`
		WithVectors *engine.WithVector  `json:"with_vectors"`
		WithVector  *engine.WithVector  `json:"with_vector"` // the singular spelling
	}
	if err := (codec{}).unmarshal(b, &obj); err != nil {
		return err
	}
	if obj.Collection == nil {
		return &fieldError{Field: "with_lookup.collection", Msg: "missing field"}
	}
	w.Collection, w.WithPayload, w.WithVectors = *obj.Collection, obj.WithPayload, vectorSelector(obj.WithVectors, obj.WithVector)
	return nil
}

// groupIn is the grouping part of Qdrant's group request bodies.
type groupIn struct {
	GroupBy    *string       `json:"group_by"`
	GroupSize  *int          `json:"group_size"`
	WithLookup *withLookupIn `json:"with_lookup"`
}

// group returns the engine's grouping; required lists the fields the
// route requires (Qdrant's search and recommend groups require group_size
// and limit; query groups defaults them).
func (g *groupIn) group(limit *int, required bool) (engine.GroupRequest, error) {
	if g.GroupBy == nil {
		return engine.GroupRequest{}, badJSON(&fieldError{Field: "group_by", Msg: "missing field"})
	}
	out := engine.GroupRequest{GroupBy: *g.GroupBy, GroupSize: engine.DefaultGroupSize, Limit: engine.DefaultGroupLimit}
	switch {
	case g.GroupSize != nil:
		out.GroupSize = *g.GroupSize
	case required:
		return out, badJSON(&fieldError{Field: "group_size", Msg: "missing field"})
	}
	switch {
	case limit != nil:
		out.Limit = *limit
	case required:
		return out, badJSON(&fieldError{Field: "limit", Msg: "missing field"})
	}
	if g.WithLookup != nil {
		out.WithLookup = &g.WithLookup.WithLookup
	}
	return out, nil
}

// queryGroupsIn is Qdrant's QueryGroupsRequest.
type queryGroupsIn struct {
	queryIn
	groupIn
}

// normalizeBody implements bodyNormalizer as queryIn does.
func (*queryGroupsIn) normalizeBody(b []byte) ([]byte, error) { return normalizeQueryBody(b, false) }

// queryGroups answers POST /points/query/groups.
func (s *Server) queryGroups(c echo.Context) error {
	return serveOne(s, c, func(ctx context.Context, col *engine.Collection, in *queryGroupsIn) (engine.GroupsResult, error) {
		g, err := in.group(in.Limit, false)
		if err != nil {
			return engine.GroupsResult{}, err
		}
		budget := col.MaxQueryPrefetches() + 1
		res, err := col.QueryGroups(ctx, in.request(&budget), g)
		return nonNilGroups(res), err
	})
}

// searchGroupsIn is Qdrant's SearchGroupsRequest.
type searchGroupsIn struct {
	searchIn
	groupIn
}

// searchGroups answers POST /points/search/groups.
func (s *Server) searchGroups(c echo.Context) error {
	return serveOne(s, c, func(ctx context.Context, col *engine.Collection, in *searchGroupsIn) (engine.GroupsResult, error) {
		if in.Vector == nil {
			return engine.GroupsResult{}, badJSON(&fieldError{Field: "vector", Msg: "missing field"})
		}
		g, err := in.group(in.Limit, true)
		if err != nil {
			return engine.GroupsResult{}, err
		}
		res, err := col.SearchGroups(ctx, in.search(), g)
		return nonNilGroups(res), err
	})
}

// recommendGroupsIn is Qdrant's RecommendGroupsRequest.
type recommendGroupsIn struct {
	recommendIn
	groupIn
}

// recommendGroups answers POST /points/recommend/groups.
func (s *Server) recommendGroups(c echo.Context) error {
	return serveOne(s, c, func(ctx context.Context, col *engine.Collection, in *recommendGroupsIn) (engine.GroupsResult, error) {
		g, err := in.group(in.Limit, true)
		if err != nil {
			return engine.GroupsResult{}, err
		}
		res, err := col.RecommendGroups(ctx, in.request(), g)
		return nonNilGroups(res), err
	})
}

// nonNilGroups answers empty lists as [], never null.
func nonNilGroups(r engine.GroupsResult) engine.GroupsResult {
	if r.Groups == nil {
		r.Groups = []engine.PointGroup{}
	}
	for i := range r.Groups {
		r.Groups[i].Hits = nonNil(r.Groups[i].Hits)
	}
	return r
}
