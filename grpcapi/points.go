package grpcapi

import (
	"context"
	"math"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/status"

	"github.com/cairn-db/cairn/engine"
)

// pointsService implements qdrant.PointsServer (points*.go). Every
// method decodes the request (convert*.go), calls the engine method REST
// calls for the same operation, and encodes the answer; the embedded
// Unimplemented server answers none of Qdrant's methods (see
// points_unsupported.go for those the engine lacks).
type pointsService struct {
	qdrant.UnimplementedPointsServer
	s *Server
}

// call runs one method against the request's collection: it resolves the
// collection (NotFound first, as REST), bounds the context by the
// request's timeout (engine.WithTimeout, op naming the operation as
// REST's timeout does) and maps fn's error to a gRPC status.
func (p *pointsService) call(ctx context.Context, name, op string, timeout *uint64, fn func(context.Context, *engine.Collection) error) error {
	st, err := p.s.storage()
	if err != nil {
		return err
	}
	col, err := st.Collection(name)
	if err != nil {
		return toStatus(err)
	}
	secs, err := timeoutSecs(timeout)
	if err != nil {
		return err
	}
	tctx, done, cancel := engine.WithTimeout(ctx, op, secs)
	defer cancel()
	return toStatus(done(fn(tctx, col)))
}

// timeoutSecs reads a request's timeout as REST reads its `timeout`
// parameter: whole seconds, at least 1; 0 (none) when absent.
func timeoutSecs(t *uint64) (int64, error) {
	if t == nil {
		return 0, nil
	}
	if *t < 1 {
		return 0, invalidArg("Validation error: timeout: value 0 invalid, must be 1 or more")
	}
	return int64(min(*t, uint64(engine.MaxTimeoutSeconds)+1)), nil
}

// prefixed names the element of a batch an error came from
// ("operations[2]: ..."), keeping a status error's code.
func prefixed(what string, i int, err error) error {
	if st, ok := status.FromError(err); ok {
		return status.Error(st.Code(), fieldf(what, i)+": "+st.Message())
	}
	return err
}

// updateResultToProto encodes a write's result: its operation number
// and Acknowledged (wait false) or Completed (wait true).
func updateResultToProto(r engine.UpdateResult) *qdrant.UpdateResult {
	st := qdrant.UpdateStatus_Acknowledged
	if r.Status == engine.StatusCompleted {
		st = qdrant.UpdateStatus_Completed
	}
	id := r.OperationID
	return &qdrant.UpdateResult{OperationId: &id, Status: st}
}

// scoredToProto encodes search results; never nil.
func scoredToProto(pts []engine.ScoredPoint) []*qdrant.ScoredPoint {
	out := make([]*qdrant.ScoredPoint, len(pts))
	for i := range pts {
		sp := &pts[i]
		out[i] = &qdrant.ScoredPoint{Id: idToProto(sp.ID), Payload: payloadToProto(sp.Payload),
			Score: sp.Score, Version: sp.Version, Vectors: vectorsToProto(sp.Vector, sp.Sparse), OrderValue: orderValueToProto(sp.OrderValue)}
	}
	return out
}

// batchToProto encodes the results of a batch of searches.
func batchToProto(res [][]engine.ScoredPoint) []*qdrant.BatchResult {
	out := make([]*qdrant.BatchResult, len(res))
	for i, r := range res {
		out[i] = &qdrant.BatchResult{Result: scoredToProto(r)}
	}
	return out
}

// recordsToProto encodes stored points (get, scroll); never nil.
func recordsToProto(recs []engine.Record) []*qdrant.RetrievedPoint {
	out := make([]*qdrant.RetrievedPoint, len(recs))
	for i := range recs {
		r := &recs[i]
		out[i] = &qdrant.RetrievedPoint{Id: idToProto(r.ID), Payload: payloadToProto(r.Payload),
			Vectors: vectorsToProto(r.Vector, r.Sparse), OrderValue: orderValueToProto(r.OrderValue)}
	}
	return out
}

// orderValueToProto encodes a scroll's order value as REST writes it: an
// integer unless it is a float index's value or has a fraction.
func orderValueToProto(v *engine.OrderValue) *qdrant.OrderValue {
	if v == nil {
		return nil
	}
	if !v.Float && v.Value == math.Trunc(v.Value) && math.Abs(v.Value) < 1<<63 {
		return &qdrant.OrderValue{Variant: &qdrant.OrderValue_Int{Int: int64(v.Value)}}
	}
	return &qdrant.OrderValue{Variant: &qdrant.OrderValue_Float{Float: v.Value}}
}
