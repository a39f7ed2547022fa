package grpcapi

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
)

// The group methods of the Points service: each converts its request to
// the ungrouped one (the same converters as Search, Recommend and Query)
// plus an engine.GroupRequest, and calls the engine function REST's
// …/groups route calls.

// groupFromProto converts the grouping fields; the engine checks them.
func groupFromProto(groupBy string, size, limit int, wl *qdrant.WithLookup) engine.GroupRequest {
	g := engine.GroupRequest{GroupBy: groupBy, GroupSize: size, Limit: limit}
	if wl != nil {
		g.WithLookup = &engine.WithLookup{Collection: wl.GetCollection(),
			WithPayload: withPayloadFromProto(wl.GetWithPayload()), WithVectors: withVectorFromProto(wl.GetWithVectors())}
	}
	return g
}

// SearchGroups answers Qdrant's search groups (engine.SearchGroups).
func (p *pointsService) SearchGroups(ctx context.Context, req *qdrant.SearchPointGroups) (*qdrant.SearchGroupsResponse, error) {
	start := time.Now()
	var res engine.GroupsResult
	err := p.readCall(ctx, req.GetCollectionName(), "Search", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		sr, err := searchFromProto(&qdrant.SearchPoints{Vector: req.GetVector(), Filter: req.GetFilter(), Limit: uint64(req.GetLimit()),
			WithPayload: req.GetWithPayload(), Params: req.GetParams(), ScoreThreshold: req.ScoreThreshold, VectorName: req.VectorName,
			WithVectors: req.GetWithVectors(), ShardKeySelector: req.GetShardKeySelector(), SparseIndices: req.GetSparseIndices()})
		if err != nil {
			return err
		}
		res, err = col.SearchGroups(ctx, sr, groupFromProto(req.GetGroupBy(), int(req.GetGroupSize()), int(req.GetLimit()), req.GetWithLookup()))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.SearchGroupsResponse{Result: groupsToProto(res), Time: elapsed(start)}, nil
}

// RecommendGroups answers Qdrant's recommend groups (engine.RecommendGroups).
func (p *pointsService) RecommendGroups(ctx context.Context, req *qdrant.RecommendPointGroups) (*qdrant.RecommendGroupsResponse, error) {
	start := time.Now()
	var res engine.GroupsResult
	err := p.readCall(ctx, req.GetCollectionName(), "Recommend", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		rr, err := recommendFromProto(&qdrant.RecommendPoints{Positive: req.GetPositive(), Negative: req.GetNegative(), Filter: req.GetFilter(),
			Limit: uint64(req.GetLimit()), WithPayload: req.GetWithPayload(), Params: req.GetParams(), ScoreThreshold: req.ScoreThreshold,
			Using: req.Using, WithVectors: req.GetWithVectors(), LookupFrom: req.GetLookupFrom(), Strategy: req.Strategy,
			PositiveVectors: req.GetPositiveVectors(), NegativeVectors: req.GetNegativeVectors(), ShardKeySelector: req.GetShardKeySelector()})
		if err != nil {
			return err
		}
		res, err = col.RecommendGroups(ctx, rr, groupFromProto(req.GetGroupBy(), int(req.GetGroupSize()), int(req.GetLimit()), req.GetWithLookup()))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.RecommendGroupsResponse{Result: groupsToProto(res), Time: elapsed(start)}, nil
}

// QueryGroups answers Qdrant's query groups (engine.QueryGroups); group
// size and limit default as REST's.
func (p *pointsService) QueryGroups(ctx context.Context, req *qdrant.QueryPointGroups) (*qdrant.QueryGroupsResponse, error) {
	start := time.Now()
	var res engine.GroupsResult
	err := p.readCall(ctx, req.GetCollectionName(), "Query", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		budget := col.MaxQueryPrefetches() + 1
		q, err := queryFromProto(&qdrant.QueryPoints{Prefetch: req.GetPrefetch(), Query: req.GetQuery(), Using: req.Using, Filter: req.GetFilter(),
			Params: req.GetParams(), ScoreThreshold: req.ScoreThreshold, WithPayload: req.GetWithPayload(), WithVectors: req.GetWithVectors(),
			LookupFrom: req.GetLookupFrom(), Limit: req.Limit, ShardKeySelector: req.GetShardKeySelector()}, &budget)
		if err != nil {
			return err
		}
		size, limit := engine.DefaultGroupSize, engine.DefaultGroupLimit
		if req.GroupSize != nil {
			size = uintToInt(*req.GroupSize)
		}
		if req.Limit != nil {
			limit = uintToInt(*req.Limit)
		}
		res, err = col.QueryGroups(ctx, q, groupFromProto(req.GetGroupBy(), size, limit, req.GetWithLookup()))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.QueryGroupsResponse{Result: groupsToProto(res), Time: elapsed(start)}, nil
}

// groupsToProto encodes a GroupsResult; never nil.
func groupsToProto(r engine.GroupsResult) *qdrant.GroupsResult {
	out := &qdrant.GroupsResult{Groups: make([]*qdrant.PointGroup, len(r.Groups))}
	for i, g := range r.Groups {
		pg := &qdrant.PointGroup{Id: groupIDToProto(g.ID), Hits: scoredToProto(g.Hits)}
		if g.Lookup != nil {
			pg.Lookup = recordsToProto([]engine.Record{*g.Lookup})[0]
		}
		out.Groups[i] = pg
	}
	return out
}

// groupIDToProto encodes a group id: a string, or a number (unsigned when
// it fits, as Qdrant answers).
func groupIDToProto(id any) *qdrant.GroupId {
	switch v := id.(type) {
	case string:
		return &qdrant.GroupId{Kind: &qdrant.GroupId_StringValue{StringValue: v}}
	case json.Number:
		if u, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
			return &qdrant.GroupId{Kind: &qdrant.GroupId_UnsignedValue{UnsignedValue: u}}
		}
		if n, err := v.Int64(); err == nil {
			return &qdrant.GroupId{Kind: &qdrant.GroupId_IntegerValue{IntegerValue: n}}
		}
	}
	return &qdrant.GroupId{Kind: &qdrant.GroupId_StringValue{StringValue: toString(id)}}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
