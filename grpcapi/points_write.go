package grpcapi

import (
	"context"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
	"github.com/cairn-db/cairn/payload"
)

// writeCall runs one write: it checks the ordering (every Qdrant ordering
// is accepted, as REST's `ordering`), then answers fn's result as a
// PointsOperationResponse.
func (p *pointsService) writeCall(ctx context.Context, name, op string, ordering *qdrant.WriteOrdering, timeout *uint64,
	fn func(context.Context, *engine.Collection) (engine.UpdateResult, error)) (*qdrant.PointsOperationResponse, error) {
	start := time.Now()
	if err := checkOrdering(ordering); err != nil {
		return nil, err
	}
	var res engine.UpdateResult
	err := p.call(ctx, name, op, timeout, func(ctx context.Context, col *engine.Collection) error {
		var err error
		res, err = fn(ctx, col)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.PointsOperationResponse{Result: updateResultToProto(res), Time: elapsed(start)}, nil
}

// Upsert inserts or replaces points (REST: PUT /collections/{c}/points).
func (p *pointsService) Upsert(ctx context.Context, req *qdrant.UpsertPoints) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "Upsert", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		up, err := upsertFromProto(req.GetPoints(), req.GetShardKeySelector(), req.GetUpdateFilter(), req.UpdateMode)
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return applyUpsert(col, ctx, up, req.GetWait())
	})
}

// upsertReq is a converted upsert: its points and its update_mode and
// update_filter, which the engine applies as REST's (UpsertWith).
type upsertReq struct {
	points []engine.PointStruct
	opts   engine.UpsertOptions
}

// applyUpsert runs a converted upsert, the engine call REST makes.
func applyUpsert(col *engine.Collection, ctx context.Context, up upsertReq, wait bool) (engine.UpdateResult, error) {
	return col.UpsertWith(ctx, up.points, up.opts, wait)
}

// upsertFromProto converts an upsert, refusing what REST refuses (shard
// keys); update_mode and update_filter become the engine's UpsertOptions.
func upsertFromProto(list []*qdrant.PointStruct, sk *qdrant.ShardKeySelector, cond *qdrant.Filter, mode *qdrant.UpdateMode) (upsertReq, error) {
	if err := checkShardKey(sk); err != nil {
		return upsertReq{}, err
	}
	opts, err := upsertOptionsFromProto(cond, mode)
	if err != nil {
		return upsertReq{}, err
	}
	pts, err := pointStructsFromProto(list)
	if err != nil {
		return upsertReq{}, err
	}
	return upsertReq{points: pts, opts: opts}, nil
}

// upsertOptionsFromProto converts update_filter and update_mode; an
// unknown mode is refused with REST's text for an unknown variant (the
// engine's check).
func upsertOptionsFromProto(cond *qdrant.Filter, mode *qdrant.UpdateMode) (engine.UpsertOptions, error) {
	f, err := filterFromProto(cond)
	if err != nil {
		return engine.UpsertOptions{}, err
	}
	opts := engine.UpsertOptions{Filter: f}
	if mode != nil {
		switch *mode {
		case qdrant.UpdateMode_Upsert:
			opts.Mode = engine.UpdateModeUpsert
		case qdrant.UpdateMode_InsertOnly:
			opts.Mode = engine.UpdateModeInsertOnly
		case qdrant.UpdateMode_UpdateOnly:
			opts.Mode = engine.UpdateModeUpdateOnly
		default:
			return engine.UpsertOptions{}, invalidArg("update_mode: unknown variant %d, expected one of Upsert, InsertOnly, UpdateOnly", int32(*mode))
		}
	}
	return opts, nil
}

