package engine

import (
	"context"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
)

// SetPayload merges req.Payload into the selected points' payloads (under
// req.Key when set). Listed ids that do not exist fail with ErrPointNotFound.
func (c *Collection) SetPayload(ctx context.Context, req SetPayload, wait bool) (UpdateResult, error) {
	if req.Key != "" {
		if err := payload.ValidateKey(req.Key); err != nil {
			return UpdateResult{}, errBadRequest("key: %v", err)
		}
	}
	return c.payloadOp(ctx, req.Points, req.Filter, wait, true, func(p payload.Payload) payload.Payload {
		return payload.Set(p, req.Payload, req.Key)
	})
}

// OverwritePayload replaces the selected points' payloads with req.Payload.
func (c *Collection) OverwritePayload(ctx context.Context, req SetPayload, wait bool) (UpdateResult, error) {
	return c.payloadOp(ctx, req.Points, req.Filter, wait, true, func(payload.Payload) payload.Payload {
		return req.Payload
	})
}

// DeletePayload removes the keys (Qdrant key paths) from the selected points.
func (c *Collection) DeletePayload(ctx context.Context, req DeletePayload, wait bool) (UpdateResult, error) {
	return c.payloadOp(ctx, req.Points, req.Filter, wait, false, func(p payload.Payload) payload.Payload {
		return payload.DeleteKeys(p, req.Keys)
	})
}

// ClearPayload removes the whole payload of the selected points.
func (c *Collection) ClearPayload(ctx context.Context, sel PointsSelector, wait bool) (UpdateResult, error) {
	return c.payloadOp(ctx, sel.Points, sel.Filter, wait, false, func(payload.Payload) payload.Payload { return nil })
}

func (c *Collection) payloadOp(ctx context.Context, ids []point.ID, f *payload.Filter, wait, sets bool, fn func(payload.Payload) payload.Payload) (UpdateResult, error) {
	return c.modify(ctx, PointsSelector{Points: ids, Filter: f}, wait, true, sets, func(p *pointData) error {
		b, err := encodePayload(fn(decodePayload(p.payload)))
		if err != nil {
			return err
		}
		p.payload = b
		return nil
	})
}
