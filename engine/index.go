package engine

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/segment"
)

// indexCountFile is the extra file holding, as a little-endian uint64, the
// number of the segment's points that have a value for key.
func indexCountFile(key string) string { return "index-" + segment.EscapeName(key) + ".count" }

// CreateFieldIndex creates (or replaces) the payload index on field. The
// definition is persisted at once and used for every segment written from
// then on; the optimizer rewrites existing segments in the background to add
// it. With wait, it returns once every segment has the index.
func (c *Collection) CreateFieldIndex(ctx context.Context, field string, schema payload.FieldSchema, wait bool) (UpdateResult, error) {
	if err := payload.ValidateKey(field); err != nil {
		return UpdateResult{}, errBadRequest("field_name: %v", err)
	}
	if schema.Type == payload.TypeInteger && schema.Lookup != nil && !*schema.Lookup && schema.RangeIdx != nil && !*schema.RangeIdx {
		return UpdateResult{}, &engineError{ErrInvalid, "Validation error in JSON body: [field_schema.lookup: the 'lookup' and 'range' capabilities can't be both disabled]"}
	}
	if err := schema.Validate(); err != nil {
		return UpdateResult{}, errBadRequest("field_schema: %v", err)
	}
	if err := c.checkIndexCount(ctx, field); err != nil {
		return UpdateResult{}, err
	}
	if err := c.core.setIndex(field, &schema); err != nil {
		return UpdateResult{}, err
	}
	return c.afterIndexChange(ctx, wait)
}

// setIndex sets (schema nil: removes) the index definition of field and
// persists the definitions, restoring the old one when that fails, under
// the core's write lock (released on every path, panics included).
func (c *collCore) setIndex(field string, schema *payload.FieldSchema) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, had := c.indexes[field]
	if schema == nil && !had {
		return errBadRequest("No index for field %s", field)
	}
	if schema != nil {
		c.indexes[field] = *schema
	} else {
		delete(c.indexes, field)
	}
	if err := c.storeLocked(); err != nil {
		if had {
			c.indexes[field] = old
		} else {
			delete(c.indexes, field)
		}
		return err
	}
	return nil
}

// DeleteFieldIndex drops the payload index on field; segments keep the
// index file until rewritten but it is no longer used.
func (c *Collection) DeleteFieldIndex(ctx context.Context, field string, wait bool) (UpdateResult, error) {
	if err := c.core.setIndex(field, nil); err != nil {
		return UpdateResult{}, err
	}
	return c.afterIndexChange(ctx, wait)
}

func (c *Collection) afterIndexChange(ctx context.Context, wait bool) (UpdateResult, error) {
	res := UpdateResult{Status: StatusAcknowledged}
	for _, s := range c.shards {
		res.OperationID = max(res.OperationID, s.lastLSNValue())
		if !wait {
			s.kickOptimizer()
			continue
		}
		// Run the optimizer here, between the worker's runs.
		if err := s.optimizeAll(ctx, false); err != nil {
			return UpdateResult{}, err
		}
	}
	if wait {
		res.Status = StatusCompleted
	}
	return res, ctx.Err()
}

func (s *shard) lastLSNValue() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lastLSN
}

// segmentHasIndex reports whether the field's index is current in h: the
// index file exists and was built for the type now configured.
func segmentHasIndex(h *segHandle, key string, want payload.FieldSchema) bool {
	ix := h.index(key)
	return ix != nil && ix.Schema().Type == want.Type
}

// buildIndexes builds every configured payload index over recs (sorted as
// the segment will store them), with the per-key point counts.
func (c *collCore) buildIndexes(recs []segment.Record) (map[string][]byte, error) {
	defs := c.indexDefs()
	if len(defs) == 0 {
		return nil, nil
	}
	decoded := make([]payload.Payload, len(recs))
	for i := range recs {
		decoded[i] = decodePayload(recs[i].Payload)
	}
	at := func(off uint32) payload.Payload { return decoded[off] }
	extra := map[string][]byte{}
	for key, schema := range defs {
		b, err := payload.BuildIndex(key, schema, len(recs), at)
		if err != nil {
			return nil, fmt.Errorf("build payload index %q: %w", key, err)
		}
		extra[indexFile(key)] = b
		n := 0
		for _, p := range decoded {
			if len(payload.Values(p, key)) > 0 {
				n++
			}
		}
		extra[indexCountFile(key)] = binary.LittleEndian.AppendUint64(nil, uint64(n))
	}
	return extra, nil
}
