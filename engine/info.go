package engine

import (
	"encoding/binary"
	"encoding/json"

	"github.com/cairn-db/cairn/payload"
)

// Info reports the collection's status, counts, configuration and payload
// indexes, as Qdrant's collection info does. Status is yellow while a seal
// or an optimization runs (or one is due), grey while max_optimization_threads
// 0 holds back an optimization that is due, red after a background failure
// until the next success; points_count is exact.
func (c *Collection) Info() CollectionInfo {
	cfg := c.core.config()
	info := CollectionInfo{Status: StatusGreen, Config: cfg, PayloadSchema: map[string]PayloadIndexInfo{}}
	keys := c.core.indexKeys()
	defs := c.core.indexDefs()
	counts := make(map[string]int, len(keys))
	for _, s := range c.shards {
		if err := s.getErr(); err != nil {
			info.Status = StatusRed
			info.OptimizerStatus.Error = err.Error()
		} else if info.Status == StatusGreen || info.Status == StatusGrey {
			// red before yellow before grey before green
			if st := s.pending(&cfg, defs); st != StatusGreen {
				info.Status = st
			}
		}
		s.addCounts(&info, keys, counts)
	}
	for _, k := range keys {
		schema := defs[k]
		pi := PayloadIndexInfo{DataType: schema.Type, Points: counts[k]}
		if schema.Object {
			if b, err := json.Marshal(schema); err == nil {
				pi.Params = b
			}
		}
		info.PayloadSchema[k] = pi
	}
	return info
}

// addCounts adds the shard's points, segments, indexed vectors and
// per-key counts to info and counts, under the read lock (released on
// every path, panics included).
func (s *shard) addCounts(info *CollectionInfo, keys []string, counts map[string]int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range s.memTablesLocked() {
		if m == nil {
			continue
		}
		info.PointsCount += m.nlive
		if len(keys) > 0 {
			countKeys(m, keys, counts)
		}
	}
	info.SegmentsCount += len(s.segs)
	for _, h := range s.segs {
		live := h.live()
		info.PointsCount += live
		if len(h.graphs) > 0 {
			info.IndexedVectorsCount += live * len(h.graphs)
		}
		for _, k := range keys {
			if b := h.seg.Extra(indexCountFile(k)); len(b) == 8 {
				counts[k] += int(binary.LittleEndian.Uint64(b))
			}
		}
	}
}

func countKeys(m *memTable, keys []string, counts map[string]int) {
	for slot, live := range m.live {
		if !live || m.payloads[slot] == nil {
			continue
		}
		p := decodePayload(m.payloads[slot])
		for _, k := range keys {
			if len(payload.Values(p, k)) > 0 {
				counts[k]++
			}
		}
	}
}

// pending reports the shard's status apart from failures: yellow while
// background work is running or due, grey while an optimization is due
// that max_optimization_threads 0 keeps from starting, else green.
func (s *shard) pending(cfg *CollectionConfig, defs map[string]payload.FieldSchema) CollectionStatus {
	if s.busy.Load() > 0 {
		return StatusYellow
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.frozen != nil || s.planLocked(cfg, defs, false) != nil:
		return StatusYellow
	case cfg.OptimizationsDisabled() && s.planAllowedLocked(cfg, defs, false, true) != nil:
		return StatusGrey
	}
	return StatusGreen
}
