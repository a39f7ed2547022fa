package grpcapi

import (
	"context"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/cairn-db/cairn/engine"
)

// batchStep is one converted operation of an UpdateBatch.
type batchStep func(ctx context.Context, col *engine.Collection, wait bool) (engine.UpdateResult, error)

// UpdateBatch applies a list of operations in order, one by one as
// Qdrant (and REST's POST …/points/batch) does, not atomically: an
// operation that fails leaves the earlier ones applied and names its
// index. Every operation is converted before the first is applied, so a
// malformed one changes nothing.
func (p *pointsService) UpdateBatch(ctx context.Context, req *qdrant.UpdateBatchPoints) (*qdrant.UpdateBatchResponse, error) {
	start := time.Now()
	if err := checkOrdering(req.GetOrdering()); err != nil {
		return nil, err
	}
	var results []*qdrant.UpdateResult
	err := p.call(ctx, req.GetCollectionName(), "UpdateBatch", req.Timeout, func(ctx context.Context, col *engine.Collection) error {
		ops := req.GetOperations()
		steps := make([]batchStep, len(ops))
		for i, op := range ops {
			st, err := batchStepFromProto(op)
			if err != nil {
				return prefixed("operations", i, err)
			}
			steps[i] = st
		}
		results = make([]*qdrant.UpdateResult, 0, len(steps))
		for i, st := range steps {
			res, err := st(ctx, col, req.GetWait())
			if err != nil {
				return prefixed("operations", i, toStatus(err))
			}
			results = append(results, updateResultToProto(res))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.UpdateBatchResponse{Result: results, Time: elapsed(start)}, nil
}

// batchStepFromProto converts one PointsUpdateOperation.
func batchStepFromProto(op *qdrant.PointsUpdateOperation) (batchStep, error) {
	switch o := op.GetOperation().(type) {
	case *qdrant.PointsUpdateOperation_Upsert:
		up, err := upsertFromProto(o.Upsert.GetPoints(), o.Upsert.GetShardKeySelector(), o.Upsert.GetUpdateFilter(), o.Upsert.UpdateMode)
		return stepOf(up, err, applyUpsert)
	case *qdrant.PointsUpdateOperation_DeletePoints_:
		sel, err := writeSelector(o.DeletePoints.GetPoints(), o.DeletePoints.GetShardKeySelector(), "points")
		return stepOf(sel, err, (*engine.Collection).Delete)
	case *qdrant.PointsUpdateOperation_DeleteDeprecated:
		sel, err := selectorFromProto(o.DeleteDeprecated, "points")
		return stepOf(sel, err, (*engine.Collection).Delete)
	case *qdrant.PointsUpdateOperation_SetPayload_:
		sp := o.SetPayload
		req, err := setPayloadFromProto(sp.GetPayload(), sp.GetPointsSelector(), sp.GetShardKeySelector(), sp.GetKey())
		return stepOf(req, err, (*engine.Collection).SetPayload)
	case *qdrant.PointsUpdateOperation_OverwritePayload_:
		sp := o.OverwritePayload
		req, err := setPayloadFromProto(sp.GetPayload(), sp.GetPointsSelector(), sp.GetShardKeySelector(), sp.GetKey())
		return stepOf(req, err, (*engine.Collection).OverwritePayload)
	case *qdrant.PointsUpdateOperation_DeletePayload_:
		dp := o.DeletePayload
		req, err := deletePayloadFromProto(dp.GetKeys(), dp.GetPointsSelector(), dp.GetShardKeySelector())
		return stepOf(req, err, (*engine.Collection).DeletePayload)
	case *qdrant.PointsUpdateOperation_ClearPayload_:
		sel, err := writeSelector(o.ClearPayload.GetPoints(), o.ClearPayload.GetShardKeySelector(), "points")
		return stepOf(sel, err, (*engine.Collection).ClearPayload)
	case *qdrant.PointsUpdateOperation_ClearPayloadDeprecated:
		sel, err := selectorFromProto(o.ClearPayloadDeprecated, "points")
		return stepOf(sel, err, (*engine.Collection).ClearPayload)
	case *qdrant.PointsUpdateOperation_UpdateVectors_:
		uv := o.UpdateVectors
		req, err := pointVectorsFromProto(uv.GetPoints(), uv.GetShardKeySelector(), uv.GetUpdateFilter())
		return stepOf(req, err, applyUpdateVectors)
	case *qdrant.PointsUpdateOperation_DeleteVectors_:
		dv := o.DeleteVectors
		req, err := deleteVectorsFromProto(dv.GetPointsSelector(), dv.GetVectors(), dv.GetShardKeySelector())
		return stepOf(req, err, (*engine.Collection).DeleteVectors)
	}
	return nil, invalidArg("malformed operation: no operation set")
}

// stepOf binds a converted request to the engine method that applies it.
func stepOf[R any](req R, err error, apply func(*engine.Collection, context.Context, R, bool) (engine.UpdateResult, error)) (batchStep, error) {
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, col *engine.Collection, wait bool) (engine.UpdateResult, error) {
		return apply(col, ctx, req, wait)
	}, nil
}
