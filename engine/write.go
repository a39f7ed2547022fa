package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/cairn-db/cairn/payload"
	"github.com/cairn-db/cairn/point"
	"github.com/cairn-db/cairn/simd"
	"github.com/cairn-db/cairn/wal"
)

// shardWrite is a write to run on one shard under its write lock: it
// returns the operation to log and apply, or nil for nothing to do.
type shardWrite func(s *shard) (*op, error)

// appendLocked appends o to the WAL and applies it with the record's LSN
// as version; it returns the LSN, or 0 when o is empty. With wait, the WAL
// sync starts as soon as the record is appended, overlapping the apply, and
// its result arrives on the returned channel. Caller holds mu (write).
func (s *shard) appendLocked(o *op, wait bool) (uint64, <-chan error, error) {
	if o == nil || (len(o.puts) == 0 && len(o.dels) == 0) {
		return 0, nil, nil
	}
	var rec []byte
	ts := s.core.now().UnixNano()
	if o.kind == kindPut {
		rec = encodePut(o.puts, ts)
	} else {
		rec = encodeDelete(o.dels, ts)
	}
	lsn, err := s.log.Append(rec)
	gen := s.log.Generation() // no repair runs while mu is held
	putBuffer(rec)            // the WAL has copied it
	if err != nil {
		if errors.Is(err, wal.ErrClosed) {
			return 0, nil, fmt.Errorf("write to %s: %w", s.core.name, ErrClosed)
		}
		return 0, nil, fmt.Errorf("append to wal of shard %d: %w", s.id, err)
	}
	var synced chan error
	if wait {
		synced = make(chan error, 1)
		go func() {
			err := s.log.Sync(lsn)
			if err == nil && s.log.Generation() != gen {
				// A repair dropped the record before its sync (and the
				// LSN may now name another record).
				err = fmt.Errorf("sync lsn %d: %w", lsn, errWALRepaired)
			}
			synced <- err
		}()
	}
	s.applyLocked(o, lsn)
	return lsn, synced, nil
}

// sealDueLocked reports whether the head reached the seal threshold with
// no seal running. Caller holds mu.
func (s *shard) sealDueLocked() bool {
	cfg := s.core.config()
	return s.head.slots() >= cfg.sealThresholdPoints() && s.frozen == nil
}

// unlockWriters releases the write locks writeAll took, kicking the sealer
// of a shard whose head is due.
func unlockWriters(locked []*shard) {
	for _, s := range locked {
		due := s.sealDueLocked()
		s.mu.Unlock()
		if due {
			s.kickWorker()
		}
	}
}

// writeAll runs build on every shard involved, then waits for durability
// when wait is set. A failed request changes nothing: every involved
// shard's write lock is taken (in shard order) and every shard's part is
// built before any is logged. A WAL that an earlier failure broke is
// repaired first, and one this write breaks is repaired before the error
// returns (see recoverLog), so that a write whose WAL append or sync failed
// is applied nowhere and later writes succeed once the disk can take them.
func (c *Collection) writeAll(ctx context.Context, wait bool, build func(s *shard) shardWrite) (UpdateResult, error) {
	if err := ctx.Err(); err != nil {
		return UpdateResult{}, err
	}
	if err := c.repairLogs(); err != nil {
		return UpdateResult{}, fmt.Errorf("write to %s: %w", c.core.name, err)
	}
	res, err := c.writeOnce(wait, build)
	if err != nil && !errors.Is(err, ErrClosed) {
		_ = c.repairLogs() // logged; the next write retries
	}
	return res, err
}

func (c *Collection) writeOnce(wait bool, build func(s *shard) shardWrite) (UpdateResult, error) {
	res := UpdateResult{Status: StatusAcknowledged}
	writes := make([]shardWrite, len(c.shards))
	for i, s := range c.shards {
		writes[i] = build(s)
	}
	locked := make([]*shard, 0, len(c.shards))
	defer func() { unlockWriters(locked) }()
	ops := make([]*op, len(c.shards))
	for i, s := range c.shards {
		if writes[i] == nil {
			continue
		}
		s.mu.Lock()
		locked = append(locked, s)
		o, err := writes[i](s)
		if err != nil {
			return UpdateResult{}, err
		}
		ops[i] = o
	}
	syncs := make([]<-chan error, len(c.shards))
	for i, s := range c.shards {
		lsn, synced, err := s.appendLocked(ops[i], wait)
		if err != nil {
			return UpdateResult{}, err
		}
		res.OperationID = max(res.OperationID, lsn)
		syncs[i] = synced
	}
	unlockWriters(locked)
	locked = nil
	if !wait {
		return res, nil
	}
	for i, ch := range syncs {
		if ch == nil {
			continue
		}
		if err := <-ch; err != nil {
			return UpdateResult{}, fmt.Errorf("sync wal of shard %d: %w", i, err)
		}
	}
	res.Status = StatusCompleted
	return res, nil
}

// prepareVectors validates vectors against the configuration and returns
// copies (carved from arena when it has room), normalised for Cosine.
func (c *Collection) prepareVectors(id point.ID, vs Vectors, arena *[]float32) (map[string][]float32, error) {
	vectors := c.core.config().Params.Vectors
	out := make(map[string][]float32, len(vs))
	for name, v := range vs {
		p, ok := vectors[name]
		if !ok {
			if _, sparse := c.core.config().Params.SparseVectors[name]; sparse {
				return nil, errBadRequest("Conversion between sparse and regular vectors failed")
			}
			if name == "" {
				return nil, errBadRequest("Not existing vector name error: the collection has only named vectors")
			}
			return nil, errBadRequest("Not existing vector name error: %s", name)
		}
		if len(v) != p.Size {
			return nil, errBadRequest("Vector dimension error: expected dim: %d, got %d", p.Size, len(v))
		}
		var cp []float32
		if arena != nil && cap(*arena)-len(*arena) >= len(v) {
			n := len(*arena)
			*arena = append(*arena, v...)
			cp = (*arena)[n : n+len(v) : n+len(v)]
		} else {
			cp = append([]float32(nil), v...)
		}
		// Normalize fails only for a zero vector or one with a NaN or
		// infinite component, so a Cosine vector is scanned only then.
		if p.Distance != point.Cosine || !simd.Normalize(cp) {
			if i := nonFinite(cp); i >= 0 {
				return nil, errBadRequest("vector %s of point %s has a NaN or infinite component at index %d",
					vectorLabel(name), id, i)
			}
		}
		out[name] = cp
	}
	return out, nil
}

// nonFinite returns the index of v's first NaN or infinite component, or -1.
func nonFinite(v []float32) int {
	for i, f := range v {
		if f-f != 0 { // NaN or ±Inf
			return i
		}
	}
	return -1
}

// encodePayload checks a payload document (payload.Validate: depth,
// UTF-8, numbers) and turns it into stored bytes; empty is nil.
func encodePayload(p payload.Payload) ([]byte, error) {
	if len(p) == 0 {
		return nil, nil
	}
	if err := payload.Validate(p); err != nil {
		return nil, errBadRequest("payload: %v", err)
	}
	b, err := payload.Encode(p)
	if err != nil {
		return nil, errBadRequest("payload: %v", err)
	}
	return b, nil
}

// byShard groups items by the shard of their id.
func byShard[T any](c *Collection, items []T, id func(*T) point.ID) [][]T {
	out := make([][]T, len(c.shards))
	if len(c.shards) == 1 {
		out[0] = items
		return out
	}
	for i := range items {
		k := c.shardIndex(id(&items[i]).Hash())
		out[k] = append(out[k], items[i])
	}
	return out
}
