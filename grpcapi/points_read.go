package grpcapi

import (
	"context"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/point"
)

// readCall runs one read: shard key selector and read consistency are
// checked first (Cairn has no custom sharding; every consistency is
// served by the one replica), then fn runs against the collection.
func (p *pointsService) readCall(ctx context.Context, name, op string, timeout *uint64, sk *qdrant.ShardKeySelector, rc *qdrant.ReadConsistency,
	fn func(context.Context, *engine.Collection) error) error {
	if err := checkShardKey(sk); err != nil {
		return err
	}
	if err := checkConsistency(rc); err != nil {
		return err
	}
	return p.call(ctx, name, op, timeout, fn)
}

// Get retrieves points by id (REST: POST …/points); missing ids are
// skipped. The payload is returned unless with_payload says otherwise,
// vectors only when asked for, as REST.
func (p *pointsService) Get(ctx context.Context, req *qdrant.GetPoints) (*qdrant.GetResponse, error) {
	start := time.Now()
	var recs []engine.Record
	err := p.readCall(ctx, req.GetCollectionName(), "Retrieve", req.Timeout, req.GetShardKeySelector(), req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		ids, err := idsFromProto(req.GetIds())
		if err != nil {
			return err
		}
		wp := engine.WithPayload{Enable: true}
		if w := withPayloadFromProto(req.GetWithPayload()); w != nil {
			wp = *w
		}
		var wv engine.WithVector
		if w := withVectorFromProto(req.GetWithVectors()); w != nil {
			wv = *w
		}
		recs, err = col.Get(ctx, ids, wp, wv)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.GetResponse{Result: recordsToProto(recs), Time: elapsed(start)}, nil
}

// Scroll pages through points in id order, or by a payload key.
func (p *pointsService) Scroll(ctx context.Context, req *qdrant.ScrollPoints) (*qdrant.ScrollResponse, error) {
	start := time.Now()
	var res engine.ScrollResult
	err := p.readCall(ctx, req.GetCollectionName(), "Scroll", req.Timeout, req.GetShardKeySelector(), req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		sr, err := scrollFromProto(req)
		if err != nil {
			return err
		}
		res, err = col.Scroll(ctx, sr)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &qdrant.ScrollResponse{Result: recordsToProto(res.Points), Time: elapsed(start)}
	if res.NextPageOffset != nil {
		out.NextPageOffset = idToProto(*res.NextPageOffset)
	}
	return out, nil
}

func scrollFromProto(req *qdrant.ScrollPoints) (engine.ScrollRequest, error) {
	var sr engine.ScrollRequest
	var err error
	if req.Limit != nil {
		if err := engine.CheckScrollLimit(int(*req.Limit)); err != nil {
			return sr, err
		}
		sr.Limit = int(*req.Limit)
	}
	if req.GetOffset() != nil {
		id, err := idFromProto(req.GetOffset())
		if err != nil {
			return sr, err
		}
		sr.Offset = &id
	}
	if sr.Filter, err = filterFromProto(req.GetFilter()); err != nil {
		return sr, err
	}
	if sr.OrderBy, err = orderByFromProto(req.GetOrderBy()); err != nil {
		return sr, err
	}
	sr.WithPayload, sr.WithVector = withPayloadFromProto(req.GetWithPayload()), withVectorFromProto(req.GetWithVectors())
	return sr, nil
}

// Count counts the points matching a filter (always exactly).
func (p *pointsService) Count(ctx context.Context, req *qdrant.CountPoints) (*qdrant.CountResponse, error) {
	start := time.Now()
	var n int
	err := p.readCall(ctx, req.GetCollectionName(), "Count", req.Timeout, req.GetShardKeySelector(), req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		f, err := filterFromProto(req.GetFilter())
		if err != nil {
			return err
		}
		n, err = col.Count(ctx, engine.CountRequest{Filter: f, Exact: req.Exact})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.CountResponse{Result: &qdrant.CountResult{Count: uint64(n)}, Time: elapsed(start)}, nil
}

// Search finds the nearest points to a vector.
func (p *pointsService) Search(ctx context.Context, req *qdrant.SearchPoints) (*qdrant.SearchResponse, error) {
	start := time.Now()
	var res []engine.ScoredPoint
	err := p.readCall(ctx, req.GetCollectionName(), "Search", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		sr, err := searchFromProto(req)
		if err != nil {
			return err
		}
		res, err = col.Search(ctx, sr)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.SearchResponse{Result: scoredToProto(res), Time: elapsed(start)}, nil
}

// searchFromProto converts a SearchPoints request; the engine checks
// limit, offset, hnsw_ef, threshold and vector as it does for REST.
func searchFromProto(req *qdrant.SearchPoints) (engine.SearchRequest, error) {
	var sr engine.SearchRequest
	if err := checkShardKey(req.GetShardKeySelector()); err != nil {
		return sr, err
	}
	f, err := filterFromProto(req.GetFilter())
	if err != nil {
		return sr, err
	}
	sr = engine.SearchRequest{
		Vector: engine.NamedVector{Name: req.GetVectorName(), Vector: nonNilFloats(req.GetVector())},
		Filter: f, Params: searchParamsFromProto(req.GetParams()), Limit: uintToInt(req.GetLimit()),
		WithPayload: withPayloadFromProto(req.GetWithPayload()), WithVector: withVectorFromProto(req.GetWithVectors()),
		ScoreThreshold: req.ScoreThreshold,
	}
	if ix := req.GetSparseIndices(); ix != nil {
		sr.Vector.Vector, sr.Vector.Sparse = nil, &point.SparseVector{Indices: nonNilU32(ix.GetData()), Values: nonNilFloats(req.GetVector())}
	}
	if req.Offset != nil {
		sr.Offset = uintToInt(*req.Offset)
	}
	return sr, nil
}

// SearchBatch answers several searches in order (engine.RunBatch's
// semantics, as REST's POST …/search/batch).
func (p *pointsService) SearchBatch(ctx context.Context, req *qdrant.SearchBatchPoints) (*qdrant.SearchBatchResponse, error) {
	start := time.Now()
	var res [][]engine.ScoredPoint
	err := p.readCall(ctx, req.GetCollectionName(), "Search", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		srs := make([]engine.SearchRequest, len(req.GetSearchPoints()))
		for i, s := range req.GetSearchPoints() {
			sr, err := searchFromProto(s)
			if err != nil {
				return prefixed("searches", i, err)
			}
			srs[i] = sr
		}
		var err error
		res, err = col.SearchBatch(ctx, srs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.SearchBatchResponse{Result: batchToProto(res), Time: elapsed(start)}, nil
}

// Recommend searches with the average of positive and negative examples.
func (p *pointsService) Recommend(ctx context.Context, req *qdrant.RecommendPoints) (*qdrant.RecommendResponse, error) {
	start := time.Now()
	var res []engine.ScoredPoint
	err := p.readCall(ctx, req.GetCollectionName(), "Recommend", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		rr, err := recommendFromProto(req)
		if err != nil {
			return err
		}
		res, err = col.Recommend(ctx, rr)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.RecommendResponse{Result: scoredToProto(res), Time: elapsed(start)}, nil
}

func recommendFromProto(req *qdrant.RecommendPoints) (engine.RecommendRequest, error) {
	var rr engine.RecommendRequest
	if err := checkShardKey(req.GetShardKeySelector()); err != nil {
		return rr, err
	}
	pos, err := examplesFromProto(req.GetPositive(), req.GetPositiveVectors())
	if err != nil {
		return rr, err
	}
	neg, err := examplesFromProto(req.GetNegative(), req.GetNegativeVectors())
	if err != nil {
		return rr, err
	}
	strat, err := strategyFromProto(req.Strategy)
	if err != nil {
		return rr, err
	}
	f, err := filterFromProto(req.GetFilter())
	if err != nil {
		return rr, err
	}
	lookup, err := lookupFromProto(req.GetLookupFrom())
	if err != nil {
		return rr, err
	}
	limit := uintToInt(req.GetLimit())
	return engine.RecommendRequest{
		Positive: pos, Negative: neg, Strategy: strat, Filter: f, Params: searchParamsFromProto(req.GetParams()),
		Limit: &limit, Offset: optUint(req.Offset), WithPayload: withPayloadFromProto(req.GetWithPayload()),
		WithVector: withVectorFromProto(req.GetWithVectors()), ScoreThreshold: req.ScoreThreshold,
		Using: req.GetUsing(), LookupFrom: lookup,
	}, nil
}

// RecommendBatch answers several recommend requests in order.
func (p *pointsService) RecommendBatch(ctx context.Context, req *qdrant.RecommendBatchPoints) (*qdrant.RecommendBatchResponse, error) {
	start := time.Now()
	var res [][]engine.ScoredPoint
	err := p.readCall(ctx, req.GetCollectionName(), "Recommend", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		rrs := make([]engine.RecommendRequest, len(req.GetRecommendPoints()))
		for i, r := range req.GetRecommendPoints() {
			rr, err := recommendFromProto(r)
			if err != nil {
				return prefixed("searches", i, err)
			}
			rrs[i] = rr
		}
		var err error
		res, err = col.RecommendBatch(ctx, rrs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.RecommendBatchResponse{Result: batchToProto(res), Time: elapsed(start)}, nil
}

// Query answers Qdrant's universal query (engine.Collection.Query).
func (p *pointsService) Query(ctx context.Context, req *qdrant.QueryPoints) (*qdrant.QueryResponse, error) {
	start := time.Now()
	var res []engine.ScoredPoint
	err := p.readCall(ctx, req.GetCollectionName(), "Query", req.Timeout, nil, nil, func(ctx context.Context, col *engine.Collection) error {
		budget := col.MaxQueryPrefetches() + 1
		q, err := queryFromProto(req, &budget)
		if err != nil {
			return err
		}
		res, err = col.Query(ctx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.QueryResponse{Result: scoredToProto(res), Time: elapsed(start)}, nil
}

// QueryBatch answers several queries in order; the engine bounds the
// prefetches of all of them together.
func (p *pointsService) QueryBatch(ctx context.Context, req *qdrant.QueryBatchPoints) (*qdrant.QueryBatchResponse, error) {
	start := time.Now()
	var res [][]engine.ScoredPoint
	err := p.readCall(ctx, req.GetCollectionName(), "Query", req.Timeout, nil, req.GetReadConsistency(), func(ctx context.Context, col *engine.Collection) error {
		budget := col.MaxQueryPrefetches() + 1
		qs := make([]engine.QueryRequest, len(req.GetQueryPoints()))
		for i, q := range req.GetQueryPoints() {
			r, err := queryFromProto(q, &budget)
			if err != nil {
				return prefixed("searches", i, err)
			}
			qs[i] = r
		}
		var err error
		res, err = col.QueryBatch(ctx, qs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.QueryBatchResponse{Result: batchToProto(res), Time: elapsed(start)}, nil
}
