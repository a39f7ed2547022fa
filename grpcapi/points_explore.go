package grpcapi

import (
	"context"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
)

// Discover, facet and distance matrix methods of the Points service, each
// calling the engine function REST's route calls.

// Discover answers Qdrant's discover (engine.Discover).
func (p *pointsService) Discover(ctx context.Context, req *qdrant.DiscoverPoints) (*qdrant.DiscoverResponse, error) {
	start := time.Now()
	var res []engine.ScoredPoint
	err := p.readCall(ctx, req.GetCollectionName(), "Discover", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		dr, err := discoverFromProto(req)
		if err != nil {
			return err
		}
		res, err = col.Discover(ctx, dr)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.DiscoverResponse{Result: scoredToProto(res), Time: elapsed(start)}, nil
}

// DiscoverBatch answers several discover requests in order.
func (p *pointsService) DiscoverBatch(ctx context.Context, req *qdrant.DiscoverBatchPoints) (*qdrant.DiscoverBatchResponse, error) {
	start := time.Now()
	var res [][]engine.ScoredPoint
	err := p.readCall(ctx, req.GetCollectionName(), "Discover", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		drs := make([]engine.DiscoverRequest, len(req.GetDiscoverPoints()))
		for i, d := range req.GetDiscoverPoints() {
			dr, err := discoverFromProto(d)
			if err != nil {
				return prefixed("searches", i, err)
			}
			drs[i] = dr
		}
		var err error
		res, err = col.DiscoverBatch(ctx, drs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.DiscoverBatchResponse{Result: batchToProto(res), Time: elapsed(start)}, nil
}

// discoverFromProto converts a DiscoverPoints request (limit is required
// in the proto, so always set).
func discoverFromProto(req *qdrant.DiscoverPoints) (engine.DiscoverRequest, error) {
	var dr engine.DiscoverRequest
	if err := checkShardKey(req.GetShardKeySelector()); err != nil {
		return dr, err
	}
	if t := req.GetTarget(); t != nil {
		in, err := exampleFromProto(t.GetSingle())
		if err != nil {
			return dr, err
		}
		dr.Target = &in
	}
	for _, pair := range req.GetContext() {
		pos, err := exampleFromProto(pair.GetPositive())
		if err != nil {
			return dr, err
		}
		neg, err := exampleFromProto(pair.GetNegative())
		if err != nil {
			return dr, err
		}
		dr.Context = append(dr.Context, engine.ContextPair{Positive: pos, Negative: neg})
	}
	var err error
	if dr.Filter, err = filterFromProto(req.GetFilter()); err != nil {
		return dr, err
	}
	if dr.LookupFrom, err = lookupFromProto(req.GetLookupFrom()); err != nil {
		return dr, err
	}
	limit := uintToInt(req.GetLimit())
	dr.Limit, dr.Offset, dr.Params, dr.Using = &limit, optUint(req.Offset), searchParamsFromProto(req.GetParams()), req.GetUsing()
	dr.WithPayload, dr.WithVector = withPayloadFromProto(req.GetWithPayload()), withVectorFromProto(req.GetWithVectors())
	return dr, nil
}

// exampleFromProto converts a VectorExample: a point id or a vector.
func exampleFromProto(e *qdrant.VectorExample) (engine.VectorInput, error) {
	switch o := e.GetExample().(type) {
	case *qdrant.VectorExample_Id:
		id, err := idFromProto(o.Id)
		if err != nil {
			return engine.VectorInput{}, err
		}
		return engine.VectorInput{ID: &id}, nil
	case *qdrant.VectorExample_Vector:
		d, sp, err := vectorFromProto(o.Vector)
		return engine.VectorInput{Vector: d, Sparse: sp}, err
	}
	return engine.VectorInput{}, invalidArg("example is empty: expected a vector or a point id")
}

// Facet answers Qdrant's facet counts (engine.Facet).
func (p *pointsService) Facet(ctx context.Context, req *qdrant.FacetCounts) (*qdrant.FacetResponse, error) {
	start := time.Now()
	var res engine.FacetResult
	err := p.readCall(ctx, req.GetCollectionName(), "Facet", req.Timeout, req.GetShardKeySelector(), req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		f, err := filterFromProto(req.GetFilter())
		if err != nil {
			return err
		}
		res, err = col.Facet(ctx, engine.FacetRequest{Key: req.GetKey(), Filter: f, Limit: optUint(req.Limit), Exact: req.GetExact()})
		return err
	})
	if err != nil {
		return nil, err
	}
	hits := make([]*qdrant.FacetHit, len(res.Hits))
	for i, h := range res.Hits {
		hits[i] = &qdrant.FacetHit{Value: facetValueProto(h.Value), Count: uint64(h.Count)}
	}
	return &qdrant.FacetResponse{Hits: hits, Time: elapsed(start)}, nil
}

// facetValueProto encodes a facet value: a string (keywords, UUIDs), an
// integer or a bool.
func facetValueProto(v any) *qdrant.FacetValue {
	switch x := v.(type) {
	case int64:
		return &qdrant.FacetValue{Variant: &qdrant.FacetValue_IntegerValue{IntegerValue: x}}
	case bool:
		return &qdrant.FacetValue{Variant: &qdrant.FacetValue_BoolValue{BoolValue: x}}
	case string:
		return &qdrant.FacetValue{Variant: &qdrant.FacetValue_StringValue{StringValue: x}}
	}
	return &qdrant.FacetValue{Variant: &qdrant.FacetValue_StringValue{StringValue: toString(v)}}
}

// matrixFromProto converts a SearchMatrixPoints request.
func matrixFromProto(req *qdrant.SearchMatrixPoints) (engine.MatrixRequest, error) {
	f, err := filterFromProto(req.GetFilter())
	if err != nil {
		return engine.MatrixRequest{}, err
	}
	return engine.MatrixRequest{Sample: optUint(req.Sample), Limit: optUint(req.Limit), Filter: f, Using: req.GetUsing()}, nil
}

// SearchMatrixPairs answers Qdrant's distance matrix as pairs.
func (p *pointsService) SearchMatrixPairs(ctx context.Context, req *qdrant.SearchMatrixPoints) (*qdrant.SearchMatrixPairsResponse, error) {
	start := time.Now()
	var res engine.MatrixPairs
	err := p.readCall(ctx, req.GetCollectionName(), "Matrix", req.Timeout, req.GetShardKeySelector(), req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		mr, err := matrixFromProto(req)
		if err != nil {
			return err
		}
		res, err = col.SearchMatrixPairs(ctx, mr)
		return err
	})
	if err != nil {
		return nil, err
	}
	pairs := make([]*qdrant.SearchMatrixPair, len(res.Pairs))
	for i, pr := range res.Pairs {
		pairs[i] = &qdrant.SearchMatrixPair{A: idToProto(pr.A), B: idToProto(pr.B), Score: pr.Score}
	}
	return &qdrant.SearchMatrixPairsResponse{Result: &qdrant.SearchMatrixPairs{Pairs: pairs}, Time: elapsed(start)}, nil
}

// SearchMatrixOffsets answers Qdrant's distance matrix as offsets.
func (p *pointsService) SearchMatrixOffsets(ctx context.Context, req *qdrant.SearchMatrixPoints) (*qdrant.SearchMatrixOffsetsResponse, error) {
	start := time.Now()
	var res engine.MatrixOffsets
	err := p.readCall(ctx, req.GetCollectionName(), "Matrix", req.Timeout, req.GetShardKeySelector(), req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		mr, err := matrixFromProto(req)
		if err != nil {
			return err
		}
		res, err = col.SearchMatrixOffsets(ctx, mr)
		return err
	})
	if err != nil {
		return nil, err
	}
	ids := make([]*qdrant.PointId, len(res.IDs))
	for i, id := range res.IDs {
		ids[i] = idToProto(id)
	}
	return &qdrant.SearchMatrixOffsetsResponse{Result: &qdrant.SearchMatrixOffsets{OffsetsRow: res.OffsetsRow, OffsetsCol: res.OffsetsCol,
		Scores: res.Scores, Ids: ids}, Time: elapsed(start)}, nil
}