// pointStructsFromProto converts the points of an upsert.
func pointStructsFromProto(list []*qdrant.PointStruct) ([]engine.PointStruct, error) {
	pts := make([]engine.PointStruct, len(list))
	for i, ps := range list {
		field := fieldf("points", i)
		if ps.GetId() == nil {
			return nil, invalidArg("%s.id: missing field", field)
		}
		id, err := idFromProto(ps.GetId())
		if err != nil {
			return nil, err
		}
		vecs, sparse, err := vectorsFromProto(ps.GetVectors(), field+".vectors")
		if err != nil {
			return nil, err
		}
		pts[i] = engine.PointStruct{ID: id, Vector: vecs, Sparse: sparse}
		if len(ps.GetPayload()) > 0 {
			if pts[i].Payload, err = payloadFromProto(ps.GetPayload()); err != nil {
				return nil, err
			}
		}
	}
	return pts, nil
}

// Delete removes points by ids or filter.
func (p *pointsService) Delete(ctx context.Context, req *qdrant.DeletePoints) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "Delete", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		sel, err := writeSelector(req.GetPoints(), req.GetShardKeySelector(), "points")
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return col.Delete(ctx, sel, req.GetWait())
	})
}

// writeSelector converts the point selector of a write after checking
// its shard key selector.
func writeSelector(sel *qdrant.PointsSelector, sk *qdrant.ShardKeySelector, field string) (engine.PointsSelector, error) {
	if err := checkShardKey(sk); err != nil {
		return engine.PointsSelector{}, err
	}
	return selectorFromProto(sel, field)
}

// optionalSelector converts a selector that may be absent (set, overwrite
// and delete payload, delete vectors): the engine then refuses a request
// that selects nothing, with REST's answer.
func optionalSelector(sel *qdrant.PointsSelector, sk *qdrant.ShardKeySelector, field string) (engine.PointsSelector, error) {
	if sel == nil {
		return engine.PointsSelector{}, checkShardKey(sk)
	}
	return writeSelector(sel, sk, field)
}

// UpdateVectors sets some vectors of existing points.
func (p *pointsService) UpdateVectors(ctx context.Context, req *qdrant.UpdatePointVectors) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "UpdateVectors", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		uv, err := pointVectorsFromProto(req.GetPoints(), req.GetShardKeySelector(), req.GetUpdateFilter())
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return applyUpdateVectors(col, ctx, uv, req.GetWait())
	})
}

// updateVectorsReq is a converted vector update with its update_filter.
type updateVectorsReq struct {
	points []engine.PointVectors
	filter *payload.Filter
}

// applyUpdateVectors runs a converted vector update, the engine call REST
// makes.
func applyUpdateVectors(col *engine.Collection, ctx context.Context, uv updateVectorsReq, wait bool) (engine.UpdateResult, error) {
	return col.UpdateVectorsWith(ctx, uv.points, uv.filter, wait)
}

func pointVectorsFromProto(list []*qdrant.PointVectors, sk *qdrant.ShardKeySelector, cond *qdrant.Filter) (updateVectorsReq, error) {
	if err := checkShardKey(sk); err != nil {
		return updateVectorsReq{}, err
	}
	f, err := filterFromProto(cond)
	if err != nil {
		return updateVectorsReq{}, err
	}
	pts := make([]engine.PointVectors, len(list))
	for i, pv := range list {
		field := fieldf("points", i)
		if pv.GetId() == nil {
			return updateVectorsReq{}, invalidArg("%s.id: missing field", field)
		}
		id, err := idFromProto(pv.GetId())
		if err != nil {
			return updateVectorsReq{}, err
		}
		vecs, sparse, err := vectorsFromProto(pv.GetVectors(), field+".vectors")
		if err != nil {
			return updateVectorsReq{}, err
		}
		pts[i] = engine.PointVectors{ID: id, Vector: vecs, Sparse: sparse}
	}
	return updateVectorsReq{points: pts, filter: f}, nil
}

// DeleteVectors removes named vectors from points.
func (p *pointsService) DeleteVectors(ctx context.Context, req *qdrant.DeletePointVectors) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "DeleteVectors", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		dv, err := deleteVectorsFromProto(req.GetPointsSelector(), req.GetVectors(), req.GetShardKeySelector())
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return col.DeleteVectors(ctx, dv, req.GetWait())
	})
}

func deleteVectorsFromProto(selp *qdrant.PointsSelector, names *qdrant.VectorsSelector, sk *qdrant.ShardKeySelector) (engine.DeleteVectors, error) {
	if names == nil {
		return engine.DeleteVectors{}, invalidArg("vectors: missing field")
	}
	sel, err := optionalSelector(selp, sk, "points_selector")
	if err != nil {
		return engine.DeleteVectors{}, err
	}
	return engine.DeleteVectors{Points: sel.Points, Filter: sel.Filter, Vector: nonNilStrings(names.GetNames())}, nil
}

// SetPayload merges payload keys into points (REST: POST …/payload).
func (p *pointsService) SetPayload(ctx context.Context, req *qdrant.SetPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "SetPayload", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		sp, err := setPayloadFromProto(req.GetPayload(), req.GetPointsSelector(), req.GetShardKeySelector(), req.GetKey())
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return col.SetPayload(ctx, sp, req.GetWait())
	})
}

// OverwritePayload replaces points' payloads (REST: PUT …/payload).
func (p *pointsService) OverwritePayload(ctx context.Context, req *qdrant.SetPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "OverwritePayload", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		sp, err := setPayloadFromProto(req.GetPayload(), req.GetPointsSelector(), req.GetShardKeySelector(), req.GetKey())
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return col.OverwritePayload(ctx, sp, req.GetWait())
	})
}

func setPayloadFromProto(pl map[string]*qdrant.Value, selp *qdrant.PointsSelector, sk *qdrant.ShardKeySelector, key string) (engine.SetPayload, error) {
	doc, err := payloadFromProto(pl)
	if err != nil {
		return engine.SetPayload{}, err
	}
	sel, err := optionalSelector(selp, sk, "points_selector")
	if err != nil {
		return engine.SetPayload{}, err
	}
	return engine.SetPayload{Payload: doc, Points: sel.Points, Filter: sel.Filter, Key: key}, nil
}

// DeletePayload removes payload keys from points.
func (p *pointsService) DeletePayload(ctx context.Context, req *qdrant.DeletePayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "DeletePayload", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		dp, err := deletePayloadFromProto(req.GetKeys(), req.GetPointsSelector(), req.GetShardKeySelector())
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return col.DeletePayload(ctx, dp, req.GetWait())
	})
}

func deletePayloadFromProto(keys []string, selp *qdrant.PointsSelector, sk *qdrant.ShardKeySelector) (engine.DeletePayload, error) {
	sel, err := optionalSelector(selp, sk, "points_selector")
	if err != nil {
		return engine.DeletePayload{}, err
	}
	return engine.DeletePayload{Keys: nonNilStrings(keys), Points: sel.Points, Filter: sel.Filter}, nil
}

// ClearPayload removes every payload key of points.
func (p *pointsService) ClearPayload(ctx context.Context, req *qdrant.ClearPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "ClearPayload", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		sel, err := writeSelector(req.GetPoints(), req.GetShardKeySelector(), "points")
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return col.ClearPayload(ctx, sel, req.GetWait())
	})
}

// CreateFieldIndex builds a payload index (REST: PUT …/index).
func (p *pointsService) CreateFieldIndex(ctx context.Context, req *qdrant.CreateFieldIndexCollection) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "CreateFieldIndex", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		if req.GetFieldName() == "" {
			return engine.UpdateResult{}, invalidArg("field_name: missing field")
		}
		schema, err := fieldSchemaFromProto(req.FieldType, req.GetFieldIndexParams())
		if err != nil {
			return engine.UpdateResult{}, err
		}
		return col.CreateFieldIndex(ctx, req.GetFieldName(), schema, req.GetWait())
	})
}

// DeleteFieldIndex drops a payload index (REST: DELETE …/index/{field}).
func (p *pointsService) DeleteFieldIndex(ctx context.Context, req *qdrant.DeleteFieldIndexCollection) (*qdrant.PointsOperationResponse, error) {
	return p.writeCall(ctx, req.GetCollectionName(), "DeleteFieldIndex", req.GetOrdering(), req.Timeout, func(ctx context.Context, col *engine.Collection) (engine.UpdateResult, error) {
		return col.DeleteFieldIndex(ctx, req.GetFieldName(), req.GetWait())
	})
}
